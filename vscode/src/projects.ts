/**
 * The projects the server reported, per workspace folder, and how a command picks one.
 * Pure (no `vscode` import); paths are file-system paths.
 */
import * as path from 'node:path';
import { ProjectInfo, ProjectsParams } from './protocol';
import { statusText } from './status';

/** Whether `child` is `parent` or inside it. */
export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Holds the latest `kernelenv/projects` notification of every workspace folder. */
export class ProjectStore {
  private readonly byFolder = new Map<string, ProjectInfo[]>();
  private readonly listeners = new Set<() => void>();

  /** Replace one workspace folder's projects (from a `kernelenv/projects` notification). */
  update(params: ProjectsParams): void {
    this.byFolder.set(params.workspaceFolder, params.projects ?? []);
    this.listeners.forEach((l) => l());
  }

  /** Forget everything (server restarted). */
  clear(): void {
    this.byFolder.clear();
    this.listeners.forEach((l) => l());
  }

  /** Called after every change; returns an unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every project, in workspace-folder order then as the server listed them. */
  all(): ProjectInfo[] {
    return [...this.byFolder.values()].flat();
  }

  /** Whether any notification arrived yet. */
  get reported(): boolean {
    return this.byFolder.size > 0;
  }

  /** The project whose root is `root`. */
  byRoot(root: string): ProjectInfo | undefined {
    return this.all().find((p) => path.resolve(p.root) === path.resolve(root));
  }

  /** The innermost project holding `fsPath` (a file or folder), if any. */
  projectFor(fsPath: string): ProjectInfo | undefined {
    let best: ProjectInfo | undefined;
    for (const p of this.all()) {
      if (isInside(fsPath, p.root) && (!best || p.root.length > best.root.length)) {
        best = p;
      }
    }
    return best;
  }
}

/** A quick-pick entry for one project. */
export interface ProjectPickItem {
  label: string;
  description: string;
  detail: string;
  project: ProjectInfo;
}

/**
 * Quick-pick entries for `projects`, the active editor's project first, then by path.
 *
 * @param projects candidates.
 * @param activeRoot root of the active editor's project, if any.
 */
export function projectPickItems(projects: ProjectInfo[], activeRoot?: string): ProjectPickItem[] {
  const sorted = [...projects].sort((a, b) => {
    const aa = a.root === activeRoot ? 0 : 1;
    const bb = b.root === activeRoot ? 0 : 1;
    return aa - bb || a.root.localeCompare(b.root);
  });
  return sorted.map((p) => ({
    label: p.name,
    description: p.path === '.' ? p.root : p.path,
    detail: `${statusText(p)} · ${p.backend_reason}`,
    project: p,
  }));
}

/** How a command gets its project. */
export type ProjectChoice =
  | { kind: 'use'; project: ProjectInfo }
  | { kind: 'pick'; items: ProjectPickItem[] }
  | { kind: 'none' };

/**
 * Decide which project a command acts on without asking when that is unambiguous:
 * an explicit root (from a code lens or the status bar), else the only project, else a
 * quick pick (active editor's project first).
 *
 * @param projects all projects.
 * @param explicitRoot a project root passed as the command argument.
 * @param activeRoot the active editor's project root.
 * @param filter keeps only projects an action applies to (e.g. Lock needs a spec).
 */
export function chooseProject(
  projects: ProjectInfo[],
  explicitRoot?: string,
  activeRoot?: string,
  filter: (p: ProjectInfo) => boolean = () => true,
): ProjectChoice {
  const candidates = projects.filter(filter);
  if (explicitRoot) {
    const hit = projects.find((p) => path.resolve(p.root) === path.resolve(explicitRoot));
    return hit ? { kind: 'use', project: hit } : { kind: 'none' };
  }
  if (candidates.length === 0) {
    return { kind: 'none' };
  }
  if (candidates.length === 1) {
    return { kind: 'use', project: candidates[0] };
  }
  return { kind: 'pick', items: projectPickItems(candidates, activeRoot) };
}

/** The actions offered for a project (status bar click), by its env status. */
export function actionsFor(
  project: ProjectInfo,
): ('create' | 'rebuild' | 'lock' | 'remove' | 'add' | 'removePackage' | 'record' | 'status')[] {
  const s = project.status?.status;
  if (s === 'building') {
    return ['status'];
  }
  if (s === undefined || s === 'missing') {
    return ['create', 'lock', 'status'];
  }
  if (s === 'drifted') {
    return ['record', 'rebuild', 'add', 'removePackage', 'remove', 'status'];
  }
  return ['rebuild', 'lock', 'add', 'removePackage', 'remove', 'status'];
}
