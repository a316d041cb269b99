import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DESKTOP_ENTRY } from '../helpers/media-bytes.js';
import { gradientPng, toneWav } from '../helpers/real-media.js';
import { randomBytesSeeded, startServer, type TestServer } from '../helpers/server.js';
import { startApp, type App } from './harness.js';

/**
 * Issue 10, points 6, 7, 12 and 13, as a person meets them in the browser host (Chromium): the
 * Downloads rows and the Media view agree about deleted files; a thumbnail opens a full-size viewer;
 * Open and Show in folder really hand the file to the system's launcher (here a stand-in script given
 * to `serve` as VELA_OPENER, which writes down what it got); notices cover no row; ten thousand cached
 * files scroll as a virtualised grid; `serve --gallery-dir`; rows show the server's names while they
 * run. Each scenario leaves screenshots in test/e2e/screenshots/.
 */

const require = createRequire(import.meta.url);
let scratch: string;
let launcher: string;
let launchedFile: string;
let galleryDir: string;
let app: App;
let files: TestServer;
let webm: Buffer | undefined;

const photo = gradientPng(640, 400, 0);
const second = gradientPng(480, 480, 2);
const tone = toneWav(1.5, 523);

const origin = (): string => new URL(app.url).origin;
const secret = (): string => new URL(app.url).hash.replace('#secret=', '');
/** What the stand-in launcher was started with, one line per launch ("<file>" or "--reveal <file>"). */
const launched = (): string[] => (fs.existsSync(launchedFile) ? fs.readFileSync(launchedFile, 'utf8').split('\n').filter(Boolean) : []);

beforeAll(async () => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-e2e-daily-'));
  launchedFile = path.join(scratch, 'launched.txt');
  launcher = path.join(scratch, 'launcher.sh');
  fs.writeFileSync(launcher, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${launchedFile}'\n`, { mode: 0o755 });
  galleryDir = path.join(scratch, 'gallery home');
  files = await startServer();
  app = await startApp({ args: ['--gallery-dir', galleryDir], env: { VELA_OPENER: launcher } });
  webm = await recordWebm(app.context);
}, 90_000);

afterAll(async () => {
  await app?.close();
  await files?.close();
  fs.rmSync(scratch, { recursive: true, force: true });
});

beforeEach(async () => {
  await app.page.setViewportSize({ width: 1280, height: 800 });
  await app.page.goto(`${origin()}/#/downloads`);
  await app.page.waitForSelector('[data-testid="downloads-view"]');
});

/** A real WebM, recorded by Chromium itself from a canvas (no video tool on this machine); undefined where it cannot. */
async function recordWebm(context: BrowserContext): Promise<Buffer | undefined> {
  const page = await context.newPage();
  try {
    const base64 = await page.evaluate(async () => {
      const canvas = document.createElement('canvas');
      canvas.width = 320;
      canvas.height = 180;
      const ctx = canvas.getContext('2d')!;
      const recorder = new MediaRecorder(canvas.captureStream(20), { mimeType: 'video/webm' });
      const chunks: Blob[] = [];
      recorder.ondataavailable = (event) => chunks.push(event.data);
      const stopped = new Promise((resolve) => (recorder.onstop = resolve));
      recorder.start(100);
      const start = performance.now();
      for (;;) {
        const t = (performance.now() - start) / 1000;
        ctx.fillStyle = `hsl(${Math.round(200 + t * 60)}, 60%, 40%)`;
        ctx.fillRect(0, 0, 320, 180);
        ctx.fillStyle = '#ffb347';
        ctx.beginPath();
        ctx.arc(40 + t * 160, 90, 28, 0, Math.PI * 2);
        ctx.fill();
        if (t > 1.5) break;
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
      recorder.stop();
      await stopped;
      const bytes = new Uint8Array(await new Blob(chunks).arrayBuffer());
      let text = '';
      for (const byte of bytes) text += String.fromCharCode(byte);
      return btoa(text);
    });
    const buffer = Buffer.from(base64, 'base64');
    return buffer.length > 100 ? buffer : undefined;
  } catch {
    return undefined;
  } finally {
    await page.close();
  }
}

async function addDownload(page: Page, url: string): Promise<void> {
  await page.fill('[data-testid="download-url"]', url);
  await page.press('[data-testid="download-url"]', 'Enter');
}

const rowOf = (page: Page, token: string) => page.locator(`[data-testid="task-row"][data-token="${token}"]`);

/** Downloads a file through the form and waits for its row to complete; returns the row's token. */
async function download(urlPath: string, body: Buffer, contentType = 'application/octet-stream'): Promise<string> {
  files.setFile(urlPath, { body, contentType });
  const before = new Set(await app.page.locator('[data-testid="task-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-token'))));
  await addDownload(app.page, files.urlFor(urlPath));
  let token = '';
  await expect
    .poll(async () => {
      const tokens = await app.page.locator('[data-testid="task-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-token') ?? ''));
      token = tokens.find((t) => !before.has(t)) ?? '';
      return token;
    }, { timeout: 10_000 })
    .not.toBe('');
  await rowOf(app.page, token).locator('[data-testid="task-state"][data-state="completed"]').waitFor({ timeout: 20_000 });
  return token;
}

