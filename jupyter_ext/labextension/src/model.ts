/**
 * The panel's state: the folder it follows, its projects, and the jobs running on
 * them. Talks to the server through an `IKernelenvClient` and reports outcomes
 * through an `INotifier`, so it runs (and is unit-tested) without JupyterLab.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { actionDone, buildBackendReason, formatError, isRunning } from './logic';
import type { IHistory, IJob, IKernelenvClient, IPackageList, IProject, JobAction } from './types';
import { normalizeDir } from './urls';

/** Where outcomes go: JupyterLab notifications in the app, a list in tests. */
export interface INotifier {
  success(message: string): void;
  info(message: string): void;
  error(message: string): void;
}

/** Options of {@link EnvironmentsModel}. */
export interface IModelOptions {
  client: IKernelenvClient;
  notifier: INotifier;
  /** Milliseconds between two polls of a running job (default 750). */
  pollInterval?: number;
  /**
   * Ask the user whether to run an action that will run the project's build backend
   * (the server refused it until confirmed); resolves true to go ahead. Default: never.
   */
  confirmBuildBackend?: (projectPath: string, action: JobAction, reason: string) => Promise<boolean>;
}

/** The user declined an action that would run the project's build backend. */
export class DeclinedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeclinedError';
  }
}

/** What {@link EnvironmentsModel.run} resolves to once the job ended. */
export type JobOutcome = IJob;

/** State of the Environments panel. */
export class EnvironmentsModel {
  constructor(options: IModelOptions) {
    this._client = options.client;
    this._notifier = options.notifier;
    this._pollInterval = options.pollInterval ?? 750;
    this._confirm = options.confirmBuildBackend ?? (async () => false);
  }

  /** Emitted after any change of folder, projects, jobs or log visibility. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Emitted once per job that ended (succeeded, failed or cancelled). */
  get jobFinished(): ISignal<this, IJob> {
    return this._jobFinished;
  }

  /** The folder shown, relative to the server root (`""` is the root). */
  get folder(): string {
    return this._folder;
  }

  /**
   * The notebook whose project the panel shows (root-relative path), or null while it
   * follows the file browser's folder.
   */
  get notebook(): string | null {
    return this._notebook;
  }

  get projects(): readonly IProject[] {
    return this._projects;
  }

  /** True while the project list is being fetched. */
  get loading(): boolean {
    return this._loading;
  }

  /** The last error fetching the list, or null. */
  get loadError(): string | null {
    return this._loadError;
  }

  /** The latest known state of the job of a project (running or just ended), if any. */
  jobFor(projectPath: string): IJob | null {
    return this._jobs.get(projectPath) ?? null;
  }

  /** Whether the log of a project's job is unfolded. */
  logVisible(projectPath: string): boolean {
    return this._logOpen.has(projectPath);
  }

  toggleLog(projectPath: string): void {
    if (!this._logOpen.delete(projectPath)) {
      this._logOpen.add(projectPath);
    }
    this._changed.emit();
  }

  /**
   * Follow another folder and fetch its projects; the same folder again is only
   * fetched again when `refresh` is true (the panel became visible).
   */
  async setFolder(folder: string, refresh = false): Promise<void> {
    const dir = normalizeDir(folder);
    if (this._notebook !== null) {
      this._notebook = null;
      this._only = null;
      this._loaded = false;
    }
    if (dir === this._folder && this._loaded) {
      if (refresh) {
        await this.refresh();
      }
      return;
    }
    this._folder = dir;
    this._projects = [];
    this._changed.emit();
    await this.refresh();
  }

  /**
   * Show the project holding a notebook (the active one), wherever the notebook sits in it
   * (`proj/notebooks/a.ipynb` shows `proj`). Outside every project the panel follows the
   * notebook's folder instead.
   *
   * @param path - the notebook's path relative to the server root.
   */
  async setNotebook(path: string): Promise<void> {
    if (path === this._notebook && this._loaded) {
      return;
    }
    const generation = ++this._generation;
    let resolved: Awaited<ReturnType<IKernelenvClient['resolve']>> | null = null;
    try {
      resolved = await this._client.resolve(path);
    } catch {
      resolved = null; // an older server, or the notebook vanished: follow its folder
    }
    if (generation !== this._generation) {
      return;
    }
    const folder = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
    if (!resolved?.project) {
      await this.setFolder(folder);
      return;
    }
    this._notebook = path;
    this._only = resolved.project.path;
    this._folder = normalizeDir(resolved.project.path === '.' ? '' : resolved.project.path);
    this._projects = [];
    this._changed.emit();
    await this.refresh();
  }

