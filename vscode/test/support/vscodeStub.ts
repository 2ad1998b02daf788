/**
 * A stand-in for the `vscode` module, for tests that run in plain Node.
 *
 * VS Code itself cannot run on this machine (no display, and @vscode/test-electron would
 * download an editor build, which the offline rule forbids), so the extension's glue
 * code is exercised against this recording stub instead. It implements the small part of
 * the API the extension calls and records what the extension registers and shows;
 * anything else resolves to an inert class so that vscode-languageclient can load.
 */

type Listener<T> = (e: T) => unknown;

export class EventEmitter<T> {
  private listeners: Listener<T>[] = [];
  event = (listener: Listener<T>) => {
    this.listeners.push(listener);
    return new Disposable(() => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    });
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) {
      l(e);
    }
  }
  dispose(): void {
    this.listeners = [];
  }
}

export class Disposable {
  constructor(private readonly fn: () => unknown = () => undefined) {}
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => items.forEach((i) => i.dispose()));
  }
  dispose(): void {
    this.fn();
  }
}

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly fsPath: string,
  ) {}
  static file(p: string): Uri {
    return new Uri('file', p);
  }
  static parse(s: string): Uri {
    return s.startsWith('file://') ? new Uri('file', decodeURIComponent(s.slice('file://'.length))) : new Uri(s.split(':')[0], s);
  }
  get path(): string {
    return this.fsPath;
  }
  toString(): string {
    return this.scheme === 'file' ? `file://${this.fsPath}` : this.fsPath;
  }
}

export class ThemeColor {
  constructor(readonly id: string) {}
}

export enum StatusBarAlignment {
  Left = 1,
  Right = 2,
}

export enum ProgressLocation {
  SourceControl = 1,
  Window = 10,
  Notification = 15,
}

export enum ConfigurationTarget {
  Global = 1,
  Workspace = 2,
  WorkspaceFolder = 3,
}

/** A shown message and the button the test wants "clicked". */
export interface ShownMessage {
  level: 'info' | 'warning' | 'error';
  message: string;
  items: string[];
}

/** Everything the stub recorded, and knobs the test sets. */
export interface StubState {
  registeredCommands: Map<string, (...args: unknown[]) => unknown>;
  executedCommands: { command: string; args: unknown[] }[];
  /** `section.key` of every configuration value read. */
  configReads: Set<string>;
  /** Configuration values by full id (`kernelenv.interpreter`). */
  config: Map<string, unknown>;
  messages: ShownMessage[];
  /** Answer for the next message boxes (a button label or undefined), consumed in order. */
  messageAnswers: (string | undefined)[];
  statusBarItems: StubStatusBarItem[];
  outputLines: string[];
  extensions: Map<string, unknown>;
  isTrusted: boolean;
  workspaceFolders: { uri: Uri; name: string; index: number }[] | undefined;
  /** Progress notifications opened with withProgress. */
  progressTitles: string[];
  /** What `window.activeTextEditor` returns. */
  activeTextEditor: { document: { uri: Uri } } | undefined;
  /** Every `progress.report` value of withProgress tasks. */
  progressReports: { message?: string; increment?: number }[];
  /** Press Cancel on a progress notification as soon as it reports. */
  cancelProgressOnReport: boolean;
  /** What `window.activeNotebookEditor` returns. */
  activeNotebookEditor: { notebook: { uri: Uri; metadata: Record<string, unknown> } } | undefined;
}

export class StubStatusBarItem {
  /** Every text the item showed, in order. */
  readonly history: string[] = [];
  private textValue = '';
  get text(): string {
    return this.textValue;
  }
  set text(v: string) {
    this.textValue = v;
    this.history.push(v);
  }
  tooltip: unknown;
  command: unknown;
  name = '';
  backgroundColor: unknown;
  visible = false;
  constructor(readonly id: string) {}
  show(): void {
    this.visible = true;
  }
  hide(): void {
    this.visible = false;
  }
  dispose(): void {
    this.visible = false;
  }
}

export const state: StubState = {
  registeredCommands: new Map(),
  executedCommands: [],
  configReads: new Set(),
  config: new Map(),
  messages: [],
  messageAnswers: [],
  statusBarItems: [],
  outputLines: [],
  extensions: new Map(),
  isTrusted: true,
  workspaceFolders: undefined,
  progressTitles: [],
  activeTextEditor: undefined,
  activeNotebookEditor: undefined,
  progressReports: [],
  cancelProgressOnReport: false,
};

/** Reset the recorded state between tests. */
export function resetStub(): void {
  state.registeredCommands.clear();
  state.executedCommands.length = 0;
  state.configReads.clear();
  state.config.clear();
  state.messages.length = 0;
  state.messageAnswers.length = 0;
  state.statusBarItems.length = 0;
  state.outputLines.length = 0;
  state.extensions.clear();
  state.isTrusted = true;
  state.workspaceFolders = undefined;
  state.progressTitles.length = 0;
  state.activeTextEditor = undefined;
  state.activeNotebookEditor = undefined;
  state.progressReports.length = 0;
  state.cancelProgressOnReport = false;
}

function showMessage(level: ShownMessage['level']) {
  return (message: string, ...rest: unknown[]): Promise<unknown> => {
    // Items are strings or MessageItems ({title}); options objects have no title.
    const label = (r: unknown) => (typeof r === 'string' ? r : (r as { title?: unknown } | null)?.title);
    const buttons = rest.filter((r) => typeof label(r) === 'string');
    const items = buttons.map((r) => label(r) as string);
    state.messages.push({ level, message, items });
    const answer = state.messageAnswers.shift();
    return Promise.resolve(buttons.find((b) => label(b) === answer));
  };
}

