import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { Rpc, BREAK_ENV, type Break, type DriverRpc, type UserAct } from '../electron-standin/control.js';
import type { StandinBuild } from '../electron-standin/build.js';
import { ChromiumDriver } from '../electron-standin/driver.js';
import { SCREENSHOTS } from '../e2e/harness.js';

/**
 * The desktop app, end to end, without an Electron binary: the built `dist/electron/main.js` runs under
 * Node on the Electron stand-in (test/electron-standin), its windows are pages in Debian's Chromium,
 * its engine process a real child process. One `Desktop` is one app instance on one data dir.
 */

export const ROOT = path.resolve(import.meta.dirname, '..', '..');

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Desktop {
  child: ChildProcess;
  driver: ChromiumDriver;
  rpc: DriverRpc;
  dataDir: string;
  home: string;
  exited: Promise<Exit>;
  /** The shell's (and its engine process's) output so far, for failure messages. */
  output(): string;
  /** The first window's page, once the shell has made it. */
  page(): Promise<Page>;
  /** What a user or the desktop does: quit, a tray menu item, a notification click. */
  act(act: UserAct): Promise<unknown>;
  /** test/e2e/screenshots/desktop-<name>.png */
  shot(name: string, page?: Page): Promise<void>;
  /** app.quit(), then wait for the process to end (killed after the timeout). */
  quit(timeoutMs?: number): Promise<Exit>;
  /** Stop everything it started, whatever state it is in. Idempotent. */
  close(): Promise<void>;
}

export interface DesktopOptions {
  standin: StandinBuild;
  /** A fresh temporary one by default (removed by close()). */
  dataDir?: string;
  home?: string;
  /** Extra command-line arguments, as `electron . <args>` would get them. */
  args?: string[];
  /** Deliberate breaks of the shell (negative tests). */
  breaks?: Break[];
}

export function startDesktop(browser: Browser, options: DesktopOptions): Desktop {
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'vela-desktop-'));
  const home = options.home ?? path.join(dataDir, 'home');
  fs.mkdirSync(home, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    VELA_DATA_DIR: dataDir,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    [BREAK_ENV]: (options.breaks ?? []).join(','),
  };
  const child = fork(options.standin.launcher, [ROOT, ...(options.args ?? [])], {
    cwd: ROOT,
    env,
    execArgv: [],
    serialization: 'advanced',
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let log = '';
  child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const rpc: DriverRpc = new Rpc({
    send: (message) => {
      if (child.connected) child.send(message as never, undefined, undefined, () => {});
    },
    onMessage: (listener) => void child.on('message', listener),
  });
  const driver = new ChromiumDriver(browser, rpc, { locale: 'en-US' });
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      rpc.close('the shell process exited');
      resolve({ code, signal });
    });
  });
  let closed = false;

  const waitExit = async (timeoutMs: number): Promise<Exit> => {
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([exited, new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)))]);
    clearTimeout(timer);
    if (result !== 'timeout') return result;
    child.kill('SIGKILL');
    return exited;
  };

  const desktop: Desktop = {
    child,
    driver,
    rpc,
    dataDir,
    home,
    exited,
    output: () => log,
    page: () => driver.page(),
    act: (act) => rpc.call('user.act', act),
    shot: async (name, page) => {
      fs.mkdirSync(SCREENSHOTS, { recursive: true });
      await (page ?? (await driver.page())).screenshot({ path: path.join(SCREENSHOTS, `desktop-${name}.png`) });
    },
    quit: async (timeoutMs = 15_000) => {
      if (child.exitCode === null && child.signalCode === null) await rpc.call('user.act', { act: 'quit' }).catch(() => undefined);
      return waitExit(timeoutMs);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      const pid = await within(rpc.call('user.act', { act: 'utility-pid' }), 3_000).catch(() => null);
      if (child.exitCode === null && child.signalCode === null) {
        await within(rpc.call('user.act', { act: 'quit' }), 3_000).catch(() => undefined);
        await waitExit(10_000);
      }
      // The engine's process ends with the shell (as a utility process does); make sure of it.
      if (typeof pid === 'number') killQuietly(pid);
      await driver.close();
      if (ownsDataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return desktop;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The promise's value, or a rejection after `ms` (a shell that stopped answering must not hang a test's cleanup). */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(timer));
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Poll until `check` passes (returns without throwing) or the time is up; the last error is rethrown. */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 10_000, stepMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, stepMs));
    }
  }
}
