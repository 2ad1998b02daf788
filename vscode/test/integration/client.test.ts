/**
 * The extension's own code (ServerManager, commands, status bar) driving the real
 * language server through vscode-languageclient. VS Code itself cannot run on this
 * machine, so the `vscode` module is the recording stub of test/support/vscodeStub.ts;
 * everything below it (vscode-languageclient, JSON-RPC over stdio, `python -m
 * kernelenv_lsp`, uv) is real.
 */
import '../support/installStub';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CommandContext, runAction, serverActionHandler } from '../../src/commands';
import * as vscode from 'vscode';
import { CLIENT_COMMANDS, JUPYTER_EXTENSION_ID, SERVER_COMMANDS } from '../../src/constants';
import { activate, deactivate } from '../../src/extension';
import { NotebookKernelAutoSelect } from '../../src/notebooks';
import { ProjectStore } from '../../src/projects';
import { ServerManager } from '../../src/server';
import { EnvStatusBar } from '../../src/statusBar';
import { kernelenvPython, REPO } from '../support/pythons';
import { configurationChanges, resetStub, state, Uri, window } from '../support/vscodeStub';
import { until } from '../support/until';

const PROJECT = 'binder-examples__requirements';

describe('the extension driving kernelenv-lsp through vscode-languageclient (vscode stubbed)', function () {
  this.timeout(15 * 60 * 1000);
  const savedEnv = { ...process.env };
  let tmp: string;
  let ws: string;
  let root: string;

  before(() => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'kernelenv-vscode-client-')));
    ws = path.join(tmp, 'workspace');
    root = path.join(ws, PROJECT);
    const corpus = path.join(REPO, 'tests', 'fixtures', 'projects');  // in-repo: a plain clone runs this too
    fs.cpSync(path.join(corpus, PROJECT), root, { recursive: true });
    for (const f of fs.readdirSync(root)) {
      fs.chmodSync(path.join(root, f), 0o644);
    }
    // The LanguageClient spawns the server with this process's environment.
    Object.assign(process.env, {
      JUPYTER_DATA_DIR: path.join(tmp, 'jupyter-data'),
      JUPYTER_CONFIG_DIR: path.join(tmp, 'jupyter-config'),
      JUPYTER_RUNTIME_DIR: path.join(tmp, 'jupyter-runtime'),
      JUPYTER_PLATFORM_DIRS: '1',
      UV_CACHE_DIR: process.env.UV_CACHE_DIR || process.env.KERNELENV_TEST_UV_CACHE || path.join(REPO, '.cache', 'uv'),
    });
    delete process.env.VIRTUAL_ENV;
    delete process.env.KERNELENV_BACKEND;
  });

  after(() => {
    for (const k of Object.keys(process.env)) {
      if (!(k in savedEnv)) {
        delete process.env[k];
      }
    }
    Object.assign(process.env, savedEnv);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** A fresh stub state and the extension's objects, as activate() wires them. */
  function setUp(trusted: boolean, stateHome: string) {
    resetStub();
    process.env.KERNELENV_STATE_HOME = path.join(tmp, stateHome);
    state.isTrusted = trusted;
    state.config.set('kernelenv.interpreter', kernelenvPython());
    state.workspaceFolders = [{ uri: Uri.file(ws), name: 'workspace', index: 0 }];
    state.activeTextEditor = { document: { uri: Uri.file(path.join(root, 'requirements.txt')) } };
    const store = new ProjectStore();
    const statusBar = new EnvStatusBar(store);
    const ctx = { store, statusBar, output: window.createOutputChannel('Kernelenv') } as Omit<CommandContext, 'server'> as CommandContext;
    const server = new ServerManager(ctx.output, store, serverActionHandler(ctx));
    ctx.server = server;
    server.onDidChangeState((s) => statusBar.setServerState(s));
    store.onChange(() => statusBar.update());
    return { ctx, server, store, item: state.statusBarItems[0] };
  }

  it('in an untrusted workspace: shows the project, sends prompt off, and refuses to create', async () => {
    const { ctx, server, store, item } = setUp(false, 'state-untrusted');
    await server.start();
    try {
      assert.equal(server.state, 'running');
      const p = await until(() => store.projectFor(path.join(root, 'requirements.txt')), 'the projects notification', 120000);
      assert.equal(p.root, root);
      assert.equal(item.text, 'env: missing');
      // The server answers status (read-only) but must not offer to create.
      const fresh = await server.running!.sendRequest('workspace/executeCommand', {
        command: SERVER_COMMANDS.status,
        arguments: [{ project: root }],
      });
      assert.ok(fresh);
      // The trusted test below sees the prompt right after detection; give it ample time here.
      await new Promise((r) => setTimeout(r, 3000));
      assert.equal(state.messages.filter((m) => m.items.includes('Create environment')).length, 0);
      assert.equal(await runAction(ctx, 'create', p), undefined);
      assert.equal(state.progressTitles.length, 0);
      assert.equal(fs.existsSync(path.join(root, '.venv')), false);
    } finally {
      await server.stop();
    }
    assert.equal(state.messages.filter((m) => m.items.includes('Create environment')).length, 0);
  });

  it('trusted: the server prompts, Create Environment builds with progress in the status bar, and an opened notebook gets the project kernel', async () => {
    const { ctx, server, store, item } = setUp(true, 'state-trusted');
    await server.start();
    try {
      const p = await until(() => store.projectFor(root), 'the projects notification', 120000);
      const prompt = await until(
        () => state.messages.find((m) => m.items.includes('Create environment')),
        'the server prompt to create',
        60000,
      );
      assert.ok(prompt.message.includes(PROJECT), prompt.message);

      const job = await runAction(ctx, 'create', p);
      assert.equal(job?.state, 'succeeded', JSON.stringify(job?.error));
      assert.deepEqual(state.progressTitles, [`Kernelenv: Create Environment (${PROJECT})`]);
      assert.ok(item.history.some((t) => /^env: building…( \d+%)?$/.test(t)), item.history.join(' | '));
      assert.ok(state.messages.some((m) => m.level === 'info' && m.message === `Kernelenv: Created the environment of ${PROJECT}.`));
      await until(() => (store.projectFor(root)?.status?.status === 'ready' ? true : undefined), 'status ready', 60000);
      assert.equal(item.text, 'env: ready (uv)');

      // A notebook of the project becomes active with autoSelectKernel=always: the extension
      // asks the server for the kernel and selects it through notebook.selectKernel with the
      // Jupyter extension's controller id. VS Code's command is emulated: it accepts only
      // the id vscode-jupyter derives from the kernelspec on disk, and says false otherwise.
      state.config.set('kernelenv.autoSelectKernel', 'always');
      const kernelName = store.projectFor(root)!.kernel_name;
      const spec = JSON.parse(
        fs.readFileSync(path.join(tmp, 'jupyter-data', 'kernels', kernelName, 'kernel.json'), 'utf8'),
      ) as { argv: string[] };
      const args = spec.argv.slice(1).filter((a) => a !== '-f' && a !== '{connection_file}').join('#').toLowerCase();
      const wanted = `.${kernelName}.${spec.argv[0]}.${spec.argv[0]}.${args}`;
      const tried: string[] = [];
      state.extensions.set(JUPYTER_EXTENSION_ID, { isActive: true, exports: {} });
      state.registeredCommands.set('notebook.selectKernel', (ctx: unknown) => {
        const c = ctx as { id: string; extension: string };
        assert.equal(c.extension, JUPYTER_EXTENSION_ID);
        tried.push(c.id);
        return c.id === wanted;
      });
      const nb = path.join(root, 'analysis.ipynb');
      fs.writeFileSync(nb, JSON.stringify({ cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 }));
      state.activeNotebookEditor = { notebook: { uri: Uri.file(nb), metadata: {} } };
      const autoSelect = new NotebookKernelAutoSelect(server, ctx.output);
      autoSelect.considerActive();
      await until(() => (tried.includes(wanted) ? true : undefined), 'notebook.selectKernel with the kernelspec controller id', 30000);
      assert.equal(tried[tried.length - 1], wanted);
      assert.equal(state.messages.filter((m) => m.message.includes('kernel picker')).length, 0);
      autoSelect.dispose();
    } finally {
      await server.stop();
    }
  });

  it('Cancel on the progress notification stops a rebuild and keeps the env', async () => {
    const { ctx, server, store, item } = setUp(true, 'state-trusted');
    await server.start();
    try {
      const p = await until(() => (store.projectFor(root)?.status?.status === 'ready' ? store.projectFor(root) : undefined), 'ready', 120000);
      const python = p.status?.python;
      state.cancelProgressOnReport = true;
      const job = await runAction(ctx, 'rebuild', p);
      assert.equal(job?.state, 'cancelled');
      assert.ok(state.progressReports.length >= 1);
      assert.equal(state.messages.find((m) => m.level === 'error'), undefined);
      const info = state.messages.find((m) => m.level === 'info' && /Cancelled/.test(m.message));
      assert.match(info?.message ?? '', /Cancelled rebuild of .*previous environment is unchanged/);
      assert.ok(python && fs.existsSync(python));
      await until(() => (item.text === 'env: ready (uv)' ? true : undefined), 'the status back to ready', 60000);
    } finally {
      await server.stop();
    }
  });

  it('activated without kernelenv in the interpreter it explains; fixing the setting restarts the server', async () => {
    resetStub();
    process.env.KERNELENV_STATE_HOME = path.join(tmp, 'state-activate');
    state.config.set('kernelenv.interpreter', '/nonexistent/bin/python');
    state.config.set('kernelenv.prompt', false);
    state.workspaceFolders = [{ uri: Uri.file(ws), name: 'workspace', index: 0 }];
    state.activeTextEditor = { document: { uri: Uri.file(path.join(root, 'requirements.txt')) } };
    const context = { subscriptions: [] as { dispose(): unknown }[] };
    activate(context as unknown as vscode.ExtensionContext);
    try {
      const item = state.statusBarItems[0];
      await until(() => (item.text.includes('server not running') ? true : undefined), 'the not-running status', 30000);
      assert.ok(state.messages.some((m) => m.level === 'error' && m.items.includes('Open Setting')));

      state.config.set('kernelenv.interpreter', kernelenvPython());
      configurationChanges.fire({ affectsConfiguration: (id) => id === 'kernelenv.interpreter' || id === 'kernelenv' });
      await until(() => (item.text === 'env: ready (uv)' ? true : undefined), 'the project status after the restart', 120000);
      assert.ok(state.outputLines.some((l) => l.includes('restarting the language server')));

      await vscode.commands.executeCommand(CLIENT_COMMANDS.restartServer);
      assert.ok(state.messages.some((m) => m.message === 'Kernelenv: language server restarted.'));
    } finally {
      await deactivate();
      context.subscriptions.forEach((d) => d.dispose());
    }
  });
});
