import assert from 'node:assert/strict';
import { statusNeedsAttention, statusText, statusTooltip } from '../../src/status';
import { project, status } from '../support/fixtures';

describe('status bar text', () => {
  it('shows ready with the backend the env was built with', () => {
    const p = project('/ws/a', { status: status('ready', { backend: 'uv', python_version: '3.11.7', packages: 42 }) });
    assert.equal(statusText(p), 'env: ready (uv)');
    assert.equal(statusNeedsAttention(p), false);
  });

  it('falls back to the detected backend when the status has none', () => {
    const p = project('/ws/a', { backend: 'rattler', status: status('stale') });
    assert.equal(statusText(p), 'env: stale (rattler)');
    assert.equal(statusNeedsAttention(p), true);
  });

  it('shows missing without a backend', () => {
    assert.equal(statusText(project('/ws/a')), 'env: missing');
  });

  it('shows the build percentage while a build runs, rounded', () => {
    const p = project('/ws/a', { status: status('ready', { backend: 'uv' }) });
    assert.equal(statusText(p, { action: 'rebuild', percentage: 40.4 }), 'env: building… 40%');
    assert.equal(statusText(p, { action: 'rebuild' }), 'env: building…');
  });

  it('shows building when the server reports a build started elsewhere', () => {
    assert.equal(statusText(project('/ws/a', { status: status('building') })), 'env: building…');
  });

  it('says when the file is in no project or the status is not known yet', () => {
    assert.equal(statusText(undefined), 'env: no project');
    assert.equal(statusText(project('/ws/a', { status: null })), 'env: detecting');
  });

  it('shows a drifted env in the warning colour with what changed by hand in the tooltip', () => {
    const drift = { added: [{ name: 'certifi', version: '2024.8.30' }], removed: [], changed: [] };
    const p = project('/ws/a', { status: status('drifted', { drift }) });
    assert.equal(statusText(p), 'env: drifted (uv)');
    assert.ok(statusNeedsAttention(p));
    assert.match(statusTooltip(p), /Changed by hand: added certifi 2024\.8\.30/);
  });

  it('puts the reason, python and kernel in the tooltip', () => {
    const p = project('/ws/a', { status: status('ready', { python_version: '3.11.7', packages: 42 }) });
    const tip = statusTooltip(p);
    assert.match(tip, /Status: ready — env is ready/);
    assert.match(tip, /Python 3\.11\.7 · 42 packages/);
    assert.match(tip, /Kernel: kernelenv-a/);
  });
});
