/**
 * The command palette commands (category "Kernelenv") and the action runner that
 * drives create/lock/rebuild/remove with progress notifications.
 */
import * as vscode from 'vscode';
import { Action, CLIENT_COMMANDS, SERVER_COMMANDS } from './constants';
import { HistoryResult, RollbackResult, rollbackItems, rollbackMessage } from './history';
import { kernelForNotebook, selectKernel } from './notebooks';
import { IncrementTracker, executeCommand, executeWithProgress } from './progress';
import { actionsFor, chooseProject, ProjectStore } from './projects';
import {
  actionOfServerCommand,
  buildCodeQuestion,
  errorMessage,
  JobResult,
  jobFromError,
  jobSummary,
  packageArguments,
  parsePackages,
  ProjectInfo,
  projectArguments,
  requiresTrust,
  serverCommandFor,
} from './protocol';
import { ServerManager } from './server';
import { activeFilePath, EnvStatusBar } from './statusBar';
import { statusText } from './status';

/** Labels of the actions in quick picks and messages. */
export const ACTION_LABELS: Record<Action | 'status', string> = {
  create: 'Create Environment',
  lock: 'Lock Environment',
  rebuild: 'Rebuild Environment',
  remove: 'Remove Environment',
  add: 'Add Package…',
  removePackage: 'Remove Package…',
  record: 'Record Hand Installs',
  status: 'Show Status',
};

/** What the commands work with. */
export interface CommandContext {
  server: ServerManager;
  store: ProjectStore;
  statusBar: EnvStatusBar;
  output: vscode.OutputChannel;
  /** Called after a job succeeded (e.g. to select the new kernel for the open notebook). */
  afterJob?: (job: JobResult) => void;
}

/** The root a command was given (`"/root"`, `{project: "/root"}`, or a Uri), if any. */
export function rootArgument(arg: unknown): string | undefined {
  if (typeof arg === 'string') {
    return arg;
  }
  if (arg instanceof vscode.Uri) {
    return arg.fsPath;
  }
  const p = (arg as { project?: unknown } | undefined)?.project;
  return typeof p === 'string' ? (p.startsWith('file:') ? vscode.Uri.parse(p).fsPath : p) : undefined;
}

