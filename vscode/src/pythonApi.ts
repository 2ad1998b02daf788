/**
 * The Python extension's active interpreter, through its public API
 * (@vscode/python-extension: `environments.getActiveEnvironmentPath` and
 * `resolveEnvironment`). Absent or failing extension -> undefined.
 */
import * as vscode from 'vscode';
import { PythonExtension } from '@vscode/python-extension';
import { PYTHON_EXTENSION_ID } from './constants';

/**
 * The executable of the Python extension's active environment for `resource`.
 *
 * @param resource a workspace folder URI (multi-root workspaces), or undefined.
 * @returns an absolute interpreter path, or undefined when the Python extension is not
 *   installed, not ready, or has no interpreter selected.
 */
export async function pythonExtensionInterpreter(resource?: vscode.Uri): Promise<string | undefined> {
  if (!vscode.extensions.getExtension(PYTHON_EXTENSION_ID)) {
    return undefined;
  }
  try {
    const api = await PythonExtension.api();
    const envPath = api.environments.getActiveEnvironmentPath(resource);
    const resolved = await api.environments.resolveEnvironment(envPath);
    return resolved?.executable.uri?.fsPath ?? envPath.path ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * Subscribe to the Python extension's interpreter changes.
 *
 * @returns a disposable; a no-op one when the Python extension is absent.
 */
export async function onPythonInterpreterChange(listener: () => void): Promise<vscode.Disposable> {
  if (!vscode.extensions.getExtension(PYTHON_EXTENSION_ID)) {
    return new vscode.Disposable(() => undefined);
  }
  try {
    const api = await PythonExtension.api();
    return api.environments.onDidChangeActiveEnvironmentPath(() => listener());
  } catch {
    return new vscode.Disposable(() => undefined);
  }
}
