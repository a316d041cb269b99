// @vitest-environment happy-dom
/**
 * The API console over the real engine and a real server: the object a quick app passes, run through
 * the shared quick-app adapter, with success / fail(data, code) / complete logged in the order they
 * fire; the token from a download fills the onDownloadComplete box; bad input is a message, not a crash.
 */
import { mount, type VueWrapper } from '@vue/test-utils';
import { getActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseObjectText } from '../../src-renderer/components/console/object-text.js';
import { i18n } from '../../src-renderer/i18n/index.js';
import { useSettings } from '../../src-renderer/stores/settings.js';
import ConsoleView from '../../src-renderer/views/ConsoleView.vue';
import { randomBytesSeeded, startServer, type TestServer } from '../helpers/server.js';
import { createHarness, flush, type Harness } from './harness.js';

let h: Harness;
let server: TestServer;
let wrapper: VueWrapper | undefined;

beforeEach(async () => {
  h = createHarness();
  server = await startServer({
    '/ok.bin': { body: randomBytesSeeded(4096, 7) },
    '/slow.bin': { body: randomBytesSeeded(24_000, 8), bytesPerSecond: 40_000 },
  });
  await useSettings().load();
});

afterEach(async () => {
  wrapper?.unmount();
  wrapper = undefined;
  await h.close();
  await server.close();
});

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; log:\n${wrapper ? lines(wrapper).join('\n') : ''}`);
    await flush(20);
  }
}

async function mountView(): Promise<VueWrapper> {
  wrapper = mount(ConsoleView, { attachTo: document.body, global: { plugins: [getActivePinia()!, i18n] } });
  await until(() => wrapper!.findAll('[data-testid="console-device"] option').length > 0, 'the device list');
  return wrapper;
}

/** The log's lines without their timestamps. */
const lines = (w: VueWrapper): string[] => w.findAll('[data-testid="console-line"] .text').map((l) => l.text());
/** Only the callback lines (not the call itself), for order checks. */
const callbacks = (w: VueWrapper): string[] =>
  w.findAll('[data-testid="console-line"]').filter((l) => l.attributes('data-kind') !== 'call').map((l) => l.find('.text').text());

async function runDownload(w: VueWrapper, text: string): Promise<void> {
  await w.find('[data-testid="console-input"]').setValue(text);
  await w.find('[data-testid="console-run-download"]').trigger('click');
}

const tokenBox = (w: VueWrapper): string => (w.find('[data-testid="console-token"]').element as HTMLTextAreaElement).value;

describe('API console', () => {
  it('download logs success then complete, fills the token, and onDownloadComplete answers with the uri', async () => {
    const w = await mountView();
    await runDownload(w, `{ url: '${server.urlFor('/ok.bin')}', header: { 'X-Demo': 'yes', }, filename: 'ok.bin' }`);
    await until(() => callbacks(w).length === 2, 'download callbacks');

    const [success, complete] = callbacks(w);
    const token = /^download → success\(\{"token":"([^"]+)"\}\)$/.exec(success!)?.[1];
    expect(token).toBeTruthy();
    expect(complete).toBe('download → complete()');
    expect(lines(w)[0]).toBe(`download({"url":"${server.urlFor('/ok.bin')}","header":{"X-Demo":"yes"},"filename":"ok.bin"})`);
    expect(tokenBox(w)).toContain(token);
    // Every line carries a timestamp.
    for (const at of w.findAll('[data-testid="console-line"] time')) expect(at.text()).toMatch(/^\d\d:\d\d:\d\d\.\d{3}$/);

    await w.find('[data-testid="console-run-listen"]').trigger('click');
    await until(() => callbacks(w).length === 4, 'onDownloadComplete callbacks');
    expect(callbacks(w).slice(2)).toEqual(['onDownloadComplete → success({"uri":"internal://cache/ok.bin"})', 'onDownloadComplete → complete()']);
    expect(server.requestsFor('/ok.bin').at(-1)?.headers['x-demo']).toBe('yes');
  });

  it('onDownloadComplete on a 404 logs fail(…, 1000) then complete', async () => {
    const w = await mountView();
    await runDownload(w, JSON.stringify({ url: server.urlFor('/missing.bin') }));
    await until(() => callbacks(w).length === 2, 'download callbacks');
    expect(callbacks(w)[0]).toMatch(/^download → success\(\{"token":".+"\}\)$/);

    await w.find('[data-testid="console-run-listen"]').trigger('click');
    await until(() => callbacks(w).length === 4, 'onDownloadComplete callbacks');
    expect(callbacks(w).slice(2)).toEqual(['onDownloadComplete → fail("HTTP status 404", 1000)', 'onDownloadComplete → complete()']);
    expect(w.find('[data-testid="console-line"][data-kind="fail"]').attributes('data-call')).toBe('onDownloadComplete');
  });

  it('bad arguments fail download with 202; an unknown token fails with 1001; a bare token is accepted', async () => {
    const w = await mountView();
    await runDownload(w, `{ url: 'ftp://example.com/x' }`);
    await until(() => callbacks(w).length === 2, 'download callbacks');
    expect(callbacks(w)[0]).toMatch(/^download → fail\(".+", 202\)$/);
    expect(callbacks(w)[1]).toBe('download → complete()');

    await w.find('[data-testid="console-token"]').setValue('no-such-token');
    await w.find('[data-testid="console-run-listen"]').trigger('click');
    await until(() => callbacks(w).length === 4, 'onDownloadComplete callbacks');
    expect(callbacks(w)[2]).toMatch(/^onDownloadComplete → fail\(".+", 1001\)$/);
    expect(callbacks(w)[3]).toBe('onDownloadComplete → complete()');
  });

  it('invalid input shows a clear message and calls nothing', async () => {
    const w = await mountView();
    await runDownload(w, `{ "url": "http://x/a.bin", `);
    const error = w.find('[data-testid="console-input-error"]');
    expect(error.exists()).toBe(true);
    expect(error.text()).toContain('The text ends too early');
    expect(error.text()).toContain('line 1');
    expect(lines(w)).toEqual([]);

    await runDownload(w, `{ url: http://x }`);
    expect(w.find('[data-testid="console-input-error"]').text()).toContain('Unexpected “h”');
    await runDownload(w, `[1, 2]`);
    expect(w.find('[data-testid="console-input-error"]').text()).toContain('one object');
    await runDownload(w, ``);
    expect(w.find('[data-testid="console-input-error"]').text()).toContain('Type an object first');
    await runDownload(w, `{ url: 'http://x/a' } alert(1)`);
    expect(w.find('[data-testid="console-input-error"]').text()).toContain('Something follows the object');
    expect(lines(w)).toEqual([]);

    await w.find('[data-testid="console-token"]').setValue('{ token: ');
    await w.find('[data-testid="console-run-listen"]').trigger('click');
    expect(w.find('[data-testid="console-token-error"]').exists()).toBe(true);
    expect(lines(w)).toEqual([]);

    // Fixing the text clears the message.
    await runDownload(w, JSON.stringify({ url: server.urlFor('/ok.bin') }));
    expect(w.find('[data-testid="console-input-error"]').exists()).toBe(false);
    await until(() => callbacks(w).length === 2, 'download callbacks');
  });

  it('an unsupported device makes download fail with 203 and sends nothing', async () => {
    const w = await mountView();
    await w.find('[data-testid="console-device"]').setValue('band-8-pro');
    await until(() => useSettings().settings.activeProfile === 'band-8-pro', 'the device switch');
    expect((await h.bridge.invoke('settings.get', {})).activeProfile).toBe('band-8-pro');
    expect(w.find('[data-testid="console-device-supported"]').attributes('data-supported')).toBe('false');

    await runDownload(w, JSON.stringify({ url: server.urlFor('/ok.bin') }));
    await until(() => callbacks(w).length === 2, 'download callbacks');
    expect(callbacks(w)[0]).toMatch(/^download → fail\(".+", 203\)$/);
    expect(callbacks(w)[1]).toBe('download → complete()');
    expect(server.requestsFor('/ok.bin')).toEqual([]);
  });

  it('warns when a listener is replaced under the hapjs "last" rule', async () => {
    await h.bridge.invoke('devices.save', { id: 'hapjs', name: 'hapjs', supported: true, link: {}, device: { listenerRule: 'last' } });
    const w = await mountView();
    await w.find('[data-testid="console-device"]').setValue('hapjs');
    await until(() => useSettings().settings.activeProfile === 'hapjs', 'the device switch');

    await runDownload(w, JSON.stringify({ url: server.urlFor('/slow.bin') }));
    await until(() => callbacks(w).length === 2, 'download callbacks');
    await w.find('[data-testid="console-run-listen"]').trigger('click');
    await w.find('[data-testid="console-run-listen"]').trigger('click');
    await until(() => w.find('[data-testid="console-line"][data-kind="warn"]').exists(), 'the warning');
    expect(w.find('[data-testid="console-line"][data-kind="warn"] .text').text()).toContain('replaced');

    const answers = (): string[] =>
      w.findAll('[data-testid="console-line"][data-call="onDownloadComplete"]').filter((l) => l.attributes('data-kind') !== 'call').map((l) => l.find('.text').text());
    await until(() => answers().length === 3, 'the last listener');
    await flush(100);
    // One warning, then the one listener that is kept answers once.
    expect(answers()).toEqual([
      expect.stringContaining('replaced'),
      'onDownloadComplete → success({"uri":"internal://cache/slow.bin"})',
      'onDownloadComplete → complete()',
    ]);
  });
});

