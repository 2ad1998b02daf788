/**
 * End to end over stdio: starts the real language server (`<repo>/.venv/bin/python -m
 * kernelenv_lsp`, or $KERNELENV_PYTHON) the way the extension does, sends the
 * initialization options and commands the extension sends (built by the same modules:
 * src/protocol.ts, src/progress.ts, src/constants.ts), and checks the projects
 * notification, a real `kernelenv.create` with work-done progress, and
 * `kernelenv.kernelForNotebook`, on a copy of the corpus project
 * binder-examples__requirements. The env is really built with uv (UV_CACHE_DIR is
 * shared with the Python tests) and its kernelspec is written to a temp Jupyter data dir.
 */
import assert from 'node:assert/strict';
import { ChildProcess, execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import {
  ConfigurationRequest,
  createProtocolConnection,
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  LogMessageNotification,
  ProtocolConnection,
  RegistrationRequest,
  ShowMessageRequest,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  WorkDoneProgressBegin,
  WorkDoneProgressCreateRequest,
  WorkDoneProgressEnd,
  WorkDoneProgressReport,
} from 'vscode-languageserver-protocol/node';
import { AUTO_SELECT_VALUES, BACKEND_VALUES, CONFIG_SECTION, PROJECTS_NOTIFICATION, SERVER_COMMANDS } from '../../src/constants';
import { checkServerInstalled } from '../../src/interpreter';
import { decideKernel, jupyterControllerIds } from '../../src/notebookKernel';
import { executeCommand, executeWithProgress } from '../../src/progress';
import {
  jobFromError,
  JobResult,
  jobSummary,
  KernelenvSettings,
  KernelForNotebook,
  driftSummary,
  notebookArguments,
  packageArguments,
  ProjectInfo,
  ProjectsParams,
  projectArguments,
  serverCommandFor,
  serverLaunch,
  serverSettings,
} from '../../src/protocol';
import { kernelenvPython, REPO } from '../support/pythons';

const PROJECT = 'binder-examples__requirements';
const VSCODE_DIR = path.join(REPO, 'vscode');

/** The settings a fresh install has: the defaults contributed in package.json. */
function defaultSettings(): KernelenvSettings {
  const pkg = JSON.parse(fs.readFileSync(path.join(VSCODE_DIR, 'package.json'), 'utf8')) as {
    contributes: { configuration: { properties: Record<string, { default: unknown }> } };
  };
  const d = (k: string) => pkg.contributes.configuration.properties[`${CONFIG_SECTION}.${k}`].default;
  const auto = d('autoSelectKernel') as KernelenvSettings['autoSelectKernel'];
  const backend = d('backend') as KernelenvSettings['backend'];
  assert.ok(AUTO_SELECT_VALUES.includes(auto) && BACKEND_VALUES.includes(backend));
  return { interpreter: d('interpreter') as string, prompt: d('prompt') as boolean, autoSelectKernel: auto, backend };
}

/** Wait until `pred` holds over the values collected so far. */
async function until<T>(pred: () => T | undefined, what: string, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = pred();
    if (v !== undefined && v !== false) {
      return v;
    }
    if (Date.now() > end) {
      throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('kernelenv-lsp driven like the extension drives it (real server, real uv build)', function () {
  this.timeout(15 * 60 * 1000);

  const python = kernelenvPython();
  const corpus = path.join(REPO, 'tests', 'fixtures', 'projects');  // in-repo: a plain clone runs this too
  let tmp: string;
  let ws: string;
  let root: string;
  let notebook: string;
  let proc: ChildProcess;
  let conn: ProtocolConnection;
  const stderr: string[] = [];
  const projectsSeen: ProjectsParams[] = [];
  const logs: string[] = [];
  const prompts: string[] = [];
  const settings = defaultSettings();

  before(async () => {
    assert.ok(fs.existsSync(python), `no Python at ${python}; run make setup-python or set KERNELENV_PYTHON`);
    const check = await checkServerInstalled(python);
    assert.ok(check.ok, `kernelenv_lsp is not importable with ${python}: ${check.detail}`);

    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'kernelenv-vscode-it-')));
    ws = path.join(tmp, 'workspace');
    root = path.join(ws, PROJECT);
    fs.cpSync(path.join(corpus, PROJECT), root, { recursive: true });
    for (const f of fs.readdirSync(root, { recursive: true }) as string[]) {
      fs.chmodSync(path.join(root, f), fs.statSync(path.join(root, f)).mode | 0o200);
    }
    notebook = path.join(root, 'analysis.ipynb');
    fs.writeFileSync(
      notebook,
      JSON.stringify({ cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 }),
    );

    const env: NodeJS.ProcessEnv = {
      ...process.env,
      JUPYTER_DATA_DIR: path.join(tmp, 'jupyter-data'),
      JUPYTER_CONFIG_DIR: path.join(tmp, 'jupyter-config'),
      JUPYTER_RUNTIME_DIR: path.join(tmp, 'jupyter-runtime'),
      JUPYTER_PLATFORM_DIRS: '1',
      KERNELENV_STATE_HOME: path.join(tmp, 'kernelenv-state'),
      UV_CACHE_DIR: process.env.UV_CACHE_DIR || process.env.KERNELENV_TEST_UV_CACHE || path.join(REPO, '.cache', 'uv'),
    };
    delete env.VIRTUAL_ENV;
    delete env.KERNELENV_BACKEND;

    const launch = serverLaunch(python);
    proc = spawn(launch.command, launch.args, { cwd: launch.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    proc.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
    conn = createProtocolConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
    conn.onNotification(PROJECTS_NOTIFICATION, (p: ProjectsParams) => projectsSeen.push(p));
    conn.onNotification(LogMessageNotification.type, (p) => logs.push(p.message));
    conn.onRequest(ConfigurationRequest.type, (p) =>
      p.items.map((item) => (item.section === CONFIG_SECTION ? serverSettings(settings, true) : null)),
    );
    conn.onRequest(WorkDoneProgressCreateRequest.type, () => null);
    conn.onRequest(RegistrationRequest.type, () => undefined);
    conn.onRequest(ShowMessageRequest.type, (p) => {
      prompts.push(p.message);
      return p.actions?.find((a) => a.title === 'Not now') ?? null;
    });
    conn.listen();

    const wsUri = pathToFileURL(ws).toString();
    await conn.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: wsUri,
      workspaceFolders: [{ uri: wsUri, name: 'workspace' }],
      initializationOptions: serverSettings(settings, true),
      capabilities: {
        window: { workDoneProgress: true, showMessage: { messageActionItem: { additionalPropertiesSupport: false } } },
        workspace: {
          configuration: true,
          workspaceFolders: true,
          executeCommand: {},
          didChangeWatchedFiles: { dynamicRegistration: true },
        },
        textDocument: { codeLens: {}, publishDiagnostics: {} },
      },
    });
    await conn.sendNotification(InitializedNotification.type, {});
  });

  after(async () => {
    if (conn) {
      await Promise.race([conn.sendRequest(ShutdownRequest.type), new Promise((r) => setTimeout(r, 5000))]).catch(() => undefined);
      await conn.sendNotification(ExitNotification.type).catch(() => undefined);
      conn.dispose();
    }
    if (proc && proc.exitCode === null) {
      await Promise.race([new Promise((r) => proc.once('exit', r)), new Promise((r) => setTimeout(r, 5000))]);
      if (proc.exitCode === null) {
        proc.kill();
      }
    }
    if (tmp) {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  function latestProject(): ProjectInfo | undefined {
    for (let i = projectsSeen.length - 1; i >= 0; i--) {
      const p = projectsSeen[i].projects.find((x) => x.root === root);
      if (p) {
        return p;
      }
    }
    return undefined;
  }

  it('sends kernelenv/projects for the workspace folder with the detected project', async () => {
    const p = await until(latestProject, 'the kernelenv/projects notification', 120000);
    const note = projectsSeen.find((n) => n.projects.some((x) => x.root === root))!;
    assert.equal(note.workspaceFolder, pathToFileURL(ws).toString());
    assert.equal(p.backend, 'uv');
    assert.equal(p.env_kind, 'venv');
    assert.equal(p.path, PROJECT);
    assert.equal(p.spec, 'requirements.txt');
    assert.equal(p.python?.raw, 'python-3.10');
    assert.equal(p.status?.status, 'missing');
    assert.ok(p.kernel_name);
  });

  it('prompts to create the missing env (prompt is on by default)', async () => {
    const msg = await until(() => prompts[0], 'the create prompt', 60000);
    assert.match(msg, new RegExp(PROJECT.replace(/_/g, '.')));
  });

  it('answers kernelForNotebook before the env exists with no runnable kernel', async () => {
    const k = await executeCommand<KernelForNotebook>(conn, SERVER_COMMANDS.kernelForNotebook, notebookArguments(pathToFileURL(notebook).toString()));
    assert.equal(k.project?.root, root);
    assert.equal(k.python, null);
    assert.equal(decideKernel({ setting: 'always', kernel: k, alreadyHandled: false }).kind, 'skip');
  });

  it('creates the env with work-done progress begin, reports and end, and streams the log', async () => {
    const begins: WorkDoneProgressBegin[] = [];
    const reports: WorkDoneProgressReport[] = [];
    const ends: WorkDoneProgressEnd[] = [];
    // The extension sends the root from the projects notification, as here.
    const project = latestProject()!;
    const run = executeWithProgress<JobResult>(conn, serverCommandFor('create'), projectArguments(project.root), {
      onBegin: (v) => begins.push(v),
      onReport: (v) => reports.push(v),
      onEnd: (v) => ends.push(v),
    });
    const job = await run.result.catch((e: unknown) => {
      throw new Error(`create failed: ${JSON.stringify((e as { data?: unknown }).data ?? String(e))}\n${stderr.join('').slice(-3000)}`);
    });
    assert.equal(job.state, 'succeeded');
    assert.equal(job.action, 'create');
    assert.equal(job.project, root);
    assert.equal(begins.length, 1);
    assert.equal(begins[0].cancellable, true);
    assert.ok(reports.length >= 1, 'at least one progress report');
    assert.ok(reports.some((r) => typeof r.percentage === 'number'));
    const pcts = reports.map((r) => r.percentage).filter((x): x is number => typeof x === 'number');
    assert.deepEqual(pcts, [...pcts].sort((a, b) => a - b), 'percentages never go down');
    assert.equal(ends.length, 1);
    assert.ok(logs.some((l) => l.includes(PROJECT)), 'window/logMessage lines name the project');
  });

  it('reports the env ready afterwards, in a new projects notification and in kernelenv.status', async () => {
    const ready = await until(() => {
      const p = latestProject();
      return p?.status?.status === 'ready' ? p : undefined;
    }, 'a projects notification with status ready', 60000);
    assert.equal(ready.status?.backend, 'uv');
    assert.match(ready.status?.python_version ?? '', /^3\.10\./);
    const fresh = await executeCommand<ProjectInfo>(conn, SERVER_COMMANDS.status, projectArguments(root));
    assert.equal(fresh.status?.status, 'ready');
  });

  it('gives kernelForNotebook the registered kernel, which the extension then selects', async () => {
    const k = await executeCommand<KernelForNotebook>(conn, SERVER_COMMANDS.kernelForNotebook, notebookArguments(pathToFileURL(notebook).toString()));
    assert.equal(k.project?.root, root);
    assert.equal(k.status?.status, 'ready');
    assert.ok(k.kernel_name && k.python);
    assert.ok(k.python.startsWith(root + path.sep), `${k.python} is inside the project`);
    assert.equal(decideKernel({ setting: 'always', kernel: k, alreadyHandled: false }).kind, 'select');
    assert.equal(decideKernel({ setting: 'ask', kernel: k, alreadyHandled: false }).kind, 'ask');

    // The kernelspec the Jupyter extension lists, and the controller id the extension tries.
    const specFile = path.join(tmp, 'jupyter-data', 'kernels', k.kernel_name, 'kernel.json');
    const spec = JSON.parse(fs.readFileSync(specFile, 'utf8')) as { argv: string[]; language: string };
    assert.equal(spec.language, 'python');
    assert.equal(spec.argv[0], k.python);
    const args = spec.argv.slice(1).filter((a) => a !== '-f' && a !== '{connection_file}').join('#').toLowerCase();
    assert.ok(jupyterControllerIds(k.kernel_name, k.python).includes(`.${k.kernel_name}.${k.python}.${k.python}.${args}`));

    // The env really has the project's pinned packages (and ipykernel for the kernel).
    const { stdout } = await promisify(execFile)(k.python, [
      '-c',
      'from importlib.metadata import version as v; print(v("seaborn"), v("pandas"), v("ipykernel") > "")',
    ]);
    assert.equal(stdout.trim(), '0.13.2 2.2.3 True');
  });

  it('cancels a rebuild through window/workDoneProgress/cancel and keeps the previous env', async () => {
    const before = await executeCommand<KernelForNotebook>(conn, SERVER_COMMANDS.kernelForNotebook, notebookArguments(pathToFileURL(notebook).toString()));
    const ends: WorkDoneProgressEnd[] = [];
    const run = executeWithProgress<JobResult>(conn, serverCommandFor('rebuild'), projectArguments(root), {
      // What the progress notification's Cancel button does.
      onBegin: () => run.cancel(),
      onEnd: (v) => ends.push(v),
    });
    const outcome = await run.result.then(
      (job) => ({ job, error: undefined as unknown }),
      (error: unknown) => ({ job: jobFromError(error), error }),
    );
    assert.ok(outcome.error, `the rebuild was cancelled, not ${outcome.job?.state}`);
    assert.equal(outcome.job?.state, 'cancelled');
    assert.match(jobSummary(outcome.job, PROJECT).text, /previous environment is unchanged/);
    assert.equal(ends.length, 1);
    const after = await executeCommand<KernelForNotebook>(conn, SERVER_COMMANDS.kernelForNotebook, notebookArguments(pathToFileURL(notebook).toString()));
    assert.equal(after.status?.status, 'ready');
    assert.equal(after.python, before.python);
    assert.ok(after.python && fs.existsSync(after.python));
  });

  it('adds a package as Add Package… sends it, shows a hand install as drift, records it', async () => {
    // A pip-compile project: the spec is requirements.in; requirements.txt is re-compiled from it.
    const spec = path.join(root, 'requirements.in');
    const compiled = path.join(root, 'requirements.txt');
    const original = fs.readFileSync(spec, 'utf8');
    assert.ok(fs.readFileSync(compiled, 'utf8').includes('six==1.17.0'));  // pinned as python-dateutil's dependency
    const add = executeWithProgress<JobResult>(conn, serverCommandFor('add'), packageArguments(root, ['six==1.16.0']), {});
    const added = await add.result;
    assert.equal(added.state, 'succeeded');
    const edited = `${original}six==1.16.0\n`;  // appended, comments and order kept
    assert.equal(fs.readFileSync(spec, 'utf8'), edited);
    assert.match(fs.readFileSync(compiled, 'utf8'), /^six==1\.16\.0\b/m);
    const k = await executeCommand<KernelForNotebook>(conn, SERVER_COMMANDS.kernelForNotebook, notebookArguments(pathToFileURL(notebook).toString()));
    const run = promisify(execFile);
    assert.equal((await run(k.python!, ['-c', 'import six; print(six.__version__)'])).stdout.trim(), '1.16.0');

    // A `%pip install` in a notebook: the env's own pip (kernelenv seeds it), then drift.
    const { stdout: uv } = await run(python, ['-c', 'import uv; print(uv.find_uv_bin())']);
    await run(uv.trim(), ['pip', 'install', '--quiet', '--python', k.python!, 'idna==3.7'], {
      env: { ...process.env, UV_CACHE_DIR: process.env.UV_CACHE_DIR || process.env.KERNELENV_TEST_UV_CACHE || path.join(REPO, '.cache', 'uv') },
    });
    const drifted = await executeCommand<ProjectInfo>(conn, SERVER_COMMANDS.status, projectArguments(root));
    assert.equal(drifted.status?.status, 'drifted');
    assert.match(driftSummary(drifted.status) ?? '', /added idna 3\.7/);
    const recorded = await executeWithProgress<JobResult>(conn, serverCommandFor('record'), projectArguments(root), {}).result;
    assert.equal(recorded.state, 'succeeded');
    assert.equal(fs.readFileSync(spec, 'utf8'), `${edited}idna==3.7\n`);
  });
});
