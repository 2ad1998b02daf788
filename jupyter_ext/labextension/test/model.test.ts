/**
 * EnvironmentsModel against an in-memory stand-in of the REST API.
 *
 * The stand-in replaces the server only because a unit test runs in Node without
 * one; the real server and the same model meet in tests/browser (real JupyterLab,
 * real Chromium).
 */
import { describe, expect, it } from 'vitest';

import { isRunning } from '../src/logic';
import { DeclinedError, EnvironmentsModel, type INotifier } from '../src/model';
import type {
  IHistory,
  IJob,
  IKernelenvClient,
  IPackageList,
  IProject,
  IProjectList,
  IResolveResult,
  IRollbackResult,
  JobAction
} from '../src/types';
import { job, project, status } from './fixtures';

class Notes implements INotifier {
  readonly seen: string[] = [];
  success(m: string) {
    this.seen.push(`success: ${m}`);
  }
  info(m: string) {
    this.seen.push(`info: ${m}`);
  }
  error(m: string) {
    this.seen.push(`error: ${m}`);
  }
}

/** Serves a project list and plays back a scripted sequence of job states. */
class ScriptedServer implements IKernelenvClient {
  projects: IProject[] = [project()];
  script: IJob[] = [];
  running: IJob | null = null;
  started: { path: string; action: JobAction; body?: Record<string, unknown> }[] = [];
  packageCalls: string[] = [];
  packages: IPackageList = {
    packages: [{ name: 'six', version: '1.16.0', how: 'lock' }],
    status: status('ready')
  };
  cancelled: string[] = [];
  listCalls: string[] = [];

  async listProjects(dir: string): Promise<IProjectList> {
    this.listCalls.push(dir);
    return { root: dir, projects: this.projects };
  }
  async startJob(path: string, action: JobAction, body: Record<string, unknown> = {}) {
    if (this.running && this.running.state === 'running') {
      return { job: this.running, conflict: true };
    }
    this.started.push(Object.keys(body).length ? { path, action, body } : { path, action });
    this.running = this.script.shift()!;
    return { job: this.running, conflict: false };
  }
  async getJob(id: string): Promise<IJob> {
    if (this.script.length) {
      this.running = this.script.shift()!;
    }
    expect(id).toBe(this.running!.id);
    return this.running!;
  }
  async cancelJob(id: string): Promise<void> {
    this.cancelled.push(id);
  }
  async listPackages(path: string): Promise<IPackageList> {
    this.packageCalls.push(path);
    return this.packages;
  }
  historyData: IHistory = {
    keep: 3,
    live: 'b2',
    builds: [
      { id: 'b1', live: false, env_exists: true, created: '2025-01-01T10:00:00Z', reason: 'create',
        python_version: '3.11.7', lock: 'pylock.toml', packages: 30, changes: [], freed_bytes: 1, error: null },
      { id: 'b2', live: true, env_exists: true, created: '2025-01-02T10:00:00Z', reason: 'add attrs',
        python_version: '3.11.7', lock: 'pylock.toml', packages: 31, changes: ['+attrs 24.2.0'], freed_bytes: 1,
        error: null }
    ]
  };
  rolledBack: { path: string; build?: string }[] = [];
  rollbackError: Error | null = null;
  async history(_path: string): Promise<IHistory> {
    return this.historyData;
  }
  async rollback(path: string, build?: string): Promise<IRollbackResult> {
    if (this.rollbackError) {
      throw this.rollbackError;
    }
    this.rolledBack.push({ path, build });
    return { build: build!, previous: 'b2', lock_restored: 'pylock.toml', lock_unchanged: false,
             changes: ['-attrs 24.2.0'], seconds: 0.004, kernel_name: 'proj' };
  }
  async resolve(_path: string): Promise<IResolveResult> {
    return { project: null, kernel_name: null, python: null, status: null };
  }
}

function setup() {
  const server = new ScriptedServer();
  const notes = new Notes();
  const model = new EnvironmentsModel({ client: server, notifier: notes, pollInterval: 1 });
  return { server, notes, model };
}

