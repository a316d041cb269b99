/**
 * The desktop scenarios catch a broken shell. Each test runs the same shell on the stand-in with one
 * deliberate break, injected by the stand-in at the test's request (the VELA_STANDIN_BREAK variable;
 * nothing in the product knows of it), and shows that the start scenario of desktop.test.ts
 * (`firstWindowShowsDownloads`) then fails, and why:
 *
 * - the preload is not loaded into the window;
 * - the IPC handler is registered under another channel than the one the preload calls;
 * - `app://` answers 404;
 * - the sender check sees a caller other than `app://vela` (every caller looks foreign).
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../e2e/harness.js';
import type { Break } from '../electron-standin/control.js';
import { buildStandin, type StandinBuild } from '../electron-standin/build.js';
import { startDesktop, type Desktop } from './harness.js';
import { firstWindowShowsDownloads, invokeInPage, velaKeys } from './scenarios.js';

/** Long enough for an unbroken shell (it shows Downloads in about 3 s here), short enough to fail fast. */
const SCENARIO_MS = 6_000;

describe('a deliberately broken shell fails the desktop scenario', { timeout: 60_000 }, () => {
  let standin: StandinBuild;
  let browser: Browser;
  const started: Desktop[] = [];

  beforeAll(async () => {
    standin = buildStandin();
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    for (const desktop of started) await desktop.close();
    await browser?.close();
    standin?.dispose();
  }, 60_000);

  async function broken(fault: Break): Promise<{ desktop: Desktop; failure: Error }> {
    const desktop = startDesktop(browser, { standin, breaks: [fault] });
    started.push(desktop);
    const failure = await firstWindowShowsDownloads(desktop, SCENARIO_MS).then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    expect(failure, `the start scenario passed although the shell was broken (${fault})`).toBeInstanceOf(Error);
    return { desktop, failure: failure! };
  }

  it('without the preload: no window.vela, the page shows the no-session screen, no IPC', async () => {
    const { desktop } = await broken('no-preload');
    const page = await desktop.page();
    await page.locator('.no-session').waitFor({ timeout: 5_000 });
    expect(await velaKeys(page)).toBeNull();
    expect(desktop.driver.recorded('ipc.invoke')).toEqual([]);
    await desktop.shot('break-no-preload', page);
  });

  it('with the IPC handler under another channel: every call from the page finds no handler', async () => {
    const { desktop } = await broken('ipc-channel');
    const { driver } = desktop;
    expect(driver.recorded('ipcMain.handle').map((r) => r.data.channel)).toEqual(['vela:invoke-renamed']);
    const page = await desktop.page();
    expect(await velaKeys(page)).toEqual(['invoke', 'mediaUrl', 'on']);
    const answer = await invokeInPage(page, 'engine.info', {});
    expect(answer).toMatchObject({ ok: false, error: { code: 500, message: expect.stringContaining("No handler registered for 'vela:invoke'") } });
    expect(driver.recorded('ipc.invoke').every((r) => r.data.handled === false)).toBe(true);
    await desktop.shot('break-ipc-channel', page);
  });

  it('with app:// answering 404: the window gets no page', async () => {
    const { desktop } = await broken('app-404');
    const page = await desktop.page();
    expect(desktop.driver.recorded('protocol.request', (d) => d.url === 'app://vela/index.html').map((r) => r.data.status)).toContain(404);
    expect(await page.locator('body').innerText()).toContain('not found');
    expect(await page.locator('#app').count()).toBe(0);
    await desktop.shot('break-app-404', page);
  });

  it('with the sender check refusing app://vela: every call is refused with 202 before the engine sees it', async () => {
    const { desktop } = await broken('foreign-sender');
    const page = await desktop.page();
    // The page is the app's own; the (broken) check sees something else.
    expect(desktop.driver.toShell(page.url())).toBe('app://vela/index.html');
    const answer = await invokeInPage(page, 'engine.info', {});
    expect(answer).toEqual({ ok: false, error: { name: 'VelaError', code: 202, message: 'refused: the caller is not the app\'s own page' } });
    expect(desktop.driver.recorded('ipc.invoke').every((r) => r.data.sender === 'app://vela/index.html')).toBe(true);
    await desktop.shot('break-foreign-sender', page);
  });
});
