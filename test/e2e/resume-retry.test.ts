import fs from 'node:fs';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { randomBytesSeeded, sha256, sha256File, startServer, type TestServer } from '../helpers/server.js';
import { startApp, type App } from './harness.js';

/**
 * Issue 10, points 1 and 2, as they were reported, in Chromium against `vela-companion serve`:
 *
 * 1. Against a server without ETag or Last-Modified, a pause at 60 % and a resume started over from
 *    byte 0 without a word, and the resumed task went to the back of the queue. Now the row says the
 *    server cannot resume, Pause asks first (focus kept in the dialog, Escape cancels, focus returns),
 *    a resume says it restarted, and the resumed task starts before tasks that never started.
 * 2. With the server refusing connections the row read "1 B/s" and "71329h12m left", then failed after
 *    ~10 s hiding the 17.3 MiB it had. Now it reads "Retrying in N s (attempt k of n)" counting down,
 *    the failed row keeps its bytes, and Retry asks the server for the rest with a Range request; a
 *    server that holds the connection and sends nothing reads "Stalled".
 *
 * `serve` runs with 1–3 s waits between attempts (VELA_RETRY_BASE_MS / VELA_RETRY_MAX_MS) so that the
 * eight attempts take ~20 s instead of ~3 minutes.
 */

/** A TCP forwarder on a port of its own that can refuse connections (closed port) and accept them again. */
interface Forwarder {
  url(pathname: string): string;
  refuse(): Promise<void>;
  accept(): Promise<void>;
  close(): Promise<void>;
}

async function startForwarder(target: number): Promise<Forwarder> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  const listen = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const s = net.createServer((client) => {
        const upstream = net.connect(target, '127.0.0.1');
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.once('close', () => sockets.delete(socket));
        }
        const end = (): void => {
          client.destroy();
          upstream.destroy();
        };
        client.on('error', end).on('close', end);
        upstream.on('error', end).on('close', end);
        client.pipe(upstream).pipe(client);
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as AddressInfo).port;
        server = s;
        resolve();
      });
    });
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      if (!server) return resolve();
      server.close(() => resolve());
      server = undefined;
    });
  await listen();
  return { url: (pathname) => `http://127.0.0.1:${port}${pathname}`, refuse: stop, accept: listen, close: stop };
}

