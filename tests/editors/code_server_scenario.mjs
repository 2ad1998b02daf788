// The browser half of tests/editors/test_code_server.py: drives Debian's Chromium with
// playwright-core (from vscode/node_modules; no downloaded browser) through a real
// code-server (VS Code 1.100 in the browser) that has the freshly packaged .vsix installed.
//
// Usage: node code_server_scenario.mjs CONFIG_JSON
//   CONFIG_JSON: {phase, url, folder, project, broken, chromium, vscodeDir, screenshots,
//                 artifacts, createTimeoutMs}
//   phase "trusted":   create prompt -> requirements.txt: status bar + code lens "missing";
//                      status bar kept while the Output panel has focus; Create Environment
//                      from the palette with its progress notification, "building…" in the
//                      status bar and the lens, then ready; Rebuild + Cancel keeps it ready;
//                      a broken environment.yml lists its errors in Problems.
//   phase "untrusted": Restricted Mode: status shown, no prompt, Create absent from the
//                      palette and refused from the lens.
//   phase "missing":   the interpreter lacks kernelenv: one notification saying how to
//                      install it, one "Open Setting" button that opens the setting.
// Prints one JSON line {ok, seen, error, ...observations} on stdout; exit status 0 iff ok.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const config = JSON.parse(process.argv[2]);
const require = createRequire(path.join(config.vscodeDir, 'package.json'));
const { chromium } = require('playwright-core');

const seen = [];
const out = {};
const log = (msg) => process.stderr.write(`[code_server_scenario] ${msg}\n`);
const step = (msg) => {
  seen.push(msg);
  log(msg);
};

async function main() {
  const browser = await chromium.launch({
    executablePath: config.chromium || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport: { width: 1400, height: 860 } });
  const page = await context.newPage();
  page.on('pageerror', (err) => log(`page error: ${err.message}`));
  try {
    await page.goto(`${config.url}?folder=${encodeURIComponent(config.folder)}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60000 });
    step('workbench rendered');
    await { trusted, untrusted, missing }[config.phase](page);
  } catch (error) {
    await page.screenshot({ path: path.join(config.artifacts, `failure-${config.phase}.png`) }).catch(() => {});
    throw error;
  } finally {
    await browser.close();
  }
}

// -- helpers -------------------------------------------------------------------------------

/** Save a screenshot of the docs (docs/images) or, when they are not updated, of the run. */
async function shot(page, name) {
  const dir = config.updateScreenshots || !fs.existsSync(path.join(config.screenshots, name))
    ? config.screenshots : config.artifacts;
  await page.screenshot({ path: path.join(dir, name) });
}

/** Poll `fn` until it returns a truthy value. */
async function until(what, fn, timeout = 30000, every = 250) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, every));
  }
  throw new Error(`timed out after ${timeout} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
}

/** The kernelenv status bar item's text ("" when hidden). */
async function statusBar(page) {
  const items = await page.locator('.part.statusbar .statusbar-item').allInnerTexts();
  return items.map((t) => t.trim()).find((t) => t.startsWith('env:')) ?? '';
}

async function waitStatus(page, re, timeout = 60000) {
  return until(`status bar ${re}`, async () => {
    const t = await statusBar(page);
    return re.test(t) ? t : undefined;
  }, timeout);
}

/** The code lens line of the visible editor ("env missing | Create"). */
async function lenses(page) {
  const t = await page.locator('.editor-instance .codelens-decoration').allInnerTexts();
  return t.map((x) => x.replace(/\s+/g, ' ').trim()).join(' ');
}

async function waitLens(page, re, timeout = 60000) {
  return until(`code lens ${re}`, async () => {
    const t = await lenses(page);
    return re.test(t) ? t : undefined;
  }, timeout, 200);
}

/** Visible notification toasts: [{text, buttons}]. */
async function toasts(page) {
  return page.locator('.notifications-toasts .notification-toast').evaluateAll((els) => els.map((el) => ({
    text: (el.querySelector('.notification-list-item-message')?.textContent ?? '').trim(),
    source: (el.querySelector('.notification-list-item-source')?.textContent ?? '').trim(),
    buttons: [...el.querySelectorAll('.notification-list-item-buttons-container .monaco-button')]
      .map((b) => (b.textContent ?? '').trim()),
  })));
}

async function waitToast(page, re, timeout = 60000) {
  return until(`a notification ${re}`, async () => (await toasts(page)).find((t) => re.test(t.text)), timeout);
}

async function clickToastButton(page, textRe, button) {
  const toast = page.locator('.notifications-toasts .notification-toast').filter({ hasText: textRe });
  await toast.locator('.notification-list-item-buttons-container .monaco-button', { hasText: button }).first().click();
}

/** Run a command from the palette by its title. */
/**
 * Open the quick input (F1) and return its text box. A key press can land while the workbench
 * moves focus (a tab tooltip, a closing panel) and be dropped: press again, up to three times.
 */
async function quickInput(page) {
  const input = page.locator('.quick-input-widget input');
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press(attempt === 2 ? 'Control+Shift+P' : 'F1');
    try {
      await input.waitFor({ state: 'visible', timeout: 8000 });
      return input;
    } catch (error) {
      if (attempt === 3) {
        throw error;
      }
      step(`quick input did not open (attempt ${attempt}); pressing again`);
      await page.keyboard.press('Escape');
    }
  }
}

async function palette(page, title) {
  const input = await quickInput(page);
  await input.fill(`>${title}`);
  await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: title }).first()
    .waitFor({ timeout: 10000 });
  await page.keyboard.press('Enter');
}

