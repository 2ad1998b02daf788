/**
 * kernelenv's JupyterLab / Notebook 7 frontend: the Environments sidebar, the
 * "... environment for the current folder" commands and per-notebook kernel selection.
 */
import {
  ILabShell,
  ILayoutRestorer,
  type JupyterFrontEnd,
  type JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { Dialog, ICommandPalette, InputDialog, Notification, showDialog } from '@jupyterlab/apputils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { KernelenvClient } from './api';
import { environmentsIcon } from './icon';
import { setupKernelSelection } from './kernels';
import { projectForFolder } from './logic';
import { EnvironmentsModel } from './model';
import { EnvironmentsPanel } from './panel';
import type { AutoSelectMode, IProject, JobAction } from './types';

const PLUGIN_ID = 'kernelenv:plugin';

/** Command ids. */
export namespace CommandIDs {
  export const show = 'kernelenv:show-panel';
  export const create = 'kernelenv:create';
  export const lock = 'kernelenv:lock';
  export const rebuild = 'kernelenv:rebuild';
}

const COMMANDS: { id: string; action: JobAction; label: string }[] = [
  { id: CommandIDs.create, action: 'create', label: 'Create environment for the current folder' },
  { id: CommandIDs.lock, action: 'lock', label: 'Lock environment for the current folder' },
  { id: CommandIDs.rebuild, action: 'rebuild', label: 'Rebuild environment for the current folder' }
];

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Project environments as kernels: Environments panel, commands and kernel selection.',
  autoStart: true,
  optional: [
    ILabShell,
    IDefaultFileBrowser,
    INotebookTracker,
    ICommandPalette,
    ILayoutRestorer,
    ISettingRegistry
  ],
  activate: (
    app: JupyterFrontEnd,
    labShell: ILabShell | null,
    browser: IDefaultFileBrowser | null,
    tracker: INotebookTracker | null,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    settingRegistry: ISettingRegistry | null
  ) => {
    const client = new KernelenvClient();
    const model = new EnvironmentsModel({
      client,
      notifier: {
        success: message => void Notification.success(message, { autoClose: 5000 }),
        info: message => void Notification.info(message, { autoClose: 5000 }),
        error: message => void Notification.error(message, { autoClose: false })
      }
    });
    // Envs created, rebuilt or removed change the kernels the launcher and pickers offer.
    model.jobFinished.connect(() => void app.serviceManager.kernelspecs.refreshSpecs());

    let mode: AutoSelectMode = 'ask';
    if (settingRegistry) {
      settingRegistry
        .load(PLUGIN_ID)
        .then(settings => {
          const update = () => {
            mode = (settings.get('autoSelectKernel').composite as AutoSelectMode) ?? 'ask';
          };
          update();
          settings.changed.connect(update);
        })
        .catch(error => console.warn('kernelenv: cannot load settings', error));
    }

    const currentFolder = () => (browser ? browser.model.path : model.folder);

    let panel: EnvironmentsPanel | null = null;
    if (labShell) {
      panel = new EnvironmentsPanel(model, {
        openFile: path => void app.commands.execute('docmanager:open', { path }),
        confirmRemove: project => confirmRemove(project),
        onShow: () => void model.setFolder(currentFolder(), true)
      });
      labShell.add(panel, 'left', { rank: 650 });
      restorer?.add(panel, 'kernelenv-environments');
      if (browser) {
        browser.model.pathChanged.connect(() => {
          if (panel?.isVisible) {
            void model.setFolder(browser.model.path);
          }
        });
      }
      // Follow the folder only while the panel is shown: listing runs detection.
      app.restored
        .then(() => {
          if (panel?.isVisible) {
            void model.setFolder(currentFolder());
          }
        })
        .catch(() => undefined);
    }

    app.commands.addCommand(CommandIDs.show, {
      label: 'Show Environments panel',
      icon: environmentsIcon,
      isEnabled: () => panel !== null,
      execute: () => {
        if (panel) {
          app.shell.activateById(panel.id);
        }
      }
    });

    for (const { id, action, label } of COMMANDS) {
      app.commands.addCommand(id, {
        label,
        icon: environmentsIcon,
        execute: async () => {
          const folder = currentFolder();
          const list = await client.listProjects(folder);
          const choice = projectForFolder(list.projects, folder);
          let project: IProject | null = null;
          if (choice === null) {
            Notification.warning(`No environment files in /${folder}.`, { autoClose: 5000 });
            return;
          } else if (Array.isArray(choice)) {
            const picked = await InputDialog.getItem({
              title: `${label.split(' for ')[0]}: which project?`,
              items: choice.map(p => p.path)
            });
            project = choice.find(p => p.path === picked.value) ?? null;
            if (!picked.button.accept || !project) {
              return;
            }
          } else {
            project = choice;
          }
          if (panel) {
            app.shell.activateById(panel.id);
          }
          await model.run(project.path, action).catch(() => undefined);
        }
      });
      palette?.addItem({ command: id, category: 'Environments' });
    }
    palette?.addItem({ command: CommandIDs.show, category: 'Environments' });

    if (tracker) {
      setupKernelSelection({ app, tracker, client, model, mode: () => mode });
    }
  }
};

async function confirmRemove(project: IProject): Promise<boolean> {
  const where = project.status.env_path ?? `the env of ${project.name}`;
  const result = await showDialog({
    title: 'Remove environment',
    body: `Delete ${where} and unregister its kernel ${project.kernel_name}? Env files are kept.`,
    buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Remove' })]
  });
  return result.button.accept;
}

export default plugin;
