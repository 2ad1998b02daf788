import { describe, expect, it } from 'vitest';

import {
  changesPackages,
  driftSummary,
  parsePackageInput,
  actionStates,
  decideKernel,
  errorFilePath,
  formatError,
  guiText,
  progressPercent,
  projectFilePath,
  projectFolder,
  projectForFolder,
  statusClass
} from '../src/logic';
import { job, project, resolved, status } from './fixtures';

describe('actionStates', () => {
  it('offers Create and Lock but not Rebuild/Remove when the env is missing', () => {
    expect(actionStates(project(), null)).toEqual({
      create: true,
      lock: true,
      rebuild: false,
      purge: false
    });
  });

  it('offers all but Create for a ready env (Create would do nothing there; Rebuild rebuilds)', () => {
    const p = project({ status: status('ready') });
    expect(actionStates(p, null)).toEqual({ create: false, lock: true, rebuild: true, purge: true });
    for (const s of ['stale', 'lock out of date', 'broken'] as const) {
      expect(actionStates(project({ status: status(s) }), null).create).toBe(true);
    }
  });

  it('disables every button while a job runs, and enables them again once it ended', () => {
    const p = project({ status: status('ready') });
    expect(Object.values(actionStates(p, job()))).toEqual([false, false, false, false]);
    expect(Object.values(actionStates(project({ status: status('building') }), null))).toEqual([
      false,
      false,
      false,
      false
    ]);
    expect(actionStates(p, job({ state: 'failed' })).rebuild).toBe(true);
  });

  it('cannot lock a project that only has a lock file', () => {
    const p = project({ spec: null, lock: 'pylock.toml' });
    expect(actionStates(p, null).lock).toBe(false);
    expect(actionStates(p, null).create).toBe(true);
  });
});

describe('guiText', () => {
  it("words the engine's command-line advice as the panel's buttons", () => {
    expect(guiText('No env yet: run `kernelenv create`.')).toBe('No env yet: click Create.');
    expect(guiText('requirements.in changed since requirements.txt was written: run `kernelenv lock` then `kernelenv rebuild`.')).toBe(
      'requirements.in changed since requirements.txt was written: click Lock, then Rebuild.'
    );
    expect(guiText('Changed since the env was built: runtime.txt. Run `kernelenv create` (or `lock` then `rebuild`).')).toBe(
      'Changed since the env was built: runtime.txt. Run Create (or Lock, then Rebuild).'
    );
  });

  it('keeps advice that has no button as written', () => {
    const text = 'Run `kernelenv binder --force` after `kernelenv lock`; see `kernelenv pythons`.';
    expect(guiText(text)).toBe('Run `kernelenv binder --force` after Lock; see `kernelenv pythons`.');
    expect(guiText('The env matches its files.')).toBe('The env matches its files.');
  });
});

describe('projectFolder', () => {
  it('shows the folder relative to the server root, the root as /', () => {
    expect(projectFolder({ path: 'work/1104-demo' })).toBe('work/1104-demo/');
    expect(projectFolder({ path: '.' })).toBe('/');
  });
});

describe('formatError', () => {
  it('names the file, line and column of an env-file error', () => {
    expect(
      formatError({ message: "Expected a package name, got '=='", path: 'requirements.txt', line: 3, column: 1 })
    ).toBe("requirements.txt:3:1: Expected a package name, got '=='");
  });

  it("does not repeat the engine's own location prefix and shows files relative to the project", () => {
    const engine = {
      code: 'invalid-requirement',
      message:
        "/srv/root/proj/requirements.txt:2:6: invalid requirement 'this is not!!': Expected end",
      path: '/srv/root/proj/requirements.txt',
      line: 2,
      column: 6,
      detail: "invalid requirement 'this is not!!': Expected end"
    };
    expect(formatError(engine, '/srv/root/proj')).toBe(
      "requirements.txt:2:6: invalid requirement 'this is not!!': Expected end"
    );
    const { detail: _d, ...noDetail } = engine;
    expect(formatError(noDetail, '/srv/root/proj/')).toBe(
      "requirements.txt:2:6: invalid requirement 'this is not!!': Expected end"
    );
    expect(formatError(noDetail)).toBe(
      "/srv/root/proj/requirements.txt:2:6: invalid requirement 'this is not!!': Expected end"
    );
  });

  it('opens an error file inside the project by its root-relative path, none outside it', () => {
    const p = project({ path: 'a/proj', root: '/srv/root/a/proj' });
    expect(errorFilePath(p, '/srv/root/a/proj/binder/environment.yml')).toBe('a/proj/binder/environment.yml');
    expect(errorFilePath(p, 'requirements.txt')).toBe('a/proj/requirements.txt');
    expect(errorFilePath(p, '/etc/passwd')).toBeNull();
    expect(errorFilePath(p, '/srv/root/a/project2/x')).toBeNull();
  });

  it('leaves out what the error does not have', () => {
    expect(formatError({ message: 'uv failed', path: 'environment.yml', line: null })).toBe(
      'environment.yml: uv failed'
    );
    expect(formatError({ message: 'No Python 3.6 installed' })).toBe('No Python 3.6 installed');
    expect(formatError(null)).toBe('Unknown error');
  });
});

describe('panel helpers', () => {
  it('gives every status a CSS class without spaces', () => {
    expect(statusClass('lock out of date')).toBe('kernelenv-status-lock-out-of-date');
  });

  it('turns the job fraction into a clamped percentage, null when unknown', () => {
    expect(progressPercent(job())).toBe(50);
    expect(progressPercent(job({ progress: { step: 'x', fraction: 1.7, message: '' } }))).toBe(100);
    expect(progressPercent(job({ progress: { step: 'resolve', fraction: null, message: '' } }))).toBeNull();
  });

  it('opens env files relative to the server root', () => {
    expect(projectFilePath(project({ path: 'a/proj' }), 'binder/environment.yml')).toBe(
      'a/proj/binder/environment.yml'
    );
    expect(projectFilePath(project({ path: '.' }), 'requirements.txt')).toBe('requirements.txt');
  });
});

