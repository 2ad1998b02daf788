/** Project objects shaped like the server's `kernelenv/projects` entries. */
import { ProjectInfo, StatusReport } from '../../src/protocol';

/** A status report with the given state. */
export function status(s: StatusReport['status'], extra: Partial<StatusReport> = {}): StatusReport {
  return {
    status: s,
    reason: `env is ${s}`,
    env_path: null,
    python: null,
    python_version: null,
    packages: null,
    kernel_name: null,
    backend: null,
    ...extra,
  };
}

/** A project rooted at `root` (absolute) in workspace folder `/ws`. */
export function project(root: string, extra: Partial<ProjectInfo> = {}): ProjectInfo {
  const name = root.split('/').filter(Boolean).pop() ?? 'ws';
  return {
    name,
    path: root === '/ws' ? '.' : root.replace(/^\/ws\//, ''),
    root,
    backend: 'uv',
    env_kind: 'venv',
    backend_reason: 'only pip specs exist',
    ambiguity: null,
    files: [{ path: 'requirements.txt', kind: 'requirements', role: 'spec' }],
    spec: 'requirements.txt',
    lock: null,
    python: null,
    kernel_name: `kernelenv-${name}`,
    warnings: [],
    errors: [],
    status: status('missing'),
    ...extra,
  };
}
