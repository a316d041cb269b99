/**
 * Issue 9, point 6, end to end: the page's event stream comes back. Chromium reaches `serve` through a
 * test-only proxy that the test can cut (as a dropped connection or a laptop's sleep would): the page
 * shows that the connection to the engine is lost, a task is added with the CLI meanwhile (no event
 * can reach the page), and once the proxy lets connections through again the page reconnects by
 * itself, reloads the list (the task is there, without a reload of the page) and says so. Then `serve`
 * is restarted behind the same proxy: it has a new secret, and the page says to open the new link
 * instead of retrying forever.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliRunner, jsonLine, type CliRunner } from '../helpers/cli.js';
import { randomBytesSeeded, startServer, type TestServer } from '../helpers/server.js';
import { launchChromium, SCREENSHOTS, spawnServe } from './harness.js';

/**
 * A reverse proxy in front of `serve` that can be cut: `cut()` destroys every connection and refuses
 * new ones until `restore()`. It rewrites Host and Origin to the upstream's own (serve checks both
 * against its port), and can be pointed at another upstream (a restarted serve).
 */
interface CuttableProxy {
  url: string;
  upstream: string;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

async function startProxy(upstream: string): Promise<CuttableProxy> {
  let target = new URL(upstream);
  let offline = false;
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const headers = { ...req.headers, host: target.host };
    if (headers.origin) headers.origin = target.origin;
    const forward = http.request(new URL(req.url ?? '/', target), { method: req.method, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
      answer.on('error', () => res.destroy());
    });
    forward.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
    res.once('close', () => forward.destroy());
    req.pipe(forward);
  });
  server.on('connection', (socket) => {
    if (offline) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get upstream() {
      return target.origin;
    },
    set upstream(value: string) {
      target = new URL(value);
    },
    cut() {
      offline = true;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      offline = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const exited = (child: ChildProcess): Promise<unknown> => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));

describe('the page after its connection to the engine broke', () => {
  let tmp: string;
  let dataDir: string;
  let serve: ChildProcess;
  let proxy: CuttableProxy;
  let browser: Browser;
  let page: Page;
  let files: TestServer;
  let cli: CliRunner;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-e2e-reconnect-'));
    dataDir = path.join(tmp, 'data');
    files = await startServer();
    cli = cliRunner({ home: tmp });
    const started = await spawnServe(dataDir, path.join(tmp, 'home'));
    serve = started.child;
    const served = new URL(started.url);
    proxy = await startProxy(served.origin);
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1100, height: 640 }, locale: 'en-US' });
    page = await context.newPage();
    // The printed link, through the proxy: the secret rides in the fragment as always.
    await page.goto(`${proxy.url}/${served.hash}`);
    await page.waitForSelector('[data-testid="downloads-view"]');
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await cli?.killAll();
    await proxy?.close();
    if (serve) {
      serve.kill('SIGTERM');
      await exited(serve);
    }
    await files?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const bannerState = () => page.locator('[data-testid="connection-banner"]').getAttribute('data-state', { timeout: 1_000 }).catch(() => null);
  const row = (name: string) => page.locator('[data-testid="task-row"]', { has: page.locator(`text=${name}`) });

  it('shows the banner while the stream is cut, then a task added meanwhile, without a reload', async () => {
    files.setFile('/first.bin', { body: randomBytesSeeded(10_000, 1) });
    files.setFile('/added-while-offline.bin', { body: randomBytesSeeded(10_000, 2) });
    // A task that arrives by event, as usual: the stream works.
    const first = await cli.run(['download', files.urlFor('/first.bin'), '--data-dir', dataDir, '--json']);
    expect(first.code).toBe(0);
    await row('first.bin').first().waitFor({ timeout: 10_000 });
    // Marks this document: a reload of the page would lose it.
    await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));

    proxy.cut();
    await page.locator('[data-testid="connection-banner"][data-state="lost"]').waitFor({ timeout: 10_000 });
    expect(await page.locator('[data-testid="connection-banner"]').innerText()).toContain('Connection to the engine lost — reconnecting…');
    // Non-blocking: the view stays usable under it.
    expect(await page.locator('[data-testid="download-url"]').isEnabled()).toBe(true);

    // Meanwhile the CLI hands a download to serve over its socket; the page cannot hear of it.
    const added = await cli.run(['download', files.urlFor('/added-while-offline.bin'), '--data-dir', dataDir, '--json']);
    expect(added.code).toBe(0);
    const { token } = jsonLine(added.stdout) as { token: string };
    expect(token).toBeTruthy();
    await page.waitForTimeout(700);
    expect(await row('added-while-offline.bin').count()).toBe(0);
    expect(await bannerState()).toBe('lost');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'reconnect-banner.png') });

    proxy.restore();
    await page.locator('[data-testid="connection-banner"][data-state="restored"]').waitFor({ timeout: 20_000 });
    expect(await page.locator('[data-testid="connection-banner"]').innerText()).toContain('Reconnected; the list was refreshed');
    await row('added-while-offline.bin').first().waitFor({ timeout: 5_000 });
    // Events flow again: the task's later states arrive (it completes) without any reload.
    await row('added-while-offline.bin').first().locator('[data-testid="task-state"][data-state="completed"]').waitFor({ timeout: 20_000 });
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'reconnect-refreshed.png') });
  });

  it('says the engine was restarted (a new secret) instead of retrying forever', async () => {
    serve.kill('SIGTERM');
    await exited(serve);
    await page.locator('[data-testid="connection-banner"][data-state="lost"]').waitFor({ timeout: 10_000 });
    const restarted = await spawnServe(dataDir, path.join(tmp, 'home'));
    serve = restarted.child;
    proxy.upstream = new URL(restarted.url).origin;
    await page.locator('[data-testid="connection-banner"][data-state="restarted"]').waitFor({ timeout: 20_000 });
    expect(await page.locator('[data-testid="connection-banner"]').innerText()).toContain('The engine was restarted: open the new link it printed');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'reconnect-restarted.png') });
    // It stays that way: no retries behind the banner.
    await page.waitForTimeout(1_500);
    expect(await bannerState()).toBe('restarted');
  });
});