/** Pick the project for a command: explicit argument, single project, or a quick pick. */
export async function pickProject(ctx: CommandContext, arg: unknown, placeHolder: string): Promise<ProjectInfo | undefined> {
  const file = activeFilePath();
  const activeRoot = file ? ctx.store.projectFor(file)?.root : undefined;
  const choice = chooseProject(ctx.store.all(), rootArgument(arg), activeRoot);
  if (choice.kind === 'use') {
    return choice.project;
  }
  if (choice.kind === 'none') {
    const why = ctx.server.running
      ? ctx.store.reported
        ? 'no kernelenv project was found in this workspace'
        : 'projects are still being detected'
      : 'the language server is not running';
    void vscode.window.showInformationMessage(`Kernelenv: ${why}.`);
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(choice.items, { placeHolder, matchOnDescription: true });
  return picked?.project;
}

function requireClient(ctx: CommandContext) {
  const client = ctx.server.running;
  if (!client) {
    void vscode.window.showErrorMessage('Kernelenv: the language server is not running.', 'Restart Server').then((p) => {
      if (p) {
        void vscode.commands.executeCommand(CLIENT_COMMANDS.restartServer);
      }
    });
  }
  return client;
}

/**
 * Run create/lock/rebuild/remove on a project with a cancellable progress notification
 * fed by the server's `$/progress`. Refused in an untrusted workspace for the actions
 * that run project code.
 *
 * @returns the finished job, or undefined when refused, not confirmed or the request failed.
 */
export async function runAction(
  ctx: CommandContext,
  action: Action,
  project: ProjectInfo,
  opts: { skipAfterJob?: boolean; packages?: string[] } = {},
): Promise<JobResult | undefined> {
  if ((action === 'add' || action === 'removePackage') && !opts.packages) {
    const packages = await askPackages(action, project);
    if (!packages) {
      return undefined;
    }
    opts = { ...opts, packages };
  }
  if (requiresTrust(action) && !vscode.workspace.isTrusted) {
    const code = project.runs_build_backend ? ` (here it runs code from the project: ${project.runs_build_backend})` : '';
    const pick = await vscode.window.showWarningMessage(
      `Kernelenv: "${ACTION_LABELS[action]}" runs the project's build tools, so it is disabled in an untrusted workspace${code}.`,
      'Manage Workspace Trust',
    );
    if (pick) {
      void vscode.commands.executeCommand('workbench.trust.manage');
    }
    return undefined;
  }
  const question = buildCodeQuestion(action, project);
  if (question) {
    const ok = await vscode.window.showWarningMessage(question, { modal: true }, 'Run');
    if (ok !== 'Run') {
      return undefined;
    }
  }
  if (action === 'remove') {
    const ok = await vscode.window.showWarningMessage(
      `Remove the environment of ${project.name} and unregister its kernel?`,
      { modal: true },
      'Remove',
    );
    if (ok !== 'Remove') {
      return undefined;
    }
  }
  const client = requireClient(ctx);
  if (!client) {
    return undefined;
  }
  const title = `Kernelenv: ${ACTION_LABELS[action]} (${project.name})`;
  let job: JobResult | undefined;
  let failure: string | undefined;
  await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable: true },
    async (progress, token) => {
      const tracker = new IncrementTracker();
      const report = (message: string | undefined, percentage: number | undefined) => {
        progress.report({ message, increment: tracker.next(percentage) });
        ctx.statusBar.setProgress(project.root, { action, percentage: percentage ?? tracker.percentage });
      };
      ctx.statusBar.setProgress(project.root, { action });
      const args = opts.packages ? packageArguments(project.root, opts.packages) : projectArguments(project.root);
      const run = executeWithProgress<JobResult>(client, serverCommandFor(action), args, {
        onBegin: (v) => report(v.message, v.percentage),
        onReport: (v) => report(v.message, v.percentage),
        onEnd: (v) => progress.report({ message: v.message }),
      });
      const sub = token.onCancellationRequested(() => run.cancel());
      try {
        job = await run.result;
      } catch (e) {
        job = jobFromError(e);
        failure = job ? undefined : errorMessage(e);
      } finally {
        sub.dispose();
        ctx.statusBar.setProgress(project.root, undefined);
      }
    },
  );
  if (job) {
    const summary = jobSummary(job, project.name);
    if (summary.ok) {
      void vscode.window.showInformationMessage(`Kernelenv: ${summary.text}`);
      if (!opts.skipAfterJob) {
        ctx.afterJob?.(job);
      }
    } else if (job.state === 'cancelled') {
      // The user asked for it: information, not an error.
      ctx.output.appendLine(summary.text);
      void vscode.window.showInformationMessage(`Kernelenv: ${summary.text}`);
    } else {
      ctx.output.appendLine(summary.text);
      job.log.forEach((l) => ctx.output.appendLine(`  ${l}`));
      void vscode.window.showErrorMessage(`Kernelenv: ${summary.text}`, 'Show Output').then((p) => p && ctx.output.show());
    }
  } else if (failure) {
    ctx.output.appendLine(`${title} failed: ${failure}`);
    void vscode.window.showErrorMessage(`Kernelenv: ${failure}`, 'Show Output').then((p) => p && ctx.output.show());
  }
  return job;
}

