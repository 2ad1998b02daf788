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
import { INotebookTracker, NotebookActions, type NotebookPanel } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { KernelenvClient } from './api';
import { environmentsIcon } from './icon';
import { setupKernelSelection } from './kernels';
import { changesPackages, projectForFolder } from './logic';
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
      confirmBuildBackend: (path, action, reason) => confirmBuildBackend(path, action, reason),
      client,
      notifier: {
        success: message => void Notification.success(message, { autoClose: 5000 }),
        info: message => void Notification.info(message, { autoClose: 5000 }),
        // The card keeps showing a failure until the next build: the toast need not stay.
        error: message => void Notification.error(message, { autoClose: 15000 })
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
    /** The active notebook's root-relative path, when the main area shows one. */
    const activeNotebook = (): string | null => {
      const widget = labShell?.currentWidget;
      if (!tracker || !widget || !tracker.has(widget)) {
        return null;
      }
      return app.serviceManager.contents.localPath((widget as NotebookPanel).context.path);
    };
    /** What the panel shows: the active notebook's project, else the file browser's folder. */
    const follow = (refresh = false): Promise<void> => {
      const notebook = activeNotebook();
      if (notebook === null) {
        return model.setFolder(currentFolder(), refresh);
      }
      return refresh && model.notebook === notebook ? model.refresh() : model.setNotebook(notebook);
    };

    let panel: EnvironmentsPanel | null = null;
    if (labShell) {
      panel = new EnvironmentsPanel(model, {
        openFile: path => void app.commands.execute('docmanager:open', { path }),
        confirmRemove: project => confirmRemove(project),
        onShow: () => void follow(true)
      });
      labShell.add(panel, 'left', { rank: 650 });
      restorer?.add(panel, 'kernelenv-environments');
      if (browser) {
        // Browsing shows that folder's projects (until another notebook becomes active).
        browser.model.pathChanged.connect(() => {
          if (panel?.isVisible) {
            void model.setFolder(browser.model.path);
          }
        });
      }
      // A cell that installs packages (`%pip install`, `!uv pip install`, `%conda install` ...)
      // may leave the env drifted: show the new status (and package list) once it ran.
      NotebookActions.executed.connect((_, { cell }) => {
        if (panel?.isVisible && cell.model.type === 'code' && changesPackages(cell.model.sharedModel.getSource())) {
          void follow(true).then(() => {
            for (const p of model.projects) {
              if (model.packagesOf(p.path)) {
                void model.loadPackages(p.path);
              }
            }
          });
        }
      });
      // A notebook becoming active shows its project, wherever in the project it sits.
      labShell.currentChanged.connect(() => {
        if (panel?.isVisible && activeNotebook() !== null) {
          void follow();
        }
      });
      // Follow only while the panel is shown: listing runs detection.
      app.restored
        .then(() => {
          if (panel?.isVisible) {
            void follow();
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

/**
 * Ask before create/lock/rebuild runs a project's build backend (setup.py, an in-tree
 * backend, `-e .`): a folder just cloned may hold anything. The server refuses the action
 * until this says yes.
 */
async function confirmBuildBackend(path: string, action: string, reason: string): Promise<boolean> {
  const result = await showDialog({
    title: `Run code from ${path}?`,
    body: `${action} will run code from this project, not only install packages: ${reason} Go ahead only if you trust this folder.`,
    buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: `Run ${action}` })]
  });
  return result.button.accept;
}

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
