import assert from 'node:assert/strict';
import { SERVER_COMMANDS } from '../../src/constants';
import { IncrementTracker } from '../../src/progress';
import {
  actionOfServerCommand,
  jobFromError,
  jobSummary,
  JobResult,
  driftSummary,
  notebookArguments,
  packageArguments,
  parsePackages,
  projectArguments,
  requiresTrust,
  buildCodeQuestion,
  serverLaunch,
  serverSettings,
} from '../../src/protocol';

const baseStatus = {
  reason: '',
  env_path: null,
  python: null,
  python_version: null,
  packages: null,
  kernel_name: null,
  backend: 'uv',
};

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
  it('starts the server as <python> -m kernelenv_lsp', () => {
    const l = serverLaunch('/py/bin/python');
    assert.equal(l.command, '/py/bin/python');
    assert.deepEqual(l.args, ['-m', 'kernelenv_lsp']);
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
    // the drift lens's Record, and env deletion through purge (kernelenv.remove removes packages)
    assert.equal(actionOfServerCommand('kernelenv.record'), 'record');
    assert.equal(actionOfServerCommand('kernelenv.purge'), 'remove');
    assert.equal(actionOfServerCommand('kernelenv.remove'), 'removePackage');
    assert.deepEqual(
      (['create', 'lock', 'rebuild', 'remove'] as const).filter(requiresTrust),
      ['create', 'lock', 'rebuild'],
    );
  });

  it('sends add/remove with the packages typed, split outside brackets', () => {
    assert.deepEqual(parsePackages(' pandas>=2,<3  pandas[excel, plot] '), ['pandas>=2,<3', 'pandas[excel, plot]']);
    assert.deepEqual(packageArguments('/ws/a', ['six']), [{ project: '/ws/a', packages: ['six'] }]);
    assert.ok(requiresTrust('add') && requiresTrust('record') && requiresTrust('removePackage'));
  });

  it('summarises a drift', () => {
    const drift = { added: [{ name: 'idna', version: '3.7' }], removed: [], changed: [{ name: 'six', built: '1.16.0', version: '1.17.0' }] };
    assert.equal(driftSummary({ ...baseStatus, status: 'drifted', drift }), 'added idna 3.7; changed six 1.16.0 → 1.17.0');
    assert.equal(driftSummary({ ...baseStatus, status: 'ready', drift: null }), undefined);
  });

  it('asks before an action that runs the project build backend, and only then', () => {
    const risky = { name: 'a', runs_build_backend: 'requirements.txt:1: -e . builds that folder.' };
    const question = buildCodeQuestion('create', risky);
    assert.match(question ?? '', /create of a will run code from this folder/);
    assert.match(question ?? '', /requirements\.txt:1: -e \./);
    assert.ok(buildCodeQuestion('lock', risky) && buildCodeQuestion('rebuild', risky));
    assert.equal(buildCodeQuestion('remove', risky), undefined);
    assert.equal(buildCodeQuestion('create', { name: 'b', runs_build_backend: null }), undefined);
    assert.equal(buildCodeQuestion('create', { name: 'c' }), undefined);
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
