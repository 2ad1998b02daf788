/**
 * URL paths of the kernelenv REST API, relative to the server's base URL.
 *
 * Project and notebook paths are relative to the server's root_dir with `/`
 * separators; every segment is percent-encoded so names with spaces, `#` or `?`
 * survive.
 */
import type { JobAction } from './types';

/** Prefix of every route. */
export const API_PREFIX = 'kernelenv/api';

/** Percent-encode each segment of a `/`-separated path, keeping the separators and dropping `.` segments. */
export function encodePath(path: string): string {
  return path
    .split('/')
    .filter(segment => segment !== '' && segment !== '.')
    .map(segment => encodeURIComponent(segment))
    .join('/');
}

/** `projects?path=DIR`: the projects under DIR (`""` is the server root). */
export function projectsUrl(dir: string): string {
  return `${API_PREFIX}/projects?path=${encodeURIComponent(normalizeDir(dir))}`;
}

/**
 * `projects/{path}/{action}` for a project path as the server listed it; the project
 * at the server root (path `"."`) is `projects/{action}`, because browsers drop `./`.
 */
export function actionUrl(projectPath: string, action: JobAction): string {
  const path = encodePath(projectPath);
  return `${API_PREFIX}/projects/${path ? `${path}/` : ''}${action}`;
}

/** `projects/{path}/packages`: the env's installed packages (root project: `projects/packages`). */
export function packagesUrl(projectPath: string): string {
  const path = encodePath(projectPath);
  return `${API_PREFIX}/projects/${path ? `${path}/` : ''}packages`;
}

/** `projects/{path}/history` or `projects/{path}/rollback` (root project: `projects/history`). */
export function historyUrl(projectPath: string, what: 'history' | 'rollback' = 'history'): string {
  const path = encodePath(projectPath);
  return `${API_PREFIX}/projects/${path ? `${path}/` : ''}${what}`;
}

/** `jobs/{id}`. */
export function jobUrl(id: string): string {
  return `${API_PREFIX}/jobs/${encodeURIComponent(id)}`;
}

/** `resolve?notebook=PATH`. */
export function resolveUrl(notebookPath: string): string {
  return `${API_PREFIX}/resolve?notebook=${encodeURIComponent(notebookPath)}`;
}

/** A folder as the server expects it: no leading/trailing slash, `""` for the root. */
export function normalizeDir(dir: string): string {
  const trimmed = dir.replace(/^\/+|\/+$/g, '');
  return trimmed === '.' ? '' : trimmed;
}