/** Answer the "which project?" quick pick a command shows when the workspace holds several. */
async function pickProject(page, name) {
  const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: name }).first();
  await row.waitFor({ timeout: 10000 });
  step(`picked project ${name}`);
  await row.click();
}

/** The palette rows for `title` (closes the palette again). */
async function paletteRows(page, title) {
  const input = await quickInput(page);
  await input.fill(`>${title}`);
  await page.waitForTimeout(800);
  const rows = await page.locator('.quick-input-widget .quick-input-list .monaco-list-row').allInnerTexts();
  await page.keyboard.press('Escape');
  return rows.map((r) => r.replace(/\s+/g, ' ').trim());
}

/** Open a workspace file through Quick Open (its path relative to the folder). */
async function openFile(page, rel) {
  const input = await quickInput(page);
  await input.fill(rel);
  const base = path.basename(rel);
  await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: base }).first()
    .waitFor({ timeout: 15000 });
  await page.keyboard.press('Enter');
  await page.locator('.tabs-container .tab.active', { hasText: base }).waitFor({ timeout: 15000 });
}

// -- phases --------------------------------------------------------------------------------

async function trusted(page) {
  const prompt = await waitToast(page, /has no environment yet/, 90000);
  step(`create prompt: ${prompt.text} [${prompt.buttons.join(', ')}]`);
  out.prompt = prompt;
  await shot(page, 'vscode-create-prompt.png');
  await clickToastButton(page, /has no environment yet/, 'Not now');

  await openFile(page, `${config.project}/requirements.txt`);
  out.missingStatus = await waitStatus(page, /^env: missing$/);
  out.missingLens = await waitLens(page, /env missing.*Create/);
  step(`missing: status "${out.missingStatus}", lens "${out.missingLens}"`);
  await shot(page, 'vscode-missing.png');

  // The status bar item stays while the Output panel (the Kernelenv channel) has focus.
  await palette(page, 'Output: Show Output Channels...');
  const input = page.locator('.quick-input-widget input');
  await input.fill('Kernelenv');
  await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'Kernelenv' }).first().waitFor();
  await page.keyboard.press('Enter');
  const outputLines = page.locator('.part.panel .view-lines');
  out.outputText = await until('the activation line in the Output panel', async () => {
    const t = (await outputLines.allInnerTexts()).join('\n').replace(/\u00a0/g, ' ');
    return /for the kernelenv language server/.test(t) ? t : undefined;
  }, 30000);
  await outputLines.first().click();
  await page.waitForTimeout(500);
  out.statusWithOutputFocused = await statusBar(page);
  step(`Output panel focused: status "${out.statusWithOutputFocused}"`);
  await page.keyboard.press('Escape');
  await palette(page, 'View: Toggle Panel Visibility');
  await page.locator('.tabs-container .tab.active', { hasText: 'requirements.txt' }).click();

  // Create Environment from the palette: progress notification, building…, then ready.
  await palette(page, 'Kernelenv: Create Environment');
  await pickProject(page, config.project);
  const progress = await waitToast(page, /Create Environment/, 30000);
  step(`progress notification: ${progress.text} [${progress.buttons.join(', ')}]`);
  out.createProgress = progress;
  out.buildingStatus = await waitStatus(page, /^env: building…/, 30000);
  out.buildingLens = await waitLens(page, /env building…/, 30000);
  step(`building: status "${out.buildingStatus}", lens "${out.buildingLens}"`);
  await shot(page, 'vscode-building.png');
  out.readyStatus = await waitStatus(page, /^env: ready \(uv\)$/, config.createTimeoutMs);
  out.readyLens = await waitLens(page, /env ready · uv · Python 3\.10 .*Rebuild/, 60000);
  out.createDone = (await waitToast(page, /created|finished|succeeded|ready/i, 30000)).text;
  step(`ready: status "${out.readyStatus}", lens "${out.readyLens}", "${out.createDone}"`);
  await shot(page, 'vscode-ready.png');

  // Rebuild, then Cancel in its progress notification: the previous env stays.
  await palette(page, 'Kernelenv: Rebuild Environment');
  await pickProject(page, config.project);
  const rebuild = await waitToast(page, /Rebuild Environment/, 30000);
  out.rebuildProgress = rebuild;
  await waitStatus(page, /^env: building…/, 30000);
  await clickToastButton(page, /Rebuild Environment/, 'Cancel');
  step('clicked Cancel on the rebuild');
  out.cancelled = (await waitToast(page, /cancel/i, 120000)).text;
  out.statusAfterCancel = await waitStatus(page, /^env: ready \(uv\)$/, 60000);
  step(`after Cancel: "${out.cancelled}", status "${out.statusAfterCancel}"`);

  // A broken env file: its errors in Problems, each with its line.
  await openFile(page, `${config.broken}/environment.yml`);
  await palette(page, 'View: Focus Problems (Errors, Warnings, Infos)');
  const rows = page.locator('.part.panel .markers-panel .monaco-list-row');
  out.problems = await until('Problems entries for environment.yml', async () => {
    const t = (await rows.allInnerTexts()).map((x) => x.replace(/\s+/g, ' ').trim());
    return t.length >= 3 ? t : undefined;
  }, 60000);
  step(`problems: ${out.problems.join(' | ')}`);
  await shot(page, 'vscode-problems.png');
}

