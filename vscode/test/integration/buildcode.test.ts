/**
 * Workspace trust and a project whose create runs its own build backend (issue 17): the
 * extension's runAction against the real language server (`python -m kernelenv_lsp`, real
 * detection and a real uv build). VS Code cannot run here, so `vscode` is the recording
 * stub of test/support/vscodeStub.ts (its workspace trust flag and message answers).
 *
 * The project's in-tree build backend leaves a marker file when it is imported, so the test
 * sees exactly when project code ran.
 */
import '../support/installStub';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CommandContext, runAction, serverActionHandler } from '../../src/commands';
import { ProjectStore } from '../../src/projects';
import { ServerManager } from '../../src/server';
import { EnvStatusBar } from '../../src/statusBar';
import { kernelenvPython } from '../support/pythons';
import { resetStub, state, Uri, window } from '../support/vscodeStub';
import { until } from '../support/until';

describe('create of a project that runs its build backend (vscode stubbed, real language server)', function () {
  this.timeout(10 * 60 * 1000);
  const savedEnv = { ...process.env };
  let tmp: string;
  let root: string;
  let marker: string;

  before(() => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'kernelenv-vscode-buildcode-')));
    root = path.join(tmp, 'workspace', 'dyn');
    fs.mkdirSync(root, { recursive: true });
    marker = path.join(root, 'BACKEND_RAN');
    fs.writeFileSync(
      path.join(root, 'pyproject.toml'),
      '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n' +
        '[project]\nname = "dyn"\nversion = "0"\ndynamic = ["dependencies"]\n',
    );
    fs.writeFileSync(
      path.join(root, 'backend.py'),
      `import pathlib\npathlib.Path(__file__).with_name("BACKEND_RAN").write_text("ran")\nraise SystemExit("backend ran")\n`,
    );
    Object.assign(process.env, {
      JUPYTER_DATA_DIR: path.join(tmp, 'jupyter-data'),
      JUPYTER_CONFIG_DIR: path.join(tmp, 'jupyter-config'),
      JUPYTER_RUNTIME_DIR: path.join(tmp, 'jupyter-runtime'),
      UV_OFFLINE: '1', // the backend needs no package: nothing to download
    });
    delete process.env.VIRTUAL_ENV;
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

  function setUp(trusted: boolean) {
    resetStub();
    process.env.KERNELENV_STATE_HOME = path.join(tmp, `state-${trusted}`);
    state.isTrusted = trusted;
    state.config.set('kernelenv.interpreter', kernelenvPython());
    state.config.set('kernelenv.prompt', false);
    state.workspaceFolders = [{ uri: Uri.file(path.dirname(root)), name: 'workspace', index: 0 }];
    const store = new ProjectStore();
    const statusBar = new EnvStatusBar(store);
    const ctx = { store, statusBar, output: window.createOutputChannel('Kernelenv') } as Omit<CommandContext, 'server'> as CommandContext;
    const server = new ServerManager(ctx.output, store, serverActionHandler(ctx));
    ctx.server = server;
    return { ctx, server, store };
  }

  it('untrusted: refused, naming the code; trusted: asked, declined runs nothing, accepted runs it', async () => {
    let { ctx, server, store } = setUp(false);
    await server.start();
    try {
      const p = await until(() => store.projectFor(root), 'the projects notification', 120000);
      assert.match(p.runs_build_backend ?? '', /dynamic = \['dependencies'\].*backend-path/);
      assert.equal(await runAction(ctx, 'create', p), undefined);
      const refusal = state.messages.find((m) => m.message.includes('untrusted workspace'));
      assert.ok(refusal && refusal.message.includes('backend-path'), JSON.stringify(state.messages));
      assert.equal(fs.existsSync(marker), false);
    } finally {
      await server.stop();
    }

    ({ ctx, server, store } = setUp(true));
    await server.start();
    try {
      const p = await until(() => store.projectFor(root), 'the projects notification', 120000);
      state.messageAnswers.push('Cancel');
      assert.equal(await runAction(ctx, 'lock', p), undefined);
      const question = state.messages.find((m) => m.items.includes('Run'));
      assert.ok(question && /lock of dyn will run code from this folder/.test(question.message), JSON.stringify(state.messages));
      assert.equal(fs.existsSync(marker), false, 'declined: nothing ran');
      assert.equal(state.progressTitles.length, 0);

      state.messageAnswers.push('Run');
      const job = await runAction(ctx, 'lock', p);
      assert.equal(job?.state, 'failed'); // the backend exits on purpose after leaving its marker
      assert.equal(fs.existsSync(marker), true, 'accepted: uv ran the in-tree backend, as announced');
    } finally {
      await server.stop();
    }
  });
});