/** The window's own API call, with this tab's session (as the page makes it). */
async function api(channel: string, input: unknown): Promise<{ ok: boolean; value?: unknown; error?: { code: number; message: string } }> {
  const response = await fetch(`${origin()}/api/${channel}`, { method: 'POST', headers: { authorization: `Bearer ${secret()}`, 'content-type': 'application/json' }, body: JSON.stringify(input) });
  return (await response.json()) as never;
}

async function gotoMedia(): Promise<void> {
  await app.page.click('[data-nav="media"]');
  await app.page.waitForSelector('[data-testid="media-view"]');
}

/** Every visible row button is the element at its own centre: nothing (a notice) lies over it. */
async function rowButtonsUncovered(page: Page): Promise<{ checked: number; covered: string[] }> {
  return page.evaluate(() => {
    const covered: string[] = [];
    let checked = 0;
    for (const button of document.querySelectorAll<HTMLElement>('[data-testid="task-row"] button, [data-testid="media-item"] button')) {
      const rect = button.getBoundingClientRect();
      // Only buttons the list shows: not those scrolled out of its box (the list clips them).
      const box = button.closest('[data-testid="task-list"], [data-testid="media-grid"]')?.getBoundingClientRect();
      const x = rect.left + rect.width / 2;
      const y = rect.top + rect.height / 2;
      if (rect.width === 0 || !box || y < box.top || y > box.bottom || y < 0 || y > window.innerHeight) continue;
      checked += 1;
      const at = document.elementFromPoint(x, y);
      if (!at || !button.contains(at)) covered.push(`${button.textContent?.trim()} under ${at?.className ?? 'nothing'}`);
    }
    return { checked, covered };
  });
}

