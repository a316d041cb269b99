import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type App } from './harness.js';

describe('the window in Chromium', () => {
  let app: App;
  beforeAll(async () => {
    app = await startApp();
  }, 60_000);
  afterAll(async () => {
    await app?.close();
  });

  it('opens the page from the printed URL and shows the navigation', async () => {
    await app.page.waitForSelector('[data-nav="downloads"]');
    expect(await app.page.title()).toBe('Vela Companion');
    await app.shot('smoke');
  });
});
