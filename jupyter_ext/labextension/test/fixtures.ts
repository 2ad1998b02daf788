/** Builders for the REST API's JSON shapes (as kernelenv_jupyter sends them) used by the unit tests. */
import type { IJob, IProject, IResolveResult, IStatus, StatusName } from '../src/types';

export function status(name: StatusName, extra: Partial<IStatus> = {}): IStatus {
  return {
    status: name,
    reason: `env is ${name}`,
    env_path: name === 'missing' ? null : '/srv/root/proj/.venv',
    python: name === 'missing' ? null : '/srv/root/proj/.venv/bin/python',
    python_version: name === 'missing' ? null : '3.10.16',
    packages: null,
    kernel_name: name === 'missing' ? null : 'kernelenv-proj-1a2b3c',
    backend: 'uv',
    ...extra
  };
}

export function project(extra: Partial<IProject> = {}): IProject {
  return {
    name: 'proj',
    path: 'proj',
    root: '/srv/root/proj',
    backend: 'uv',
    env_kind: 'venv',
    backend_reason: 'Only pip specs exist (requirements.txt).',
    ambiguity: null,
    files: [
      { path: 'requirements.txt', kind: 'requirements', role: 'spec' },
      { path: 'runtime.txt', kind: 'runtime.txt', role: 'python' }
    ],
    spec: 'requirements.txt',
    lock: null,
    python: { specifier: '==3.10.*', source: 'runtime.txt', raw: 'python-3.10' },
    kernel_name: 'kernelenv-proj-1a2b3c',
    warnings: [],
    errors: [],
    status: status('missing'),
    job: null,
    ...extra
  };
}

export function job(extra: Partial<IJob> = {}): IJob {
  return {
    id: 'abc123',
    action: 'create',
    project: 'proj',
    project_name: 'proj',
    state: 'running',
    progress: { step: 'install', fraction: 0.5, message: 'numpy' },
    log: [],
    result: null,
    error: null,
    ...extra
  };
}

export function resolved(statusName: StatusName | null, extra: Partial<IResolveResult> = {}): IResolveResult {
  if (statusName === null) {
    return { project: null, kernel_name: null, python: null, status: null, ...extra };
  }
  const { status: _s, job: _j, ...proj } = project();
  return {
    project: proj,
    kernel_name: proj.kernel_name,
    python: null,
    status: status(statusName),
    ...extra
  };
}
