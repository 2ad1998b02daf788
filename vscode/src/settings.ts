/**
 * Reading the `kernelenv` settings from VS Code. Every setting the extension reads goes
 * through {@link readSettings}, so the manifest test can check each one is contributed.
 */
import * as vscode from 'vscode';
import { AUTO_SELECT_VALUES, BACKEND_VALUES, CONFIG_SECTION, SETTINGS } from './constants';
import { KernelenvSettings } from './protocol';

function oneOf<T extends string>(value: unknown, allowed: readonly T[], fallback: T): T {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value) ? (value as T) : fallback;
}

/**
 * The `kernelenv` settings for `scope` (a workspace folder or resource), with invalid
 * values replaced by the defaults.
 */
export function readSettings(scope?: vscode.ConfigurationScope): KernelenvSettings {
  const c = vscode.workspace.getConfiguration(CONFIG_SECTION, scope);
  const interpreter = c.get<unknown>(SETTINGS.interpreter);
  const prompt = c.get<unknown>(SETTINGS.prompt);
  return {
    interpreter: typeof interpreter === 'string' ? interpreter : '',
    autoSelectKernel: oneOf(c.get<unknown>(SETTINGS.autoSelectKernel), AUTO_SELECT_VALUES, 'ask'),
    prompt: typeof prompt === 'boolean' ? prompt : true,
    backend: oneOf(c.get<unknown>(SETTINGS.backend), BACKEND_VALUES, 'auto'),
  };
}

/** The full setting ids (`kernelenv.interpreter` ...) whose change restarts the server. */
export const RESTART_SETTINGS = [SETTINGS.interpreter, SETTINGS.prompt, SETTINGS.backend].map(
  (k) => `${CONFIG_SECTION}.${k}`,
);

/** Whether a configuration change needs a server restart. */
export function needsRestart(e: vscode.ConfigurationChangeEvent): boolean {
  return RESTART_SETTINGS.some((id) => e.affectsConfiguration(id));
}
