import fs from 'node:fs';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { randomBytesSeeded, sha256, sha256File, startServer, type TestServer } from '../helpers/server.js';
import { startApp, type App } from './harness.js';

/**
 * Issue 10, point 8: errors a person can act on, in their language. The browser host in Chromium, a
 * local server that wants credentials, real files on disk; screenshots under test/e2e/screenshots/.
 */
describe('errors a person can act on, end to end', () => {
  let app: App;
  let files: TestServer;
  const secret = randomBytesSeeded(96 * 1024, 10);

  /** A file that only a request with this header (name: value) may fetch; 401 otherwise. */
  function guarded(file: string, name: string, value: string, body: Buffer): void {
    files.setFile(file, {
      body,
      handler: (req: IncomingMessage, res: ServerResponse) => {
        if (req.headers[name.toLowerCase()] !== value) {
          res.writeHead(401, { 'www-authenticate': 'Bearer realm="vela-e2e"', 'content-type': 'text/plain' }).end('401 Unauthorized\n');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(body.length) }).end(body);
      },
    });
  }

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

  /** The row of the task for this link (its name carries the link as its title). */
  const row = (url: string) => app.page.locator('[data-testid="task-row"]', { has: app.page.locator(`[data-testid="task-name"][title="${url}"]`) }).first();

  async function addDownload(url: string): Promise<void> {
    await app.page.fill('[data-testid="download-url"]', url);
    await app.page.press('[data-testid="download-url"]', 'Enter');
  }

  async function language(id: 'en' | 'zh-CN'): Promise<void> {
    await app.page.click('[data-nav="settings"]');
    await app.page.selectOption('[data-testid="settings-language"]', id);
    await app.page.locator('html[lang="' + id + '"]').waitFor();
    await app.page.click('[data-nav="downloads"]');
    await app.page.waitForSelector('[data-testid="downloads-view"]');
  }

  it('a 401 says what to do, its button opens the header editor on a retry, and the retry with the header completes', async () => {
    guarded('/members/watch-face.bin', 'Authorization', 'Bearer e2e-token', secret);
    const url = files.urlFor('/members/watch-face.bin');
    await addDownload(url);
    const task = row(url);
    await task.locator('[data-testid="task-state"][data-state="failed"]').waitFor({ timeout: 15_000 });

    const failure = task.locator('[data-testid="task-failure"]');
    expect(await failure.getAttribute('data-kind')).toBe('http');
    expect(await failure.getAttribute('data-status')).toBe('401');
    expect(await task.locator('[data-testid="task-message"]').innerText()).toBe('The server asks for credentials (401): add an Authorization header');
    // Not the engine's "Error 1000 HTTP status 401": the code stays beside the sentence, the English in the tooltip.
    expect(await task.locator('[data-testid="task-code"]').innerText()).toBe('1000');
    expect(await failure.getAttribute('title')).toContain('HTTP status 401');
    const fix = task.locator('[data-testid="task-fix"]');
    expect(await fix.getAttribute('data-action')).toBe('headers');
    expect(await fix.innerText()).toBe('Add a header and retry…');
    await app.shot('errors-401-actionable');

    await fix.click();
    const dialog = app.page.locator('[data-testid="retry-dialog"]');
    await dialog.waitFor();
    expect(await dialog.getAttribute('data-mode')).toBe('headers');
    const names = dialog.locator('[data-testid="header-name"]');
    expect(await names.last().inputValue()).toBe('Authorization');
    // The value of the Authorization row has the focus: the user types the token at once.
    expect(await app.page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('header-value');
    await app.page.keyboard.type('Bearer e2e-token');
    await app.shot('errors-401-header-editor');
    await dialog.locator('[data-testid="retry-confirm"]').click();
    await dialog.waitFor({ state: 'detached' });

    await task.locator('[data-testid="task-state"][data-state="completed"]').waitFor({ timeout: 15_000 });
    expect(await task.locator('[data-testid="task-failure"]').count()).toBe(0);
    const gets = files.requestsFor('/members/watch-face.bin').filter((r) => r.method === 'GET');
    expect(gets.at(-1)?.headers.authorization).toBe('Bearer e2e-token');
    expect(gets.at(-1)?.status).toBe(200);
    expect(await sha256File(path.join(app.dataDir, 'cache', 'watch-face.bin'))).toBe(sha256(secret));
    await app.shot('errors-401-retried');
  });

  it('a cancel by the user reads "Cancelled", not a red error', async () => {
    files.setFile('/slow-cancel.bin', { body: randomBytesSeeded(4 * 1024 * 1024, 11), bytesPerSecond: 128 * 1024 });
    const url = files.urlFor('/slow-cancel.bin');
    await addDownload(url);
    const task = row(url);
    await task.locator('[data-testid="task-state"][data-state="running"]').waitFor({ timeout: 10_000 });
    await task.locator('[data-testid="task-cancel"]').click();
    await task.locator('[data-testid="task-state"][data-state="cancelled"]').waitFor({ timeout: 10_000 });

    const failure = task.locator('[data-testid="task-failure"]');
    expect(await failure.getAttribute('data-kind')).toBe('cancelled');
    expect(await task.locator('[data-testid="task-message"]').innerText()).toBe('Cancelled');
    expect(await task.locator('[data-testid="task-code"]').count()).toBe(0);
    expect(await task.locator('[data-testid="task-state"]').innerText()).toBe('Cancelled');
    // Neither the line nor the badge is in the danger colour.
    const colours = await app.page.evaluate(() => {
      const probe = document.createElement('span');
      probe.style.color = 'var(--danger)';
      document.body.append(probe);
      const danger = getComputedStyle(probe).color;
      probe.remove();
      return { danger };
    });
    expect(await failure.evaluate((el) => getComputedStyle(el).color)).not.toBe(colours.danger);
    expect(await task.locator('[data-testid="task-state"]').evaluate((el) => getComputedStyle(el).color)).not.toBe(colours.danger);
    expect((await task.locator('[data-testid="task-state"]').getAttribute('class'))?.split(/\s+/)).not.toContain('bad');
    // Retry is still offered: a cancel is not the end.
    expect(await task.locator('[data-testid="task-retry"]').count()).toBe(1);
    await app.shot('errors-cancelled');
  });

  it('in the Chinese window the same failure, a 404 and a refused link read in Chinese', async () => {
    guarded('/members/zh.bin', 'Authorization', 'Bearer zh-token', secret);
    const url401 = files.urlFor('/members/zh.bin');
    const url404 = files.urlFor('/gone/missing-zh.bin');
    await language('zh-CN');
    try {
      await addDownload(url401);
      const task = row(url401);
      await task.locator('[data-testid="task-state"][data-state="failed"]').waitFor({ timeout: 15_000 });
      expect(await task.locator('[data-testid="task-message"]').innerText()).toBe('服务器要求提供凭据（401）：请添加 Authorization 请求头');
      expect(await task.locator('[data-testid="task-fix"]').innerText()).toBe('添加请求头并重试…');
      expect(await task.locator('[data-testid="task-state"]').innerText()).toBe('失败');

      await addDownload(url404);
      const missing = row(url404);
      await missing.locator('[data-testid="task-state"][data-state="failed"]').waitFor({ timeout: 15_000 });
      expect(await missing.locator('[data-testid="task-message"]').innerText()).toBe('服务器上找不到该文件（404）：请检查链接');

      // A refused call (202) is said with the rule's own Chinese sentence, not the engine's English.
      await addDownload('ftp://example.test/face.bin');
      const notice = app.page.locator('[data-testid="notice"]', { hasText: '202' }).last();
      await notice.waitFor({ timeout: 10_000 });
      expect(await notice.innerText()).toContain('只能下载 http 和 https 链接。');
      expect(await notice.innerText()).not.toContain('scheme');
      await app.shot('errors-chinese');
      await notice.locator('button').click();

      // The engine's English for the API is unchanged underneath.
      const listed = await app.page.evaluate(async () => {
        const res = await fetch('/api/tasks.list', {
          method: 'POST',
          headers: { authorization: `Bearer ${sessionStorage.getItem('vela.session')}`, 'content-type': 'application/json' },
          body: '{}',
        });
        return (await res.json()) as { ok: boolean; value?: Array<{ url: string; code?: number; message?: string; error?: unknown }> };
      });
      expect(listed.ok).toBe(true);
      const record = listed.value?.find((t) => t.url === url401);
      expect(record).toMatchObject({ code: 1000, message: 'HTTP status 401', error: { code: 1000, kind: 'http', status: 401 } });
    } finally {
      await language('en');
    }
  });

  it('"New link…" sets request headers too, and the server receives them', async () => {
    files.setFile('/expired/face-v1.bin', { body: Buffer.from('gone'), status: 410 });
    const body = randomBytesSeeded(64 * 1024, 12);
    guarded('/fresh/face-v2.bin', 'X-Api-Key', 'k-123', body);
    const url = files.urlFor('/expired/face-v1.bin');
    await addDownload(url);
    const task = row(url);
    await task.locator('[data-testid="task-state"][data-state="failed"]').waitFor({ timeout: 15_000 });
    expect(await task.locator('[data-testid="task-message"]').innerText()).toBe('Gone (410): the file was removed from the server; look for a new link');
    const token = await task.getAttribute('data-token');

    await task.locator('[data-testid="task-retry-new-url"]').click();
    const dialog = app.page.locator('[data-testid="retry-dialog"]');
    await dialog.waitFor();
    expect(await dialog.getAttribute('data-mode')).toBe('url');
    await dialog.locator('[data-testid="retry-url"]').fill(files.urlFor('/fresh/face-v2.bin'));
    await dialog.locator('[data-testid="header-add"]').click();
    await dialog.locator('[data-testid="header-name"]').last().fill('X-Api-Key');
    await dialog.locator('[data-testid="header-value"]').last().fill('k-123');
    await app.shot('errors-new-link-headers');
    await dialog.locator('[data-testid="retry-confirm"]').click();
    await dialog.waitFor({ state: 'detached' });

    const same = app.page.locator(`[data-testid="task-row"][data-token="${token}"]`);
    await same.locator('[data-testid="task-state"][data-state="completed"]').waitFor({ timeout: 15_000 });
    const gets = files.requestsFor('/fresh/face-v2.bin').filter((r) => r.method === 'GET');
    expect(gets).toHaveLength(1);
    expect(gets[0]?.headers['x-api-key']).toBe('k-123');
    expect(fs.readFileSync(path.join(app.dataDir, 'cache', 'face-v2.bin'))).toEqual(body);
    await app.shot('errors-new-link-completed');
  });
});