/** axe-core's serious and critical findings on the page as it is (run through the debugging protocol, which the page's CSP does not govern). */
async function seriousViolations(page: Page, selector?: string): Promise<string[]> {
  await page.evaluate(fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
  const found = await page.evaluate(async (within) => {
    const axe = (window as unknown as { axe: { run(context: Element | Document): Promise<{ violations: Array<{ id: string; impact?: string; nodes: Array<{ target: unknown[] }> }> }> } }).axe;
    const result = await axe.run(within ? document.querySelector(within)! : document);
    return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }, selector);
  return found;
}

describe('rows and media agree (point 6)', () => {
  it('a file deleted in Media reads "Deleted" in Downloads, Open gives no old path, and Download again fetches it anew', async () => {
    const token = await download('/report.png', photo, 'image/png');
    const oldPath = path.join(app.dataDir, 'cache', 'report.png');
    expect(fs.existsSync(oldPath)).toBe(true);

    await gotoMedia();
    const card = app.page.locator('[data-testid="media-item"][data-name="report.png"]');
    await card.locator('[data-testid="media-select"]').check();
    await app.page.click('[data-testid="media-delete"]');
    await app.page.click('[data-testid="media-delete-confirm"]');
    await card.waitFor({ state: 'detached', timeout: 10_000 });
    expect(fs.existsSync(oldPath)).toBe(false);

    await app.page.click('[data-nav="downloads"]');
    const row = rowOf(app.page, token);
    await row.locator('[data-testid="task-state"][data-deleted="true"]').waitFor({ timeout: 10_000 });
    expect(await row.locator('[data-testid="task-state"]').innerText()).toBe('Deleted');
    expect(await row.locator('[data-testid="task-open"]').count()).toBe(0);
    expect(await row.locator('[data-testid="task-reveal"]').count()).toBe(0);
    await row.locator('[data-testid="task-download-again"]').waitFor();
    await app.shot('downloads-deleted');

    // Asked anyway (another window, a script): the answer says it was deleted, never the old path as if it were there.
    const opened = await api('shell.open', { token });
    expect(opened.ok).toBe(false);
    expect(opened.error?.message).toBe('the file was deleted: report.png; download it again from its row');
    expect(launched().filter((line) => line.includes(oldPath))).toEqual([]);

    const requestsBefore = files.requestsFor('/report.png').length;
    await row.locator('[data-testid="task-download-again"]').click();
    await row.waitFor({ state: 'detached', timeout: 10_000 });
    const again = app.page.locator('[data-testid="task-row"]', { has: app.page.locator('[data-testid="task-name"]', { hasText: 'report.png' }) });
    await again.locator('[data-testid="task-state"][data-state="completed"]:not([data-deleted])').waitFor({ timeout: 20_000 });
    expect(files.requestsFor('/report.png').length).toBe(requestsBefore + 1);
    expect(fs.readFileSync(oldPath)).toEqual(photo);
    await app.shot('downloads-downloaded-again');

    // Deleted outside the app: the next look at the list says so too (as Chrome's does).
    fs.rmSync(oldPath);
    await app.page.reload();
    await again.locator('[data-testid="task-state"][data-deleted="true"]').waitFor({ timeout: 10_000 });
  });

  it('a thumbnail opens the full-size viewer: arrows step, Escape closes and gives focus back; search, sort and Open', async () => {
    await download('/aurora.png', photo, 'image/png');
    await download('/bloom.png', second, 'image/png');
    await download('/chime.wav', tone, 'audio/wav');
    if (webm) await download('/drift.webm', webm, 'video/webm');
    await download('/fake.png', DESKTOP_ENTRY, 'image/png');
    await download('/readme.txt', Buffer.from('not media at all'), 'text/plain');

    await gotoMedia();
    await app.page.selectOption('[data-testid="media-sort"]', 'name');
    const expected = ['aurora.png', 'bloom.png', 'chime.wav', ...(webm ? ['drift.webm'] : []), 'fake.png', 'readme.txt'];
    await expect.poll(() => app.page.locator('[data-testid="media-item"]').evaluateAll((cards) => cards.map((c) => c.getAttribute('data-name')))).toEqual(expected);
    await expect.poll(() => app.page.locator('[data-testid="media-item"][data-name="bloom.png"] img').evaluate((el) => (el as HTMLImageElement).naturalWidth)).toBe(480);
    await app.shot('media-library');

    await app.page.locator('[data-testid="media-item"][data-name="aurora.png"] [data-testid="media-thumb"]').click();
    const viewer = app.page.locator('[data-testid="media-viewer"]');
    await viewer.waitFor();
    const image = viewer.locator('img[data-testid="viewer-image"]');
    await expect.poll(() => image.evaluate((el) => (el as HTMLImageElement).naturalWidth)).toBe(640);
    expect(await viewer.locator('[data-testid="viewer-position"]').innerText()).toBe(`1 of ${expected.length}`);
    await app.shot('media-viewer');
    // An accessibility engine finds nothing serious in the viewer (the grid under its backdrop is checked below, on its own).
    expect(await seriousViolations(app.page, '[data-testid="media-viewer"]')).toEqual([]);

    await app.page.keyboard.press('ArrowRight');
    await expect.poll(() => viewer.getAttribute('data-name')).toBe('bloom.png');
    await expect.poll(() => image.evaluate((el) => (el as HTMLImageElement).naturalWidth)).toBe(480);
    await app.page.keyboard.press('ArrowRight');
    await expect.poll(() => viewer.getAttribute('data-name')).toBe('chime.wav');
    const audio = viewer.locator('audio[data-testid="viewer-audio"]');
    await expect.poll(() => audio.evaluate((el) => Math.round((el as HTMLAudioElement).duration * 10) / 10), { timeout: 10_000 }).toBe(1.5);
    await app.shot('media-viewer-audio');
    if (webm) {
      await app.page.keyboard.press('ArrowRight');
      await expect.poll(() => viewer.getAttribute('data-name')).toBe('drift.webm');
      const video = viewer.locator('video[data-testid="viewer-video"]');
      await expect.poll(() => video.evaluate((el) => (el as HTMLVideoElement).videoWidth), { timeout: 10_000 }).toBe(320);
      await app.shot('media-viewer-video');
    }
    await app.page.keyboard.press('ArrowRight');
    await expect.poll(() => viewer.getAttribute('data-name')).toBe('fake.png');
    await viewer.locator('[data-testid="viewer-no-preview"]').waitFor();
    expect(await viewer.locator('[data-testid="viewer-open"]').count()).toBe(0);
    await app.page.keyboard.press('ArrowLeft');
    await app.page.keyboard.press('ArrowLeft');
    await expect.poll(() => viewer.getAttribute('data-name')).toBe(webm ? 'chime.wav' : 'bloom.png');

    // Escape closes, and the keyboard is back on the thumbnail of the file last shown.
    await app.page.keyboard.press('Escape');
    await viewer.waitFor({ state: 'detached' });
    const last = webm ? 'chime.wav' : 'bloom.png';
    await expect
      .poll(() => app.page.evaluate(() => document.activeElement?.closest('[data-testid="media-item"]')?.getAttribute('data-name')))
      .toBe(last);

    expect(await seriousViolations(app.page, '[data-testid="media-view"]')).toEqual([]);

    // Search by name, and sort by size.
    await app.page.fill('[data-testid="media-search"]', 'chi');
    await expect.poll(() => app.page.locator('[data-testid="media-item"]').evaluateAll((cards) => cards.map((c) => c.getAttribute('data-name')))).toEqual(['chime.wav']);
    await app.page.fill('[data-testid="media-search"]', '');
    await app.page.selectOption('[data-testid="media-sort"]', 'size');
    const bySize = await app.page.locator('[data-testid="media-item"]').evaluateAll((cards) => cards.map((c) => c.getAttribute('data-name')));
    const sizes = bySize.map((name) => fs.statSync(path.join(app.dataDir, 'cache', name!)).size);
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));

    // Open in Media hands the file to the system (the stand-in launcher got its path).
    await app.page.locator('[data-testid="media-item"][data-name="aurora.png"] [data-testid="media-open"]').click();
    const aurora = path.join(app.dataDir, 'cache', 'aurora.png');
    await expect.poll(launched).toContain(aurora);
    // A file that is not media by its bytes has no Open, and cannot be moved to the gallery (the engine's verdict).
    const fake = app.page.locator('[data-testid="media-item"][data-name="fake.png"]');
    expect(await fake.getAttribute('data-kind')).toBe('other');
    expect(await fake.locator('[data-testid="media-open"]').count()).toBe(0);
    await fake.locator('[data-testid="media-select"]').check();
    const move = app.page.locator('[data-testid="media-move"]');
    expect(await move.isDisabled()).toBe(true);
    expect(await move.getAttribute('title')).toContain('fake.png is not an image, video or audio file by its bytes');
    await app.shot('media-move-not-media');
    await fake.locator('[data-testid="media-select"]').uncheck();
  });

  it('at 800×600 and in Chinese the viewer and the grid still fit', async () => {
    await app.page.setViewportSize({ width: 800, height: 600 });
    await app.page.click('[data-nav="settings"]');
    await app.page.selectOption('[data-testid="settings-language"]', 'zh-CN');
    await app.page.locator('[data-nav="media"]', { hasText: '媒体' }).waitFor();
    await gotoMedia();
    await app.page.selectOption('[data-testid="media-sort"]', 'name');
    await app.page.locator('[data-testid="media-item"]').first().waitFor();
    await app.shot('media-grid-zh-800');
    await app.page.locator('[data-testid="media-item"][data-name="aurora.png"] [data-testid="media-thumb"]').click();
    const viewer = app.page.locator('[data-testid="media-viewer"]');
    await viewer.waitFor();
    expect(await viewer.locator('[data-testid="viewer-position"]').innerText()).toMatch(/^第 1 个，共 \d+ 个$/);
    // Everything in the viewer's bar is inside the window.
    const outside = await viewer.evaluate((el) =>
      [...el.querySelectorAll<HTMLElement>('button, a')].filter((b) => {
        const r = b.getBoundingClientRect();
        return r.right > window.innerWidth || r.bottom > window.innerHeight || r.left < 0 || r.top < 0;
      }).map((b) => b.textContent),
    );
    expect(outside).toEqual([]);
    await app.shot('media-viewer-zh-800');
    await app.page.keyboard.press('Escape');
    await app.page.click('[data-nav="settings"]');
    await app.page.selectOption('[data-testid="settings-language"]', 'en');
    await app.page.locator('[data-nav="media"]', { hasText: 'Media' }).waitFor();
  });
});

