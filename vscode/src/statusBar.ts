/**
 * The status bar item for the active editor's project ("env: ready (uv)",
 * "env: missing", "env: building 40%"); clicking it opens the project's actions.
 */
import * as vscode from 'vscode';
import { CLIENT_COMMANDS } from './constants';
import { ProjectStore } from './projects';
import { ServerState } from './server';
import { ActiveProgress, statusNeedsAttention, statusText, statusTooltip } from './status';

/** The file-system path of the active editor's document or notebook, if it is a file. */
export function activeFilePath(): string | undefined {
  const nb = vscode.window.activeNotebookEditor?.notebook.uri;
  const doc = vscode.window.activeTextEditor?.document.uri;
  const uri = nb ?? doc;
  return uri?.scheme === 'file' ? uri.fsPath : undefined;
}

/** Keeps the status bar item in step with the store, the server state and running builds. */
export class EnvStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly progress = new Map<string, ActiveProgress>();
  private serverState: ServerState = 'stopped';

  constructor(private readonly store: ProjectStore) {
    this.item = vscode.window.createStatusBarItem('kernelenv.status', vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'Kernelenv environment';
  }

  /** Record the server state (shown when it is not running). */
  setServerState(state: ServerState): void {
    this.serverState = state;
    this.update();
  }

  /** Record a build's progress for a project root; undefined clears it. */
  setProgress(root: string, progress: ActiveProgress | undefined): void {
    if (progress) {
      this.progress.set(root, progress);
    } else {
      this.progress.delete(root);
    }
    this.update();
  }

  /** Re-render for the active editor. */
  update(): void {
    if (this.serverState === 'not-installed' || this.serverState === 'failed') {
      this.item.text = '$(warning) env: server not running';
      this.item.tooltip = 'Kernelenv: the language server is not running. Click to choose the interpreter.';
      this.item.command = { title: 'Open Settings', command: 'workbench.action.openSettings', arguments: ['kernelenv.interpreter'] };
      this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
      this.item.show();
      return;
    }
    const file = activeFilePath();
    const project = file ? this.store.projectFor(file) : undefined;
    if (!project) {
      this.item.hide();
      return;
    }
    this.item.text = statusText(project, this.progress.get(project.root));
    this.item.tooltip = statusTooltip(project);
    this.item.command = { title: 'Kernelenv actions', command: CLIENT_COMMANDS.showActions, arguments: [project.root] };
    this.item.backgroundColor = statusNeedsAttention(project) ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
