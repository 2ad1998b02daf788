import { describe, expect, it } from 'vitest';

import { actionUrl, encodePath, jobUrl, normalizeDir, packagesUrl, projectsUrl, resolveUrl } from '../src/urls';

describe('REST API URLs', () => {
  it('encodes each path segment but keeps the slashes', () => {
    expect(encodePath('my proj/sub#1')).toBe('my%20proj/sub%231');
    expect(encodePath('/a//b/')).toBe('a/b');
  });

  it('puts the action after the project path', () => {
    expect(actionUrl('examples/binder req', 'create')).toBe(
      'kernelenv/api/projects/examples/binder%20req/create'
    );
    expect(actionUrl('p', 'purge')).toBe('kernelenv/api/projects/p/purge');
    expect(packagesUrl('a b/c')).toBe('kernelenv/api/projects/a%20b/c/packages');
    expect(packagesUrl('.')).toBe('kernelenv/api/projects/packages');
  });

  it('addresses the root project without a "./" segment browsers would drop', () => {
    expect(actionUrl('.', 'lock')).toBe('kernelenv/api/projects/lock');
    expect(actionUrl('', 'rebuild')).toBe('kernelenv/api/projects/rebuild');
  });

  it('sends folders and notebooks as query arguments', () => {
    expect(projectsUrl('/a b/c/')).toBe('kernelenv/api/projects?path=a%20b%2Fc');
    expect(projectsUrl('')).toBe('kernelenv/api/projects?path=');
    expect(resolveUrl('p/nb?.ipynb')).toBe('kernelenv/api/resolve?notebook=p%2Fnb%3F.ipynb');
    expect(jobUrl('0f1e')).toBe('kernelenv/api/jobs/0f1e');
  });

  it('normalizes the root folder to an empty string', () => {
    expect(normalizeDir('.')).toBe('');
    expect(normalizeDir('/')).toBe('');
    expect(normalizeDir('x/')).toBe('x');
  });
});
