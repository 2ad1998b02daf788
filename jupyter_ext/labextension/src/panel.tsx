/**
 * The "Environments" sidebar: the project of the active notebook, or the projects of the
 * file browser's current folder, with their status, env files, kernel, actions and
 * running job or last failure.
 */
import { ReactWidget, UseSignal, refreshIcon } from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import * as React from 'react';

import { environmentsIcon } from './icon';
import {
  actionStates,
  driftSummary,
  errorFilePath,
  formatError,
  guiText,
  isRunning,
  parsePackageInput,
  progressPercent,
  projectFilePath,
  projectFolder,
  statusClass
} from './logic';
import type { EnvironmentsModel } from './model';
import type { EnvAction, IJob, IProject } from './types';

/** What the panel needs from the application. */
export interface IPanelActions {
  /** Open a file given its path relative to the server root. */
  openFile(path: string): void;
  /** Ask before deleting an env; resolves true to go ahead. */
  confirmRemove(project: IProject): Promise<boolean>;
  /** Called each time the panel becomes visible. */
  onShow?(): void;
}

const ACTIONS: { action: EnvAction; label: string; title: string }[] = [
  { action: 'create', label: 'Create', title: 'Build the env and register its kernel' },
  { action: 'lock', label: 'Lock', title: 'Write the lock file with exact pins' },
  { action: 'rebuild', label: 'Rebuild', title: 'Recreate the env exactly from the lock' },
  { action: 'purge', label: 'Remove', title: 'Delete the env and unregister its kernel (kernelenv purge)' }
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
  const notebook = model.notebook;
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
      {notebook === null ? (
        <div className="kernelenv-folder" title="The file browser's current folder">
          {folder}
        </div>
      ) : (
        <div className="kernelenv-folder kernelenv-folder-notebook" title="The project of the active notebook">
          Project of {notebook.split('/').pop()}
        </div>
      )}
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
  const lastFailure = project.status.last_failure ?? null;
  const onAction = async (action: EnvAction) => {
    if (action === 'purge' && !(await actions.confirmRemove(project))) {
      return;
    }
    await model.run(project.path, action).catch(() => undefined);
  };
  return (
    <section className="kernelenv-project" data-project-path={project.path} data-status={status}>
      <div className="kernelenv-project-head">
        <span className="kernelenv-project-title">
          <span className="kernelenv-project-name" title={project.root}>
            {project.name}
          </span>
          <span className="kernelenv-project-folder" title={project.root}>
            {projectFolder(project)}
          </span>
        </span>
        <span
          className={`kernelenv-status ${statusClass(status)}`}
          data-status={status}
          title={guiText(project.status.reason)}
        >
          {status}
        </span>
      </div>
      {!running && <div className="kernelenv-reason">{guiText(project.status.reason)}</div>}
      {!running && lastFailure && !(job && job.state === 'failed') && (
        <div className="kernelenv-error kernelenv-last-failure" data-action={lastFailure.action}>
          Last {lastFailure.action} failed: {guiText(formatError(lastFailure.error, project.root))}
        </div>
      )}
      <dl className="kernelenv-facts">
        <dt>Backend</dt>
        <dd className="kernelenv-backend">
          <details className="kernelenv-why-fold">
            <summary>
              {project.backend} ({project.env_kind})
            </summary>
            <div className="kernelenv-why">{project.backend_reason}</div>
            {project.ambiguity && <div className="kernelenv-why">{project.ambiguity}</div>}
          </details>
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
      {!running && project.status.status === 'drifted' && (
        <div className="kernelenv-drift" data-drift="true">
          <span className="kernelenv-drift-text">Changed by hand: {driftSummary(project.status)}</span>
          <button
            className="jp-Button jp-mod-styled jp-mod-accept kernelenv-action"
            data-action="record"
            title="Write the packages installed by hand into the spec as pins, re-lock, rebuild (kernelenv record)"
            onClick={() => void model.run(project.path, 'record').catch(() => undefined)}
          >
            Record
          </button>
          <button
            className="jp-Button jp-mod-styled jp-mod-reject kernelenv-action"
            data-action="revert"
            title="Rebuild the env from the lock, dropping what was installed by hand (kernelenv rebuild)"
            onClick={() => void model.run(project.path, 'rebuild').catch(() => undefined)}
          >
            Revert
          </button>
        </div>
      )}
      {project.status.status !== 'missing' && <PackagesView project={project} model={model} busy={running} />}
      {project.status.status !== 'missing' && <HistoryView project={project} model={model} busy={running} />}
      {project.errors.map((error, i) => {
        const file = error.path ? errorFilePath(project, error.path) : null;
        const text = guiText(formatError(error, project.root));
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
      {project.runs_build_backend && (
        <div className="kernelenv-warning kernelenv-runs-code" title="Create, Lock and Rebuild ask first">
          Runs code from this folder: {project.runs_build_backend}
        </div>
      )}
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
              action === 'purge' ? 'jp-mod-warn' : action === 'create' ? 'jp-mod-accept' : 'jp-mod-reject'
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
        <div className="kernelenv-error kernelenv-job-error">{guiText(formatError(job.error, project.root))}</div>
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

/**
 * The card's package list (fetched when first opened): name, version, how installed, a
 * remove action per package, and an Add field taking requirements (`pandas>=2 seaborn`).
 */
function PackagesView(props: { project: IProject; model: EnvironmentsModel; busy: boolean }): JSX.Element {
  const { project, model, busy } = props;
  const [text, setText] = React.useState('');
  const list = model.packagesOf(project.path);
  const add = () => {
    const packages = parsePackageInput(text);
    if (packages.length) {
      setText('');
      void model.run(project.path, 'add', { packages }).catch(() => undefined);
    }
  };
  return (
    <details
      className="kernelenv-packages"
      onToggle={event => {
        if ((event.currentTarget as HTMLDetailsElement).open && !list) {
          void model.loadPackages(project.path);
        }
      }}
    >
      <summary>Packages{list ? ` (${list.packages.length})` : ''}</summary>
      <form
        className="kernelenv-add"
        onSubmit={event => {
          event.preventDefault();
          add();
        }}
      >
        <input
          className="jp-mod-styled kernelenv-add-input"
          placeholder="Add packages, e.g. pandas>=2 seaborn"
          aria-label="Packages to add"
          value={text}
          disabled={busy}
          onChange={event => setText(event.currentTarget.value)}
        />
        <button className="jp-Button jp-mod-styled jp-mod-accept" data-action="add" disabled={busy || !text.trim()}>
          Add
        </button>
      </form>
      {list === null ? (
        <div className="kernelenv-empty">Loading…</div>
      ) : (
        <table className="kernelenv-package-table">
          <tbody>
            {list.packages.map(p => (
              <tr key={p.name} data-package={p.name} data-how={p.how} data-declared={p.declared ? 'true' : 'false'}>
                <td className={`kernelenv-package-name${p.declared ? ' kernelenv-declared' : ''}`}>{p.name}</td>
                <td className="kernelenv-package-version">{p.version}</td>
                <td className="kernelenv-package-how" title={p.how === 'hand' ? 'installed by hand' : `from the ${p.how}`}>
                  {p.how === 'hand' ? 'by hand' : p.how}
                </td>
                <td>
                  {p.declared !== false && (
                    <button
                      className="kernelenv-link"
                      data-action="remove-package"
                      title={`Remove ${p.name} from the spec and the env`}
                      disabled={busy}
                      onClick={() =>
                        void model.run(project.path, 'remove', { packages: [p.name] }).catch(() => undefined)
                      }
                    >
                      ×
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </details>
  );
}

/**
 * The card's History list (fetched when first opened): the builds kept, newest first, what
 * changed in each, and a Rollback button on each earlier build that can be made live again.
 */
function HistoryView(props: { project: IProject; model: EnvironmentsModel; busy: boolean }): JSX.Element {
  const { project, model, busy } = props;
  const history = model.historyOf(project.path);
  const [pending, setPending] = React.useState(false);
  const builds = history ? [...history.builds].reverse() : [];
  return (
    <details
      className="kernelenv-history"
      onToggle={event => {
        if ((event.currentTarget as HTMLDetailsElement).open && !history) {
          void model.loadHistory(project.path);
        }
      }}
    >
      <summary>History{history ? ` (${history.builds.length})` : ''}</summary>
      {history === null ? (
        <div className="kernelenv-empty">Loading…</div>
      ) : (
        <ul className="kernelenv-build-list">
          {builds.map(b => (
            <li key={b.id} className="kernelenv-build" data-build={b.id} data-live={b.live ? 'true' : 'false'}>
              <div className="kernelenv-build-head">
                <span className="kernelenv-build-when" title={b.id}>
                  {b.created ?? b.id}
                </span>{' '}
                <span className="kernelenv-build-why">{b.reason ?? ''}</span>
                {b.live && <span className="kernelenv-build-live"> (live)</span>}
                {!b.live && !b.error && b.env_exists && (
                  <button
                    className="kernelenv-link"
                    data-action="rollback"
                    title="Make this build live again: no download, the kernel name stays"
                    disabled={busy || pending}
                    onClick={() => {
                      setPending(true);
                      void model.rollback(project.path, b.id).finally(() => setPending(false));
                    }}
                  >
                    Rollback
                  </button>
                )}
              </div>
              {b.error ? (
                <div className="kernelenv-error">{b.error}</div>
              ) : (
                b.changes.map((c, i) => (
                  <div key={i} className="kernelenv-build-change">
                    {c}
                  </div>
                ))
              )}
            </li>
          ))}
        </ul>
      )}
    </details>
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
