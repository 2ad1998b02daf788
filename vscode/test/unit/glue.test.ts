/**
 * The extension's VS Code glue, run against the recording `vscode` stub
 * (test/support/vscodeStub.ts): VS Code itself cannot run on this machine.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { CLIENT_COMMANDS } from '../../src/constants';
import { CommandContext, rootArgument, runAction } from '../../src/commands';
import { activate, deactivate } from '../../src/extension';
import { ProjectStore } from '../../src/projects';
import { pythonExtensionInterpreter } from '../../src/pythonApi';
import { readSettings } from '../../src/settings';
import { EnvStatusBar } from '../../src/statusBar';
import { resetStub, state, Uri } from '../support/vscodeStub';
import { project } from '../support/fixtures';
import { until } from '../support/until';

describe('extension glue (vscode stubbed)', function () {
  this.timeout(30000);
  beforeEach(resetStub);

  it('reads settings with defaults and replaces invalid values', () => {
    assert.deepEqual(readSettings(), { interpreter: '', autoSelectKernel: 'ask', prompt: true, backend: 'auto' });
    state.config.set('kernelenv.autoSelectKernel', 'sometimes');
    state.config.set('kernelenv.backend', 'rattler');
    state.config.set('kernelenv.prompt', false);
    state.config.set('kernelenv.interpreter', '/py');
    assert.deepEqual(readSettings(), { interpreter: '/py', autoSelectKernel: 'ask', prompt: false, backend: 'rattler' });
  });

  it("asks the Python extension's API for the active interpreter", async () => {
    assert.equal(await pythonExtensionInterpreter(), undefined);
    const asked: unknown[] = [];
    state.extensions.set('ms-python.python', {
      isActive: true,
      exports: {
        environments: {
          getActiveEnvironmentPath: (r: unknown) => {
            asked.push(r);
            return { id: 'env', path: '/envs/a' };
          },
          resolveEnvironment: (p: { path: string }) => Promise.resolve({ executable: { uri: Uri.file(`${p.path}/bin/python`) } }),
        },
      },
    });
    const folder = Uri.file('/ws');
    assert.equal(await pythonExtensionInterpreter(folder as unknown as vscode.Uri), '/envs/a/bin/python');
    assert.deepEqual(asked, [folder]);
  });

  it('treats a failing Python extension as absent', async () => {
    state.extensions.set('ms-python.python', { isActive: false, activate: () => Promise.reject(new Error('boom')) });
    assert.equal(await pythonExtensionInterpreter(), undefined);
  });

  it('registers every command and explains, with one Open Setting button, when kernelenv is not installed', async () => {
    state.config.set('kernelenv.interpreter', '/nonexistent/bin/python');
    state.messageAnswers.push('Open Setting');
    const context = { subscriptions: [] as { dispose(): unknown }[] };
    activate(context as unknown as vscode.ExtensionContext);
    assert.deepEqual([...state.registeredCommands.keys()].sort(), Object.values(CLIENT_COMMANDS).sort());
    const err = await until(() => state.messages.find((m) => m.level === 'error'), 'the error message');
    assert.match(err.message, /\/nonexistent\/bin\/python \(from the kernelenv\.interpreter setting\) cannot be run/);
    assert.match(err.message, /install it from a checkout/);
    assert.deepEqual(err.items, ['Open Setting']);
    await until(
      () => state.executedCommands.find((c) => c.command === 'workbench.action.openSettings'),
      'Open Settings to run',
    );
    const open = state.executedCommands.find((c) => c.command === 'workbench.action.openSettings');
    assert.deepEqual(open?.args, ['kernelenv.interpreter']);
    const item = state.statusBarItems[0];
    assert.equal(item.visible, true);
    assert.match(item.text, /env: server not running/);
    await deactivate();
    context.subscriptions.forEach((d) => d.dispose());
  });

  it('keeps the status bar item while the Output panel (a non-file editor) has focus, hides it with no editor', () => {
    const store = new ProjectStore();
    store.update({ workspaceFolder: 'file:///ws', projects: [project('/ws/a')] });
    const bar = new EnvStatusBar(store);
    const item = state.statusBarItems[state.statusBarItems.length - 1];
    state.activeTextEditor = { document: { uri: Uri.file('/ws/a/requirements.txt') } };
    bar.update();
    assert.equal(item.visible, true);
    assert.equal(item.text, 'env: missing');
    state.activeTextEditor = { document: { uri: Uri.parse('output:extension-output-kernelenv.kernelenv-%231-Kernelenv') } };
    bar.update();
    assert.equal(item.visible, true);
    assert.equal(item.text, 'env: missing');
    state.activeTextEditor = undefined;
    bar.update();
    assert.equal(item.visible, false);
    bar.dispose();
  });

  it('never creates, locks or rebuilds in an untrusted workspace', async () => {
    state.isTrusted = false;
    const ctx = fakeContext();
    for (const action of ['create', 'lock', 'rebuild'] as const) {
      assert.equal(await runAction(ctx, action, project('/ws/a')), undefined);
    }
    assert.equal(state.progressTitles.length, 0);
    assert.equal(state.messages.length, 3);
    assert.ok(state.messages.every((m) => m.level === 'warning' && m.items[0] === 'Manage Workspace Trust'));
  });

  it('asks before removing and does nothing when not confirmed', async () => {
    const ctx = fakeContext();
    assert.equal(await runAction(ctx, 'remove', project('/ws/a')), undefined);
    assert.deepEqual(state.messages[0].items, ['Remove']);
    assert.equal(state.progressTitles.length, 0);
  });

  it('accepts a project given as a root, an object or a file URI', () => {
    assert.equal(rootArgument('/ws/a'), '/ws/a');
    assert.equal(rootArgument({ project: '/ws/a' }), '/ws/a');
    assert.equal(rootArgument({ project: 'file:///ws/a' }), '/ws/a');
    assert.equal(rootArgument(undefined), undefined);
  });
});

/** A command context whose server refuses every request (none may be sent). */
function fakeContext(): CommandContext {
  const store = new ProjectStore();
  const refuse = () => {
    throw new Error('no request may be sent');
  };
  return {
    store,
    statusBar: new EnvStatusBar(store),
    output: vscode.window.createOutputChannel('test'),
    server: { running: { sendRequest: refuse, onProgress: refuse, sendNotification: refuse } } as unknown as CommandContext['server'],
  };
}
