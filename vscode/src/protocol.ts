/**
 * The language server's wire shapes and the exact messages the extension sends.
 *
 * Pure: no `vscode` import. The extension builds every request through these functions
 * and the Node integration test (test/integration) sends the same ones to the real
 * `python -m kernelenv_lsp`, so the test exercises what the editor sends.
 *
 * Shapes follow the contract of issue 6 and the engine's JSON model
 * (`kernelenv/model.py`: `Project.to_dict`, `StatusReport.to_dict`; `kernelenv/jobs.py`:
 * `Job.to_dict`).
 */
import * as os from 'node:os';
import {
  Action,
  ACTIONS,
  AutoSelectKernel,
  BackendSetting,
  SERVER_COMMANDS,
  SERVER_MODULE,
  TRUST_REQUIRED_ACTIONS,
} from './constants';

/** One of the engine's env states (`kernelenv.model.Status`). */
export type EnvStatus = 'missing' | 'ready' | 'stale' | 'lock out of date' | 'broken' | 'building' | 'drifted';

/** `StatusReport.drift`: what was installed, removed or changed by hand since the build. */
export interface Drift {
  added: { name: string; version: string }[];
  removed: { name: string; version: string }[];
  changed: { name: string; built: string; version: string }[];
}

/** `StatusReport.to_dict()`: the state of one project's env. */
export interface StatusReport {
  status: EnvStatus;
  reason: string;
  env_path: string | null;
  python: string | null;
  python_version: string | null;
  packages: number | null;
  changed?: string[];
  kernel_name: string | null;
  backend: string | null;
  /** For `drifted`: the packages changed by hand. */
  drift?: Drift | null;
}

/** `Project.to_dict()` plus `status`: one detected project. */
export interface ProjectInfo {
  name: string;
  /** Relative to the workspace folder ("." for the folder itself). */
  path: string;
  /** Absolute path of the project folder: the argument of every action. */
  root: string;
  backend: string;
  env_kind: string;
  backend_reason: string;
  ambiguity: string | null;
  files: { path: string; kind: string; role: string }[];
  spec: string | null;
  lock: string | null;
  python: { specifier: string; source: string; raw: string } | null;
  kernel_name: string;
  /** Why create/lock will run a build backend (code from the project), or null. */
  runs_build_backend?: string | null;
  warnings: string[];
  errors: unknown[];
  status?: StatusReport | null;
}

/** Params of the `kernelenv/projects` notification. */
export interface ProjectsParams {
  /** The workspace folder's URI. */
  workspaceFolder: string;
  projects: ProjectInfo[];
}

/** `Job.to_dict()`: the result of create/lock/rebuild/remove. */
export interface JobResult {
  id: string;
  action: string;
  project: string;
  project_name?: string;
  /** `running` | `succeeded` | `failed` | `cancelled`. */
  state: string;
  progress: { step: string; fraction: number | null; message: string };
  log: string[];
  result: unknown;
  error: { message?: string; [key: string]: unknown } | null;
}

/** Result of `kernelenv.kernelForNotebook`; every field is null when the notebook is in no project. */
export interface KernelForNotebook {
  kernel_name: string | null;
  python: string | null;
  status: StatusReport | null;
  project: ProjectInfo | null;
}

/** The extension's settings, as read from the `kernelenv` section. */
export interface KernelenvSettings {
  interpreter: string;
  autoSelectKernel: AutoSelectKernel;
  prompt: boolean;
  backend: BackendSetting;
}

/** What the server receives as initializationOptions and as the `kernelenv` configuration section. */
export interface ServerSettings {
  prompt: boolean;
  /** null lets detection choose (the "auto" setting). */
  backend: Exclude<BackendSetting, 'auto'> | null;
  autoSelectKernel: AutoSelectKernel;
}

/**
 * The settings the server gets, both in `initializationOptions` and in answers to
 * `workspace/configuration` for the `kernelenv` section.
 *
 * @param settings the user's settings.
 * @param trusted whether the workspace is trusted; when not, `prompt` is forced off so
 *   the server never offers to create an env (which runs project code).
 */
export function serverSettings(settings: KernelenvSettings, trusted: boolean): ServerSettings {
  return {
    prompt: trusted && settings.prompt,
    backend: settings.backend === 'auto' ? null : settings.backend,
    autoSelectKernel: settings.autoSelectKernel,
  };
}

/**
 * How to start the server: `<python> -m kernelenv_lsp` on stdio, from a neutral working
 * directory so `-m` finds the installed package and not a folder that happens to be
 * the current directory (the import check uses the same directory).
 */
