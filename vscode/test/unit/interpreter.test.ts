import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  checkServerInstalled,
  chooseInterpreter,
  DEFAULT_PYTHON,
  expandInterpreterSetting,
  notInstalledMessage,
} from '../../src/interpreter';
import { barePython, kernelenvPython } from '../support/pythons';

describe('interpreter choice', () => {
  it('prefers the kernelenv.interpreter setting over the Python extension', () => {
    assert.deepEqual(chooseInterpreter('/opt/py/bin/python', '/ext/python'), { python: '/opt/py/bin/python', source: 'setting' });
  });

  it("uses the Python extension's interpreter when the setting is empty", () => {
    assert.deepEqual(chooseInterpreter('', '/ext/python'), { python: '/ext/python', source: 'python-extension' });
    assert.deepEqual(chooseInterpreter('   ', '/ext/python'), { python: '/ext/python', source: 'python-extension' });
  });

  it("does not run an interpreter inside an untrusted workspace that the Python extension reports", () => {
    const untrusted = { workspaceFolders: ['/ws'] };
    assert.deepEqual(chooseInterpreter('', '/ws/.venv/bin/python', '/ws', untrusted), { python: DEFAULT_PYTHON, source: 'path' });
    assert.deepEqual(chooseInterpreter('', '/opt/py/bin/python', '/ws', untrusted), { python: '/opt/py/bin/python', source: 'python-extension' });
    assert.equal(chooseInterpreter('', '/ws/.venv/bin/python', '/ws').source, 'python-extension');
  });

  it('falls back to python3 on PATH', () => {
    assert.deepEqual(chooseInterpreter(undefined, undefined), { python: DEFAULT_PYTHON, source: 'path' });
  });

  it('expands ~ and ${workspaceFolder} in the setting', () => {
    assert.equal(expandInterpreterSetting('~/venv/bin/python'), path.join(os.homedir(), 'venv/bin/python'));
    assert.equal(chooseInterpreter('${workspaceFolder}/.venv/bin/python', undefined, '/ws').python, '/ws/.venv/bin/python');
  });
});

describe('checking that kernelenv is installed (runs real interpreters)', function () {
  this.timeout(30000);

  it('passes for the Python kernelenv is installed in', async () => {
    const check = await checkServerInstalled(kernelenvPython());
    assert.equal(check.ok, true, check.detail);
  });

  it('fails with the import error for a Python without kernelenv, and the message says what to do', async function () {
    const found = barePython();
    if (!found) {
      this.skip();
    }
    const bare: string = found;
    const check = await checkServerInstalled(bare);
    assert.equal(check.ok, false);
    assert.match(check.detail, /No module named '?kernelenv_lsp'?/);
    const msg = notInstalledMessage({ python: bare, source: 'setting' }, check);
    assert.ok(msg.includes(bare));
    assert.match(msg, /kernelenv\.interpreter/);
    assert.match(msg, /not on PyPI/);
    assert.ok(msg.includes(`${bare} -m pip install ./kernelenv`), msg);
    assert.match(msg, /from a wheel built there with make dist/);
    assert.doesNotMatch(msg, /Traceback|No module named|pip install kernelenv\b/);
  });

  it('fails cleanly for an interpreter that does not exist', async () => {
    const check = await checkServerInstalled('/nonexistent/bin/python');
    assert.equal(check.ok, false);
    assert.match(check.detail, /ENOENT/);
    const msg = notInstalledMessage({ python: '/nonexistent/bin/python', source: 'setting' }, check);
    assert.match(msg, /the Python \/nonexistent\/bin\/python \(from the kernelenv\.interpreter setting\) cannot be run/);
    assert.doesNotMatch(msg, /ENOENT/);
  });
});