describe('open and show in folder in the browser host (point 7)', () => {
  it('open the file with the default app and reveal it in the file manager, on this machine; only media opens', async () => {
    const image = await download('/watch-face.png', second, 'image/png');
    const script = await download('/install.sh', Buffer.from('#!/bin/sh\necho installed\n'), 'text/x-shellscript');
    const imagePath = path.join(app.dataDir, 'cache', 'watch-face.png');
    const scriptPath = path.join(app.dataDir, 'cache', 'install.sh');
    const before = launched().length;

    await rowOf(app.page, image).locator('[data-testid="task-open"]').click();
    await expect.poll(() => launched().slice(before)).toEqual([imagePath]);
    await rowOf(app.page, image).locator('[data-testid="task-reveal"]').click();
    await expect.poll(() => launched().slice(before)).toEqual([imagePath, `--reveal ${imagePath}`]);
    // Nothing to say when it worked: no path notice.
    expect(await app.page.locator('[data-testid="notice"]', { hasText: imagePath }).count()).toBe(0);

    // A script would run rather than show: it is not handed over, and the notice says why and where it is.
    await rowOf(app.page, script).locator('[data-testid="task-open"]').click();
    const refused = app.page.locator('[data-testid="notice"]', { hasText: 'Not opened' });
    await refused.waitFor();
    expect(await refused.innerText()).toContain(scriptPath);
    await rowOf(app.page, script).locator('[data-testid="task-reveal"]').click();
    await expect.poll(() => launched().slice(before)).toEqual([imagePath, `--reveal ${imagePath}`, `--reveal ${scriptPath}`]);
    await app.shot('downloads-open-refused');
  });

  it('an image opens in a new tab through the signed, sandboxed media URL', async () => {
    await download('/tab.png', photo, 'image/png');
    await gotoMedia();
    await app.page.locator('[data-testid="media-item"][data-name="tab.png"] [data-testid="media-thumb"]').click();
    const link = app.page.locator('[data-testid="viewer-open-tab"]');
    const [tab] = await Promise.all([app.context.waitForEvent('page'), link.click()]);
    await tab.waitForLoadState();
    const url = new URL(tab.url());
    expect(url.pathname).toBe('/media/cache/tab.png');
    expect(url.searchParams.get('sig')).toMatch(/^[0-9a-f]{64}$/);
    const response = await fetch(tab.url());
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toContain('sandbox');
    expect(await tab.evaluate(() => (document.querySelector('img') as HTMLImageElement | null)?.naturalWidth)).toBe(640);
    await tab.close();
    await app.page.keyboard.press('Escape');
  });

  it('notices cover no row button, go by themselves, and an error stays with its view', async () => {
    // Enough rows and notices to fill the window.
    for (let i = 0; i < 4; i++) await download(`/tool-${i}.sh`, Buffer.from(`#!/bin/sh\necho ${i}\n`));
    const tools = await app.page.locator('[data-testid="task-row"]', { hasText: 'tool-' }).all();
    for (const row of tools.slice(0, 3)) await row.locator('[data-testid="task-open"]').click();
    await addDownload(app.page, 'ftp://example.com/x.bin');
    const error = app.page.locator('[data-testid="notice"][data-kind="error"]', { hasText: 'Only http and https links' });
    await error.waitFor();
    await expect.poll(() => app.page.locator('[data-testid="notice"]').count()).toBeGreaterThanOrEqual(4);
    const layout = await rowButtonsUncovered(app.page);
    expect(layout.checked).toBeGreaterThan(10);
    expect(layout.covered).toEqual([]);
    // They stack in the sidebar, beside the content, never over it.
    const overlap = await app.page.evaluate(() => {
      const content = document.querySelector('main.content')!.getBoundingClientRect();
      return [...document.querySelectorAll('[data-testid="notice"]')].some((n) => n.getBoundingClientRect().right > content.left);
    });
    expect(overlap).toBe(false);
    await app.shot('notices-beside-rows');

    await app.page.setViewportSize({ width: 800, height: 600 });
    expect((await rowButtonsUncovered(app.page)).covered).toEqual([]);
    await app.shot('notices-800');
    await app.page.setViewportSize({ width: 1280, height: 800 });

    // The error belongs to Downloads: not shown over Media, still there on coming back.
    await gotoMedia();
    expect(await app.page.locator('[data-testid="notice"][data-kind="error"]').count()).toBe(0);
    await app.page.click('[data-nav="downloads"]');
    await error.waitFor();
    // News goes by itself (6 s in view), and the error too (15 s in view).
    await expect.poll(() => app.page.locator('[data-testid="notice"][data-kind="info"]').count(), { timeout: 12_000 }).toBe(0);
    await expect.poll(() => error.count(), { timeout: 20_000 }).toBe(0);
  });
});

