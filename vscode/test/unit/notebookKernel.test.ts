import assert from 'node:assert/strict';
import { decideKernel, jupyterControllerIds, notebookKernelspecName } from '../../src/notebookKernel';
import { KernelForNotebook } from '../../src/protocol';
import { project, status } from '../support/fixtures';

const PY = '/ws/a/.venv/bin/python';

function kernel(s: Parameters<typeof status>[0], python: string | null = PY): KernelForNotebook {
  return { kernel_name: 'kernelenv-a', python, status: status(s, { python }), project: project('/ws/a') };
}

describe('notebook-to-kernel decision', () => {
  it('selects without asking when the setting is always and the env is ready', () => {
    assert.deepEqual(decideKernel({ setting: 'always', kernel: kernel('ready'), alreadyHandled: false }), {
      kind: 'select',
      kernelName: 'kernelenv-a',
      python: PY,
      projectName: 'a',
    });
  });

  it('asks when the setting is ask', () => {
    assert.equal(decideKernel({ setting: 'ask', kernel: kernel('ready'), alreadyHandled: false }).kind, 'ask');
  });

  it('never selects when the setting is never', () => {
    const d = decideKernel({ setting: 'never', kernel: kernel('ready'), alreadyHandled: false });
    assert.equal(d.kind, 'skip');
  });

  it('still selects a stale env (its kernel runs) but not a missing, broken or building one', () => {
    assert.equal(decideKernel({ setting: 'always', kernel: kernel('stale'), alreadyHandled: false }).kind, 'select');
    assert.equal(decideKernel({ setting: 'always', kernel: kernel('lock out of date'), alreadyHandled: false }).kind, 'select');
    for (const s of ['missing', 'broken', 'building'] as const) {
      const d = decideKernel({ setting: 'always', kernel: kernel(s, null), alreadyHandled: false });
      assert.equal(d.kind, 'skip', s);
      assert.match(d.kind === 'skip' ? d.reason : '', new RegExp(s));
    }
  });

  it('skips a notebook outside every project', () => {
    const none: KernelForNotebook = { kernel_name: null, python: null, status: null, project: null };
    assert.equal(decideKernel({ setting: 'always', kernel: none, alreadyHandled: false }).kind, 'skip');
  });

  it('decides once per notebook per session', () => {
    assert.equal(decideKernel({ setting: 'always', kernel: kernel('ready'), alreadyHandled: true }).kind, 'skip');
  });

  it('leaves a notebook that already names the project kernel to the Jupyter extension', () => {
    const d = decideKernel({ setting: 'always', kernel: kernel('ready'), notebookKernelName: 'kernelenv-a', alreadyHandled: false });
    assert.equal(d.kind, 'skip');
    const other = decideKernel({ setting: 'always', kernel: kernel('ready'), notebookKernelName: 'python3', alreadyHandled: false });
    assert.equal(other.kind, 'select');
  });

  it("builds the Jupyter extension's kernelspec controller ids, matched interpreter first", () => {
    const ids = jupyterControllerIds('kernelenv-a', PY);
    assert.equal(ids[0], `.kernelenv-a.${PY}.${PY}.-xfrozen_modules=off#-m#ipykernel_launcher`);
    assert.ok(ids.includes(`.kernelenv-a.${PY}..-m#ipykernel_launcher`));
    assert.equal(new Set(ids).size, ids.length);
  });

  it('reads the kernelspec name from notebook metadata in both layouts', () => {
    assert.equal(notebookKernelspecName({ metadata: { kernelspec: { name: 'myenv' } } }), 'myenv');
    assert.equal(notebookKernelspecName({ custom: { metadata: { kernelspec: { name: 'old' } } } }), 'old');
    assert.equal(notebookKernelspecName({}), undefined);
    assert.equal(notebookKernelspecName(undefined), undefined);
  });
});
