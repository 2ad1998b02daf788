/**
 * The REST client: `IKernelenvClient` over Jupyter's `ServerConnection`, which adds
 * the token and the XSRF header the server extension requires.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import type {
  IHistory,
  IJob,
  IKernelenvClient,
  IPackageList,
  IProjectList,
  IResolveResult,
  IRollbackResult,
  JobAction
} from './types';
import { actionUrl, historyUrl, jobUrl, packagesUrl, projectsUrl, resolveUrl } from './urls';

/** A non-2xx answer; `message` is the server's own `message` when it sent one. */
export class KernelenvApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: unknown
  ) {
    super(message);
    this.name = 'KernelenvApiError';
  }
}

/** Talks to `/kernelenv/api/` on the server `settings` points at. */
export class KernelenvClient implements IKernelenvClient {
  constructor(
    private readonly settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {}

  listProjects(dir: string): Promise<IProjectList> {
    return this.request<IProjectList>(projectsUrl(dir));
  }

  async startJob(
    projectPath: string,
    action: JobAction,
    body: Record<string, unknown> = {}
  ): Promise<{ job: IJob; conflict: boolean }> {
    try {
      const job = await this.request<IJob>(actionUrl(projectPath, action), {
        method: 'POST',
        body: JSON.stringify(body)
      });
      return { job, conflict: false };
    } catch (err) {
      if (err instanceof KernelenvApiError && err.status === 409) {
        // Another job already runs on this project: follow that one.
        const running = (err.body as { job?: IJob | string } | null)?.job;
        if (running) {
          const job = typeof running === 'string' ? await this.getJob(running) : running;
          return { job, conflict: true };
        }
      }
      throw err;
    }
  }

  listPackages(projectPath: string): Promise<IPackageList> {
    return this.request<IPackageList>(packagesUrl(projectPath));
  }

  history(projectPath: string): Promise<IHistory> {
    return this.request<IHistory>(historyUrl(projectPath));
  }

  rollback(projectPath: string, build?: string): Promise<IRollbackResult> {
    return this.request<IRollbackResult>(historyUrl(projectPath, 'rollback'), {
      method: 'POST',
      body: JSON.stringify(build ? { build } : {})
    });
  }

  getJob(id: string): Promise<IJob> {
    return this.request<IJob>(jobUrl(id));
  }

  async cancelJob(id: string): Promise<void> {
    await this.request<unknown>(jobUrl(id), { method: 'DELETE' });
  }

  resolve(notebookPath: string): Promise<IResolveResult> {
    return this.request<IResolveResult>(resolveUrl(notebookPath));
  }

  private async request<T>(endPoint: string, init: RequestInit = {}): Promise<T> {
    const url = URLExt.join(this.settings.baseUrl, endPoint);
    let response: Response;
    try {
      response = await ServerConnection.makeRequest(url, init, this.settings);
    } catch (error) {
      throw new ServerConnection.NetworkError(error as TypeError);
    }
    const text = await response.text();
    let data: unknown = null;
    if (text.length > 0) {
      try {
        data = JSON.parse(text);
      } catch {
        data = text;
      }
    }
    if (!response.ok) {
      const message =
        (data as { message?: string } | null)?.message ??
        `${init.method ?? 'GET'} ${endPoint} failed: ${response.status} ${response.statusText}`;
      throw new KernelenvApiError(message, response.status, data);
    }
    return data as T;
  }
}