  /**
   * Fetch the projects of the current folder again. Jobs the server reports as
   * running (started by another tab or the kernel offer) are followed.
   */
  async refresh(): Promise<void> {
    const folder = this._folder;
    const generation = ++this._generation;
    this._loading = true;
    this._changed.emit();
    try {
      const list = await this._client.listProjects(folder);
      if (generation !== this._generation) {
        return; // a newer refresh or folder change superseded this one
      }
      // Showing a notebook's project: that project only, not the ones nested in it.
      this._projects = this._only === null ? list.projects : list.projects.filter(p => p.path === this._only);
      this._loadError = null;
      this._loaded = true;
      for (const project of list.projects) {
        if (project.job && !isRunning(this._jobs.get(project.path))) {
          void this._follow(project.path, project.job);
        }
      }
    } catch (error) {
      if (generation === this._generation) {
        this._loadError = (error as Error).message;
        this._projects = [];
      }
    } finally {
      if (generation === this._generation) {
        this._loading = false;
        this._changed.emit();
      }
    }
  }

  /**
   * Start `action` on a project and follow it to its end.
   *
   * @returns the ended job; when a job already ran on the project, that job.
   */
  async run(projectPath: string, action: JobAction, body: Record<string, unknown> = {}): Promise<IJob> {
    const { job, conflict } = await this._start(projectPath, action, body).catch((error: Error) => {
      if (error instanceof DeclinedError) {
        this._notifier.info(error.message);
      } else {
        this._notifier.error(`Could not ${action} the environment: ${error.message}`);
      }
      throw error;
    });
    if (conflict) {
      this._notifier.info(
        `Another job (${job.action}) is already running on ${job.project_name || projectPath}; following it.`
      );
    }
    return this._follow(projectPath, job.id, job);
  }

  /** Start a job; when it will run the project's build backend, only once the user agreed. */
  private async _start(projectPath: string, action: JobAction, body: Record<string, unknown>) {
    try {
      return await this._client.startJob(projectPath, action, body);
    } catch (error) {
      const reason = buildBackendReason(error);
      if (reason === null) {
        throw error;
      }
      if (!(await this._confirm(projectPath, action, reason))) {
        throw new DeclinedError(`Did not ${action} ${projectPath}: it would run code from the project.`);
      }
      return this._client.startJob(projectPath, action, { ...body, confirm_build_backend: true });
    }
  }

  /** The installed packages of a project last fetched by {@link loadPackages}, or null. */
  packagesOf(projectPath: string): IPackageList | null {
    return this._packages.get(projectPath) ?? null;
  }

  /**
   * Fetch a project's installed packages (the card's package list); fetched again after
   * each job on the project ends.
   */
  async loadPackages(projectPath: string): Promise<void> {
    try {
      this._packages.set(projectPath, await this._client.listPackages(projectPath));
    } catch (error) {
      this._notifier.error(`Could not list the packages of ${projectPath}: ${(error as Error).message}`);
      this._packages.delete(projectPath);
    }
    this._changed.emit();
  }

  /** The builds of a project last fetched by {@link loadHistory}, or null. */
  historyOf(projectPath: string): IHistory | null {
    return this._history.get(projectPath) ?? null;
  }

  /** Fetch the builds kept for a project (the card's History list). */
  async loadHistory(projectPath: string): Promise<void> {
    try {
      this._history.set(projectPath, await this._client.history(projectPath));
    } catch (error) {
      this._notifier.error(`Could not list the builds of ${projectPath}: ${(error as Error).message}`);
      this._history.delete(projectPath);
    }
    this._changed.emit();
  }