export function serverLaunch(python: string): { command: string; args: string[]; cwd: string } {
  return { command: python, args: ['-m', SERVER_MODULE], cwd: os.tmpdir() };
}

/** The server command for an action (`create` -> `kernelenv.create`). */
export function serverCommandFor(action: Action): string {
  return SERVER_COMMANDS[action];
}

/** `workspace/executeCommand` arguments of create/lock/rebuild/remove/status: `[{project: root}]`. */
export function projectArguments(projectRoot: string): [{ project: string }] {
  return [{ project: projectRoot }];
}

/** Arguments of `kernelenv.kernelForNotebook`: `[{notebook: uri}]`. */
export function notebookArguments(notebookUri: string): [{ notebook: string }] {
  return [{ notebook: notebookUri }];
}

/** Whether an action is refused in an untrusted workspace. */
export function requiresTrust(action: Action): boolean {
  return TRUST_REQUIRED_ACTIONS.includes(action);
}

/**
 * The question to ask before an action that will run the project's build backend
 * (`runs_build_backend` set: setup.py, an in-tree backend, `-e .` ...), or undefined when
 * the action only installs packages. Asked in trusted workspaces; untrusted ones refuse.
 */
export function buildCodeQuestion(action: Action, project: Pick<ProjectInfo, 'name' | 'runs_build_backend'>): string | undefined {
  if (!requiresTrust(action) || !project.runs_build_backend) {
    return undefined;
  }
  return `Kernelenv: ${action} of ${project.name} will run code from this folder, not only install packages: ${project.runs_build_backend} Run it?`;
}

/** The action a server command name stands for, or undefined for other commands. */
export function actionOfServerCommand(command: string): Action | undefined {
  for (const action of ACTIONS) {
    if (SERVER_COMMANDS[action] === command) {
      return action;
    }
  }
  return undefined;
}

/**
 * The job a failed command carries. The server answers a failed or cancelled job with a
 * JSON-RPC error whose `data` is the engine error plus `job` (`Job.to_dict()`).
 *
 * @param error what `sendRequest` rejected with.
 * @returns the job, or undefined when the error carries none (bad arguments, server down).
 */
export function jobFromError(error: unknown): JobResult | undefined {
  const data = (error as { data?: { job?: unknown } } | undefined)?.data;
  const job = data?.job as JobResult | undefined;
  return job && typeof job === 'object' && typeof job.state === 'string' ? job : undefined;
}

/** The message of a rejected request (a ResponseError or any Error). */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    return error.message;
  }
  return String(error);
}

/** A one-line summary of a finished job, for a notification. */
export function jobSummary(job: JobResult, projectName: string): { ok: boolean; text: string } {
  const verb = { create: 'Created', lock: 'Locked', rebuild: 'Rebuilt', remove: 'Removed' }[job.action] ?? job.action;
  if (job.state === 'succeeded') {
    return { ok: true, text: `${verb} the environment of ${projectName}.` };
  }
  if (job.state === 'cancelled') {
    return { ok: false, text: `Cancelled ${job.action} of ${projectName}; the previous environment is unchanged.` };
  }
  const why = job.error?.message ?? job.log.slice(-1)[0] ?? 'unknown error';
  return { ok: false, text: `Could not ${job.action} the environment of ${projectName}: ${why}` };
}

/** Arguments of `kernelenv.add` / `kernelenv.remove`: `[{project: root, packages}]`. */
export function packageArguments(projectRoot: string, packages: string[]): [{ project: string; packages: string[] }] {
  return [{ project: projectRoot, packages }];
}

/** The requirements or names typed in an input box, split on whitespace outside brackets. */
export function parsePackages(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '[' || ch === '(') {
      depth++;
    } else if (ch === ']' || ch === ')') {
      depth = Math.max(0, depth - 1);
    }
    if (depth === 0 && /\s/.test(ch)) {
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

/** The drift of a status as one line (`added idna 3.7; removed six 1.16.0`), or undefined. */
export function driftSummary(status: StatusReport | null | undefined): string | undefined {
  const d = status?.status === 'drifted' ? status.drift : undefined;
  if (!d) {
    return undefined;
  }
  const parts: string[] = [];
  if (d.added.length) {
    parts.push(`added ${d.added.map((p) => `${p.name} ${p.version}`).join(', ')}`);
  }
  if (d.removed.length) {
    parts.push(`removed ${d.removed.map((p) => `${p.name} ${p.version}`).join(', ')}`);
  }
  if (d.changed.length) {
    parts.push(`changed ${d.changed.map((p) => `${p.name} ${p.built} → ${p.version}`).join(', ')}`);
  }
  return parts.join('; ') || undefined;
}