describe('EnvironmentsModel', () => {
  it('lists the projects of the folder it follows', async () => {
    const { server, model } = setup();
    await model.setFolder('/examples/');
    expect(model.folder).toBe('examples');
    expect(server.listCalls).toEqual(['examples']);
    expect(model.projects.map(p => p.name)).toEqual(['proj']);
  });

  it("shows the active notebook's project wherever the notebook sits in it, then the folder again", async () => {
    const { server, model } = setup();
    const nested = project({ name: 'inner', path: 'proj/sub' });
    server.projects = [project(), nested];
    const asked: string[] = [];
    server.resolve = async (path: string) => {
      asked.push(path);
      return { project: project(), kernel_name: 'kernelenv-proj-1a2b3c', python: null, status: status('missing') };
    };
    await model.setNotebook('proj/notebooks/analysis.ipynb');
    expect(asked).toEqual(['proj/notebooks/analysis.ipynb']);
    expect(model.notebook).toBe('proj/notebooks/analysis.ipynb');
    expect(server.listCalls).toEqual(['proj']);
    expect(model.projects.map(p => p.path)).toEqual(['proj']); // not the project nested in it
    // Browsing a folder leaves the notebook's project.
    await model.setFolder('proj');
    expect(model.notebook).toBeNull();
    expect(model.projects.map(p => p.path)).toEqual(['proj', 'proj/sub']);
  });

  it('follows the folder of a notebook that is in no project', async () => {
    const { server, model } = setup();
    await model.setNotebook('scratch/notes.ipynb');
    expect(model.notebook).toBeNull();
    expect(model.folder).toBe('scratch');
    expect(server.listCalls).toEqual(['scratch']);
  });

  it('fetches the same folder again only when asked to (the panel was shown again)', async () => {
    const { server, model } = setup();
    await model.setFolder('a');
    await model.setFolder('a/');
    expect(server.listCalls).toEqual(['a']);
    await model.setFolder('a', true);
    expect(server.listCalls).toEqual(['a', 'a']);
  });

  it('follows a create job through its progress to success and refreshes the list', async () => {
    const { server, notes, model } = setup();
    await model.setFolder('');
    server.script = [
      job({ progress: { step: 'resolve', fraction: null, message: '' } }),
      job({ progress: { step: 'install', fraction: 0.5, message: '' } }),
      job({ state: 'succeeded', progress: { step: 'done', fraction: 1, message: '' } })
    ];
    const seenSteps: string[] = [];
    model.changed.connect(() => {
      const j = model.jobFor('proj');
      if (j && !seenSteps.includes(j.progress.step)) {
        seenSteps.push(j.progress.step);
      }
    });
    server.projects = [project({ status: status('ready') })];
    const ended = await model.run('proj', 'create');
    expect(ended.state).toBe('succeeded');
    expect(server.started).toEqual([{ path: 'proj', action: 'create' }]);
    expect(seenSteps).toEqual(['resolve', 'install', 'done']);
    expect(notes.seen).toEqual(['success: Environment of proj created.']);
    expect(model.projects[0].status.status).toBe('ready');
  });

  it('shows building until the new status arrives, never the old status in between', async () => {
    const { server, model } = setup();
    await model.setFolder('');
    server.script = [job(), job(), job({ state: 'succeeded' })];
    const shown: string[] = [];
    model.changed.connect(() => {
      const p = model.projects[0];
      const s = isRunning(model.jobFor('proj')) ? 'building' : p?.status.status;
      if (s && shown[shown.length - 1] !== s) {
        shown.push(s);
      }
    });
    server.projects = [project({ status: status('ready') })];
    await model.run('proj', 'create');
    expect(shown).toEqual(['building', 'ready']);
  });

  it('ends the watch of a job the server forgot, re-enabling the buttons', async () => {
    const { server, notes, model } = setup();
    server.script = [job()];
    server.getJob = async () => {
      throw Object.assign(new Error('No job'), { status: 404 });
    };
    const ended = await model.run('proj', 'create');
    expect(ended.state).toBe('failed');
    expect(isRunning(model.jobFor('proj'))).toBe(false);
    expect(notes.seen[0]).toMatch(/^error: proj: create failed: The server no longer knows this job/);
  });

  it('reports a failure with the env file and line', async () => {
    const { server, notes, model } = setup();
    server.script = [
      job({ action: 'lock' }),
      job({
        action: 'lock',
        state: 'failed',
        project: '/srv/root/proj',
        error: {
          code: 'invalid-requirement',
          message: '/srv/root/proj/requirements.txt:7:1: Invalid requirement',
          path: '/srv/root/proj/requirements.txt',
          line: 7,
          column: 1
        }
      })
    ];
    const ended = await model.run('proj', 'lock');
    expect(ended.state).toBe('failed');
    expect(notes.seen).toEqual(['error: proj: lock failed: requirements.txt:7:1: Invalid requirement']);
    expect(model.jobFor('proj')?.state).toBe('failed');
  });

  it('follows the already running job when the server answers 409', async () => {
    const { server, notes, model } = setup();
    server.running = job({ id: 'feed', action: 'rebuild' });
    server.script = [job({ id: 'feed', action: 'rebuild', state: 'succeeded' })];
    const ended = await model.run('proj', 'create');
    expect(server.started).toEqual([]);
    expect(ended.id).toBe('feed');
    expect(notes.seen[0]).toMatch(/^info: Another job \(rebuild\) is already running/);
    expect(notes.seen[1]).toBe('success: Environment of proj rebuilt.');
  });

  it('picks up a job the listing reports as running and cancels it on request', async () => {
    const { server, notes, model } = setup();
    server.projects = [project({ status: status('building'), job: 'abc123' })];
    server.running = job();
    server.script = [job(), job(), job({ state: 'cancelled' })];
    const ended = new Promise<IJob>(resolve => model.jobFinished.connect((_, j) => resolve(j)));
    await model.setFolder('');
    expect(model.jobFor('proj')?.state).toBe('running');
    await model.cancel('proj');
    expect(server.cancelled).toEqual(['abc123']);
    expect((await ended).state).toBe('cancelled');
    expect(notes.seen).toEqual([
      'info: proj: create cancelled; the previous environment is unchanged.'
    ]);
  });

  it('shows the log only when asked', () => {
    const { model } = setup();
    expect(model.logVisible('proj')).toBe(false);
    model.toggleLog('proj');
    expect(model.logVisible('proj')).toBe(true);
    model.toggleLog('proj');
    expect(model.logVisible('proj')).toBe(false);
  });
});

