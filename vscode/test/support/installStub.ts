/**
 * Makes `require('vscode')` return the test stub (see vscodeStub.ts for why VS Code
 * cannot run here). Loaded by mocha with `--require`, or imported first by a test file.
 */
import Module from 'node:module';
import { vscodeStub } from './vscodeStub';

type Loader = (this: unknown, request: string, parent: unknown, isMain: boolean) => unknown;
const mod = Module as unknown as { _load: Loader };
const original = mod._load;
if (!(original as { kernelenvStub?: boolean }).kernelenvStub) {
  const patched: Loader = function (this: unknown, request, parent, isMain) {
    if (request === 'vscode') {
      return vscodeStub;
    }
    return original.call(this, request, parent, isMain);
  };
  (patched as { kernelenvStub?: boolean }).kernelenvStub = true;
  mod._load = patched;
}
