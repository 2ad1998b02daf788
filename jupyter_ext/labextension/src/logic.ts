/**
 * Pure frontend rules: what the panel shows, which buttons are enabled, how errors
 * read, and what to do with a notebook's kernel. No JupyterLab imports, so the unit
 * tests exercise them directly.
 */
import type {
  AutoSelectMode,
  IEnvError,
  IJob,
  IProject,
  IResolveResult,
  IStatus,
  EnvAction,
  JobAction,
  StatusName
} from './types';

/** Every status the engine reports, in the order the legend shows them. */
export const STATUSES: StatusName[] = [
  'missing',
  'building',
  'ready',
  'stale',
  'lock out of date',
  'drifted',
  'broken'
];

/** Statuses in which the env exists and its kernel can run. */
const USABLE: ReadonlySet<StatusName> = new Set<StatusName>([
  'ready',
  'stale',
  'lock out of date',
  'drifted'
]);

/** CSS modifier for a status badge (`kernelenv-status-lock-out-of-date` ...). */
export function statusClass(status: StatusName): string {
  return `kernelenv-status-${status.replace(/\s+/g, '-')}`;
}

/** Whether the env of a project in `status` exists and its kernel can be started. */
export function isUsable(status: StatusName | null | undefined): boolean {
  return !!status && USABLE.has(status);
}

/** A job is still running. */
export function isRunning(job: IJob | null | undefined): boolean {
  return !!job && job.state === 'running';
}

/** Enabled state of the four buttons of a project card. */
export type ActionStates = Record<EnvAction, boolean>;

/**
 * Which actions a project allows: none while a job runs on it; Create needs a spec
 * or lock file and an env that is not ready already; Lock needs a spec; Rebuild and Remove need an env that exists (or a
 * broken one, which rebuild repairs and Remove (purge) deletes).
 */
export function actionStates(project: IProject, job: IJob | null | undefined): ActionStates {
  if (isRunning(job) || project.status.status === 'building') {
    return { create: false, lock: false, rebuild: false, purge: false };
  }
  const hasEnv = project.status.status !== 'missing';
  const buildable = !!(project.spec || project.lock);
  return {
    // On a ready env, Create would do nothing: Rebuild is the action that rebuilds.
    // On a drifted env Create would do nothing either: Record or Revert (rebuild) decide.
    create: buildable && project.status.status !== 'ready' && project.status.status !== 'drifted',
    lock: !!project.spec,
    rebuild: buildable && hasEnv,
    purge: hasEnv
  };
}

/**
 * `file:line:column: message`, leaving out the parts the error does not have.
 *
 * @param projectRoot - the project's absolute folder: a file inside it is shown
 *   relative to it (`requirements.txt:2:6: ...`) instead of by its absolute path.
 */
export function formatError(error: IEnvError | null | undefined, projectRoot?: string): string {
  if (!error) {
    return 'Unknown error';
  }
  if (!error.path) {
    return error.message;
  }
  let where = relativeTo(error.path, projectRoot);
  if (error.line) {
    where += `:${error.line}`;
    if (error.column) {
      where += `:${error.column}`;
    }
  }
  return `${where}: ${error.detail ?? stripLocation(error.message, error.path)}`;
}

/** `message` without a leading `path[:line[:column]]: ` (the engine's own prefix). */
function stripLocation(message: string, path: string): string {
  if (!message.startsWith(path)) {
    return message;
  }
  const rest = message.slice(path.length).replace(/^(:\d+)*:\s*/, '');
  return rest || message;
}

/** `path` relative to `root` when it is inside it, else unchanged. */
function relativeTo(path: string, root?: string): string {
  if (root) {
    const base = root.endsWith('/') ? root : `${root}/`;
    if (path.startsWith(base)) {
      return path.slice(base.length);
    }
  }
  return path;
}

/**
 * The root-relative path to open for an error's file, or null when the file is
 * outside the project (an absolute path elsewhere cannot be opened in Jupyter).
 */
export function errorFilePath(project: Pick<IProject, 'path' | 'root'>, path: string): string | null {
  if (!path.startsWith('/')) {
    return joinPath(project.path, path);
  }
  const rel = relativeTo(path, project.root);
  return rel === path ? null : joinPath(project.path, rel);
}