describe('actions that run a build backend', () => {
  /** The server's answer when create/lock/rebuild would run the project's code unconfirmed. */
  class GuardedServer extends ScriptedServer {
    bodies: Record<string, unknown>[] = [];
    async startJob(path: string, action: JobAction, body: Record<string, unknown> = {}) {
      this.bodies.push(body);
      if (!body.confirm_build_backend) {
        // what KernelenvApiError carries: the HTTP status and the JSON body
        throw Object.assign(new Error('create will run code'), {
          status: 409,
          body: { code: 'confirm-build-backend', runs_build_backend: 'requirements.txt:1: -e . builds that folder' }
        });
      }
      return super.startJob(path, action);
    }
  }

  function guarded(answer: boolean) {
    const server = new GuardedServer();
    const notes = new Notes();
    const asked: string[] = [];
    const model = new EnvironmentsModel({
      client: server,
      notifier: notes,
      pollInterval: 1,
      confirmBuildBackend: async (path, action, reason) => {
        asked.push(`${action} ${path}: ${reason}`);
        return answer;
      }
    });
    return { server, notes, model, asked };
  }

  it('asks the user with the reason, then sends the confirmation', async () => {
    const { server, model, asked } = guarded(true);
    server.script = [job({ state: 'running' }), job({ state: 'succeeded' })];
    const done = await model.run('proj', 'create');
    expect(asked).toEqual(['create proj: requirements.txt:1: -e . builds that folder']);
    expect(server.bodies).toEqual([{}, { confirm_build_backend: true }]);
    expect(done.state).toBe('succeeded');
  });

  it('starts nothing when the user declines, and says so without an error', async () => {
    const { server, model, notes } = guarded(false);
    await expect(model.run('proj', 'lock')).rejects.toBeInstanceOf(DeclinedError);
    expect(server.bodies).toEqual([{}]);
    expect(server.started).toEqual([]);
    expect(notes.seen).toEqual(['info: Did not lock proj: it would run code from the project.']);
  });

  it('never confirms on its own when no dialog is wired', async () => {
    const server = new GuardedServer();
    const model = new EnvironmentsModel({ client: server, notifier: new Notes(), pollInterval: 1 });
    await expect(model.run('proj', 'rebuild')).rejects.toBeInstanceOf(DeclinedError);
    expect(server.bodies).toEqual([{}]);
  });
});

