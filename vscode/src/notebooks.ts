/**
 * Selecting a project's kernel for a notebook, through VS Code's `notebook.selectKernel`
 * command and the Jupyter extension's controllers.
 */
import * as vscode from 'vscode';
import { JUPYTER_EXTENSION_ID, SERVER_COMMANDS } from './constants';
import { decideKernel, jupyterControllerIds, notebookKernelspecName } from './notebookKernel';
import { executeCommand } from './progress';
import { KernelForNotebook, notebookArguments } from './protocol';
import { readSettings } from './settings';
import { ServerManager } from './server';

/** Ask the server which kernel a notebook should use. */
export async function kernelForNotebook(server: ServerManager, uri: vscode.Uri): Promise<KernelForNotebook | undefined> {
  const client = server.running;
  if (!client) {
    return undefined;
  }
  return executeCommand<KernelForNotebook>(client, SERVER_COMMANDS.kernelForNotebook, notebookArguments(uri.toString()));
}

/**
 * Make `kernelName` the kernel of the active notebook editor `editor`.
 *
 * Tries the Jupyter extension's controller ids for the kernelspec (no UI when none
 * matches); when none does, the kernel picker is opened so the user picks it
 * (it is listed under "Jupyter Kernel" with the kernelspec's display name).
 *
 * @returns true when the kernel was selected without the picker.
 */
export async function selectKernel(editor: vscode.NotebookEditor, kernelName: string, python: string): Promise<boolean> {
  if (vscode.window.activeNotebookEditor !== editor) {
    await vscode.window.showNotebookDocument(editor.notebook, { viewColumn: editor.viewColumn });
  }
  if (vscode.extensions.getExtension(JUPYTER_EXTENSION_ID)) {
    for (let attempt = 0; attempt < 2; attempt++) {
      for (const id of jupyterControllerIds(kernelName, python)) {
        const ok = await vscode.commands.executeCommand<boolean>('notebook.selectKernel', {
          id,
          extension: JUPYTER_EXTENSION_ID,
        });
        if (ok) {
          return true;
        }
      }
      // The Jupyter extension lists new kernelspecs shortly after they are written.
      await new Promise((r) => setTimeout(r, 3000));
    }
  }
  const pick = await vscode.window.showInformationMessage(
    `Kernelenv: choose the kernel "${kernelName}" (${python}) in the kernel picker.`,
    'Open Kernel Picker',
  );
  if (pick) {
    await vscode.commands.executeCommand('notebook.selectKernel');
  }
  return false;
}

/**
 * Applies `kernelenv.autoSelectKernel` to notebooks as they become active, once per
 * notebook per session.
 */
export class NotebookKernelAutoSelect implements vscode.Disposable {
  private readonly handled = new Set<string>();
  private readonly subs: vscode.Disposable[] = [];

  constructor(
    private readonly server: ServerManager,
    private readonly output: vscode.OutputChannel,
  ) {
    this.subs.push(
      vscode.window.onDidChangeActiveNotebookEditor((e) => {
        if (e) {
          void this.consider(e);
        }
      }),
    );
  }

  /** Consider the active notebook editor now (after the server started). */
  considerActive(): void {
    const e = vscode.window.activeNotebookEditor;
    if (e) {
      void this.consider(e);
    }
  }

  private async consider(editor: vscode.NotebookEditor): Promise<void> {
    const uri = editor.notebook.uri;
    if (uri.scheme !== 'file' || !uri.fsPath.endsWith('.ipynb') || !this.server.running) {
      return;
    }
    const key = uri.toString();
    let kernel: KernelForNotebook | undefined;
    try {
      kernel = await kernelForNotebook(this.server, uri);
    } catch (e) {
      this.output.appendLine(`kernelForNotebook failed for ${uri.fsPath}: ${String(e)}`);
      return;
    }
    if (!kernel) {
      return;
    }
    const decision = decideKernel({
      setting: readSettings(uri).autoSelectKernel,
      kernel,
      notebookKernelName: notebookKernelspecName(editor.notebook.metadata),
      alreadyHandled: this.handled.has(key),
    });
    if (decision.kind === 'skip') {
      this.output.appendLine(`Not selecting a kernel for ${uri.fsPath}: ${decision.reason}.`);
      return;
    }
    this.handled.add(key);
    if (decision.kind === 'ask') {
      const pick = await vscode.window.showInformationMessage(
        `Use the kernel of project "${decision.projectName}" (${decision.kernelName}) for this notebook?`,
        'Use Project Kernel',
        'Not Now',
      );
      if (pick !== 'Use Project Kernel') {
        return;
      }
    }
    await selectKernel(editor, decision.kernelName, decision.python);
  }

  dispose(): void {
    for (const s of this.subs) {
      s.dispose();
    }
  }
}
