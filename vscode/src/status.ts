/**
 * The status bar text for a project's env. Pure (no `vscode` import).
 *
 * Texts: "env: ready (uv)", "env: missing", "env: stale (uv)", "env: building… 40%",
 * "env: lock out of date (uv)", "env: broken (rattler)"; "env: detecting" before the
 * server has reported, "env: no project" when the active file is in none.
 */
import { driftSummary, ProjectInfo } from './protocol';

/** A build the extension is following through `$/progress`. */
export interface ActiveProgress {
  /** 0-100 when known. */
  percentage?: number;
  /** The action running ("create", "rebuild" ...). */
  action: string;
}

/**
 * The status bar text.
 *
 * @param project the project of the active editor, or undefined when the file is in none.
 * @param progress a build of that project in progress, if any.
 */
export function statusText(project: ProjectInfo | undefined, progress?: ActiveProgress): string {
  if (!project) {
    return 'env: no project';
  }
  if (progress || project.status?.status === 'building') {
    const pct = progress?.percentage;
    return pct === undefined ? 'env: building…' : `env: building… ${Math.round(pct)}%`;
  }
  const status = project.status;
  if (!status) {
    return 'env: detecting';
  }
  if (status.status === 'missing') {
    return 'env: missing';
  }
  const backend = status.backend ?? project.backend;
  return backend ? `env: ${status.status} (${backend})` : `env: ${status.status}`;
}

/** The status bar tooltip: project, backend choice and the status reason. */
export function statusTooltip(project: ProjectInfo | undefined): string {
  if (!project) {
    return 'Kernelenv: the active file is in no detected project.';
  }
  const lines = [`Kernelenv project: ${project.name} (${project.path})`, `Backend: ${project.backend} — ${project.backend_reason}`];
  const s = project.status;
  if (s) {
    lines.push(`Status: ${s.status} — ${s.reason}`);
    const drift = driftSummary(s);
    if (drift) {
      lines.push(`Changed by hand: ${drift}`);
    }
    if (s.python_version) {
      lines.push(`Python ${s.python_version}${s.packages != null ? ` · ${s.packages} packages` : ''}`);
    }
  }
  lines.push(`Kernel: ${project.kernel_name}`, 'Click for actions.');
  return lines.join('\n');
}

/** Whether the status deserves the warning colour. */
export function statusNeedsAttention(project: ProjectInfo | undefined): boolean {
  const s = project?.status?.status;
  return s === 'missing' || s === 'stale' || s === 'lock out of date' || s === 'broken' || s === 'drifted';
}
