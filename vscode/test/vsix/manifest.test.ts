/**
 * Packages the extension with vsce (the same code path as `vsce package`) into a temp
 * dir, unzips the .vsix and checks that its manifest (extension/package.json) contributes
 * exactly the commands the extension registers and the settings it reads.
 *
 * The registered commands and read settings are collected by running the compiled
 * extension against the recording `vscode` stub (VS Code itself cannot run here).
 */
import '../support/installStub';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { builtinModules } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { createVSIX } from '@vscode/vsce';
import * as yauzl from 'yauzl';
import { CLIENT_ID, CONFIG_SECTION } from '../../src/constants';
import { activate, deactivate } from '../../src/extension';
import { readSettings } from '../../src/settings';
import { resetStub, state } from '../support/vscodeStub';

const VSCODE_DIR = path.resolve(__dirname, '..', '..', '..');
const NODE_BUILTINS = new Set(builtinModules);

/** Every entry of a zip file: name -> contents. */
function readZip(file: string): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) {
        reject(err ?? new Error('cannot open zip'));
        return;
      }
      const entries = new Map<string, Buffer>();
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) {
            reject(e ?? new Error('cannot read entry'));
            return;
          }
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            entries.set(entry.fileName, Buffer.concat(chunks));
            zip.readEntry();
          });
        });
      });
      zip.on('end', () => resolve(entries));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

interface Manifest {
  main: string;
  contributes: {
    commands: { command: string; title: string; category?: string }[];
    configuration: { properties: Record<string, { description?: string; markdownDescription?: string }> };
  };
  capabilities: { untrustedWorkspaces: { supported: string | boolean } };
}

/** Source files other than settings.ts must not read configuration directly. */
function configReadersOutsideSettings(): string[] {
  const src = path.join(VSCODE_DIR, 'src');
  return fs
    .readdirSync(src)
    .filter((f) => f.endsWith('.ts') && f !== 'settings.ts')
    .filter((f) => /getConfiguration\s*\(/.test(fs.readFileSync(path.join(src, f), 'utf8')));
}

describe('packaged .vsix manifest', function () {
  this.timeout(120000);
  let manifest: Manifest;
  let entries: Map<string, Buffer>;
  let registered: string[];
  let settingsRead: string[];
  let tmp: string;

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kernelenv-vsix-'));
    const vsix = path.join(tmp, 'kernelenv.vsix');
    await createVSIX({ cwd: VSCODE_DIR, packagePath: vsix });
    entries = await readZip(vsix);
    manifest = JSON.parse(entries.get('extension/package.json')!.toString('utf8')) as Manifest;

    resetStub();
    state.config.set(`${CONFIG_SECTION}.interpreter`, '/nonexistent/python');
    const context = { subscriptions: [] as { dispose(): unknown }[] };
    activate(context as unknown as vscode.ExtensionContext);
    registered = [...state.registeredCommands.keys()];
    readSettings();
    // vscode-languageclient reads `<client id>.trace.server` itself.
    settingsRead = [...state.configReads, `${CLIENT_ID}.trace.server`];
    await deactivate();
    context.subscriptions.forEach((d) => d.dispose());
  });

  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('contributes every command the extension registers, and only those', () => {
    const contributed = manifest.contributes.commands.map((c) => c.command);
    assert.ok(registered.length >= 8);
    assert.deepEqual([...contributed].sort(), [...registered].sort());
  });

  it('puts the commands in category Kernelenv with the titles the issue names', () => {
    for (const c of manifest.contributes.commands) {
      assert.equal(c.category, 'Kernelenv', c.command);
    }
    const titles = manifest.contributes.commands.map((c) => c.title);
    for (const t of [
      'Create Environment',
      'Lock Environment',
      'Rebuild Environment',
      'Remove Environment',
      'Show Status',
      'Select Project Kernel for Notebook',
      'Restart Server',
    ]) {
      assert.ok(titles.includes(t), t);
    }
  });

  it('contributes every setting the extension reads, each with a description, and no others', () => {
    const props = manifest.contributes.configuration.properties;
    assert.deepEqual(Object.keys(props).sort(), [...new Set(settingsRead)].sort());
    for (const [key, p] of Object.entries(props)) {
      assert.ok((p.description ?? p.markdownDescription ?? '').length > 20, `${key} has a description`);
    }
    assert.deepEqual(configReadersOutsideSettings(), []);
  });

  it('declares limited support for untrusted workspaces', () => {
    assert.equal(manifest.capabilities.untrustedWorkspaces.supported, 'limited');
  });

  it('ships one esbuild bundle with its dependencies inside, the readme, changelog, license and icon, nothing else', () => {
    const names = [...entries.keys()].filter((n) => n.startsWith('extension/')).sort();
    assert.equal(manifest.main, './dist/extension.js');
    assert.deepEqual(
      names.filter((n) => !/^extension\/dist\/extension\.js\.LEGAL\.txt$/.test(n)),
      [
        'extension/LICENSE.txt',
        'extension/changelog.md',
        'extension/dist/extension.js',
        'extension/images/icon.png',
        'extension/package.json',
        'extension/readme.md',
      ].sort(),
    );
    const bundle = entries.get('extension/dist/extension.js')!.toString('utf8');
    // vscode-languageclient and the Python extension API are inside; only `vscode` and Node
    // built-ins are left to require at run time.
    assert.match(bundle, /workspace\/executeCommand/);
    const required = new Set([...bundle.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]));
    const external = [...required].filter((r) => r !== 'vscode' && !r.startsWith('node:') && !NODE_BUILTINS.has(r));
    assert.deepEqual(external, []);
    assert.ok(bundle.length < 1024 * 1024, `bundle is ${bundle.length} bytes`);
    const icon = entries.get('extension/images/icon.png')!;
    assert.equal(icon.subarray(1, 4).toString('latin1'), 'PNG');
  });

  it('passes the Marketplace / Open VSX manifest checks (scripts/verify-manifest.js)', () => {
    const res = spawnSync(process.execPath, [path.join(VSCODE_DIR, 'scripts', 'verify-manifest.js')], { encoding: 'utf8' });
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stdout, /manifest OK/);
  });
});
