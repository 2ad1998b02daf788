/** Real interpreters on this machine, for tests that run them. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The repository root (vscode/ is one level below it; tests run from out/test/...). */
export const REPO = path.resolve(__dirname, '..', '..', '..', '..');

/** The Python with kernelenv installed: $KERNELENV_PYTHON or <repo>/.venv/bin/python. */
export function kernelenvPython(): string {
  return process.env.KERNELENV_PYTHON || path.join(REPO, '.venv', process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python');
}

/** A Python without kernelenv: $KERNELENV_BARE_PYTHON, a pyenv interpreter, or /usr/bin/python3. */
export function barePython(): string | undefined {
  const candidates = [process.env.KERNELENV_BARE_PYTHON ?? ''];
  const pyenv = path.join(os.homedir(), '.pyenv', 'versions');
  if (fs.existsSync(pyenv)) {
    for (const v of fs.readdirSync(pyenv).sort().reverse()) {
      candidates.push(path.join(pyenv, v, 'bin', 'python3'));
    }
  }
  candidates.push('/usr/bin/python3');
  return candidates.find((c) => c && fs.existsSync(c));
}
