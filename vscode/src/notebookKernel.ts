/**
 * Choosing a notebook's kernel: the decision (pure, unit-tested) and the Jupyter
 * extension's controller ids to try. No `vscode` import.
 *
 * Kernelenv registers each project's env as a Jupyter kernelspec, so the Jupyter
 * extension (ms-toolsai.jupyter) lists it as a notebook controller. VS Code's
 * `notebook.selectKernel` command selects a controller by `{id, extension}` and returns
 * false, without any UI, when no controller has that id; the ids are built by the
 * Jupyter extension from the kernelspec (vscode-jupyter `getKernelId`:
 * `<spec id>.<spec name>.<argv[0]>.<interpreter path>.<argv[1:] without -f and
 * {connection_file}, joined by '#', lowercased>`), so we try the plausible ones.
 */
import { AutoSelectKernel } from './constants';
import { KernelForNotebook } from './protocol';

/** What to do for a notebook that was opened. */
export type KernelDecision =
  | { kind: 'select'; kernelName: string; python: string; projectName: string }
  | { kind: 'ask'; kernelName: string; python: string; projectName: string }
  | { kind: 'skip'; reason: string };

/** Inputs of {@link decideKernel}. */
export interface KernelDecisionInput {
  /** The `kernelenv.autoSelectKernel` setting. */
  setting: AutoSelectKernel;
  /** The server's answer to `kernelenv.kernelForNotebook`. */
  kernel: KernelForNotebook;
  /** The kernelspec name stored in the notebook's metadata, if any. */
  notebookKernelName?: string;
  /** Whether this notebook was already handled in this session. */
  alreadyHandled: boolean;
}

/** Env states whose kernel can run: the env exists (a stale env still works). */
const RUNNABLE = new Set(['ready', 'stale', 'lock out of date']);

/**
 * Decide whether to select the project's kernel for a notebook that was opened.
 *
 * Rules: never when the setting is `never`, the notebook was handled already, it is in
 * no project, or the env does not exist yet (missing/broken/building: the server's
 * prompt offers to create it); never when the notebook already names this kernel (the
 * Jupyter extension picks it itself); otherwise `select` (setting `always`) or `ask`.
 */
export function decideKernel(input: KernelDecisionInput): KernelDecision {
  const { setting, kernel } = input;
  if (setting === 'never') {
    return { kind: 'skip', reason: 'kernelenv.autoSelectKernel is "never"' };
  }
  if (input.alreadyHandled) {
    return { kind: 'skip', reason: 'already handled in this session' };
  }
  if (!kernel.project || !kernel.kernel_name) {
    return { kind: 'skip', reason: 'the notebook is in no kernelenv project' };
  }
  const status = kernel.status?.status;
  if (!status || !RUNNABLE.has(status) || !kernel.python) {
    return { kind: 'skip', reason: `the project's env is ${status ?? 'unknown'}` };
  }
  if (input.notebookKernelName === kernel.kernel_name) {
    return { kind: 'skip', reason: 'the notebook already uses this kernel' };
  }
  const target = { kernelName: kernel.kernel_name, python: kernel.python, projectName: kernel.project.name };
  return setting === 'always' ? { kind: 'select', ...target } : { kind: 'ask', ...target };
}

/**
 * Candidate Jupyter-extension controller ids for a kernelenv kernelspec, most likely first.
 *
 * @param kernelName the kernelspec name.
 * @param python the kernelspec's `argv[0]` (the env's interpreter).
 */
export function jupyterControllerIds(kernelName: string, python: string): string[] {
  const argVariants = ['-xfrozen_modules=off#-m#ipykernel_launcher', '-m#ipykernel_launcher'];
  const ids: string[] = [];
  for (const args of argVariants) {
    ids.push(`.${kernelName}.${python}.${python}.${args}`);
    ids.push(`.${kernelName}.${python}..${args}`);
  }
  return ids;
}

/**
 * The kernelspec name a notebook's metadata names, from VS Code's NotebookDocument
 * metadata (the ipynb serializer keeps it under `metadata` or, in older versions,
 * `custom.metadata`).
 */
export function notebookKernelspecName(metadata: Record<string, unknown> | undefined): string | undefined {
  const pick = (m: unknown): string | undefined => {
    const ks = (m as { kernelspec?: { name?: unknown } } | undefined)?.kernelspec;
    return typeof ks?.name === 'string' ? ks.name : undefined;
  };
  const custom = metadata?.custom as { metadata?: unknown } | undefined;
  return pick(metadata?.metadata) ?? pick(custom?.metadata);
}
