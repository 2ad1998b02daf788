/**
 * Per-notebook kernel selection: when a notebook inside a project opens, ask the
 * server (`resolve`) which kernel it should use and, per `autoSelectKernel`, switch
 * to it or offer to (or offer to create the env when it does not exist yet).
 * Works wherever an `INotebookTracker` exists: JupyterLab and Notebook 7.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import type { KernelSpec } from '@jupyterlab/services';

import { decideKernel, type KernelDecision } from './logic';
import type { EnvironmentsModel } from './model';
import type { AutoSelectMode, IKernelenvClient } from './types';

/** Options of {@link setupKernelSelection}. */
export interface IKernelSelectionOptions {
  app: JupyterFrontEnd;
  tracker: INotebookTracker;
  client: IKernelenvClient;
  model: EnvironmentsModel;
  /** The current `autoSelectKernel` setting. */
  mode: () => AutoSelectMode;
}

/** Watch notebooks as they open and apply {@link decideKernel} to each. */
export function setupKernelSelection(options: IKernelSelectionOptions): void {
  options.tracker.widgetAdded.connect((_, panel) => {
    void checkNotebook(options, panel).catch(error =>
      console.warn('kernelenv: kernel selection failed', error)
    );
  });
}

/** Names of kernelspecs launched through kernelenv's portable provisioner. */
export function portableKernelNames(specs: KernelSpec.ISpecModels | null | undefined): string[] {
  if (!specs) {
    return [];
  }
  return Object.entries(specs.kernelspecs)
    .filter(([, spec]) => {
      const provisioner = (spec?.metadata as { kernel_provisioner?: { provisioner_name?: string } } | undefined)
        ?.kernel_provisioner?.provisioner_name;
      return typeof provisioner === 'string' && provisioner.startsWith('kernelenv');
    })
    .map(([name]) => name);
}

async function checkNotebook(options: IKernelSelectionOptions, panel: NotebookPanel): Promise<void> {
  const { app, client } = options;
  await panel.context.ready;
  await panel.sessionContext.ready;
  if (panel.isDisposed || options.mode() === 'never') {
    return;
  }
  const path = app.serviceManager.contents.localPath(panel.context.path);
  const resolved = await client.resolve(path);
  if (!resolved.project) {
    return; // outside projects nothing changes
  }
  const kernelspecs = app.serviceManager.kernelspecs;
  await kernelspecs.ready;
  const kernel = panel.sessionContext.session?.kernel ?? null;
  const name = kernel?.name ?? null;
  const spec = name ? kernelspecs.specs?.kernelspecs[name] : undefined;
  const decision = decideKernel(
    resolved,
    { name, language: spec?.language ?? null },
    options.mode(),
    portableKernelNames(kernelspecs.specs)
  );
  await apply(options, panel, decision);
}

/** A notification about a notebook goes when the notebook closes (offers must not outlive it). */
function aboutNotebook(panel: NotebookPanel, id: string): void {
  panel.disposed.connect(() => Notification.dismiss(id));
}

async function apply(
  options: IKernelSelectionOptions,
  panel: NotebookPanel,
  decision: KernelDecision
): Promise<void> {
  const notebook = panel.context.localPath.split('/').pop() ?? panel.context.path;
  switch (decision.kind) {
    case 'none':
      return;
    case 'switch':
      await switchKernel(options, panel, decision.kernelName);
      Notification.info(`${notebook} now runs in the env of project ${decision.projectName}.`, {
        autoClose: 5000
      });
      return;
    case 'offer-switch':
      aboutNotebook(panel, Notification.info(
        `${notebook} is in project ${decision.projectName}. Run it in the project's env?`,
        {
          autoClose: false,
          actions: [
            {
              label: 'Use project env',
              caption: `Switch the kernel to ${decision.kernelName}`,
              displayType: 'accent',
              callback: () => void switchKernel(options, panel, decision.kernelName)
            },
            { label: 'Keep kernel', callback: () => undefined }
          ]
        }
      ));
      return;
    case 'offer-create':
      aboutNotebook(panel, Notification.info(
        `${notebook} is in project ${decision.projectName}, whose env does not exist yet.`,
        {
          autoClose: false,
          actions: [
            {
              label: 'Create environment',
              caption: decision.restartOnly
                ? 'Build the env, then restart this kernel in it'
                : 'Build the env, then run this notebook in it',
              displayType: 'accent',
              callback: () => void createThenSwitch(options, panel, decision)
            },
            { label: 'Not now', callback: () => undefined }
          ]
        }
      ));
      return;
  }
}

async function createThenSwitch(
  options: IKernelSelectionOptions,
  panel: NotebookPanel,
  decision: Extract<KernelDecision, { kind: 'offer-create' }>
): Promise<void> {
  const job = await options.model.run(decision.projectPath, 'create').catch(() => null);
  if (job === null || job.state !== 'succeeded' || panel.isDisposed) {
    return;
  }
  if (decision.restartOnly) {
    // The portable kernel started the error kernel; restarted, it finds the new env.
    await panel.sessionContext.restartKernel();
  } else {
    await switchKernel(options, panel, decision.kernelName);
  }
}

async function switchKernel(
  options: IKernelSelectionOptions,
  panel: NotebookPanel,
  kernelName: string
): Promise<void> {
  // A kernel registered moments ago is not in the cached list yet.
  await options.app.serviceManager.kernelspecs.refreshSpecs();
  await panel.sessionContext.changeKernel({ name: kernelName });
}