const noEvent = () => new Disposable();

/** Fire `{affectsConfiguration}` events here to simulate a settings change. */
export const configurationChanges = new EventEmitter<{ affectsConfiguration(id: string): boolean }>();

/**
 * A value that is callable, constructible, disposable and has every property (itself):
 * the fallback for the API surface vscode-languageclient touches but the tests do not
 * model (language feature registrations, tab groups ...). Iterating it yields nothing.
 */
const anything: object = new Proxy(function () {}, {
  get: (_t, key): unknown => {
    if (key === 'then' || key === 'toJSON') {
      return undefined;
    }
    if (key === Symbol.iterator) {
      return function* () {};
    }
    if (key === Symbol.toPrimitive) {
      return () => 0;
    }
    if (key === 'length') {
      return 0;
    }
    return anything;
  },
  apply: (): unknown => anything,
  construct: (): object => anything,
});

/** `obj` with every missing property answered by {@link anything}. */
function withFallback<T extends object>(obj: T): T {
  return new Proxy(obj, {
    get: (t, key): unknown => (key in t ? (t as Record<string | symbol, unknown>)[key] : anything),
  });
}

export const window = withFallback({
  createOutputChannel: (name: string) => ({
    name,
    append: (s: string) => state.outputLines.push(s),
    appendLine: (s: string) => state.outputLines.push(s),
    replace: () => undefined,
    clear: () => undefined,
    show: () => undefined,
    hide: () => undefined,
    dispose: () => undefined,
  }),
  createStatusBarItem: (id: string) => {
    const item = new StubStatusBarItem(typeof id === 'string' ? id : 'item');
    state.statusBarItems.push(item);
    return item;
  },
  showInformationMessage: showMessage('info'),
  showWarningMessage: showMessage('warning'),
  showErrorMessage: showMessage('error'),
  showQuickPick: () => Promise.resolve(undefined),
  withProgress: async (options: { title?: string }, task: (p: unknown, t: unknown) => Promise<unknown>) => {
    state.progressTitles.push(options.title ?? '');
    const cancel = new EventEmitter<void>();
    const token = { isCancellationRequested: false, onCancellationRequested: cancel.event };
    const progress = {
      report: (value: { message?: string; increment?: number }) => {
        state.progressReports.push(value);
        if (state.cancelProgressOnReport && !token.isCancellationRequested) {
          // What the notification's Cancel button does.
          token.isCancellationRequested = true;
          cancel.fire();
        }
      },
    };
    return task(progress, token);
  },
  get activeNotebookEditor() {
    return state.activeNotebookEditor;
  },
  onDidChangeActiveTextEditor: noEvent,
  onDidChangeActiveNotebookEditor: noEvent,
  showNotebookDocument: () => Promise.resolve(undefined),
  get activeTextEditor() {
    return state.activeTextEditor;
  },
});

export const commands = {
  registerCommand: (id: string, fn: (...args: unknown[]) => unknown) => {
    if (state.registeredCommands.has(id)) {
      throw new Error(`command '${id}' already exists`);
    }
    state.registeredCommands.set(id, fn);
    return new Disposable(() => state.registeredCommands.delete(id));
  },
  executeCommand: (command: string, ...args: unknown[]) => {
    state.executedCommands.push({ command, args });
    const fn = state.registeredCommands.get(command);
    return Promise.resolve(fn ? fn(...args) : undefined);
  },
};

export const workspace = withFallback({
  getConfiguration: (section?: string) => ({
    get: <T>(key: string, dflt?: T): T | undefined => {
      const id = section ? `${section}.${key}` : key;
      state.configReads.add(id);
      return state.config.has(id) ? (state.config.get(id) as T) : dflt;
    },
    has: (key: string) => state.config.has(section ? `${section}.${key}` : key),
    inspect: () => undefined,
    update: () => Promise.resolve(),
  }),
  get isTrusted() {
    return state.isTrusted;
  },
  get workspaceFolders() {
    return state.workspaceFolders;
  },
  get onDidChangeConfiguration() {
    return configurationChanges.event;
  },
  onDidGrantWorkspaceTrust: noEvent,
  onDidChangeWorkspaceFolders: noEvent,
  onDidOpenNotebookDocument: noEvent,
  notebookDocuments: [],
  textDocuments: [],
});

export const languages = withFallback({
  match: () => 0,
});

export const extensions = {
  getExtension: (id: string) => state.extensions.get(id),
};

/** Names the stub does not model resolve to an inert class (vscode-languageclient subclasses several at load time). */
const known: Record<string, unknown> = {
  EventEmitter,
  Disposable,
  Uri,
  ThemeColor,
  StatusBarAlignment,
  ProgressLocation,
  ConfigurationTarget,
  window,
  commands,
  workspace,
  extensions,
  languages,
  env: { language: 'en', appName: 'stub', openExternal: () => Promise.resolve(false) },
  version: '1.82.0',
};

export const vscodeStub: Record<string, unknown> = new Proxy(known, {
  get(target, name: string) {
    if (name in target) {
      return target[name];
    }
    if (name === '__esModule' || name === 'then' || name === 'default') {
      return undefined;
    }
    const inert = class {
      constructor(..._args: unknown[]) {}
    };
    Object.defineProperty(inert, 'name', { value: name });
    target[name] = inert;
    return inert;
  },
});
