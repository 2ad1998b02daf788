/**
 * Build history and rollback, as the language server's `kernelenv.history` and
 * `kernelenv.rollback` commands return them (see docs/lsp.md). Pure (no `vscode` import):
 * the quick pick items and the messages the "Roll Back Environment" command shows.
 */

/** One build of `kernelenv.history` (`kernelenv.history.BuildEntry.to_dict()`). */
export interface BuildInfo {
  id: string;
  live: boolean;
  env_exists: boolean;
  created: string | null;
  reason: string | null;
  python_version: string | null;
  lock: string | null;
  packages: number | null;
  changes: string[];
  freed_bytes: number | null;
  error: string | null;
}

/** The result of `kernelenv.history`. */
export interface HistoryResult {
  builds: BuildInfo[];
  keep: number;
  live: string | null;
}

/** The result of `kernelenv.rollback`. */
export interface RollbackResult {
  build: string;
  previous: string | null;
  lock_restored: string | null;
  lock_unchanged: boolean;
  changes: string[];
  seconds: number;
  kernel_name: string | null;
}

/** A quick pick item for one build that can be made live. */
export interface BuildItem {
  label: string;
  description: string;
  detail: string;
  build: string;
}

/** `1.2 MB`-style size (powers of 1000), as the CLI prints it. */
export function formatBytes(n: number | null): string {
  if (n === null) {
    return '?';
  }
  const units = ['B', 'kB', 'MB', 'GB'];
  let size = n;
  let i = 0;
  while (size >= 1000 && i < units.length - 1) {
    size /= 1000;
    i += 1;
  }
  return i === 0 ? `${size} B` : `${size.toFixed(1)} ${units[i]}`;
}

/**
 * The builds a user can roll back to, newest first: the live build and builds whose
 * record is unreadable or whose env folder is gone are left out.
 */
export function rollbackItems(history: HistoryResult): BuildItem[] {
  return history.builds
    .filter((b) => !b.live && !b.error && b.env_exists)
    .reverse()
    .map((b) => ({
      label: `${b.created ?? b.id} — ${b.reason ?? 'build'}`,
      description: `Python ${b.python_version ?? '?'}, ${b.packages ?? '?'} packages${b.lock ? `, from ${b.lock}` : ''}`,
      detail: b.changes.length ? b.changes.join(', ') : `${formatBytes(b.freed_bytes)} own disk use`,
      build: b.id,
    }));
}

/** The message shown after a rollback. */
export function rollbackMessage(projectName: string, res: RollbackResult): string {
  const lock = res.lock_restored
    ? res.lock_unchanged
      ? ` ${res.lock_restored} already matched it.`
      : ` ${res.lock_restored} restored.`
    : '';
  const changes = res.changes.length ? ` Changes: ${res.changes.join(', ')}.` : '';
  return (
    `${projectName}: build ${res.build} is live again in ${Math.round(res.seconds * 1000)} ms; ` +
    `kernel ${res.kernel_name ?? '?'} unchanged (restart open notebooks).${lock}${changes}`
  );
}
