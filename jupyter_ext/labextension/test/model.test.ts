/**
 * EnvironmentsModel against an in-memory stand-in of the REST API.
 *
 * The stand-in replaces the server only because a unit test runs in Node without
 * one; the real server and the same model meet in tests/browser (real JupyterLab,
 * real Chromium).
 */
import { describe, expect, it } from 'vitest';

import { isRunning } from '../src/logic';
import { EnvironmentsModel, type INotifier } from '../src/model';
import type { IJob, IKernelenvClient, IProject, IProjectList, JobAction } from '../src/types';
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
  started: { path: string; action: JobAction }[] = [];
  cancelled: string[] = [];
  listCalls: string[] = [];

  async listProjects(dir: string): Promise<IProjectList> {
    this.listCalls.push(dir);
    return { root: dir, projects: this.projects };
  }
  async startJob(path: string, action: JobAction) {
    if (this.running && this.running.state === 'running') {
      return { job: this.running, conflict: true };
    }
    this.started.push({ path, action });
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
  async resolve() {
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
