import assert from 'node:assert/strict';
import { actionsFor, chooseProject, isInside, ProjectStore, projectPickItems } from '../../src/projects';
import { project, status } from '../support/fixtures';

describe('project store', () => {
  it('finds the innermost project holding a file', () => {
    const store = new ProjectStore();
    store.update({ workspaceFolder: 'file:///ws', projects: [project('/ws'), project('/ws/tutorials/a')] });
    assert.equal(store.projectFor('/ws/tutorials/a/nb.ipynb')?.root, '/ws/tutorials/a');
    assert.equal(store.projectFor('/ws/other/nb.ipynb')?.root, '/ws');
    assert.equal(store.projectFor('/elsewhere/nb.ipynb'), undefined);
  });

  it('does not treat a sibling with a common prefix as inside', () => {
    assert.equal(isInside('/ws/ab/x.py', '/ws/a'), false);
    assert.equal(isInside('/ws/a/x.py', '/ws/a'), true);
    assert.equal(isInside('/ws/a', '/ws/a'), true);
  });

  it('replaces a folder on each notification and tells listeners', () => {
    const store = new ProjectStore();
    let calls = 0;
    store.onChange(() => calls++);
    store.update({ workspaceFolder: 'file:///ws', projects: [project('/ws/a'), project('/ws/b')] });
    store.update({ workspaceFolder: 'file:///other', projects: [project('/other')] });
    store.update({ workspaceFolder: 'file:///ws', projects: [project('/ws/b')] });
    assert.deepEqual(store.all().map((p) => p.root).sort(), ['/other', '/ws/b']);
    assert.equal(calls, 3);
    store.clear();
    assert.equal(store.reported, false);
  });
});

describe('choosing a project for a command', () => {
  const projects = [project('/ws/b'), project('/ws/a'), project('/ws/c')];

  it('uses the project named by the argument (code lens, status bar)', () => {
    const c = chooseProject(projects, '/ws/c', '/ws/a');
    assert.equal(c.kind, 'use');
    assert.equal(c.kind === 'use' && c.project.root, '/ws/c');
  });

  it('refuses an argument naming no project rather than guessing', () => {
    assert.equal(chooseProject(projects, '/ws/zzz').kind, 'none');
  });

  it('uses the only project without asking', () => {
    const c = chooseProject([project('/ws/a')]);
    assert.equal(c.kind === 'use' && c.project.root, '/ws/a');
  });

  it('asks with a quick pick when there are several, active project first then by path', () => {
    const c = chooseProject(projects, undefined, '/ws/c');
    assert.equal(c.kind, 'pick');
    const items = c.kind === 'pick' ? c.items : [];
    assert.deepEqual(items.map((i) => i.project.root), ['/ws/c', '/ws/a', '/ws/b']);
    assert.equal(items[0].label, 'c');
    assert.equal(items[0].description, 'c');
    assert.match(items[0].detail, /^env: missing · only pip specs exist$/);
  });

  it('says none when the workspace has no project', () => {
    assert.equal(chooseProject([]).kind, 'none');
  });

  it('shows the absolute root for a project at the workspace folder itself', () => {
    assert.equal(projectPickItems([project('/ws')])[0].description, '/ws');
  });

  it('offers create for a missing env and rebuild for an existing one', () => {
    assert.deepEqual(actionsFor(project('/ws/a')), ['create', 'lock', 'status']);
    assert.deepEqual(actionsFor(project('/ws/a', { status: status('stale') })), [
      'rebuild',
      'lock',
      'add',
      'removePackage',
      'remove',
      'status',
    ]);
    // drifted: keep the hand installs (record) or revert them (rebuild) first
    assert.deepEqual(actionsFor(project('/ws/a', { status: status('drifted') })).slice(0, 2), ['record', 'rebuild']);
    assert.deepEqual(actionsFor(project('/ws/a', { status: status('building') })), ['status']);
  });
});
