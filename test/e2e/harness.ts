import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/**
 * End-to-end harness: the real browser host (`vela-companion serve`, built code, its own data dir)
 * driven by Debian's Chromium through playwright-core. Chromium is installed by .ci/run when missing
 * (never `npx playwright install`), and launched with the flags this machine needs.
 */

const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const SCREENSHOTS = path.join(ROOT, 'test', 'e2e', 'screenshots');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface App {
  url: string;
  dataDir: string;
  galleryHome: string;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Save a screenshot a person can look at: test/e2e/screenshots/<name>.png. */
  shot(name: string): Promise<void>;
  close(): Promise<void>;
}

export interface AppOptions {
  locale?: string;
  viewport?: { width: number; height: number };
  /** More arguments for `serve` (e.g. `--gallery-dir DIR`). */
  args?: string[];
  /** More environment for `serve` (e.g. `VELA_OPENER`, the launcher that stands in for the system's). */
  env?: Record<string, string>;
}

export async function startApp(options: AppOptions = {}): Promise<App> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-e2e-'));
  const galleryHome = path.join(dataDir, 'home');
  const { child: server, url } = await spawnServe(dataDir, galleryHome, options.args, options.env);
  const browser = await launchChromium();
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 800 }, locale: options.locale ?? 'en-US' });
  const page = await context.newPage();
  await page.goto(url);
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  return {
    url,
    dataDir,
    galleryHome,
    browser,
    context,
    page,
    shot: async (name) => {
      await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
    },
    close: async () => {
      await browser.close().catch(() => undefined);
      server.kill('SIGTERM');
      await new Promise((resolve) => (server.exitCode !== null ? resolve(null) : server.once('exit', resolve)));
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** `vela-companion serve` on a data dir (any free port), and the URL with the secret it printed. */
export async function spawnServe(dataDir: string, home: string, args: string[] = [], env: Record<string, string> = {}): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'vela-companion.js'), 'serve', '--data-dir', dataDir, '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), ...env },
  });
  return { child, url: await firstLine(child) };
}

/** Debian's Chromium, headless, with the flags this machine needs. */
export function launchChromium(): Promise<Browser> {
  // launch() gives Chromium a fresh, throw-away --user-data-dir of its own every time.
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`serve printed no URL in time: ${err}`)), 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) {
        clearTimeout(timer);
        resolve(line.trim());
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}: ${err}`));
    });
  });
}
