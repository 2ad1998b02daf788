import assert from 'node:assert/strict';
import { BuildInfo, formatBytes, rollbackItems, rollbackMessage } from '../../src/history';

function build(id: string, extra: Partial<BuildInfo> = {}): BuildInfo {
  return {
    id,
    live: false,
    env_exists: true,
    created: `2025-01-0${id.slice(-1)}T10:00:00Z`,
    reason: 'create',
    python_version: '3.11.7',
    lock: 'pylock.toml',
    packages: 30,
    changes: [],
    freed_bytes: 6_400_000,
    error: null,
    ...extra,
  };
}

describe('rollback quick pick', () => {
  it('lists earlier usable builds newest first, without the live one', () => {
    const items = rollbackItems({
      keep: 3,
      live: 'b4',
      builds: [
        build('b1'),
        build('b2', { changes: ['+attrs 24.2.0'], reason: 'add attrs' }),
        build('b3', { env_exists: false }),
        build('b4', { live: true, changes: ['six 1.16.0 → 1.17.0'] }),
      ],
    });
    assert.deepEqual(
      items.map((i) => i.build),
      ['b2', 'b1'],
    );
    assert.equal(items[0].label, '2025-01-02T10:00:00Z — add attrs');
    assert.equal(items[0].description, 'Python 3.11.7, 30 packages, from pylock.toml');
    assert.equal(items[0].detail, '+attrs 24.2.0');
    assert.equal(items[1].detail, '6.4 MB own disk use');
  });

  it('leaves out builds whose record cannot be read', () => {
    assert.deepEqual(rollbackItems({ keep: 3, live: null, builds: [build('b1', { error: 'corrupt' })] }), []);
  });

  it('says what the rollback did', () => {
    const text = rollbackMessage('paper', {
      build: 'b1',
      previous: 'b2',
      lock_restored: 'pylock.toml',
      lock_unchanged: false,
      changes: ['-attrs 24.2.0'],
      seconds: 0.0042,
      kernel_name: 'paper',
    });
    assert.equal(
      text,
      'paper: build b1 is live again in 4 ms; kernel paper unchanged (restart open notebooks). ' +
        'pylock.toml restored. Changes: -attrs 24.2.0.',
    );
  });

  it('formats sizes as the CLI does', () => {
    assert.equal(formatBytes(999), '999 B');
    assert.equal(formatBytes(12_800_000), '12.8 MB');
    assert.equal(formatBytes(null), '?');
  });
});
