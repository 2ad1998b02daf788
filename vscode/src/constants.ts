/**
 * Names shared by the extension and its tests: command ids, setting keys and the
 * language server's protocol names. This module imports nothing from `vscode`, so the
 * Node integration test uses exactly the names the extension uses.
 *
 * The server-side names are the contract with `kernelenv_lsp` (issue 6): the
 * `kernelenv/projects` notification and the `workspace/executeCommand` commands.
 */

/** The LanguageClient id; vscode-languageclient reads `<id>.trace.server` by itself. */
export const CLIENT_ID = 'kernelenv';
/** The configuration section, also the `workspace/configuration` section the server asks for. */
export const CONFIG_SECTION = 'kernelenv';
/** Human name used for the output channel and messages. */
export const CLIENT_NAME = 'Kernelenv';

/** Setting keys under {@link CONFIG_SECTION}. */
export const SETTINGS = {
  interpreter: 'interpreter',
  autoSelectKernel: 'autoSelectKernel',
  prompt: 'prompt',
  backend: 'backend',
  traceServer: 'trace.server',
} as const;

/** Values of `kernelenv.autoSelectKernel`. */
export const AUTO_SELECT_VALUES = ['always', 'ask', 'never'] as const;
export type AutoSelectKernel = (typeof AUTO_SELECT_VALUES)[number];

/** Values of `kernelenv.backend` ("auto" lets detection choose). */
export const BACKEND_VALUES = ['auto', 'uv', 'rattler', 'micromamba', 'conda'] as const;
export type BackendSetting = (typeof BACKEND_VALUES)[number];

/** Commands the extension contributes to the command palette (category "Kernelenv"). */
export const CLIENT_COMMANDS = {
  create: 'kernelenv.createEnvironment',
  lock: 'kernelenv.lockEnvironment',
  rebuild: 'kernelenv.rebuildEnvironment',
  remove: 'kernelenv.removeEnvironment',
  add: 'kernelenv.addPackage',
  removePackage: 'kernelenv.removePackage',
  record: 'kernelenv.recordHandInstalls',
  showStatus: 'kernelenv.showStatus',
  selectNotebookKernel: 'kernelenv.selectNotebookKernel',
  restartServer: 'kernelenv.restartServer',
  showActions: 'kernelenv.showActions',
  rollback: 'kernelenv.rollbackEnvironment',
} as const;

/** The long-running actions; each maps to a server command of the same name. */
export const ACTIONS = ['create', 'lock', 'rebuild', 'remove', 'add', 'removePackage', 'record'] as const;
export type Action = (typeof ACTIONS)[number];

/** Actions that run project code (build backends, resolvers) and so need a trusted workspace. */
export const TRUST_REQUIRED_ACTIONS: readonly Action[] = ['create', 'lock', 'rebuild', 'add', 'removePackage', 'record'];

/** `workspace/executeCommand` names implemented by `kernelenv_lsp`. */
export const SERVER_COMMANDS = {
  create: 'kernelenv.create',
  lock: 'kernelenv.lock',
  rebuild: 'kernelenv.rebuild',
  remove: 'kernelenv.purge', // deleting the env; the server's kernelenv.remove removes packages
  add: 'kernelenv.add',
  removePackage: 'kernelenv.remove',
  record: 'kernelenv.record',
  status: 'kernelenv.status',
  kernelForNotebook: 'kernelenv.kernelForNotebook',
  projects: 'kernelenv.projects',
  history: 'kernelenv.history',
  rollback: 'kernelenv.rollback',
} as const;

/** The server's notification carrying the detected projects of one workspace folder. */
export const PROJECTS_NOTIFICATION = 'kernelenv/projects';

/** The Python module that is the language server (`python -m kernelenv_lsp`). */
export const SERVER_MODULE = 'kernelenv_lsp';

/** The Jupyter extension, whose notebook controllers list registered kernelspecs. */
export const JUPYTER_EXTENSION_ID = 'ms-toolsai.jupyter';
/** The Python extension, asked for the active interpreter. */
export const PYTHON_EXTENSION_ID = 'ms-python.python';

/**
 * Env files the server diagnoses; the client syncs them and watches them.
 * The file names issue 6 lists for diagnostics, plus the locks detection reads.
 */
export const ENV_FILE_GLOB =
  '**/{environment*.yml,environment*.yaml,requirements*.txt,requirements*.in,pyproject.toml,Pipfile,Pipfile.lock,pixi.toml,pixi.lock,uv.lock,pylock*.toml,poetry.lock,conda-lock.yml,runtime.txt,.python-version,apt.txt}';
