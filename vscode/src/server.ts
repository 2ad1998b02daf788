/**
 * Starting, stopping and restarting the language server (`<python> -m kernelenv_lsp` on
 * stdio) with vscode-languageclient.
 */
import * as vscode from 'vscode';
import {
  ConfigurationParams,
  ExecuteCommandSignature,
  LanguageClient,
  LanguageClientOptions,
  ResponseError,
  ServerOptions,
} from 'vscode-languageclient/node';
import { CLIENT_ID, CLIENT_NAME, CONFIG_SECTION, ENV_FILE_GLOB, PROJECTS_NOTIFICATION, SERVER_MODULE, SETTINGS } from './constants';
import { checkServerInstalled, chooseInterpreter, InterpreterChoice, notInstalledMessage } from './interpreter';
import { ProjectStore } from './projects';
import { actionOfServerCommand, ProjectsParams, serverLaunch, serverSettings } from './protocol';
import { pythonExtensionInterpreter } from './pythonApi';
import { readSettings } from './settings';

/** Where the server is. */
export type ServerState = 'stopped' | 'starting' | 'running' | 'not-installed' | 'failed';

/** Handles the server's own commands (code lenses) so they get trust checks and progress UI. */
export type ActionCommandHandler = (command: string, args: unknown[]) => Promise<unknown>;

/** The one button of the not-installed notification. */
export const OPEN_SETTING = 'Open Setting';

/**
 * The command that opens the `kernelenv.interpreter` setting. In a remote window (code-server,
 * Remote-SSH, WSL, dev containers), where the server runs, the setting is a machine setting of
 * the remote and only the Remote tab lists it, so that tab is opened there.
 */
export function interpreterSettingCommand(): vscode.Command {
  const query = `${CONFIG_SECTION}.${SETTINGS.interpreter}`;
  return vscode.env.remoteName
    ? { title: OPEN_SETTING, command: 'workbench.action.openRemoteSettings', arguments: [{ query }] }
    : { title: OPEN_SETTING, command: 'workbench.action.openSettings', arguments: [query] };
}

/** The first workspace folder, used to resolve the interpreter. */
function firstFolder(): vscode.WorkspaceFolder | undefined {
  return vscode.workspace.workspaceFolders?.[0];
}

/**
 * Owns the LanguageClient. Fires {@link onDidChangeState} whenever the server starts,
 * stops or cannot start.
 */
export class ServerManager implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private stateValue: ServerState = 'stopped';
  private readonly stateEmitter = new vscode.EventEmitter<ServerState>();
  /** Fires with the new state. */
  readonly onDidChangeState = this.stateEmitter.event;
  /** The interpreter of the last start attempt. */
  interpreter: InterpreterChoice | undefined;
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly output: vscode.OutputChannel,
    private readonly store: ProjectStore,
    private readonly actionHandler: ActionCommandHandler,
  ) {}

  get state(): ServerState {
    return this.stateValue;
  }

  /** The running client, or undefined. */
  get running(): LanguageClient | undefined {
    return this.stateValue === 'running' ? this.client : undefined;
  }

  private setState(state: ServerState): void {
    this.stateValue = state;
    this.stateEmitter.fire(state);
  }

  /** Start (no-op when running). Calls are serialised. */
  start(): Promise<void> {
    this.pending = this.pending.then(() => this.doStart());
    return this.pending;
  }

  /** Stop the server. Calls are serialised. */
  stop(): Promise<void> {
    this.pending = this.pending.then(() => this.doStop());
    return this.pending;
  }

  /** Stop then start, e.g. after the interpreter or a setting changed. */
  restart(): Promise<void> {
    this.pending = this.pending.then(async () => {
      await this.doStop();
      await this.doStart();
    });
    return this.pending;
  }

  private async doStop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) {
      try {
        await client.stop(5000);
      } catch (e) {
        this.output.appendLine(`Stopping the server failed: ${String(e)}`);
      }
      await client.dispose().catch(() => undefined);
    }
    this.store.clear();
    this.setState('stopped');
  }

  private async doStart(): Promise<void> {
    if (this.client) {
      return;
    }
    this.setState('starting');
    const folder = firstFolder();
    const settings = readSettings(folder);
    const choice = chooseInterpreter(
      settings.interpreter,
      settings.interpreter ? undefined : await pythonExtensionInterpreter(folder?.uri),
      folder?.uri.fsPath,
      vscode.workspace.isTrusted
        ? undefined
        : { workspaceFolders: (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath) },
    );
    this.interpreter = choice;
    this.output.appendLine(`Using ${choice.python} (from ${choice.source}) for the kernelenv language server.`);
    const check = await checkServerInstalled(choice.python);
    if (!check.ok) {
      this.setState('not-installed');
      const message = notInstalledMessage(choice, check);
      this.output.appendLine(message);
      const why = check.detail.split(/\r?\n/).filter((l) => l.trim()).pop() ?? 'failed';
      this.output.appendLine(`(${choice.python} -c "import ${SERVER_MODULE}": ${why})`);
      void vscode.window.showErrorMessage(message, OPEN_SETTING).then((pick) => {
        if (pick === OPEN_SETTING) {
          const open = interpreterSettingCommand();
          void vscode.commands.executeCommand(open.command, ...((open.arguments ?? []) as unknown[]));
        }
      });
      return;
    }
    const launch = serverLaunch(choice.python);
    // No `transport`: stdio pipes without the `--stdio` flag that TransportKind.stdio
    // appends (the server's command line does not take it; stdio is its default).
    const serverOptions: ServerOptions = { command: launch.command, args: launch.args, options: { cwd: launch.cwd } };
    const client = new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, this.clientOptions());
    client.onNotification(PROJECTS_NOTIFICATION, (params: ProjectsParams) => this.store.update(params));
    this.client = client;
    try {
      await client.start();
      this.setState('running');
    } catch (e) {
      this.client = undefined;
      this.setState('failed');
      this.output.appendLine(`The kernelenv language server failed to start: ${String(e)}`);
      void vscode.window.showErrorMessage(`Kernelenv: the language server failed to start (${String(e)}).`, 'Show Output').then((p) => {
        if (p) {
          this.output.show();
        }
      });
    }
  }

  private clientOptions(): LanguageClientOptions {
    return {
      documentSelector: [{ scheme: 'file', pattern: ENV_FILE_GLOB }],
      outputChannel: this.output,
      initializationOptions: serverSettings(readSettings(firstFolder()), vscode.workspace.isTrusted),
      middleware: {
        workspace: {
          configuration: async (params: ConfigurationParams, token, next): Promise<unknown[] | ResponseError<void>> => {
            const base = (await next(params, token)) as unknown[] | ResponseError<void>;
            if (!Array.isArray(base)) {
              return base;
            }
            const values = base;
            return params.items.map((item, i): unknown => {
              if (item.section !== CONFIG_SECTION) {
                return values[i];
              }
              const scope = item.scopeUri ? vscode.Uri.parse(item.scopeUri) : firstFolder();
              return serverSettings(readSettings(scope), vscode.workspace.isTrusted);
            });
          },
        },
        executeCommand: (command: string, args: unknown[], next: ExecuteCommandSignature): Promise<unknown> =>
          actionOfServerCommand(command) ? this.actionHandler(command, args) : Promise.resolve(next(command, args) as unknown),
      },
    };
  }

  dispose(): void {
    void this.stop();
    this.stateEmitter.dispose();
  }
}
