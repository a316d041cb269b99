import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytesSeeded, startServer, type TestServer } from '../helpers/server.js';
import { startApp, type App } from './harness.js';

/**
 * Issue 8, point 8, as it was reported: a download with `Authorization: Bearer s3cret`, then the next
 * downloads (one to another host) went out with the same header, because the form kept it. Two file
 * servers on two ports are two origins; each records the headers it was sent.
 */
describe('the new-download form, end to end', () => {
  let app: App;
  let first: TestServer;
  let second: TestServer;

  beforeAll(async () => {
    first = await startServer();
    second = await startServer();
    app = await startApp();
    await app.page.waitForSelector('[data-testid="downloads-view"]');
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await first?.close();
    await second?.close();
  });

  const row = (name: string) => app.page.locator('[data-testid="task-row"]', { has: app.page.locator(`text=${name}`) });
  const headerRows = () => app.page.locator('[data-testid="header-row"]');

  async function download(url: string, name: string): Promise<void> {
    await app.page.fill('[data-testid="download-url"]', url);
    await app.page.press('[data-testid="download-url"]', 'Enter');
    await row(name).first().locator('[data-testid="task-state"][data-state="completed"]').waitFor({ timeout: 20_000 });
  }

  async function addHeader(name: string, value: string): Promise<void> {
    await app.page.click('[data-testid="header-add"]');
    await app.page.locator('[data-testid="header-name"]').last().fill(name);
    await app.page.locator('[data-testid="header-value"]').last().fill(value);
  }

  it('sends a header with its own download only, never with the next one to another host', async () => {
    first.setFile('/with-token.bin', { body: randomBytesSeeded(20_000, 1) });
    first.setFile('/same-host.bin', { body: randomBytesSeeded(20_000, 2) });
    second.setFile('/other-host.bin', { body: randomBytesSeeded(20_000, 3) });

    await addHeader('Authorization', 'Bearer s3cret');
    await app.page.fill('[data-testid="download-speed-limit"]', '4096');
    await app.page.fill('[data-testid="download-filename"]', 'renamed-with-token.bin');
    await download(first.urlFor('/with-token.bin'), 'renamed-with-token.bin');
    expect(first.requestsFor('/with-token.bin').some((r) => r.headers.authorization === 'Bearer s3cret')).toBe(true);

    // Everything that belonged to that download is gone from the form.
    await expect.poll(() => headerRows().count()).toBe(0);
    expect(await app.page.inputValue('[data-testid="download-url"]')).toBe('');
    expect(await app.page.inputValue('[data-testid="download-filename"]')).toBe('');
    expect(await app.page.inputValue('[data-testid="download-speed-limit"]')).toBe('');
    expect(await app.page.locator('[data-testid="kept-headers"]').count()).toBe(0);

    await download(second.urlFor('/other-host.bin'), 'other-host.bin');
    await download(first.urlFor('/same-host.bin'), 'same-host.bin');
    const sent = [...second.requests, ...first.requestsFor('/same-host.bin')];
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.map((r) => r.headers.authorization)).toEqual(sent.map(() => undefined));
    await app.shot('download-form-cleared');
  });

  it('keeps headers for one origin only when ticked, shows that, and leaves other origins alone', async () => {
    first.setFile('/kept-1.bin', { body: randomBytesSeeded(10_000, 4) });
    first.setFile('/kept-2.bin', { body: randomBytesSeeded(10_000, 5) });
    second.setFile('/not-kept.bin', { body: randomBytesSeeded(10_000, 6) });

    await addHeader('Authorization', 'Bearer s3cret');
    await app.page.fill('[data-testid="download-url"]', first.urlFor('/kept-1.bin'));
    // Keyboard only: Tab to the box and Space ticks it.
    await app.page.locator('[data-testid="header-keep"]').focus();
    await app.page.keyboard.press('Space');
    expect(await app.page.isChecked('[data-testid="header-keep"]')).toBe(true);
    await app.page.press('[data-testid="download-url"]', 'Enter');
    await row('kept-1.bin').first().locator('[data-testid="task-state"][data-state="completed"]').waitFor({ timeout: 20_000 });
    const note = app.page.locator('[data-testid="kept-header-note"]');
    await expect.poll(() => note.innerText()).toContain(`Headers kept for ${first.url}: Authorization`);
    expect(await note.innerText()).not.toContain('s3cret');

    // Another origin: the form offers nothing and sends nothing.
    await app.page.fill('[data-testid="download-url"]', second.urlFor('/not-kept.bin'));
    expect(await headerRows().count()).toBe(0);
    await app.page.press('[data-testid="download-url"]', 'Enter');
    await row('not-kept.bin').first().locator('[data-testid="task-state"][data-state="completed"]').waitFor({ timeout: 20_000 });
    expect(second.requestsFor('/not-kept.bin').every((r) => r.headers.authorization === undefined)).toBe(true);

    // The same origin: filled in, visible, sent.
    await app.page.fill('[data-testid="download-url"]', first.urlFor('/kept-2.bin'));
    await expect.poll(() => headerRows().count()).toBe(1);
    expect(await app.page.inputValue('[data-testid="header-value"]')).toBe('Bearer s3cret');
    await app.shot('download-form-kept');
    await app.page.press('[data-testid="download-url"]', 'Enter');
    await row('kept-2.bin').first().locator('[data-testid="task-state"][data-state="completed"]').waitFor({ timeout: 20_000 });
    expect(first.requestsFor('/kept-2.bin').some((r) => r.headers.authorization === 'Bearer s3cret')).toBe(true);

    // Forget, by keyboard.
    await app.page.locator('[data-testid="kept-header-forget"]').focus();
    await app.page.keyboard.press('Enter');
    await expect.poll(() => app.page.locator('[data-testid="kept-headers"]').count()).toBe(0);
    await app.page.fill('[data-testid="download-url"]', first.urlFor('/kept-1.bin'));
    expect(await headerRows().count()).toBe(0);
  });
});
