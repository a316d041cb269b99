import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { randomBytesSeeded, sha256, sha256File, startServer, type TestServer } from '../helpers/server.js';
import { startApp, type App } from './harness.js';

/**
 * A person at the window: the browser host (`vela-companion serve`) in Debian's Chromium, a local file
 * server for the downloads, real files on disk. Every scenario leaves a screenshot under
 * test/e2e/screenshots/.
 */
describe('the window, end to end', () => {
  let app: App;
  let files: TestServer;
  const png = Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAIAAACQkWg2AAAAFklEQVR4nGP8z8BQz0AEYBxVSF+FABJADq0H4tqAAAAAAElFTkSuQmCC',
    'base64',
  );
  const big = randomBytesSeeded(3 * 1024 * 1024, 7);

  beforeAll(async () => {
    files = await startServer();
    app = await startApp();
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await files?.close();
  });

  beforeEach(async () => {
    await app.page.goto(`${new URL(app.url).origin}/#/downloads`);
    await app.page.waitForSelector('[data-testid="downloads-view"]');
  });

  const row = (url: string) => app.page.locator('[data-testid="task-row"]', { has: app.page.locator(`text=${new URL(url).pathname.slice(1)}`) });

  async function addDownload(url: string): Promise<void> {
    await app.page.fill('[data-testid="download-url"]', url);
    await app.page.press('[data-testid="download-url"]', 'Enter');
  }

  it('adds a download and sees it complete, with the right file on disk', async () => {
    files.setFile('/watch-face.bin', { body: big });
    const url = files.urlFor('/watch-face.bin');
    await addDownload(url);
    const task = row(url).first();
    await task.locator('[data-testid="task-state"][data-state="completed"]').waitFor({ timeout: 20_000 });
    const file = path.join(app.dataDir, 'cache', 'watch-face.bin');
    expect(await sha256File(file)).toBe(sha256(big));
    await app.shot('download-completed');
  });

  it('pauses and resumes a throttled download', async () => {
    files.setFile('/slow.bin', { body: randomBytesSeeded(2 * 1024 * 1024, 8), bytesPerSecond: 256 * 1024 });
    const url = files.urlFor('/slow.bin');
    await addDownload(url);
    const task = row(url).first();
    await task.locator('[data-testid="task-state"][data-state="running"]').waitFor({ timeout: 10_000 });
    await task.locator('[data-testid="task-pause"]').click();
    await task.locator('[data-testid="task-state"][data-state="paused"]').waitFor({ timeout: 10_000 });
    await app.shot('download-paused');
    const partial = path.join(app.dataDir, 'cache', '.partial');
    const heldWhilePaused = fs.readdirSync(partial).filter((n) => !n.endsWith('.json')).map((n) => fs.statSync(path.join(partial, n)).size);
    expect(heldWhilePaused.some((size) => size > 0)).toBe(true);
    await task.locator('[data-testid="task-resume"]').click();
    await task.locator('[data-testid="task-state"][data-state="completed"]').waitFor({ timeout: 30_000 });
    const ranged = files.requestsFor('/slow.bin').filter((r) => r.range);
    expect(ranged.length).toBeGreaterThan(0);
    await app.shot('download-resumed');
  });

  it('shows code 1000 with the reason for a 404', async () => {
    const url = files.urlFor('/missing.bin');
    await addDownload(url);
    const task = row(url).first();
    await task.locator('[data-testid="task-state"][data-state="failed"]').waitFor({ timeout: 10_000 });
    await expect.poll(() => task.locator('[data-testid="task-code"]').innerText()).toContain('1000');
    expect(await task.locator('[data-testid="task-message"]').innerText()).toContain('404');
    await app.shot('download-404');
  });

  it('switches to Redmi Watch 4 and sees 203, with nothing sent', async () => {
    await app.page.click('[data-nav="devices"]');
    await app.page.locator('[data-testid="device-row"][data-id="redmi-watch-4"] [data-testid="device-select"]').check();
    await app.page.locator('[data-testid="device-row"][data-id="redmi-watch-4"][data-active="true"]').waitFor();
    await app.shot('devices-redmi-watch-4');
    await app.page.click('[data-nav="downloads"]');
    files.setFile('/unsupported.bin', { body: Buffer.from('x') });
    await addDownload(files.urlFor('/unsupported.bin'));
    const notice = app.page.locator('[data-testid="notice"]', { hasText: '203' });
    await notice.waitFor({ timeout: 10_000 });
    expect(await notice.innerText()).toMatch(/Redmi Watch 4/);
    expect(files.requestsFor('/unsupported.bin')).toHaveLength(0);
    await app.shot('download-203');
    await notice.locator('button').click();
    // Back to the Desktop profile for the other scenarios.
    await app.page.click('[data-nav="devices"]');
    await app.page.locator('[data-testid="device-row"][data-id="desktop"] [data-testid="device-select"]').check();
    await app.page.locator('[data-testid="device-row"][data-id="desktop"][data-active="true"]').waitFor();
  });

  it('moves an image to the gallery and sees it leave the cache', async () => {
    files.setFile('/photo.png', { body: png, contentType: 'image/png' });
    const url = files.urlFor('/photo.png');
    await addDownload(url);
    await row(url).first().locator('[data-testid="task-state"][data-state="completed"]').waitFor({ timeout: 10_000 });
    await app.page.click('[data-nav="media"]');
    const item = app.page.locator('[data-testid="media-item"][data-name="photo.png"]');
    await item.locator('[data-testid="media-image"]').waitFor({ timeout: 10_000 });
    await app.shot('media-grid');
    await item.locator('[data-testid="media-select"]').check();
    await app.page.click('[data-testid="media-move"]');
    const moved = app.page.locator('[data-testid="media-moved-path"]').first();
    await moved.waitFor({ timeout: 10_000 });
    const target = path.join(app.galleryHome, 'Pictures', 'Vela Companion', 'photo.png');
    expect(await moved.innerText()).toContain(target);
    await item.waitFor({ state: 'detached', timeout: 10_000 });
    expect(fs.existsSync(path.join(app.dataDir, 'cache', 'photo.png'))).toBe(false);
    expect(fs.readFileSync(target)).toEqual(png);
    await app.shot('media-moved-to-gallery');
  });

  it('logs success then complete in the API console', async () => {
    files.setFile('/console.txt', { body: Buffer.from('hello from the console') });
    await app.page.click('[data-nav="console"]');
    await app.page.fill('[data-testid="console-input"]', JSON.stringify({ url: files.urlFor('/console.txt') }));
    await app.page.click('[data-testid="console-run-download"]');
    await expect.poll(() => app.page.locator('[data-testid="console-token"]').inputValue(), { timeout: 10_000 }).toMatch(/[0-9a-f-]{36}/);
    await app.page.click('[data-testid="console-run-listen"]');
    const callbacks = app.page.locator('[data-testid="console-line"]:not([data-kind="call"])');
    await expect.poll(() => callbacks.count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(4);
    const lines = await callbacks.evaluateAll((nodes) => nodes.map((n) => `${n.getAttribute('data-call')}:${n.getAttribute('data-kind')}`));
    expect(lines.slice(0, 4)).toEqual(['download:success', 'download:complete', 'onDownloadComplete:success', 'onDownloadComplete:complete']);
    expect(await app.page.locator('[data-testid="console-log"]').innerText()).toContain('internal://cache/console.txt');
    await app.shot('api-console');
  });

  it('speaks Simplified Chinese', async () => {
    await app.page.click('[data-nav="settings"]');
    await app.page.selectOption('[data-testid="settings-language"]', 'zh-CN');
    await app.page.locator('[data-nav="downloads"]', { hasText: '下载' }).waitFor();
    await app.page.click('[data-nav="downloads"]');
    expect(await app.page.locator('html').getAttribute('lang')).toBe('zh-CN');
    await app.shot('chinese');
    // The language is a setting of the engine: a reload keeps it.
    await app.page.reload();
    await app.page.locator('[data-nav="downloads"]', { hasText: '下载' }).waitFor();
    await app.page.click('[data-nav="settings"]');
    await app.page.selectOption('[data-testid="settings-language"]', 'en');
  });
});
