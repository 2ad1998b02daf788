import assert from 'node:assert/strict';
import { SERVER_COMMANDS } from '../../src/constants';
import { IncrementTracker } from '../../src/progress';
import {
  actionOfServerCommand,
  jobFromError,
  jobSummary,
  JobResult,
  notebookArguments,
  projectArguments,
  requiresTrust,
  serverLaunch,
  serverSettings,
} from '../../src/protocol';

const job = (state: string, extra: Partial<JobResult> = {}): JobResult => ({
  id: 'j1',
  action: 'create',
  project: '/ws/a',
  state,
  progress: { step: 'install', fraction: 1, message: '' },
  log: ['resolving', 'installing'],
  result: null,
  error: null,
  ...extra,
});

describe('messages the extension sends', () => {
  it('starts the server as <python> -m lsp_server', () => {
    const l = serverLaunch('/py/bin/python');
    assert.equal(l.command, '/py/bin/python');
    assert.deepEqual(l.args, ['-m', 'lsp_server']);
  });

  it('sends the settings, with prompts off in an untrusted workspace and auto as null', () => {
    const s = { interpreter: '', autoSelectKernel: 'always' as const, prompt: true, backend: 'auto' as const };
    assert.deepEqual(serverSettings(s, true), { prompt: true, backend: null, autoSelectKernel: 'always' });
    assert.deepEqual(serverSettings({ ...s, backend: 'rattler' }, false), { prompt: false, backend: 'rattler', autoSelectKernel: 'always' });
  });

  it('names the project and notebook as the contract says', () => {
    assert.deepEqual(projectArguments('/ws/a'), [{ project: '/ws/a' }]);
    assert.deepEqual(notebookArguments('file:///ws/a/nb.ipynb'), [{ notebook: 'file:///ws/a/nb.ipynb' }]);
  });

  it('maps server commands to actions and guards the ones that run project code', () => {
    assert.equal(actionOfServerCommand(SERVER_COMMANDS.rebuild), 'rebuild');
    assert.equal(actionOfServerCommand(SERVER_COMMANDS.status), undefined);
    assert.deepEqual(
      (['create', 'lock', 'rebuild', 'remove'] as const).filter(requiresTrust),
      ['create', 'lock', 'rebuild'],
    );
  });
});

describe('job results', () => {
  it('summarises success, cancel and failure', () => {
    assert.deepEqual(jobSummary(job('succeeded'), 'a'), { ok: true, text: 'Created the environment of a.' });
    assert.match(jobSummary(job('cancelled'), 'a').text, /previous environment is unchanged/);
    const failed = jobSummary(job('failed', { error: { message: 'requirements.txt:3: bad spec' } }), 'a');
    assert.equal(failed.ok, false);
    assert.match(failed.text, /requirements\.txt:3: bad spec/);
  });

  it('reads the job from the error data of a failed command', () => {
    const err = Object.assign(new Error('boom'), { code: -32803, data: { code: 'build-failed', job: job('failed') } });
    assert.equal(jobFromError(err)?.state, 'failed');
    assert.equal(jobFromError(new Error('no data')), undefined);
  });
});

describe('progress increments', () => {
  it('turns percentages into positive increments', () => {
    const t = new IncrementTracker();
    assert.equal(t.next(undefined), undefined);
    assert.equal(t.next(10), 10);
    assert.equal(t.next(40), 30);
    assert.equal(t.next(30), undefined);
    assert.equal(t.next(250), 60);
    assert.equal(t.percentage, 100);
  });
});
