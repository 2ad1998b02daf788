/**
 * Which Python runs the language server, and whether kernelenv is installed in it.
 * Pure except for {@link checkServerInstalled}, which runs the interpreter (no shell).
 * No `vscode` import: the extension's glue (src/pythonApi.ts) supplies the inputs.
 */
import { execFile } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { SERVER_MODULE } from './constants';
import { serverLaunch } from './protocol';

/** Where the interpreter came from, for messages. */
export type InterpreterSource = 'setting' | 'python-extension' | 'path';

/** The chosen interpreter. */
export interface InterpreterChoice {
  /** An absolute path, or a bare command name looked up on PATH (`python3`). */
  python: string;
  source: InterpreterSource;
}

/** The fallback when neither the setting nor the Python extension names one. */
export const DEFAULT_PYTHON = process.platform === 'win32' ? 'python' : 'python3';

/**
 * Expand `~` and `${workspaceFolder}` in the `kernelenv.interpreter` setting.
 *
 * @param value the setting as written.
 * @param workspaceFolder the first workspace folder's path, if any.
 */
export function expandInterpreterSetting(value: string, workspaceFolder?: string): string {
  let v = value.trim();
  if (workspaceFolder) {
    v = v.replace(/\$\{workspaceFolder\}/g, workspaceFolder);
  }
  if (v === '~' || v.startsWith('~/')) {
    v = path.join(os.homedir(), v.slice(1));
  }
  return v;
}

/**
 * Choose the interpreter: the `kernelenv.interpreter` setting, else the Python
 * extension's active interpreter, else `python3` on PATH.
 *
 * @param setting the setting's value ("" when unset; VS Code ignores a workspace value
 *   in an untrusted workspace, see `restrictedConfigurations` in package.json).
 * @param pythonExtension the executable the Python extension reports, if any.
 * @param workspaceFolder used to expand `${workspaceFolder}` in the setting.
 * @param untrusted set in an untrusted workspace: an interpreter from the Python
 *   extension that lives inside one of these folders is project content and is not run.
 */
export function chooseInterpreter(
  setting: string | undefined,
  pythonExtension: string | undefined,
  workspaceFolder?: string,
  untrusted?: { workspaceFolders: string[] },
): InterpreterChoice {
  if (setting && setting.trim()) {
    return { python: expandInterpreterSetting(setting, workspaceFolder), source: 'setting' };
  }
  const insideWorkspace = (p: string) =>
    (untrusted?.workspaceFolders ?? []).some((f) => {
      const rel = path.relative(f, p);
      return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
    });
  if (pythonExtension && pythonExtension.trim() && !insideWorkspace(pythonExtension)) {
    return { python: pythonExtension, source: 'python-extension' };
  }
  return { python: DEFAULT_PYTHON, source: 'path' };
}

/** Result of {@link checkServerInstalled}. */
export interface ServerCheck {
  ok: boolean;
  /** On failure: the interpreter's stderr tail or the spawn error. */
  detail: string;
}

/**
 * Check that `python -c "import kernelenv_lsp"` succeeds (argument list, no shell).
 *
 * @param python interpreter path or command name.
 * @param timeoutMs give up after this many milliseconds.
 */
export function checkServerInstalled(python: string, timeoutMs = 20000): Promise<ServerCheck> {
  return new Promise((resolve) => {
    const cwd = serverLaunch(python).cwd;
    execFile(python, ['-c', `import ${SERVER_MODULE}`], { cwd, timeout: timeoutMs, windowsHide: true }, (err, _stdout, stderr) => {
      if (!err) {
        resolve({ ok: true, detail: '' });
        return;
      }
      const lines = String(stderr || err.message).trim().split(/\r?\n/);
      resolve({ ok: false, detail: lines.slice(-3).join('\n') });
    });
  });
}

/** Whether the check failed because the interpreter itself is missing (not kernelenv in it). */
export function interpreterMissing(check: ServerCheck): boolean {
  return /ENOENT|EACCES|not found/i.test(check.detail) && !/No module named/.test(check.detail);
}

/**
 * The notification shown when the server cannot start from `choice`: what is missing and
 * how to install it. kernelenv is not on PyPI (README.md): it installs from a checkout or
 * from a wheel built there. No traceback: `check.detail` goes to the output channel only.
 *
 * @param choice the interpreter that was tried.
 * @param check the failed {@link checkServerInstalled} result.
 */
export function notInstalledMessage(choice: InterpreterChoice, check: ServerCheck): string {
  const from = {
    setting: 'the kernelenv.interpreter setting',
    'python-extension': "the Python extension's selected interpreter",
    path: 'PATH',
  }[choice.source];
  const what = interpreterMissing(check)
    ? `Kernelenv: the Python ${choice.python} (from ${from}) cannot be run.`
    : `Kernelenv is not installed in ${choice.python} (from ${from}).`;
  return (
    `${what} kernelenv is not on PyPI: install it from a checkout (${choice.python} -m pip install ./kernelenv) ` +
    `or from a wheel built there with make dist, or set kernelenv.interpreter to a Python that has it.`
  );
}