  /**
   * Make an earlier build live again (no download: well under a second), then refresh the
   * project's status and history. Refused by the server while a job runs on the project.
   *
   * @returns whether the rollback happened.
   */
  async rollback(projectPath: string, build: string): Promise<boolean> {
    try {
      const res = await this._client.rollback(projectPath, build);
      const lock = res.lock_restored ? ` ${res.lock_restored} restored.` : '';
      const changes = res.changes.length ? ` ${res.changes.join(', ')}.` : '';
      this._notifier.success(
        `${projectPath}: build from ${this._history.get(projectPath)?.builds.find(b => b.id === build)?.created ?? build} ` +
          `is live again; kernel ${res.kernel_name ?? ''} unchanged, restart open notebooks.${lock}${changes}`
      );
      return true;
    } catch (error) {
      this._notifier.error(`Could not roll back ${projectPath}: ${(error as Error).message}`);
      return false;
    } finally {
      await this.refresh();
      await this.loadHistory(projectPath);
      if (this._packages.has(projectPath)) {
        await this.loadPackages(projectPath);
      }
    }
  }

  /** Ask the server to cancel the project's running job. */
  async cancel(projectPath: string): Promise<void> {
    const job = this._jobs.get(projectPath);
    if (!isRunning(job)) {
      return;
    }
    try {
      await this._client.cancelJob(job!.id);
    } catch (error) {
      this._notifier.error(`Could not cancel: ${(error as Error).message}`);
    }
  }

  /** Stop polling (the panel is disposed). */
  dispose(): void {
    this._disposed = true;
    Signal.clearData(this);
  }

  private _follow(projectPath: string, id: string, first?: IJob): Promise<IJob> {
    const existing = this._following.get(id);
    if (existing) {
      return existing;
    }
    const done = this._poll(projectPath, id, first).finally(() => this._following.delete(id));
    this._following.set(id, done);
    return done;
  }

  private async _poll(projectPath: string, id: string, first?: IJob): Promise<IJob> {
    let job = first ?? (await this._client.getJob(id));
    while (isRunning(job) && !this._disposed) {
      this._jobs.set(projectPath, job);
      this._changed.emit();
      await sleep(this._pollInterval);
      try {
        job = await this._client.getJob(id);
      } catch (error) {
        // A transient network error: keep polling; a vanished job ends the watch.
        if ((error as { status?: number }).status === 404) {
          job = {
            ...job,
            state: 'failed',
            error: { message: 'The server no longer knows this job (was it restarted?).' }
          };
        }
      }
    }
    // Fetch the new status while the card still shows the running job, so the badge
    // goes from "building" straight to the outcome (never back to the old status).
    await this.refresh();
    if (this._packages.has(projectPath)) {
      await this.loadPackages(projectPath);
    }
    if (this._history.has(projectPath)) {
      await this.loadHistory(projectPath);
    }
    this._jobs.set(projectPath, job);
    this._changed.emit();
    this._report(job);
    this._jobFinished.emit(job);
    return job;
  }

  private _report(job: IJob): void {
    const name = job.project_name || job.project;
    if (job.state === 'succeeded') {
      this._notifier.success(`Environment of ${name} ${actionDone(job.action)}.`);
    } else if (job.state === 'failed') {
      // `project` is the project's absolute folder (older servers: its root-relative path).
      const root = job.project.startsWith('/')
        ? job.project
        : this._projects.find(p => p.path === job.project)?.root;
      this._notifier.error(`${name}: ${job.action} failed: ${formatError(job.error, root)}`);
    } else if (job.state === 'cancelled') {
      this._notifier.info(`${name}: ${job.action} cancelled; the previous environment is unchanged.`);
    }
  }

  private _client: IKernelenvClient;
  private _notifier: INotifier;
  private readonly _confirm: NonNullable<IModelOptions['confirmBuildBackend']>;
  private _pollInterval: number;
  private _folder = '';
  private _notebook: string | null = null;
  private _only: string | null = null;
  private _projects: IProject[] = [];
  private _loaded = false;
  private _loading = false;
  private _loadError: string | null = null;
  private _generation = 0;
  private _disposed = false;
  private _jobs = new Map<string, IJob>();
  private _following = new Map<string, Promise<IJob>>();
  private _logOpen = new Set<string>();
  private _packages = new Map<string, IPackageList>();
  private _history = new Map<string, IHistory>();
  private _changed = new Signal<this, void>(this);
  private _jobFinished = new Signal<this, IJob>(this);
}

function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}
