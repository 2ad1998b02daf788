/**
 * Running a long server command (create/lock/rebuild/remove) with work-done progress.
 *
 * The client creates the progress token, passes it as `workDoneToken` of
 * `workspace/executeCommand` (LSP 3.15+ "client initiated progress"), listens for
 * `$/progress` on it, and cancels with `window/workDoneProgress/cancel`, which makes the
 * server stop the job and leave the previous env in place. The result arrives when the
 * job has finished (succeeded, failed or cancelled).
 *
 * Pure with respect to VS Code: it takes any connection with `sendRequest`,
 * `sendNotification` and `onProgress` (vscode-languageclient's LanguageClient and
 * vscode-jsonrpc's MessageConnection both qualify), so the integration test runs the
 * very same function against the real server.
 */
import { randomUUID } from 'node:crypto';
import {
  ExecuteCommandParams,
  ExecuteCommandRequest,
  ProgressToken,
  WorkDoneProgress,
  WorkDoneProgressBegin,
  WorkDoneProgressCancelNotification,
  WorkDoneProgressEnd,
  WorkDoneProgressReport,
} from 'vscode-languageserver-protocol';

/** The part of a JSON-RPC connection this module needs. */
export interface ProgressConnection {
  sendRequest<R>(type: typeof ExecuteCommandRequest.type, params: ExecuteCommandParams): Promise<R>;
  sendNotification(type: typeof WorkDoneProgressCancelNotification.type, params: { token: ProgressToken }): unknown;
  onProgress(
    type: typeof WorkDoneProgress.type,
    token: ProgressToken,
    handler: (value: WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd) => void,
  ): { dispose(): void };
}

/**
 * Send `workspace/executeCommand` without progress (status, kernelForNotebook, projects).
 *
 * @param conn the connection.
 * @param command the server command.
 * @param args its arguments.
 */
export function executeCommand<R>(
  conn: Pick<ProgressConnection, 'sendRequest'>,
  command: string,
  args: unknown[],
): Promise<R> {
  return conn.sendRequest<R>(ExecuteCommandRequest.type, { command, arguments: args });
}

/** What a caller sees of the progress: every `$/progress` value, in order. */
export interface ProgressHandlers {
  onBegin?(value: WorkDoneProgressBegin): void;
  onReport?(value: WorkDoneProgressReport): void;
  onEnd?(value: WorkDoneProgressEnd): void;
}

/** A running server command. */
export interface RunningCommand<R> {
  /** The work-done token sent with the request. */
  token: string;
  /** The command's result (the job's final state for the long actions). */
  result: Promise<R>;
  /** Ask the server to cancel (sends `window/workDoneProgress/cancel`). */
  cancel(): void;
}

/** A fresh, unique work-done progress token. */
export function newProgressToken(label: string): string {
  return `kernelenv-${label}-${randomUUID()}`;
}

/**
 * Send `workspace/executeCommand` with a client-created work-done token and route the
 * `$/progress` values on that token to `handlers`.
 *
 * @param conn the connection (LanguageClient or MessageConnection).
 * @param command the server command, e.g. `kernelenv.create`.
 * @param args the command arguments, e.g. `[{project: "/abs/root"}]`.
 * @param handlers callbacks for begin/report/end.
 * @returns the running command; `result` rejects when the server answers with an error.
 */
export function executeWithProgress<R>(
  conn: ProgressConnection,
  command: string,
  args: unknown[],
  handlers: ProgressHandlers,
): RunningCommand<R> {
  const token = newProgressToken(command.replace(/^kernelenv\./, ''));
  const sub = conn.onProgress(WorkDoneProgress.type, token, (value) => {
    if (value.kind === 'begin') {
      handlers.onBegin?.(value);
    } else if (value.kind === 'report') {
      handlers.onReport?.(value);
    } else if (value.kind === 'end') {
      handlers.onEnd?.(value);
    }
  });
  const params: ExecuteCommandParams = { command, arguments: args, workDoneToken: token };
  const result = conn.sendRequest<R>(ExecuteCommandRequest.type, params).finally(() => sub.dispose());
  return {
    token,
    result,
    cancel: () => {
      void conn.sendNotification(WorkDoneProgressCancelNotification.type, { token });
    },
  };
}

/**
 * Turns the absolute percentages of `$/progress` into the increments VS Code's
 * `Progress.report` wants. A percentage that goes down (a new step restarting at 0)
 * yields no increment rather than a negative one.
 */
export class IncrementTracker {
  private last = 0;

  /** The increment to report for `percentage` (0-100), or undefined when there is none. */
  next(percentage: number | undefined): number | undefined {
    if (percentage === undefined || !Number.isFinite(percentage)) {
      return undefined;
    }
    const clamped = Math.max(0, Math.min(100, percentage));
    const delta = clamped - this.last;
    if (delta <= 0) {
      return undefined;
    }
    this.last = clamped;
    return delta;
  }

  /** The last percentage reported. */
  get percentage(): number {
    return this.last;
  }
}
