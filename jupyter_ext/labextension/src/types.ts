/**
 * JSON shapes of the kernelenv server extension's REST API (`/kernelenv/api/`).
 *
 * They mirror `kernelenv.model.Project.to_dict()` and `StatusReport.to_dict()` on the
 * Python side plus the job objects of `jupyter_ext`; see docs/ for the OpenAPI file.
 */

/** The state of a project's env, exactly as the engine names it. */
export type StatusName =
  | 'missing'
  | 'ready'
  | 'stale'
  | 'lock out of date'
  | 'broken'
  | 'building';

/** Long operations the server runs as jobs. */
export type JobAction = 'create' | 'lock' | 'rebuild' | 'remove';

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
  cancelJob(id: string): Promise<void>;
  resolve(notebookPath: string): Promise<IResolveResult>;
}