describe('serve --gallery-dir, the gallery defaults, and names while running (point 13)', () => {
  it('Settings shows the gallery defaults as full paths under --gallery-dir, and move to gallery goes there', async () => {
    await app.page.click('[data-nav="settings"]');
    const pictures = path.join(galleryDir, 'Pictures', 'Vela Companion');
    const shown = app.page.locator('[data-testid="settings-gallery-default-image"]');
    await expect.poll(() => shown.innerText()).toBe(`Default: ${pictures}`);
    expect(await app.page.locator('[data-testid="settings-gallery-default-audio"]').innerText()).toBe(`Default: ${path.join(galleryDir, 'Music', 'Vela Companion')}`);
    expect(await app.page.locator('[data-testid="settings-gallery-image"]').getAttribute('placeholder')).toBe(pictures);
    await app.shot('settings-gallery-defaults');

    await app.page.click('[data-nav="downloads"]');
    await download('/keep.png', photo, 'image/png');
    await gotoMedia();
    await app.page.locator('[data-testid="media-item"][data-name="keep.png"] [data-testid="media-select"]').check();
    await app.page.click('[data-testid="media-move"]');
    const moved = app.page.locator('[data-testid="media-moved"][data-name="keep.png"] [data-testid="media-moved-path"]');
    await moved.waitFor({ timeout: 10_000 });
    expect(await moved.innerText()).toBe(path.join(pictures, 'keep.png'));
    expect(fs.readFileSync(path.join(pictures, 'keep.png'))).toEqual(photo);
  });

  it('three running downloads the server names each show their own name as soon as it is known', async () => {
    const names = ['moon-face.bin', 'sun-face.bin', 'star-face.bin'];
    names.forEach((name, i) =>
      files.setFile(`/n${i}/etag.bin`, { body: randomBytesSeeded(600 * 1024, 20 + i), bytesPerSecond: 48 * 1024, contentDisposition: `attachment; filename="${name}"` }),
    );
    await app.page.fill('[data-testid="download-url"]', names.map((_, i) => files.urlFor(`/n${i}/etag.bin`)).join('\n'));
    await app.page.click('[data-testid="download-submit"]');
    const rows = app.page.locator('[data-testid="task-row"]', { has: app.page.locator('[data-testid="task-state"][data-state="running"]') });
    await expect
      .poll(() => rows.locator('[data-testid="task-name"]').allInnerTexts(), { timeout: 8_000 })
      .toEqual(expect.arrayContaining(names));
    expect((await rows.locator('[data-testid="task-name"]').allInnerTexts()).filter((n) => n === 'etag.bin')).toEqual([]);
    await app.shot('downloads-server-names');
    const tokens = await rows.evaluateAll((list) => list.map((r) => r.getAttribute('data-token')!));
    for (const token of tokens) await rowOf(app.page, token).locator('[data-testid="task-cancel"]').click();
  });
});