async function untrusted(page) {
  await page.locator('.part.statusbar', { hasText: 'Restricted Mode' }).waitFor({ timeout: 30000 });
  step('Restricted Mode');
  await openFile(page, `${config.project}/requirements.txt`);
  out.status = await waitStatus(page, /^env: missing$/);
  out.lens = await waitLens(page, /env missing/);
  step(`untrusted: status "${out.status}", lens "${out.lens}"`);
  await page.waitForTimeout(3000); // the server would have prompted by now
  out.toasts = await toasts(page);
  out.paletteRows = await paletteRows(page, 'Kernelenv: Create Environment');
  step(`palette rows for Create: ${JSON.stringify(out.paletteRows)}`);
  const create = page.locator('.editor-instance .codelens-decoration a', { hasText: /^Create$/ });
  if (await create.count()) {
    await create.first().click();
    out.refusal = (await waitToast(page, /untrusted/, 15000)).text;
    step(`Create lens refused: ${out.refusal}`);
  }
  await shot(page, 'vscode-untrusted.png');
}

async function missing(page) {
  const note = await waitToast(page, /kernelenv/i, 60000);
  out.notification = note;
  step(`notification: ${note.text} [${note.buttons.join(', ')}]`);
  out.status = await waitStatus(page, /server not running/, 30000);
  await page.waitForTimeout(1000); // the toast's fade-in
  await shot(page, 'vscode-not-installed.png');
  await clickToastButton(page, /kernelenv/i, 'Open Setting');
  out.settingShown = await until('the kernelenv.interpreter setting', async () => {
    const t = await page.locator('.settings-editor .setting-item-contents').allInnerTexts().catch(() => []);
    return t.map((x) => x.replace(/\s+/g, ' ')).find((x) => /Kernelenv: Interpreter/i.test(x));
  }, 30000);
  step(`setting shown: ${out.settingShown.slice(0, 80)}`);
}

main().then(
  () => {
    process.stdout.write(`${JSON.stringify({ ok: true, seen, ...out })}\n`);
    process.exit(0);
  },
  (error) => {
    process.stdout.write(`${JSON.stringify({ ok: false, seen, error: String(error?.stack ?? error), ...out })}\n`);
    process.exit(1);
  },
);