describe('packages', () => {
  it('sends add with its packages, and lists the packages again when the job ends', async () => {
    const { server, model, notes } = setup();
    await model.loadPackages('proj');
    expect(model.packagesOf('proj')?.packages.map(p => p.name)).toEqual(['six']);
    server.packages = {
      packages: [
        { name: 'idna', version: '3.7', how: 'lock' },
        { name: 'six', version: '1.16.0', how: 'lock' }
      ],
      status: status('ready')
    };
    server.script = [job({ action: 'add', state: 'running' }), job({ action: 'add', state: 'succeeded' })];
    const done = await model.run('proj', 'add', { packages: ['idna==3.7'] });
    expect(done.state).toBe('succeeded');
    expect(server.started).toEqual([{ path: 'proj', action: 'add', body: { packages: ['idna==3.7'] } }]);
    expect(server.packageCalls).toEqual(['proj', 'proj']);
    expect(model.packagesOf('proj')?.packages.map(p => p.name)).toEqual(['idna', 'six']);
    expect(notes.seen).toContain('success: Environment of proj updated.');
  });

  it('does not fetch packages of a card whose list was never opened', async () => {
    const { server, model } = setup();
    server.script = [job({ action: 'record', state: 'running' }), job({ action: 'record', state: 'succeeded' })];
    await model.run('proj', 'record');
    expect(server.packageCalls).toEqual([]);
    expect(model.packagesOf('proj')).toBeNull();
  });

  it('keeps the packages when the confirmation is needed', async () => {
    const server = new ScriptedServer();
    const bodies: Record<string, unknown>[] = [];
    const startJob = server.startJob.bind(server);
    server.startJob = async (path, action, body = {}) => {
      bodies.push(body);
      if (!body.confirm_build_backend) {
        throw Object.assign(new Error('add will run code'), {
          status: 409,
          body: { code: 'confirm-build-backend', runs_build_backend: 'pyproject.toml: dynamic metadata' }
        });
      }
      return startJob(path, action, body);
    };
    const model = new EnvironmentsModel({
      client: server,
      notifier: new Notes(),
      pollInterval: 1,
      confirmBuildBackend: async () => true
    });
    server.script = [job({ action: 'add', state: 'succeeded' })];
    await model.run('proj', 'add', { packages: ['six'] });
    expect(bodies).toEqual([{ packages: ['six'] }, { packages: ['six'], confirm_build_backend: true }]);
  });

  it('lists the builds and rolls back to one, then refreshes status and history', async () => {
    const { server, notes, model } = setup();
    await model.setFolder('');
    await model.loadHistory('proj');
    expect(model.historyOf('proj')?.builds.map(b => b.id)).toEqual(['b1', 'b2']);
    const calls = server.listCalls.length;
    expect(await model.rollback('proj', 'b1')).toBe(true);
    expect(server.rolledBack).toEqual([{ path: 'proj', build: 'b1' }]);
    expect(server.listCalls.length).toBe(calls + 1);
    expect(notes.seen.at(-1)).toBe(
      'success: proj: build from 2025-01-01T10:00:00Z is live again; kernel proj unchanged, restart open ' +
        'notebooks. pylock.toml restored. -attrs 24.2.0.'
    );
  });

  it('reports a refused rollback (busy, deleted build) and keeps the list', async () => {
    const { server, notes, model } = setup();
    await model.loadHistory('proj');
    server.rollbackError = new Error('proj is busy: a `rebuild` is running on it.');
    expect(await model.rollback('proj', 'b1')).toBe(false);
    expect(notes.seen).toContain('error: Could not roll back proj: proj is busy: a `rebuild` is running on it.');
    expect(model.historyOf('proj')).not.toBeNull();
  });
});