describe('object text', () => {
  it('accepts strict JSON and quick-app style objects', () => {
    expect(parseObjectText('{"url":"http://a/b","header":{"A":"1"}}')).toEqual({ ok: true, value: { url: 'http://a/b', header: { A: '1' } } });
    expect(parseObjectText(`{ url: 'http://a/b', // the file\n header: { 'X-Y': "it's" }, n: -1.5e2, ok: true, none: null, list: [1, 'two',], }`)).toEqual({
      ok: true,
      value: { url: 'http://a/b', header: { 'X-Y': "it's" }, n: -150, ok: true, none: null, list: [1, 'two'] },
    });
    expect(parseObjectText(`{ s: 'a\\'b\\u0041\\n' }`)).toEqual({ ok: true, value: { s: "a'bA\n" } });
  });

  it('never runs code and never touches a prototype', () => {
    for (const text of ['{ url: location.href }', '{ url: `x` }', '{ url: f() }', '(function(){})()', '{ url: undefined }']) {
      expect(parseObjectText(text).ok).toBe(false);
    }
    const parsed = parseObjectText('{ "__proto__": { "polluted": true } }');
    expect(parsed.ok).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    if (parsed.ok) expect(Object.getPrototypeOf(parsed.value)).toBe(Object.prototype);
  });

  it('reports where the problem is', () => {
    expect(parseObjectText('{\n  url: "x",\n  bad: ?\n}')).toEqual({ ok: false, error: { code: 'unexpected', line: 3, column: 8, found: '?' } });
    expect(parseObjectText('{ "a": "b')).toMatchObject({ ok: false, error: { code: 'unterminated' } });
    expect(parseObjectText('   ')).toMatchObject({ ok: false, error: { code: 'empty' } });
    expect(parseObjectText('"x"')).toMatchObject({ ok: false, error: { code: 'notObject' } });
    expect(parseObjectText('['.repeat(100))).toMatchObject({ ok: false, error: { code: 'depth' } });
  });
});