const BUTTONS: Record<string, string> = {
  create: 'Create',
  lock: 'Lock',
  rebuild: 'Rebuild',
  purge: 'Remove',
  record: 'Record'
};

/**
 * A status reason or error as a sidebar user reads it: the engine words its advice for the
 * command line (``run `kernelenv create` ``); the panel's buttons do the same, so
 * ``run `kernelenv lock` then `kernelenv rebuild` `` reads "click Lock, then Rebuild". Advice
 * with no button (another command, or a path argument) keeps the command as written.
 */
export function guiText(text: string): string {
  const button = (cmd: string) => BUTTONS[cmd];
  return text
    .replace(/\brun `kernelenv (\w+)`(?:,? (?:and )?then `kernelenv (\w+)`)?/g, (all, a: string, b?: string) =>
      button(a) && (!b || button(b)) ? `click ${button(a)}${b ? `, then ${button(b)}` : ''}` : all
    )
    .replace(/`kernelenv (\w+)`/g, (all, a: string) => (button(a) ? button(a) : all))
    .replace(/\(or `(\w+)` then `(\w+)`\)/g, (all, a: string, b: string) =>
      button(a) && button(b) ? `(or ${button(a)}, then ${button(b)})` : all
    );
}

/** Where a project lives, as the card shows it: its folder relative to the server root. */
export function projectFolder(project: Pick<IProject, 'path'>): string {
  return project.path === '.' || project.path === '' ? '/' : `${project.path}/`;
}

/** Past-tense verb of an action, for notifications. */
export function actionDone(action: JobAction): string {
  return {
    create: 'created',
    lock: 'locked',
    rebuild: 'rebuilt',
    purge: 'removed',
    add: 'updated',
    remove: 'updated',
    record: 'updated with the packages installed by hand'
  }[action];
}

/** Progress of a job as a percentage, or null when the server does not know it. */
export function progressPercent(job: IJob): number | null {
  const f = job.progress?.fraction;
  if (f === null || f === undefined || Number.isNaN(f)) {
    return null;
  }
  return Math.round(Math.min(1, Math.max(0, f)) * 100);
}

/** Join a root-relative folder and a relative file path (`"."` and `""` are the root). */
export function joinPath(dir: string, file: string): string {
  const parts = [...dir.split('/'), ...file.split('/')].filter(p => p !== '' && p !== '.');
  return parts.join('/');
}

/** The root-relative path of one of a project's env files (to open it). */
export function projectFilePath(project: Pick<IProject, 'path'>, file: string): string {
  return joinPath(project.path, file);
}

/**
 * The project a "... for the current folder" command acts on: the project rooted at
 * `folder` when there is one, else the only project listed under it.
 *
 * @returns the project, `null` when there is none, or the candidates when several
 *   projects under the folder make the choice the user's.
 */
export function projectForFolder(
  projects: IProject[],
  folder: string
): IProject | null | IProject[] {
  const here = joinPath(folder, '');
  const rooted = projects.find(p => joinPath(p.path, '') === here);
  if (rooted) {
    return rooted;
  }
  if (projects.length === 1) {
    return projects[0];
  }
  return projects.length === 0 ? null : projects;
}

/** The kernel a notebook runs now, as the decision needs it. */
export interface ICurrentKernel {
  /** kernelspec name, or null when the notebook has no (running) kernel. */
  name: string | null;
  /** the spec's language, when known. */
  language?: string | null;
}

/** What to do with a notebook's kernel once the server said which project holds it. */
export type KernelDecision =
  | { kind: 'none'; reason: string }
  | { kind: 'switch'; kernelName: string; projectName: string }
  | { kind: 'offer-switch'; kernelName: string; projectName: string }
  | {
      kind: 'offer-create';
      projectPath: string;
      projectName: string;
      kernelName: string;
      /** The notebook already uses the portable kernel: after Create, restart it (no switch). */
      restartOnly?: boolean;
    };

/**
 * Decide how to treat a freshly opened notebook's kernel.
 *
 * Only notebooks inside a project are touched. The kernel is replaced when it is
 * missing, generic (such as `python3`) or another env's; a kernel in another language
 * and the portable "Python (project env)" kernel (`portableKernels`, which already
 * runs the project's env) are left alone, except that the portable kernel of a project with
 * no env yet gets the offer to create it. With a usable env, `always` switches and
 * `ask` offers to; with no env yet (missing or broken) both offer to create it,
 * because creating runs the project's build; `never` does nothing.
 */