describe('ten thousand cached files (point 12)', () => {
  let big: App;
  const COUNT = 10_000;

  beforeAll(async () => {
    big = await startApp();
    const cache = path.join(big.dataDir, 'cache');
    fs.mkdirSync(cache, { recursive: true });
    const tiles = [gradientPng(48, 32, 0), gradientPng(48, 32, 1), gradientPng(48, 32, 2), gradientPng(48, 32, 3)];
    const base = Date.now() / 1000 - COUNT;
    for (let i = 0; i < COUNT; i++) {
      const file = path.join(cache, `file-${String(i).padStart(5, '0')}.png`);
      fs.writeFileSync(file, tiles[i % tiles.length]!);
      fs.utimesSync(file, base + i, base + i);
    }
  }, 120_000);

  afterAll(async () => {
    await big?.close();
  });

  it('renders only the cards in view and scrolls smoothly to the last one', async () => {
    const page = big.page;
    await page.goto(`${new URL(big.url).origin}/#/media`);
    const grid = page.locator('[data-testid="media-grid"]');
    await grid.waitFor({ timeout: 120_000 });
    expect(await grid.getAttribute('data-count')).toBe(String(COUNT));
    expect(await page.locator('[data-testid="media-summary"]').innerText()).toContain('10000 files');
    const inDom = await page.locator('[data-testid="media-item"]').count();
    expect(inDom).toBeGreaterThan(4);
    expect(inDom).toBeLessThan(80);
    await page.locator('[data-testid="media-item"][data-name="file-09999.png"] [data-testid="media-image"]').waitFor();

    // Scroll through a good part of the grid a frame at a time and time the frames. Previews of the
    // cards passed on the way are not fetched (they wait for the grid to rest).
    const previews: string[] = [];
    const onRequest = (request: { url(): string }): void => {
      if (new URL(request.url()).pathname.startsWith('/media/')) previews.push(request.url());
    };
    page.on('request', onRequest);
    const frames = await grid.evaluate(async (el) => {
      const times: number[] = [];
      let last = performance.now();
      for (let i = 0; i < 150; i++) {
        el.scrollTop += 180;
        await new Promise((resolve) => requestAnimationFrame(resolve));
        const now = performance.now();
        times.push(now - last);
        last = now;
      }
      return times.sort((a, b) => a - b);
    });
    page.off('request', onRequest);
    const p95 = frames[Math.floor(frames.length * 0.95)]!;
    console.log(`media grid, 10,000 files: frame p95 ${p95.toFixed(1)} ms, median ${frames[frames.length >> 1]!.toFixed(1)} ms; ${previews.length} previews fetched while scrolling`);
    // The cards passed: about 150 frames × 180 px over 248 px rows of 4 (some 430 cards). Their previews
    // wait. On a loaded machine one slow frame (> the virtualiser's 150 ms rest delay) lets the cards of
    // that moment load (32 were seen in a CI run); fetching as the cards pass would be hundreds.
    expect(previews.length).toBeLessThan(100);
    // Shared, loaded CPUs here (the same loop over the 10,000-task list measures 20-60 ms): a generous
    // bound that still fails when every card is in the DOM.
    expect(p95).toBeLessThan(150);
    expect(await page.locator('[data-testid="media-item"]').count()).toBeLessThan(80);

    await grid.evaluate((el) => (el.scrollTop = el.scrollHeight));
    const lastCard = page.locator('[data-testid="media-item"][data-name="file-00000.png"]');
    await lastCard.waitFor();
    await expect.poll(() => lastCard.locator('[data-testid="media-image"]').evaluate((el) => (el as HTMLImageElement).naturalWidth)).toBe(48);
    expect(await page.locator('[data-testid="media-item"]').count()).toBeLessThan(80);
    await big.shot('media-10000-files');
  });
});
