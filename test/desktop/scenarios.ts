import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import type { Desktop } from './harness.js';

/**
 * Scenario steps shared by the desktop scenarios and the negative tests (desktop-breaks.test.ts),
 * which run the same steps against a deliberately broken shell and expect them to fail.
 */

type VelaWindow = { vela?: Record<string, unknown> & { invoke(channel: string, input: unknown): Promise<unknown> } };

/** The keys of `window.vela` in a page, or null when there is none. */
export const velaKeys = (page: Page): Promise<string[] | null> =>
  page.evaluate(() => {
    const vela = (globalThis as VelaWindow).vela;
    return vela ? Object.keys(vela).sort() : null;
  });

/** Call window.vela.invoke in the page: its value, or the plain data it rejected with. */
export const invokeInPage = (page: Page, channel: string, input: unknown): Promise<{ ok: true; value: unknown } | { ok: false; error: unknown }> =>
  page.evaluate(
    async ([c, i]) => {
      const vela = (globalThis as VelaWindow).vela;
      if (!vela) return { ok: false as const, error: 'no window.vela' };
      try {
        return { ok: true as const, value: await vela.invoke(c as string, i) };
      } catch (error) {
        return { ok: false as const, error: error instanceof Error ? { message: error.message } : error };
      }
    },
    [channel, input] as const,
  );

/**
 * Start: the first window loads `app://vela/index.html` through the shell's protocol handler, the
 * preload gives it `window.vela`, the IPC door answers its calls, and it shows Downloads with the
 * task list the engine process read (empty on a fresh data dir), without an error notice. The
 * window's engine is this app's: the data dir it reports is the desktop's.
 */
export async function firstWindowShowsDownloads(desktop: Desktop, timeoutMs = 20_000): Promise<Page> {
  const page = await desktop.page();
  // The list as the engine gave it (not "loading", not "could not load"), or the screen of a page that
  // has no way to the engine: whichever comes first.
  const settled = page.locator('[data-testid="downloads-empty"], [data-testid="task-list"], [data-testid="downloads-load-error"], .no-session');
  await settled.first().waitFor({ timeout: timeoutMs });
  expect(await page.locator('.no-session').count(), 'the page says it has no way to the engine').toBe(0);
  expect(await page.locator('[data-testid="downloads-load-error"]').allInnerTexts()).toEqual([]);
  expect(await page.locator('[data-testid="downloads-view"]').count()).toBe(1);
  expect(await page.locator('[data-testid="notice"].error').allInnerTexts()).toEqual([]);
  expect(desktop.driver.toShell(page.url())).toBe('app://vela/index.html');
  expect(await velaKeys(page)).toEqual(['invoke', 'mediaUrl', 'on']);
  const info = await invokeInPage(page, 'engine.info', {});
  expect(info).toMatchObject({ ok: true, value: { dataDir: desktop.dataDir } });
  return page;
}

/** What went wrong, for a failure message: the shell's output and the page's errors. */
export const diagnostics = (desktop: Desktop): string =>
  `--- shell output ---\n${desktop.output().slice(-4_000)}\n--- page log ---\n${desktop.driver.pageLog.slice(-40).join('\n')}`;
