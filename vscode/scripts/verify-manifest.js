#!/usr/bin/env node
/*
 * Offline check of what the VS Code Marketplace and Open VSX need from the manifest, for CI
 * (`ovsx verify-pat` / `ovsx publish` need the network, so this checks their manifest rules here):
 * publisher/name ids, semver version, engines.vscode, a license with its file, repository, icon
 * (a PNG inside the package), categories from the Marketplace's list, at most 30 keywords, README
 * and CHANGELOG, and README images on https (the Marketplace rejects others).
 *
 *   node scripts/verify-manifest.js [path/to/package.json]
 *
 * Exits 1 and prints one line per problem; prints "manifest OK" otherwise.
 * Rules: https://code.visualstudio.com/api/references/extension-manifest and
 * https://github.com/eclipse/openvsx/wiki/Publishing-Extensions
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const file = path.resolve(process.argv[2] || path.join(__dirname, '..', 'package.json'));
const dir = path.dirname(file);
const m = JSON.parse(fs.readFileSync(file, 'utf8'));
const problems = [];
const need = (cond, msg) => cond || problems.push(msg);

// The Marketplace's category list (extension-manifest reference).
const CATEGORIES = [
  'Azure', 'Data Science', 'Debuggers', 'Education', 'Extension Packs', 'Formatters', 'Keymaps',
  'Language Packs', 'Linters', 'Machine Learning', 'Notebooks', 'Programming Languages', 'SCM Providers',
  'Snippets', 'Testing', 'Themes', 'Visualization', 'AI', 'Chat', 'Other',
];
const ID = /^[a-z0-9][a-z0-9-]*$/i;

need(typeof m.name === 'string' && ID.test(m.name), 'name: lowercase letters, digits and dashes');
need(typeof m.publisher === 'string' && ID.test(m.publisher), 'publisher: missing or not an id');
need(/^\d+\.\d+\.\d+$/.test(m.version || ''), 'version: must be major.minor.patch (the Marketplace rejects pre-release tags)');
need(m.engines && typeof m.engines.vscode === 'string' && /^\^?\d+\.\d+\.\d+$/.test(m.engines.vscode), 'engines.vscode: missing or not ^x.y.z');
need(typeof m.displayName === 'string' && m.displayName.length > 0, 'displayName: missing');
need(typeof m.description === 'string' && m.description.length >= 20, 'description: missing or too short');
need(typeof m.license === 'string' && m.license.length > 0, 'license: missing (Open VSX warns and shows none)');
need(['LICENSE', 'LICENSE.md', 'LICENSE.txt'].some((f) => fs.existsSync(path.join(dir, f))), 'LICENSE file: missing');
const repo = typeof m.repository === 'string' ? m.repository : m.repository && m.repository.url;
need(typeof repo === 'string' && /^https:\/\//.test(repo), 'repository: missing or not an https URL');
need(typeof m.icon === 'string' && /\.png$/i.test(m.icon), 'icon: missing or not a PNG (SVG icons are rejected)');
if (typeof m.icon === 'string') {
  const icon = path.join(dir, m.icon);
  const head = fs.existsSync(icon) ? fs.readFileSync(icon).subarray(0, 24) : Buffer.alloc(0);
  const png = head.length === 24 && head.toString('latin1', 1, 4) === 'PNG';
  need(png, `icon: ${m.icon} is not a PNG file`);
  if (png) {
    const w = head.readUInt32BE(16);
    const h = head.readUInt32BE(20);
    need(w === h && w >= 128, `icon: ${w}x${h}, must be square and at least 128x128`);
  }
}
need(Array.isArray(m.categories) && m.categories.length > 0, 'categories: missing');
for (const c of m.categories || []) {
  need(CATEGORIES.includes(c), `categories: "${c}" is not a Marketplace category`);
}
need(Array.isArray(m.keywords) && m.keywords.length > 0 && m.keywords.length <= 30, 'keywords: 1 to 30 needed');
need(!m.private, 'private: true would make vsce refuse to publish');
need(typeof m.main === 'string', 'main: missing');
for (const f of ['README.md', 'CHANGELOG.md']) {
  need(fs.existsSync(path.join(dir, f)), `${f}: missing`);
}
if (fs.existsSync(path.join(dir, 'README.md'))) {
  const readme = fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
  const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)\s]+)/g)].map((x) => x[1]);
  need(images.length > 0, 'README.md: no screenshots');
  for (const src of images) {
    need(/^https:\/\//.test(src), `README.md: image ${src} must be an https URL`);
    need(!/\.svg$/i.test(src), `README.md: image ${src} is an SVG (rejected)`);
  }
}
const ignore = path.join(dir, '.vscodeignore');
need(fs.existsSync(ignore), '.vscodeignore: missing (the package would ship sources and node_modules)');

if (problems.length) {
  for (const p of problems) console.error(`${path.relative(process.cwd(), file) || file}: ${p}`);
  process.exit(1);
}
console.log('manifest OK');
