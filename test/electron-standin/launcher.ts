/**
 * Runs the built Electron entry under Node on the stand-in: `node launcher.js <app folder> [args…]`,
 * forked by the test with an IPC channel (the control channel, control.ts). It registers the module
 * hook that resolves `electron` to the stand-in, makes `process.argv` what Electron's would be
 * (`[executable, app folder, args…]`), imports package.json's `main` (its top level runs before
 * `ready`, as under Electron), then emits `ready`.
 */
import fs from 'node:fs';
import { register } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Rpc, type ShellRpc } from './control.js';
import { attachControl, controlSend, recordUncaught, standinReady } from './electron.js';

const [appFolder, ...args] = process.argv.slice(2);
if (!appFolder || !process.send) {
  process.stderr.write('usage: forked with an IPC channel, `launcher.js <app folder> [args…]`\n');
  process.exit(2);
}
const appPath = path.resolve(appFolder);
process.env.VELA_STANDIN_APP_PATH = appPath;

const rpc: ShellRpc = new Rpc({ send: controlSend, onMessage: (listener) => void process.on('message', listener) });
attachControl(rpc);
// The test went away: so does the app (and, by its own disconnect, the engine's process).
process.on('disconnect', () => {
  rpc.close();
  process.exit(0);
});

// Electron's main process logs what nobody caught and goes on; Node would stop.
process.on('uncaughtException', (error) => {
  recordUncaught('uncaughtException', error);
  process.stderr.write(`[electron stand-in] uncaught exception in the main process: ${error.stack ?? String(error)}\n`);
});
process.on('unhandledRejection', (reason) => {
  recordUncaught('unhandledRejection', reason);
  process.stderr.write(`[electron stand-in] unhandled rejection in the main process: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}\n`);
});

Object.defineProperty(process, 'type', { value: 'browser', configurable: true });
process.argv = [process.execPath, appPath, ...args];

register('./hooks.js', import.meta.url);

const pkg = JSON.parse(fs.readFileSync(path.join(appPath, 'package.json'), 'utf8')) as { main?: string };
await import(pathToFileURL(path.resolve(appPath, pkg.main ?? 'index.js')).href);
setImmediate(standinReady);
