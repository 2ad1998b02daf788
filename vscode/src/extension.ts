/**
 * Entry point of the kernelenv VS Code / Cursor extension. Thin: everything it shows
 * comes from the `kernelenv_lsp` language server through vscode-languageclient.
 */
import * as vscode from 'vscode';
import { CLIENT_NAME } from './constants';
import { CommandContext, registerCommands, serverActionHandler } from './commands';
import { NotebookKernelAutoSelect } from './notebooks';
import { ProjectStore } from './projects';
import { onPythonInterpreterChange } from './pythonApi';
import { ServerManager } from './server';
import { needsRestart, readSettings } from './settings';
import { EnvStatusBar } from './statusBar';

let manager: ServerManager | undefined;

/** Called by VS Code on activation. */
export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel(CLIENT_NAME);
  const store = new ProjectStore();
  const statusBar = new EnvStatusBar(store);
  const ctx = { store, statusBar, output } as Omit<CommandContext, 'server'> as CommandContext;
  const server = new ServerManager(output, store, serverActionHandler(ctx));
  ctx.server = server;
  manager = server;
  const autoSelect = new NotebookKernelAutoSelect(server, output);
  ctx.afterJob = (job) => {
    if (job.action === 'create' || job.action === 'rebuild') {
      autoSelect.considerActive();
    }
  };
  const unsubscribe = store.onChange(() => statusBar.update());

  context.subscriptions.push(
    output,
    statusBar,
    server,
    autoSelect,
    { dispose: unsubscribe },
    ...registerCommands(ctx),
    server.onDidChangeState((state) => {
      statusBar.setServerState(state);
      if (state === 'running') {
        autoSelect.considerActive();
      }
    }),
    vscode.window.onDidChangeActiveTextEditor(() => statusBar.update()),
    vscode.window.onDidChangeActiveNotebookEditor(() => statusBar.update()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (needsRestart(e)) {
        output.appendLine('Kernelenv settings changed; restarting the language server.');
        void server.restart();
      }
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      output.appendLine('Workspace trusted; restarting the language server with prompts enabled.');
      void server.restart();
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => statusBar.update()),
  );
  void onPythonInterpreterChange(() => {
    if (!readSettings(vscode.workspace.workspaceFolders?.[0]).interpreter) {
      output.appendLine("The Python extension's interpreter changed; restarting the language server.");
      void server.restart();
    }
  }).then((d) => context.subscriptions.push(d));
  void server.start();
}

/** Called by VS Code on shutdown. */
export async function deactivate(): Promise<void> {
  await manager?.stop();
  manager = undefined;
}
