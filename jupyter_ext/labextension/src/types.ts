/**
 * JSON shapes of the kernelenv server extension's REST API (`/kernelenv/api/`).
 *
 * They mirror `kernelenv.model.Project.to_dict()` and `StatusReport.to_dict()` on the
 * Python side plus the job objects of `kernelenv_jupyter`; see docs/ for the OpenAPI file.
 */

/** The state of a project's env, exactly as the engine names it. */
export type StatusName =
  | 'missing'
  | 'ready'
  | 'stale'
  | 'lock out of date'
  | 'broken'
  | 'building'
  | 'drifted';

/** Long operations the server runs as jobs. */
export type JobAction = EnvAction | PackageAction;

/** The actions on the env itself (the card's buttons). */
export type EnvAction = 'create' | 'lock' | 'rebuild' | 'purge';

/** The package actions: edit the spec, re-lock, update the env (body `{packages: [...]}` for add/remove). */
export type PackageAction = 'add' | 'remove' | 'record';

/** A job's life cycle. */
export type JobState = 'running' | 'succeeded' | 'failed' | 'cancelled';

/** Setting `autoSelectKernel`. */
export type AutoSelectMode = 'always' | 'ask' | 'never';

/** One environment file; `path` is relative to the project folder. */
export interface IEnvFile {
  path: string;
  kind: string;
  role: string;
}

/** The Python version a project asks for (`source` is relative to the project folder). */
export interface IPythonRequest {
  specifier: string;
  source: string;
  raw: string;
}

/** An error naming, when the cause is an env file, the file (absolute or root-relative), line and column. */
export interface IEnvError {
  code?: string | null;
  /** The full message; the engine's already starts with `path:line:column: `. */
  message: string;
  /** The message without the location, when the engine sends it separately. */
  detail?: string | null;
  path?: string | null;
  line?: number | null;
  column?: number | null;
}

/** The state of a project's env. */
export interface IStatus {
  status: StatusName;
  reason: string;
  env_path: string | null;
  python: string | null;
  python_version: string | null;
  packages: number | null;
  kernel_name: string | null;
  backend: string | null;
  changed?: string[];
  /** The last failed operation on the project, until one succeeds (older servers: absent). */
  last_failure?: ILastFailure | null;
  /** For `drifted`: what was installed, removed or changed by hand since the build. */
  drift?: IDrift | null;
}

/** `StatusReport.drift`: packages changed by hand since the build. */
export interface IDrift {
  added: { name: string; version: string }[];
  removed: { name: string; version: string }[];
  changed: { name: string; built: string; version: string }[];
}

/** One installed package: `how` it got there (the last build's lock or spec, or by hand). */
export interface IPackage {
  name: string;
  version: string;
  how: 'lock' | 'spec' | 'hand';
  /** The spec lists it (so `remove` can remove it); absent from older servers. */
  declared?: boolean;
}

/** `GET /kernelenv/api/projects/{path}/packages`. */
export interface IPackageList {
  packages: IPackage[];
  status: IStatus;
}

/** One build of `GET projects/{path}/history` (`kernelenv.history.BuildEntry.to_dict()`). */
export interface IBuild {
  id: string;
  live: boolean;
  env_exists: boolean;
  created: string | null;
  reason: string | null;
  python_version: string | null;
  lock: string | null;
  packages: number | null;
  /** Differences to the previous build: `+attrs 24.2.0`, `numpy 2.1.3 → 2.2.0`. */
  changes: string[];
  /** What deleting this build would free (bytes; hard links shared with caches excluded). */
  freed_bytes: number | null;
  error: string | null;
}

/** `GET /kernelenv/api/projects/{path}/history`: builds oldest first. */
export interface IHistory {
  builds: IBuild[];
  keep: number;
  live: string | null;
}

/** `POST /kernelenv/api/projects/{path}/rollback`. */
export interface IRollbackResult {
  build: string;
  previous: string | null;
  lock_restored: string | null;
  lock_unchanged: boolean;
  changes: string[];
  seconds: number;
  kernel_name: string | null;
}

/** `StatusReport.last_failure`: what failed, when (ISO 8601), and the error. */
export interface ILastFailure {
  action: string;
  at: string;
  error: IEnvError;
}

/** A project: `path` is relative to the server's root_dir (`"."` for the root itself). */
export interface IProject {
  name: string;
  path: string;
  root: string;
  backend: string;
  env_kind: string;
  backend_reason: string;
  ambiguity: string | null;
  files: IEnvFile[];
  spec: string | null;
  lock: string | null;
  python: IPythonRequest | null;
  kernel_name: string;
  /** Why create/lock will run a build backend (project code), or null: see docs/security.md. */
  runs_build_backend?: string | null;
  warnings: string[];
  errors: IEnvError[];
  status: IStatus;
  job: string | null;
}

/** `GET /kernelenv/api/projects?path=DIR`. */
export interface IProjectList {
  root: string;
  projects: IProject[];
}

/** Progress of a running job; `fraction` in [0, 1] or null when unknown. */
export interface IProgress {
  step: string;
  fraction: number | null;
  message: string;
}

/** `GET /kernelenv/api/jobs/{id}`. */
export interface IJob {
  id: string;
  action: JobAction;
  project: string;
  project_name: string;
  state: JobState;
  progress: IProgress;
  log: string[];
  result: unknown;
  error: IEnvError | null;
}

/** `GET /kernelenv/api/resolve?notebook=PATH`; every field null outside projects. */
export interface IResolveResult {
  project: Omit<IProject, 'status' | 'job'> | null;
  kernel_name: string | null;
  python: string | null;
  status: IStatus | null;
}

/** The subset of the REST API the frontend uses; implemented over HTTP in `api.ts`. */
export interface IKernelenvClient {
  listProjects(dir: string): Promise<IProjectList>;
  /** Start a job; when one already runs on the project, answers that job (`conflict`). */
  startJob(
    projectPath: string,
    action: JobAction,
    body?: Record<string, unknown>
  ): Promise<{ job: IJob; conflict: boolean }>;
  getJob(id: string): Promise<IJob>;
  /** The env's installed packages. */
  listPackages(projectPath: string): Promise<IPackageList>;
  /** The builds kept for the project. */
  history(projectPath: string): Promise<IHistory>;
  /** Make an earlier build live again (default: the one before the live one). */
  rollback(projectPath: string, build?: string): Promise<IRollbackResult>;
  cancelJob(id: string): Promise<void>;
  resolve(notebookPath: string): Promise<IResolveResult>;
}