describe('projectForFolder', () => {
  const a = project({ path: 'a', name: 'a' });
  const b = project({ path: 'a/b', name: 'b' });

  it('prefers the project rooted at the folder', () => {
    expect(projectForFolder([a, b], 'a')).toBe(a);
    expect(projectForFolder([project({ path: '.' }), b], '')).toEqual(project({ path: '.' }));
  });

  it('takes the only project under the folder', () => {
    expect(projectForFolder([b], 'a')).toBe(b);
  });

  it('returns the candidates when several projects are under the folder, null for none', () => {
    expect(projectForFolder([a, b], '')).toEqual([a, b]);
    expect(projectForFolder([], 'x')).toBeNull();
  });
});

describe('decideKernel', () => {
  const python3 = { name: 'python3', language: 'python' };

  it('changes nothing for a notebook outside any project', () => {
    expect(decideKernel(resolved(null), python3, 'always').kind).toBe('none');
  });

  it('changes nothing when the setting is never', () => {
    expect(decideKernel(resolved('ready'), python3, 'never').kind).toBe('none');
  });

  it('offers the project kernel for a generic kernel when asked to ask', () => {
    expect(decideKernel(resolved('ready'), python3, 'ask')).toEqual({
      kind: 'offer-switch',
      kernelName: 'kernelenv-proj-1a2b3c',
      projectName: 'proj'
    });
  });

  it('switches directly with always, also from a missing kernel or another env', () => {
    expect(decideKernel(resolved('ready'), python3, 'always').kind).toBe('switch');
    expect(decideKernel(resolved('stale'), { name: null }, 'always').kind).toBe('switch');
    expect(
      decideKernel(resolved('lock out of date'), { name: 'conda-env-other-py', language: 'python' }, 'always')
        .kind
    ).toBe('switch');
  });

  it('does nothing when the notebook already runs the project kernel', () => {
    expect(decideKernel(resolved('ready'), { name: 'kernelenv-proj-1a2b3c' }, 'always').kind).toBe('none');
  });

  it('leaves other languages and the portable project kernel alone', () => {
    expect(decideKernel(resolved('ready'), { name: 'ir', language: 'R' }, 'always').kind).toBe('none');
    expect(
      decideKernel(resolved('ready'), { name: 'kernelenv-project', language: 'python' }, 'always', [
        'kernelenv-project'
      ]).kind
    ).toBe('none');
  });

  it('offers to create the env when it does not exist, even with always', () => {
    for (const mode of ['ask', 'always'] as const) {
      expect(decideKernel(resolved('missing'), python3, mode)).toEqual({
        kind: 'offer-create',
        projectPath: 'proj',
        projectName: 'proj',
        kernelName: 'kernelenv-proj-1a2b3c'
      });
    }
    expect(decideKernel(resolved('broken'), { name: null }, 'ask').kind).toBe('offer-create');
  });

  it('offers Create to a notebook on the portable kernel whose project has no env, then restarts it', () => {
    const portable = { name: 'kernelenv-project', language: 'python' };
    expect(decideKernel(resolved('missing'), portable, 'ask', ['kernelenv-project'])).toEqual({
      kind: 'offer-create',
      projectPath: 'proj',
      projectName: 'proj',
      kernelName: 'kernelenv-proj-1a2b3c',
      restartOnly: true
    });
  });

  it('waits while the env is being built', () => {
    expect(decideKernel(resolved('building'), python3, 'always').kind).toBe('none');
  });
});

describe('drift and packages', () => {
  it('summarises a drifted status and nothing else', () => {
    const drifted = status('drifted', {
      drift: {
        added: [{ name: 'idna', version: '3.7' }],
        removed: [],
        changed: [{ name: 'six', built: '1.16.0', version: '1.17.0' }]
      }
    });
    expect(driftSummary(drifted)).toBe('added idna 3.7; changed six 1.16.0 → 1.17.0');
    expect(driftSummary(status('ready'))).toBeNull();
  });

  it('reads the record/rebuild advice as the buttons', () => {
    expect(guiText('Run `kernelenv record` to keep them or `kernelenv rebuild` to revert.')).toBe(
      'Run Record to keep them or Rebuild to revert.'
    );
  });

  it('splits the Add field on spaces outside brackets', () => {
    expect(parsePackageInput(' pandas>=2,<3  seaborn\tpandas[excel, plot]>=2 ')).toEqual([
      'pandas>=2,<3',
      'seaborn',
      'pandas[excel, plot]>=2'
    ]);
    expect(parsePackageInput('   ')).toEqual([]);
  });

  it('keeps the drifted env usable and its buttons as for a ready one', () => {
    const p = project({ status: status('drifted'), lock: 'pylock.toml' });
    expect(actionStates(p, null)).toEqual({ create: false, lock: true, rebuild: true, purge: true });
  });
});

describe('changesPackages', () => {
  it('spots the cells that install or remove packages by hand', () => {
    expect(changesPackages('%pip install idna==3.7')).toBe(true);
    expect(changesPackages('import x\n!uv pip install --quiet idna')).toBe(true);
    expect(changesPackages('%conda remove numpy')).toBe(true);
    expect(changesPackages('! python -m pip uninstall -y six')).toBe(true);
    expect(changesPackages('%pip list')).toBe(false);
    expect(changesPackages('print("pip install x")')).toBe(false);
  });
});