describe('resume and retry on a row, end to end (issue 10, points 1 and 2)', () => {
  let app: App;
  let files: TestServer;
  let forwarder: Forwarder;

  beforeAll(async () => {
    files = await startServer();
    forwarder = await startForwarder(files.port);
    app = await startApp({ env: { VELA_RETRY_BASE_MS: '1000', VELA_RETRY_MAX_MS: '3000' } });
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await forwarder?.close();
    await files?.close();
  });

  beforeEach(async () => {
    await app.page.goto(`${new URL(app.url).origin}/#/downloads`);
    await app.page.waitForSelector('[data-testid="downloads-view"]');
  });

  const row = (name: string) => app.page.locator('[data-testid="task-row"]', { has: app.page.locator(`[data-testid="task-name"]:text-is("${name}")`) }).first();
  const stateIs = (name: string, state: string) => row(name).locator(`[data-testid="task-state"][data-state="${state}"]`);
  /** What has focus: its data-testid and the token of the row it is in. */
  const focused = () =>
    app.page.evaluate(() => ({
      testid: document.activeElement?.getAttribute('data-testid') ?? null,
      token: document.activeElement?.closest('[data-testid="task-row"]')?.getAttribute('data-token') ?? null,
    }));

  /** Adds a link with the form and waits for its row (the form ignores a submission while one is on its way). */
  async function addDownload(url: string): Promise<void> {
    await app.page.fill('[data-testid="download-url"]', url);
    await app.page.press('[data-testid="download-url"]', 'Enter');
    await row(new URL(url).pathname.slice(1)).waitFor({ timeout: 10_000 });
  }

  async function setConcurrency(n: number): Promise<void> {
    await app.page.click('[data-nav="settings"]');
    await app.page.fill('[data-testid="settings-concurrency"]', String(n));
    await app.page.click('[data-testid="settings-save"]');
    await expect.poll(() => app.page.locator('[data-testid="settings-save"]').isDisabled(), { timeout: 10_000 }).toBe(true);
    await app.page.click('[data-nav="downloads"]');
  }

  it('a server that cannot resume: the row says so, Pause asks first, the resume says it restarted and goes ahead of the queue', async () => {
    const body = randomBytesSeeded(6 * 1024 * 1024, 61);
    files.setFile('/no-validators.bin', { body, etag: null, lastModified: null, bytesPerSecond: 384 * 1024 });
    await setConcurrency(1);
    await addDownload(files.urlFor('/no-validators.bin'));
    const task = row('no-validators.bin');
    await stateIs('no-validators.bin', 'running').waitFor({ timeout: 10_000 });
    // Before the pause: the row says what a pause would cost.
    const note = task.locator('[data-testid="task-resume-note"]');
    await expect.poll(() => note.innerText(), { timeout: 10_000 }).toBe('This server does not support resuming: pausing restarts it');
    const token = await task.getAttribute('data-token');
    await expect.poll(async () => Number(await task.locator('[data-testid="task-progress"]').getAttribute('data-percent')), { timeout: 15_000 }).toBeGreaterThanOrEqual(10);
    await app.shot('resume-not-supported-row');

    // Pause asks first; Escape keeps it running and gives focus back to Pause.
    await task.locator('[data-testid="task-pause"]').click();
    const dialog = app.page.locator('[data-testid="pause-confirm-dialog"]');
    await dialog.waitFor();
    expect(await dialog.getAttribute('role')).toBe('alertdialog');
    expect(await dialog.innerText()).toContain('no-validators.bin');
    expect(await focused()).toEqual({ testid: 'pause-confirm-keep', token: null });
    // Focus stays inside: Tab and Shift+Tab go round the two buttons.
    await app.page.keyboard.press('Tab');
    expect((await focused()).testid).toBe('pause-confirm-pause');
    await app.page.keyboard.press('Tab');
    expect((await focused()).testid).toBe('pause-confirm-keep');
    await app.page.keyboard.press('Shift+Tab');
    expect((await focused()).testid).toBe('pause-confirm-pause');
    await app.shot('resume-pause-confirm');
    await app.page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await focused()).toEqual({ testid: 'task-pause', token });
    expect(await task.locator('[data-testid="task-state"]').getAttribute('data-state')).toBe('running');

    // Pause anyway: paused, the row says a resume starts over, focus on Resume.
    await task.locator('[data-testid="task-pause"]').click();
    await app.page.locator('[data-testid="pause-confirm-pause"]').click();
    await stateIs('no-validators.bin', 'paused').waitFor({ timeout: 10_000 });
    await expect.poll(() => note.innerText()).toBe('This server does not support resuming: resuming starts over from the beginning');
    await expect.poll(focused).toEqual({ testid: 'task-resume', token });
    await app.shot('resume-paused-not-resumable');

    // Meanwhile new links: one runs (the only slot), two never start.
    files.setFile('/busy.bin', { body: randomBytesSeeded(2 * 1024 * 1024, 62), bytesPerSecond: 256 * 1024 });
    files.setFile('/later-1.bin', { body: randomBytesSeeded(32 * 1024, 63) });
    files.setFile('/later-2.bin', { body: randomBytesSeeded(32 * 1024, 64) });
    await addDownload(files.urlFor('/busy.bin'));
    await stateIs('busy.bin', 'running').waitFor({ timeout: 10_000 });
    await addDownload(files.urlFor('/later-1.bin'));
    await addDownload(files.urlFor('/later-2.bin'));
    await stateIs('later-2.bin', 'queued').waitFor({ timeout: 10_000 });

    // The resumed task takes the next free slot, ahead of the two that never started.
    await task.locator('[data-testid="task-resume"]').click();
    await stateIs('no-validators.bin', 'queued').waitFor({ timeout: 10_000 });
    await stateIs('busy.bin', 'completed').waitFor({ timeout: 30_000 });
    await stateIs('no-validators.bin', 'running').waitFor({ timeout: 10_000 });
    expect(await row('later-1.bin').locator('[data-testid="task-state"]').getAttribute('data-state')).toBe('queued');
    expect(await row('later-2.bin').locator('[data-testid="task-state"]').getAttribute('data-state')).toBe('queued');
    // After: it says it restarted, and how much that cost.
    await expect.poll(() => note.innerText(), { timeout: 10_000 }).toMatch(/^Restarted from the beginning \([\d.]+ (KiB|MiB) lost\): this server does not support resuming$/);
    await app.shot('resume-restarted-ahead-of-queue');
    const gets = files.requests.filter((r) => r.method === 'GET').map((r) => r.path);
    expect(gets.slice(-2)).toEqual(['/busy.bin', '/no-validators.bin']);

    await stateIs('no-validators.bin', 'completed').waitFor({ timeout: 40_000 });
    expect(await sha256File(path.join(app.dataDir, 'cache', 'no-validators.bin'))).toBe(sha256(body));
    await stateIs('later-2.bin', 'completed').waitFor({ timeout: 10_000 });
    await setConcurrency(4);
  }, 120_000);

  it('a server that refuses: "Retrying in N s (attempt k of n)" counting down, then a failed row that keeps its bytes, and Retry resumes with a Range request', async () => {
    const body = randomBytesSeeded(3 * 1024 * 1024, 65);
    files.setFile('/refused.bin', { body, bytesPerSecond: 512 * 1024 });
    const url = forwarder.url('/refused.bin');
    await addDownload(url);
    const task = row('refused.bin');
    await stateIs('refused.bin', 'running').waitFor({ timeout: 10_000 });
    await expect.poll(async () => Number(await task.locator('[data-testid="task-progress"]').getAttribute('data-percent')), { timeout: 15_000 }).toBeGreaterThanOrEqual(20);

    // The server goes away: the connection breaks, then every new one is refused.
    await forwarder.refuse();
    const retrying = task.locator('[data-testid="task-retrying"]');
    await retrying.waitFor({ timeout: 10_000 });
    const seen: Array<{ text: string; speed: boolean; eta: boolean }> = [];
    let shot = false;
    for (;;) {
      const now = await task.evaluate((el) => ({
        state: el.querySelector('[data-testid="task-state"]')?.getAttribute('data-state'),
        text: el.querySelector('[data-testid="task-retrying"]')?.textContent ?? '',
        speed: el.querySelector('[data-testid="task-speed"]') !== null,
        eta: el.querySelector('[data-testid="task-eta"]') !== null,
      }));
      if (now.state !== 'running') break;
      if (now.text) seen.push(now);
      if (!shot && /attempt 4 of/.test(now.text)) {
        await app.shot('retrying-row');
        shot = true;
      }
      await app.page.waitForTimeout(200);
    }
    const texts = seen.map((s) => s.text);
    for (const text of texts) expect(text).toMatch(/^Retrying (in \d+ s|now) \(attempt [2-8] of 8\)$/);
    // Never a speed or a time left while it waits.
    expect(seen.some((s) => s.speed || s.eta)).toBe(false);
    // It counts down within one attempt's wait, and the attempts count up to the bound.
    const seconds = (t: string): number => Number(/in (\d+) s/.exec(t)?.[1] ?? 0);
    const attempt = (t: string): number => Number(/attempt (\d+)/.exec(t)?.[1]);
    expect(texts.some((t, i) => i > 0 && attempt(t) === attempt(texts[i - 1]!) && seconds(t) < seconds(texts[i - 1]!))).toBe(true);
    expect(new Set(texts.map(attempt)).size).toBeGreaterThanOrEqual(5);
    expect(Math.max(...texts.map(attempt))).toBe(8);

    // Failed, with what it has kept.
    await stateIs('refused.bin', 'failed').waitFor({ timeout: 10_000 });
    const kept = await task.locator('[data-testid="task-bytes"]').innerText();
    expect(kept).toMatch(/^[\d.]+ (KiB|MiB) of 3\.0 MiB kept$/);
    expect(await task.locator('[data-testid="task-code"]').innerText()).toBe('1000');
    const partialDir = path.join(app.dataDir, 'cache', '.partial');
    const token = (await task.getAttribute('data-token'))!;
    const had = fs.statSync(path.join(partialDir, token)).size;
    expect(had).toBeGreaterThan(0);
    await app.shot('failed-row-keeps-bytes');

    // The server is back: Retry asks for the rest, and the file is exact.
    await forwarder.accept();
    const before = files.requestsFor('/refused.bin').length;
    await task.locator('[data-testid="task-retry"]').click();
    await stateIs('refused.bin', 'completed').waitFor({ timeout: 30_000 });
    const after = files.requestsFor('/refused.bin').slice(before);
    expect(after[0]).toMatchObject({ range: `bytes=${had}-`, status: 206 });
    expect(await sha256File(path.join(app.dataDir, 'cache', 'refused.bin'))).toBe(sha256(body));
  }, 120_000);

  it('a server that holds the connection and sends nothing: "Stalled", not a speed and an ETA', async () => {
    files.setFile('/stalls.bin', { body: randomBytesSeeded(2 * 1024 * 1024, 66), stallAfterBytes: 512 * 1024 });
    await addDownload(files.urlFor('/stalls.bin'));
    const task = row('stalls.bin');
    await stateIs('stalls.bin', 'running').waitFor({ timeout: 10_000 });
    const stalled = task.locator('[data-testid="task-stalled"]');
    await stalled.waitFor({ timeout: 15_000 });
    expect(await stalled.innerText()).toBe('Stalled');
    expect(await task.locator('[data-testid="task-speed"]').count()).toBe(0);
    expect(await task.locator('[data-testid="task-eta"]').count()).toBe(0);
    expect(await task.locator('[data-testid="task-bytes"]').innerText()).toBe('512.0 KiB of 2.0 MiB');
    await app.shot('stalled-row');
    await task.locator('[data-testid="task-cancel"]').click();
    await stateIs('stalls.bin', 'cancelled').waitFor({ timeout: 10_000 });
  }, 60_000);
});