/** Ask which packages to add (requirements) or remove (names); undefined when dismissed or empty. */
async function askPackages(action: 'add' | 'removePackage', project: ProjectInfo): Promise<string[] | undefined> {
  const adding = action === 'add';
  const text = await vscode.window.showInputBox({
    title: `Kernelenv: ${adding ? 'Add packages to' : 'Remove packages from'} ${project.name}`,
    prompt: adding
      ? `Requirements to add to ${project.spec ?? 'the spec'}, separated by spaces; the lock and the env follow.`
      : `Names to remove from ${project.spec ?? 'the spec'}, separated by spaces; the lock and the env follow.`,
    placeHolder: adding ? 'pandas>=2.2 seaborn' : 'seaborn',
    validateInput: (value) => (parsePackages(value).length ? undefined : 'Type at least one package.'),
  });
  const packages = text === undefined ? [] : parsePackages(text);
  return packages.length ? packages : undefined;
}

/** The handler for the server's own commands invoked from code lenses. */
export function serverActionHandler(ctx: CommandContext) {
  return async (command: string, args: unknown[]): Promise<unknown> => {
    const action = actionOfServerCommand(command);
    const root = rootArgument(args?.[0]);
    if (!action || !root) {
      return undefined;
    }
    const project = ctx.store.byRoot(root) ?? ctx.store.projectFor(root);
    if (!project) {
      void vscode.window.showErrorMessage(`Kernelenv: no project at ${root}.`);
      return undefined;
    }
    return runAction(ctx, action, project);
  };
}

async function showStatus(ctx: CommandContext, arg: unknown): Promise<void> {
  const project = await pickProject(ctx, arg, 'Show the status of which project?');
  const client = project && requireClient(ctx);
  if (!project || !client) {
    return;
  }
  const fresh = await executeCommand<ProjectInfo>(client, SERVER_COMMANDS.status, projectArguments(project.root));
  const s = fresh.status;
  ctx.output.appendLine(`[${fresh.name}] ${JSON.stringify(fresh, null, 1)}`);
  const detail = [
    `Backend: ${fresh.backend} — ${fresh.backend_reason}`,
    s ? `Status: ${s.status} — ${s.reason}` : '',
    s?.python ? `Python: ${s.python}${s.python_version ? ` (${s.python_version})` : ''}` : '',
    s?.packages != null ? `Packages: ${s.packages}` : '',
    `Kernel: ${fresh.kernel_name}`,
    ...fresh.warnings.map((w) => `Warning: ${w}`),
  ]
    .filter(Boolean)
    .join('\n');
  const actions = actionsFor(fresh).filter((a): a is Action => a !== 'status');
  const pick = await vscode.window.showInformationMessage(
    `${fresh.name}: ${statusText(fresh)}`,
    { modal: true, detail },
    ...actions.map((a) => ACTION_LABELS[a]),
  );
  const chosen = actions.find((a) => ACTION_LABELS[a] === pick);
  if (chosen) {
    await runAction(ctx, chosen, fresh);
  }
}

async function showActions(ctx: CommandContext, arg: unknown): Promise<void> {
  const project = await pickProject(ctx, arg, 'Act on which project?');
  if (!project) {
    return;
  }
  const items = actionsFor(project).map((a) => ({ label: ACTION_LABELS[a], action: a }));
  const picked = await vscode.window.showQuickPick(items, { placeHolder: `${project.name}: ${statusText(project)}` });
  if (!picked) {
    return;
  }
  if (picked.action === 'status') {
    await showStatus(ctx, project.root);
  } else {
    await runAction(ctx, picked.action, project);
  }
}

/** "Roll Back Environment…": pick an earlier build of a project and make it live again. */
async function rollback(ctx: CommandContext, arg: unknown): Promise<void> {
  const project = await pickProject(ctx, arg, 'Roll back which project?');
  const client = project && requireClient(ctx);
  if (!project || !client) {
    return;
  }
  let history: HistoryResult;
  try {
    history = await executeCommand<HistoryResult>(client, SERVER_COMMANDS.history, projectArguments(project.root));
  } catch (e) {
    void vscode.window.showErrorMessage(`Kernelenv: ${errorMessage(e)}`);
    return;
  }
  const items = rollbackItems(history);
  if (!items.length) {
    void vscode.window.showInformationMessage(`Kernelenv: ${project.name} has no earlier build to roll back to.`);
    return;
  }
  const picked = await vscode.window.showQuickPick(items, {
    placeHolder: `${project.name}: make which earlier build live again? (no download)`,
    matchOnDescription: true,
    matchOnDetail: true,
  });
  if (!picked) {
    return;
  }
  try {
    const res = await executeCommand<RollbackResult>(client, SERVER_COMMANDS.rollback, [
      { project: project.root, build: picked.build },
    ]);
    void vscode.window.showInformationMessage(`Kernelenv: ${rollbackMessage(project.name, res)}`);
  } catch (e) {
    void vscode.window.showErrorMessage(`Kernelenv: ${errorMessage(e)}`);
  }
}

