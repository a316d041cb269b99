/**
 * Issue 11: the desktop app, end to end, through the real shell. The built `dist/electron/main.js`
 * runs under Node on the Electron stand-in (test/electron-standin): its window is a page in Debian's
 * Chromium loaded through the shell's own `app://` handler, with the built preload giving it
 * `window.vela`, and its engine a real utility process (a child process with `process.parentPort`).
 * A person can look at test/e2e/screenshots/desktop-*.png afterwards. What the stand-in cannot prove
 * is in docs/desktop.md ("The desktop app under the stand-in").
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../e2e/harness.js';
import { buildStandin, type StandinBuild } from '../electron-standin/build.js';
import { randomBytesSeeded, sha256, sha256File, startServer, type TestServer } from '../helpers/server.js';
import { alive, eventually, startDesktop, type Desktop } from './harness.js';
import { diagnostics, firstWindowShowsDownloads, invokeInPage, velaKeys } from './scenarios.js';

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAIAAACQkWg2AAAAFklEQVR4nGP8z8BQz0AEYBxVSF+FABJADq0H4tqAAAAAAElFTkSuQmCC',
  'base64',
);

// Each scenario takes a few seconds alone; the whole suite shares two cores, hence the margin.
describe('the desktop app through the real shell, on the Electron stand-in', { timeout: 90_000 }, () => {
  let standin: StandinBuild;
  let browser: Browser;
  let files: TestServer;
  let desktop: Desktop;
  let page: Page;

  beforeAll(async () => {
    standin = buildStandin();
    files = await startServer();
    browser = await launchChromium();
    desktop = startDesktop(browser, { standin });
    page = await desktop.page();
    await page.locator('[data-testid="downloads-view"]').waitFor({ timeout: 20_000 }).catch(() => {});
  }, 60_000);

  afterAll(async () => {
    await desktop?.close();
    await browser?.close();
    await files?.close();
    standin?.dispose();
  }, 60_000);

  const row = (name: string) => page.locator('[data-testid="task-row"]', { has: page.locator(`[data-testid="task-name"]`, { hasText: name }) });
  const state = (name: string, value: string) => row(name).locator(`[data-testid="task-state"][data-state="${value}"]`);

  async function addDownload(url: string, header?: { name: string; value: string }): Promise<void> {
    await page.click('[data-nav="downloads"]');
    if (header) {
      await page.click('[data-testid="header-add"]');
      await page.locator('[data-testid="header-name"]').last().fill(header.name);
      await page.locator('[data-testid="header-value"]').last().fill(header.value);
    }
    await page.fill('[data-testid="download-url"]', url);
    await page.press('[data-testid="download-url"]', 'Enter');
  }

  const partialBytes = (): number => {
    const dir = path.join(desktop.dataDir, 'cache', '.partial');
    if (!fs.existsSync(dir)) return 0;
    return fs.readdirSync(dir).filter((n) => !n.endsWith('.json')).reduce((sum, n) => sum + fs.statSync(path.join(dir, n)).size, 0);
  };

  it('starts: the first window shows Downloads, served over app:// with the preload and the IPC door in place', async () => {
    try {
      page = await firstWindowShowsDownloads(desktop);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${diagnostics(desktop)}`);
    }
    const { driver } = desktop;
    // The page cannot reach the IPC pipe itself, only what the preload exposed.
    expect(await page.evaluate(() => Object.keys(globalThis).filter((k) => /velaStandin/i.test(k)))).toEqual([]);

    // The window was made with the hardened preferences and the built preload.
    const [created] = driver.recorded('BrowserWindow.new');
    const prefs = (created?.data.options as { webPreferences: Record<string, unknown> }).webPreferences;
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false });
    expect(prefs.preload).toBe(path.resolve('dist/electron/preload.cjs'));

    // Order as Electron requires: schemes before ready; handlers, IPC and the window after.
    const at = (kind: string): number => driver.records.findIndex((r) => r.kind === kind);
    expect(at('protocol.registerSchemesAsPrivileged')).toBeGreaterThanOrEqual(0);
    expect(at('protocol.registerSchemesAsPrivileged')).toBeLessThan(at('app.ready'));
    expect(driver.recorded('protocol.handle').map((r) => r.data.scheme).sort()).toEqual(['app', 'vela-media']);
    expect(driver.recorded('ipcMain.handle').map((r) => r.data.channel)).toEqual(['vela:invoke']);
    expect(at('app.ready')).toBeLessThan(at('BrowserWindow.new'));
    // The page's own calls went through the IPC door from app://vela.
    expect(driver.recorded('ipc.invoke').some((r) => r.data.first === 'settings.get' && r.data.sender === 'app://vela/index.html')).toBe(true);

    // The engine runs in its own process, not in main.
    const [forked] = driver.recorded('utilityProcess.fork');
    expect(forked?.data.modulePath).toBe(path.resolve('dist/src-main/engine-process/entry.js'));
    expect(forked?.data.args).toEqual(['--data-dir', desktop.dataDir, '--desktop']);
    expect(forked?.data.pid).not.toBe(desktop.child.pid);

    // The tray and the taskbar say there is nothing to do.
    expect(driver.recorded('tray.setToolTip').at(-1)?.data.text).toBe('Vela Companion: No downloads');
    expect(driver.recorded('window.setProgressBar').at(-1)?.data).toMatchObject({ progress: -1, mode: 'none' });

    // Every permission the page might ask for is denied by the session's handlers.
    for (const permission of ['media', 'notifications', 'geolocation', 'clipboard-read']) {
      expect(await desktop.act({ act: 'permission', permission, origin: 'app://vela' })).toEqual({ check: false, request: false, device: false });
    }

    // A reload is a navigation the page starts: allowed (app://vela), answered with the CSP.
    const response = await page.reload();
    await page.locator('[data-testid="downloads-view"]').waitFor();
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain('https://*.vela-media.invalid'); // vela-media:, as the stand-in maps it
    expect(driver.recorded('webContents.navigation').at(-1)?.data).toMatchObject({ url: 'app://vela/index.html', prevented: false });
    await desktop.shot('start', page);
  });

  it('downloads with a header, pauses, resumes and finishes: a notification, the tray and the taskbar follow, reveal works', async () => {
    const body = randomBytesSeeded(1536 * 1024, 21);
    files.setFile('/watch-face.bin', { body, bytesPerSecond: 384 * 1024 });
    const url = files.urlFor('/watch-face.bin');
    await addDownload(url, { name: 'X-Vela-Token', value: 's3cret' });
    await state('watch-face.bin', 'running').waitFor({ timeout: 15_000 });

    // While it runs: the tray's tooltip and menu say how far, the taskbar bar shows the fraction.
    const { driver } = desktop;
    await driver.waitForRecord('tray.setToolTip', (d) => /^Vela Companion: 1 download · \d+%/.test(String(d.text)));
    await driver.waitForRecord('window.setProgressBar', (d) => d.mode === 'normal' && Number(d.progress) > 0 && Number(d.progress) < 1);
    const menu = await driver.waitForRecord('tray.setContextMenu', (d) => String((d.items as Array<{ label: string }>)[0]?.label).startsWith('1 download'));
    expect((menu.data.items as Array<{ label: string }>).map((i) => i.label).slice(1)).toEqual(['', 'Show Vela Companion', 'Quit']);

    await eventually(() => expect(partialBytes()).toBeGreaterThan(64 * 1024), 10_000);
    await row('watch-face.bin').locator('[data-testid="task-pause"]').click();
    await state('watch-face.bin', 'paused').waitFor({ timeout: 10_000 });
    await driver.waitForRecord('window.setProgressBar', (d) => d.mode === 'paused');
    const heldWhilePaused = partialBytes();
    expect(heldWhilePaused).toBeGreaterThan(0);
    expect(heldWhilePaused).toBeLessThan(body.length);
    await desktop.shot('download-paused', page);

    await row('watch-face.bin').locator('[data-testid="task-resume"]').click();
    await state('watch-face.bin', 'completed').waitFor({ timeout: 30_000 });
    const file = path.join(desktop.dataDir, 'cache', 'watch-face.bin');
    expect(await sha256File(file)).toBe(sha256(body));
    // The header went with every request of this download, and the resume asked for the rest only.
    const requests = files.requestsFor('/watch-face.bin');
    expect(requests.length).toBeGreaterThan(1);
    expect(requests.every((r) => r.headers['x-vela-token'] === 's3cret')).toBe(true);
    expect(requests.some((r) => r.range !== undefined && /^bytes=[1-9]\d*-$/.test(r.range))).toBe(true);

    // A desktop notification, the taskbar bar gone, the tray idle again.
    const notice = await driver.waitForRecord('notification.show', (d) => d.title === 'Download finished');
    expect(notice.data.body).toBe('watch-face.bin');
    await eventually(() => expect(driver.recorded('window.setProgressBar').at(-1)?.data).toMatchObject({ progress: -1, mode: 'none' }));
    await eventually(() => expect(driver.recorded('tray.setToolTip').at(-1)?.data.text).toBe('Vela Companion: No downloads'));

    // Reveal in folder goes from the page through the engine process to main's shell.showItemInFolder.
    await row('watch-face.bin').locator('[data-testid="task-reveal"]').click();
    const revealed = await driver.waitForRecord('shell.showItemInFolder');
    expect(revealed.data.path).toBe(file);

    // Clicking the notification brings the window to the front; so does clicking the tray icon.
    const focusBefore = driver.recorded('window.focus').length;
    expect(await desktop.act({ act: 'notification-click' })).toBe(true);
    await eventually(() => expect(driver.recorded('window.focus').length).toBeGreaterThan(focusBefore));
    const focusAfter = driver.recorded('window.focus').length;
    expect(await desktop.act({ act: 'tray-click' })).toBe(1);
    await eventually(() => expect(driver.recorded('window.focus').length).toBeGreaterThan(focusAfter));
    await desktop.shot('download-completed', page);
  });

  it('moves an image to the gallery: previewed over vela-media://, then gone from the cache', async () => {
    files.setFile('/photo.png', { body: PNG, contentType: 'image/png' });
    await addDownload(files.urlFor('/photo.png'));
    await state('photo.png', 'completed').waitFor({ timeout: 15_000 });
    await page.click('[data-nav="media"]');
    const item = page.locator('[data-testid="media-item"][data-name="photo.png"]');
    const image = item.locator('[data-testid="media-image"]');
    await image.waitFor({ timeout: 10_000 });
    // The preview really loaded: Chromium fetched it through the shell's vela-media handler, past the CSP.
    await eventually(() => expect(image.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).resolves.toBe(16));
    expect(desktop.driver.recorded('protocol.request', (d) => d.url === 'vela-media://cache/photo.png' && d.status === 200).length).toBeGreaterThan(0);
    await desktop.shot('media-grid', page);

    await item.locator('[data-testid="media-select"]').check();
    await page.click('[data-testid="media-move"]');
    const moved = page.locator('[data-testid="media-moved-path"]').first();
    await moved.waitFor({ timeout: 10_000 });
    const target = path.join(desktop.home, 'Pictures', 'Vela Companion', 'photo.png');
    expect(await moved.innerText()).toContain(target);
    await item.waitFor({ state: 'detached', timeout: 10_000 });
    expect(fs.existsSync(path.join(desktop.dataDir, 'cache', 'photo.png'))).toBe(false);
    expect(fs.readFileSync(target)).toEqual(PNG);
    await desktop.shot('media-moved-to-gallery', page);
  });

  it('survives the engine process being killed mid-download: the window says so, the engine comes back, the file is exact', async () => {
    const { driver } = desktop;
    const body = randomBytesSeeded(3 * 1024 * 1024, 22);
    files.setFile('/firmware.bin', { body, bytesPerSecond: 768 * 1024 });
    await addDownload(files.urlFor('/firmware.bin'));
    await state('firmware.bin', 'running').waitFor({ timeout: 15_000 });
    // A fresh stream's bytes are resumable once its sidecar is on disk (after its first MiB; docs/engine.md).
    const partialDir = path.join(desktop.dataDir, 'cache', '.partial');
    await eventually(() => expect(fs.readdirSync(partialDir).some((n) => n.endsWith('.json'))).toBe(true), 15_000, 20);
    await eventually(() => expect(partialBytes()).toBeGreaterThan(512 * 1024), 10_000, 20);

    const pid = (await desktop.act({ act: 'utility-pid' })) as number;
    expect(alive(pid)).toBe(true);
    const forks = driver.recorded('utilityProcess.fork').length;
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');

    // The window tells the user; main starts another engine process.
    const crashed = page.locator('[data-testid="notice"]', { hasText: 'The download engine stopped unexpectedly' });
    await crashed.waitFor({ timeout: 10_000 });
    expect(await crashed.innerText()).toContain('exit code 9'); // waitpid's status for SIGKILL, as Electron reports it
    await desktop.shot('engine-crashed', page);
    await driver.waitForRecord('utilityProcess.exit', (d) => d.pid === pid);
    await eventually(() => expect(driver.recorded('utilityProcess.fork').length).toBe(forks + 1), 15_000);
    const back = page.locator('[data-testid="notice"]', { hasText: 'The download engine is running again' });
    await back.waitFor({ timeout: 15_000 });
    expect(await crashed.count()).toBe(0);

    // The new engine process resumes the task from its partial file, byte-exact.
    const [, newPid] = [pid, (await desktop.act({ act: 'utility-pid' })) as number];
    expect(newPid).not.toBe(pid);
    await state('firmware.bin', 'completed').waitFor({ timeout: 30_000 });
    expect(await sha256File(path.join(desktop.dataDir, 'cache', 'firmware.bin'))).toBe(sha256(body));
    // Only the rest was fetched again: every request after the kill asked for a range, and together
    // they carried less than the whole file.
    const after = files.requestsFor('/firmware.bin').filter((r) => r.startedAt >= killedAt);
    const seen = JSON.stringify(files.requestsFor('/firmware.bin').map((r) => ({ method: r.method, range: r.range, status: r.status, sent: r.bytesSent, at: r.startedAt - killedAt })));
    expect(after.length, seen).toBeGreaterThan(0);
    expect(after.every((r) => r.range !== undefined && r.status === 206), seen).toBe(true);
    expect(after.reduce((sum, r) => sum + r.bytesSent, 0)).toBeLessThan(body.length);
    await desktop.shot('engine-back', page);
  });

  it('hands a second launch\'s arguments to the first instance, which comes to the front; the second quits', async () => {
    const { driver } = desktop;
    const focusBefore = driver.recorded('window.focus').length;
    const second = startDesktop(browser, { standin, dataDir: desktop.dataDir, home: desktop.home, args: ['--from-second-launch', 'https://example.invalid/a.bin'] });
    try {
      let timer: NodeJS.Timeout | undefined;
      const exit = await Promise.race([second.exited, new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), 15_000)))]);
      clearTimeout(timer);
      expect(exit, second.output()).toEqual({ code: 0, signal: null });
      // The second instance opened nothing: no window, no engine process.
      expect(second.driver.recorded('app.requestSingleInstanceLock').map((r) => r.data.primary)).toEqual([false]);
      expect(second.driver.recorded('BrowserWindow.new')).toEqual([]);
      expect(second.driver.recorded('utilityProcess.fork')).toEqual([]);
    } finally {
      await second.close();
    }
    const handed = await driver.waitForRecord('app.second-instance');
    expect(handed.data.argv).toEqual([process.execPath, path.resolve('.'), '--from-second-launch', 'https://example.invalid/a.bin']);
    await eventually(() => expect(driver.recorded('window.focus').length).toBeGreaterThan(focusBefore));
    expect(driver.windowIds()).toHaveLength(1);
    // Still the same window, still working.
    await page.click('[data-nav="downloads"]');
    await page.locator('[data-testid="downloads-view"]').waitFor();
  });

  it('refuses a navigation and a window.open to a foreign URL, and IPC from a foreign page', async () => {
    const { driver } = desktop;
    files.setFile('/foreign.html', { body: Buffer.from('<!doctype html><title>foreign</title><p>not the app</p>'), contentType: 'text/html' });
    files.setFile('/popup.html', { body: Buffer.from('<!doctype html><title>popup</title>'), contentType: 'text/html' });
    files.setFile('/never.bin', { body: Buffer.from('should never be fetched') });
    const foreign = files.urlFor('/foreign.html');

    // The page navigates away: will-navigate is cancelled and nothing is fetched.
    await page.evaluate((url) => {
      (globalThis as unknown as { location: { href: string } }).location.href = url;
    }, foreign);
    const refused = await driver.waitForRecord('webContents.navigation', (d) => d.url === foreign);
    expect(refused.data.prevented).toBe(true);
    await page.locator('[data-testid="downloads-view"]').waitFor();
    expect(driver.toShell(page.url())).toMatch(/^app:\/\/vela\/index\.html/);

    // window.open: the window-open handler denies; no second window, nothing fetched.
    const popup = files.urlFor('/popup.html');
    await page.evaluate((url) => {
      (globalThis as unknown as { open(url: string): unknown }).open(url);
    }, popup);
    const opened = await driver.waitForRecord('webContents.window-open', (d) => d.url === popup);
    expect(opened.data.action).toBe('deny');
    await eventually(() => expect(driver.popups).toContainEqual({ url: popup, action: 'deny' }));
    expect(driver.windowIds()).toHaveLength(1);
    expect(files.requestsFor('/foreign.html')).toEqual([]);
    expect(files.requestsFor('/popup.html')).toEqual([]);

    // Were the window to show a foreign page anyway, the preload runs there too, but main refuses its calls.
    const [id] = driver.windowIds();
    await driver.loadAsShell(id!, foreign);
    expect(files.requestsFor('/foreign.html')).toHaveLength(1);
    expect(await velaKeys(page)).toEqual(['invoke', 'mediaUrl', 'on']);
    const answer = await invokeInPage(page, 'download.start', { url: files.urlFor('/never.bin') });
    expect(answer).toEqual({ ok: false, error: { name: 'VelaError', code: 202, message: 'refused: the caller is not the app\'s own page' } });
    expect(driver.recorded('ipc.invoke', (d) => d.sender === foreign).length).toBe(1);
    expect(files.requestsFor('/never.bin')).toEqual([]);
    await desktop.shot('foreign-page', page);

    // Back to the app (as the shell would load it).
    await driver.loadAsShell(id!, 'app://vela/index.html');
    await page.locator('[data-testid="downloads-view"]').waitFor();
  });

  it('gives a page that did not get the preload nothing: no window.vela, no IPC, the no-session screen', async () => {
    const { driver } = desktop;
    // Let the app's window finish what it was asking (the previous scenario reloaded it).
    const calls = await driver.whenQuiet('ipc.invoke');
    const bare = await driver.openBarePage('app://vela/index.html');
    try {
      await bare.locator('.no-session').waitFor({ timeout: 10_000 });
      expect(await velaKeys(bare)).toBeNull();
      expect(await bare.evaluate(() => Object.keys(globalThis).filter((k) => /velaStandin/i.test(k)))).toEqual([]);
      expect(driver.recorded('ipc.invoke').length).toBe(calls);
      await desktop.shot('no-preload', bare);
    } finally {
      await bare.close();
    }
  });

  it('quits from the tray menu: the engine process stops, the data dir is given back, the app exits 0', async () => {
    const { driver } = desktop;
    const pid = (await desktop.act({ act: 'utility-pid' })) as number;
    expect(await desktop.act({ act: 'tray-menu', label: 'Quit' })).toBe(true);
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([desktop.exited, new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), 15_000)))]);
    clearTimeout(timer);
    expect(exit, desktop.output()).toEqual({ code: 0, signal: null });
    expect(driver.recorded('utilityProcess.exit', (d) => d.pid === pid).map((r) => r.data.code)).toEqual([0]);
    expect(alive(pid)).toBe(false);
    expect(fs.existsSync(path.join(desktop.dataDir, 'engine.json'))).toBe(false);
    // The window's place was kept for next time, in the shell's own store.
    const prefs = JSON.parse(fs.readFileSync(path.join(desktop.dataDir, 'shell.json'), 'utf8')) as { windowBounds?: { width: number } };
    expect(prefs.windowBounds?.width).toBe(1180);
    // Nothing in main threw or rejected without being caught.
    expect(driver.records.filter((r) => r.kind.startsWith('process.'))).toEqual([]);
  });
});
