/**
 * The status bar item for the active editor's project ("env: ready (uv)",
 * "env: missing", "env: building… 40%"); clicking it opens the project's actions.
 */
import * as vscode from 'vscode';
import { CLIENT_COMMANDS } from './constants';
import { ProjectStore } from './projects';
import { interpreterSettingCommand, ServerState } from './server';
import { ActiveProgress, statusNeedsAttention, statusText, statusTooltip } from './status';

/** The file-system path of the active editor's document or notebook, if it is a file. */
export function activeFilePath(): string | undefined {
  const uri = activeUri();
  return uri?.scheme === 'file' ? uri.fsPath : undefined;
}

function activeUri(): vscode.Uri | undefined {
  return vscode.window.activeNotebookEditor?.notebook.uri ?? vscode.window.activeTextEditor?.document.uri;
}

/** Keeps the status bar item in step with the store, the server state and running builds. */
export class EnvStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly progress = new Map<string, ActiveProgress>();
  private serverState: ServerState = 'stopped';
  /** The last file editor: kept while the Output panel (scheme `output`) or another non-file editor has focus. */
  private lastFile: string | undefined;

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
      this.item.command = interpreterSettingCommand();
      this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
      this.item.show();
      return;
    }
    const uri = activeUri();
    if (!uri) {
      this.lastFile = undefined;
    } else if (uri.scheme === 'file') {
      this.lastFile = uri.fsPath;
    }
    const file = this.lastFile;
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
