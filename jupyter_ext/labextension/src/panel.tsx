/**
 * The "Environments" sidebar: the projects of the file browser's current folder with
 * their status, env files, kernel, actions and running job.
 */
import { ReactWidget, UseSignal, refreshIcon } from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import * as React from 'react';

import { environmentsIcon } from './icon';
import {
  actionStates,
  errorFilePath,
  formatError,
  isRunning,
  progressPercent,
  projectFilePath,
  statusClass
} from './logic';
import type { EnvironmentsModel } from './model';
import type { IJob, IProject, JobAction } from './types';

/** What the panel needs from the application. */
export interface IPanelActions {
  /** Open a file given its path relative to the server root. */
  openFile(path: string): void;
  /** Ask before deleting an env; resolves true to go ahead. */
  confirmRemove(project: IProject): Promise<boolean>;
  /** Called each time the panel becomes visible. */
  onShow?(): void;
}

const ACTIONS: { action: JobAction; label: string; title: string }[] = [
  { action: 'create', label: 'Create', title: 'Build the env and register its kernel' },
  { action: 'lock', label: 'Lock', title: 'Write the lock file with exact pins' },
  { action: 'rebuild', label: 'Rebuild', title: 'Recreate the env exactly from the lock' },
  { action: 'remove', label: 'Remove', title: 'Delete the env and unregister its kernel' }
];

/** The sidebar widget. */
export class EnvironmentsPanel extends ReactWidget {
  constructor(
    readonly model: EnvironmentsModel,
    private readonly actions: IPanelActions
  ) {
    super();
    this.id = 'kernelenv-environments';
    this.addClass('kernelenv-panel');
    this.title.icon = environmentsIcon;
    this.title.caption = 'Environments';
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.actions.onShow?.();
  }

  protected render(): JSX.Element {
    return (
      <UseSignal signal={this.model.changed}>
        {() => <PanelBody model={this.model} actions={this.actions} />}
      </UseSignal>
    );
  }
}

function PanelBody(props: { model: EnvironmentsModel; actions: IPanelActions }): JSX.Element {
  const { model, actions } = props;
  const folder = model.folder === '' ? '/' : `/${model.folder}`;
  return (
    <div className="kernelenv-body">
      <header className="kernelenv-header">
        <h2 className="kernelenv-title">Environments</h2>
        <button
          className="kernelenv-icon-button"
          title="Refresh"
          aria-label="Refresh"
          onClick={() => void model.refresh()}
        >
          <refreshIcon.react tag="span" />
        </button>
      </header>
      <div className="kernelenv-folder" title="The file browser's current folder">
        {folder}
      </div>
      {model.loadError && <div className="kernelenv-error">{model.loadError}</div>}
      {!model.loadError && model.projects.length === 0 && (
        <div className="kernelenv-empty">
          {model.loading ? 'Looking for environment files…' : 'No environment files in this folder.'}
        </div>
      )}
      {model.projects.map(project => (
        <ProjectCard
          key={project.path}
          project={project}
          job={model.jobFor(project.path)}
          model={model}
          actions={actions}
        />
      ))}
    </div>
  );
}