async function selectNotebookKernel(ctx: CommandContext): Promise<void> {
  const editor = vscode.window.activeNotebookEditor;
  if (!editor) {
    void vscode.window.showInformationMessage('Kernelenv: open a notebook first.');
    return;
  }
  if (!requireClient(ctx)) {
    return;
  }
  const kernel = await kernelForNotebook(ctx.server, editor.notebook.uri);
  if (!kernel?.project || !kernel.kernel_name) {
    void vscode.window.showInformationMessage('Kernelenv: this notebook is in no kernelenv project.');
    return;
  }
  if (!kernel.python) {
    const pick = await vscode.window.showWarningMessage(
      `Kernelenv: the environment of ${kernel.project.name} is ${kernel.status?.status ?? 'missing'}.`,
      ACTION_LABELS.create,
    );
    if (pick) {
      const project = ctx.store.byRoot(kernel.project.root) ?? kernel.project;
      const job = await runAction(ctx, 'create', project, { skipAfterJob: true });
      if (job?.state !== 'succeeded') {
        return;
      }
      const again = await kernelForNotebook(ctx.server, editor.notebook.uri);
      if (again?.kernel_name && again.python) {
        await selectKernel(editor, again.kernel_name, again.python);
      }
    }
    return;
  }
  await selectKernel(editor, kernel.kernel_name, kernel.python);
}

/**
 * Register every command; returns their disposables. The ids are
 * {@link CLIENT_COMMANDS}, each contributed in package.json.
 */
export function registerCommands(ctx: CommandContext): vscode.Disposable[] {
  const action = (a: Action) => async (arg: unknown) => {
    const project = await pickProject(ctx, arg, `${ACTION_LABELS[a]}: which project?`);
    if (project) {
      await runAction(ctx, a, project);
    }
  };
  return [
    vscode.commands.registerCommand(CLIENT_COMMANDS.create, action('create')),
    vscode.commands.registerCommand(CLIENT_COMMANDS.lock, action('lock')),
    vscode.commands.registerCommand(CLIENT_COMMANDS.rebuild, action('rebuild')),
    vscode.commands.registerCommand(CLIENT_COMMANDS.remove, action('remove')),
    vscode.commands.registerCommand(CLIENT_COMMANDS.add, action('add')),
    vscode.commands.registerCommand(CLIENT_COMMANDS.removePackage, action('removePackage')),
    vscode.commands.registerCommand(CLIENT_COMMANDS.record, action('record')),
    vscode.commands.registerCommand(CLIENT_COMMANDS.showStatus, (arg: unknown) => showStatus(ctx, arg)),
    vscode.commands.registerCommand(CLIENT_COMMANDS.showActions, (arg: unknown) => showActions(ctx, arg)),
    vscode.commands.registerCommand(CLIENT_COMMANDS.selectNotebookKernel, () => selectNotebookKernel(ctx)),
    vscode.commands.registerCommand(CLIENT_COMMANDS.rollback, (arg: unknown) => rollback(ctx, arg)),
    vscode.commands.registerCommand(CLIENT_COMMANDS.restartServer, async () => {
      await ctx.server.restart();
      if (ctx.server.running) {
        void vscode.window.showInformationMessage('Kernelenv: language server restarted.');
      }
    }),
  ];
}