export function decideKernel(
  resolved: IResolveResult,
  current: ICurrentKernel,
  mode: AutoSelectMode,
  portableKernels: readonly string[] = []
): KernelDecision {
  if (!resolved.project || !resolved.kernel_name) {
    return { kind: 'none', reason: 'The notebook is in no project.' };
  }
  if (mode === 'never') {
    return { kind: 'none', reason: 'Automatic kernel selection is off.' };
  }
  const kernelName = resolved.kernel_name;
  const projectName = resolved.project.name;
  if (current.name === kernelName) {
    return { kind: 'none', reason: 'The notebook already uses the project kernel.' };
  }
  const status = resolved.status?.status ?? 'missing';
  if (current.name && portableKernels.includes(current.name)) {
    // The portable kernel runs whatever env the project has: with none, it can only show the
    // error kernel, so offer Create and then restart that same kernel.
    if (status === 'missing' || status === 'broken') {
      return { kind: 'offer-create', projectPath: resolved.project.path, projectName, kernelName, restartOnly: true };
    }
    return { kind: 'none', reason: 'The portable project kernel already runs the project env.' };
  }
  if (current.name && current.language && current.language.toLowerCase() !== 'python') {
    return { kind: 'none', reason: `The notebook uses a ${current.language} kernel.` };
  }
  if (isUsable(status)) {
    return mode === 'always'
      ? { kind: 'switch', kernelName, projectName }
      : { kind: 'offer-switch', kernelName, projectName };
  }
  if (status === 'missing' || status === 'broken') {
    return {
      kind: 'offer-create',
      projectPath: resolved.project.path,
      projectName,
      kernelName
    };
  }
  return { kind: 'none', reason: `The project env is ${status}.` };
}

/** The `code` of the server's 409 when an action will run a build backend unconfirmed. */
export const CONFIRM_BUILD_BACKEND = 'confirm-build-backend';

/**
 * The reason the server gave for refusing an action until the user confirms running the
 * project's build backend (409 with `code: "confirm-build-backend"`), or null for any
 * other error.
 */
export function buildBackendReason(error: unknown): string | null {
  const e = error as { status?: number; body?: { code?: unknown; runs_build_backend?: unknown } | null };
  if (e?.status !== 409 || e.body?.code !== CONFIRM_BUILD_BACKEND) {
    return null;
  }
  return typeof e.body.runs_build_backend === 'string' ? e.body.runs_build_backend : 'it runs project code';
}

/**
 * The drift of a status as one line: `added idna 3.7; changed six 1.16.0 → 1.17.0`,
 * or null when the env did not drift.
 */
export function driftSummary(status: IStatus): string | null {
  const d = status.status === 'drifted' ? status.drift : null;
  if (!d) {
    return null;
  }
  const parts: string[] = [];
  if (d.added.length) {
    parts.push('added ' + d.added.map(p => `${p.name} ${p.version}`).join(', '));
  }
  if (d.removed.length) {
    parts.push('removed ' + d.removed.map(p => `${p.name} ${p.version}`).join(', '));
  }
  if (d.changed.length) {
    parts.push('changed ' + d.changed.map(p => `${p.name} ${p.built} → ${p.version}`).join(', '));
  }
  return parts.length ? parts.join('; ') : null;
}

/** The requirements typed in the Add field, split on whitespace outside brackets (`a[x, y]>=1 b`). */
export function parsePackageInput(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '[' || ch === '(') {
      depth++;
    } else if (ch === ']' || ch === ')') {
      depth = Math.max(0, depth - 1);
    }
    if (depth === 0 && /[\s]/.test(ch)) {
      if (current) {
        out.push(current);
      }
      current = '';
    } else {
      current += ch;
    }
  }
  if (current) {
    out.push(current);
  }
  return out;
}

/**
 * Whether a code cell changes the env's packages by hand: an IPython magic or shell line
 * running pip, uv pip, conda, mamba or micromamba install/uninstall/remove.
 */
export function changesPackages(source: string): boolean {
  return /^\s*[%!]\s*(?:pip3?|uv\s+pip|conda|mamba|micromamba|python3?\s+-m\s+pip)\s+(?:install|uninstall|remove)\b/m.test(
    source
  );
}