function ProjectCard(props: {
  project: IProject;
  job: IJob | null;
  model: EnvironmentsModel;
  actions: IPanelActions;
}): JSX.Element {
  const { project, job, model, actions } = props;
  const running = isRunning(job);
  const status = running ? 'building' : project.status.status;
  const enabled = actionStates(project, job);
  const onAction = async (action: JobAction) => {
    if (action === 'remove' && !(await actions.confirmRemove(project))) {
      return;
    }
    await model.run(project.path, action).catch(() => undefined);
  };
  return (
    <section className="kernelenv-project" data-project-path={project.path} data-status={status}>
      <div className="kernelenv-project-head">
        <span className="kernelenv-project-name" title={project.root}>
          {project.name}
        </span>
        <span
          className={`kernelenv-status ${statusClass(status)}`}
          data-status={status}
          title={project.status.reason}
        >
          {status}
        </span>
      </div>
      {!running && <div className="kernelenv-reason">{project.status.reason}</div>}
      <dl className="kernelenv-facts">
        <dt>Backend</dt>
        <dd className="kernelenv-backend">
          {project.backend} ({project.env_kind})
          <div className="kernelenv-why">{project.backend_reason}</div>
          {project.ambiguity && <div className="kernelenv-why">{project.ambiguity}</div>}
        </dd>
        <dt>Python</dt>
        <dd className="kernelenv-python">{pythonText(project)}</dd>
        <dt>Kernel</dt>
        <dd className="kernelenv-kernel">
          <code>{project.status.kernel_name ?? project.kernel_name}</code>
        </dd>
        <dt>Files</dt>
        <dd>
          <ul className="kernelenv-files">
            {project.files.map(file => (
              <li key={file.path}>
                <a
                  href="#"
                  className="kernelenv-file"
                  title={`${file.kind} (${file.role}): open`}
                  onClick={event => {
                    event.preventDefault();
                    actions.openFile(projectFilePath(project, file.path));
                  }}
                >
                  {file.path}
                </a>{' '}
                <span className="kernelenv-role">{file.role}</span>
              </li>
            ))}
          </ul>
        </dd>
      </dl>
      {project.errors.map((error, i) => {
        const file = error.path ? errorFilePath(project, error.path) : null;
        const text = formatError(error, project.root);
        return (
          <div key={`e${i}`} className="kernelenv-error">
            {file ? (
              <a
                href="#"
                title={`Open ${file}`}
                onClick={event => {
                  event.preventDefault();
                  actions.openFile(file);
                }}
              >
                {text}
              </a>
            ) : (
              text
            )}
          </div>
        );
      })}
      {project.warnings.map((warning, i) => (
        <div key={`w${i}`} className="kernelenv-warning">
          {warning}
        </div>
      ))}
      <div className="kernelenv-actions">
        {ACTIONS.map(({ action, label, title }) => (
          <button
            key={action}
            className={`jp-Button jp-mod-styled kernelenv-action ${
              action === 'remove' ? 'jp-mod-warn' : action === 'create' ? 'jp-mod-accept' : 'jp-mod-reject'
            }`}
            data-action={action}
            title={title}
            disabled={!enabled[action]}
            onClick={() => void onAction(action)}
          >
            {label}
          </button>
        ))}
      </div>
      {job && <JobView job={job} project={project} model={model} />}
    </section>
  );
}

function JobView(props: { job: IJob; project: IProject; model: EnvironmentsModel }): JSX.Element {
  const { job, project, model } = props;
  const running = isRunning(job);
  const percent = progressPercent(job);
  const showLog = model.logVisible(project.path);
  return (
    <div className={`kernelenv-job kernelenv-job-${job.state}`} data-job-state={job.state}>
      {running && (
        <div className="kernelenv-progress">
          <progress max={100} value={percent ?? undefined} />
          <span className="kernelenv-step">
            {job.action}: {job.progress?.step || 'starting'}
            {percent !== null ? ` ${percent}%` : ''}
            {job.progress?.message ? ` — ${job.progress.message}` : ''}
          </span>
        </div>
      )}
      {!running && job.state === 'failed' && (
        <div className="kernelenv-error kernelenv-job-error">{formatError(job.error, project.root)}</div>
      )}
      <div className="kernelenv-job-buttons">
        <button className="kernelenv-link" data-action="log" onClick={() => model.toggleLog(project.path)}>
          {showLog ? 'Hide log' : 'Show log'}
        </button>
        {running && (
          <button className="kernelenv-link" data-action="cancel" onClick={() => void model.cancel(project.path)}>
            Cancel
          </button>
        )}
      </div>
      {showLog && <pre className="kernelenv-log">{(job.log ?? []).join('\n') || '(no output yet)'}</pre>}
    </div>
  );
}

function pythonText(project: IProject): string {
  const parts: string[] = [];
  if (project.status.python_version) {
    parts.push(project.status.python_version);
  }
  if (project.python) {
    parts.push(`asks ${project.python.raw} (${project.python.source})`);
  }
  return parts.length ? parts.join(' — ') : 'any';
}
