import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaLibrary } from '../../src-main/core/media.js';
import { createAppHandler, rendererFileFor } from '../../src-main/electron/app-protocol.js';
import { parseRange } from '../../src-main/core/byte-range.js';
import { MEDIA_CONTENT_SECURITY_POLICY } from '../../src-main/core/media-response.js';
import { createMediaHandler } from '../../src-main/electron/media-protocol.js';
import { ELECTRON_CSP } from '../../src-main/electron/security-policy.js';
import { mediaUrl } from '../../src-main/electron/urls.js';
import { createHarness, type EngineHarness } from '../helpers/engine.js';

const get = (url: string, headers: Record<string, string> = {}, method = 'GET'): Request => new Request(url, { method, headers });

describe('byte ranges', () => {
  it('serves single ranges, clamps the end, answers 416 past the end', () => {
    expect(parseRange(null, 100)).toEqual({ kind: 'whole' });
    expect(parseRange('', 100)).toEqual({ kind: 'whole' });
    expect(parseRange('bytes=0-9', 100)).toEqual({ kind: 'partial', start: 0, end: 9 });
    expect(parseRange('bytes=90-', 100)).toEqual({ kind: 'partial', start: 90, end: 99 });
    expect(parseRange('bytes=90-500', 100)).toEqual({ kind: 'partial', start: 90, end: 99 });
    expect(parseRange('bytes=-10', 100)).toEqual({ kind: 'partial', start: 90, end: 99 });
    expect(parseRange('bytes=-500', 100)).toEqual({ kind: 'partial', start: 0, end: 99 });
    expect(parseRange('bytes=100-', 100)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=5-3', 100)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-0', 100)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
  });

  it('serves the whole file for what it does not handle (several ranges, other units, junk)', () => {
    for (const header of ['bytes=0-1,5-6', 'items=0-1', 'bytes=-', 'bytes=a-b', 'bytes 0-1']) {
      expect(parseRange(header, 100), header).toEqual({ kind: 'whole' });
    }
  });
});

describe('app:// (the renderer)', () => {
  let dir: string;
  let handle: (request: Request) => Promise<Response>;

  beforeAll(() => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'vela-app-protocol-')));
    const renderer = path.join(dir, 'renderer');
    fs.mkdirSync(path.join(renderer, 'assets'), { recursive: true });
    fs.writeFileSync(path.join(renderer, 'index.html'), '<!doctype html><title>Vela</title>');
    fs.writeFileSync(path.join(renderer, 'assets', 'index-abc.js'), 'console.log(1)');
    fs.writeFileSync(path.join(dir, 'secret.txt'), 'outside the renderer');
    handle = createAppHandler(renderer);
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('maps URLs inside the renderer folder only', () => {
    const renderer = path.join(dir, 'renderer');
    expect(rendererFileFor('app://vela/', renderer)).toBe(path.join(renderer, 'index.html'));
    expect(rendererFileFor('app://vela/assets/index-abc.js', renderer)).toBe(path.join(renderer, 'assets', 'index-abc.js'));
    for (const url of ['app://vela/..%2Fsecret.txt', 'app://vela/%2e%2e%2fsecret.txt', 'app://vela/a%5C..%5C..%5Csecret.txt', 'app://other/index.html', 'file:///etc/passwd', 'app://vela/a%00b']) {
      expect(rendererFileFor(url, renderer), url).toBeNull();
    }
    // Dot segments are clamped at the root by the URL parser: they land inside, never above.
    expect(rendererFileFor('app://vela/../../secret.txt', renderer)).toBe(path.join(renderer, 'secret.txt'));
  });

  it('serves the page and its assets with the CSP and their content types', async () => {
    const page = await handle(get('app://vela/index.html'));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(ELECTRON_CSP);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('<title>Vela</title>');
    const script = await handle(get('app://vela/assets/index-abc.js'));
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect(script.headers.get('content-security-policy')).toBe(ELECTRON_CSP);
    expect(await (await handle(get('app://vela/'))).text()).toContain('<title>Vela</title>');
  });

  it('answers the page for paths without an extension, 404 for missing assets and anything outside', async () => {
    expect(await (await handle(get('app://vela/downloads'))).text()).toContain('<title>Vela</title>');
    expect((await handle(get('app://vela/assets/missing.js'))).status).toBe(404);
    for (const url of ['app://vela/..%2Fsecret.txt', 'app://vela/%2e%2e%2Fsecret.txt', 'app://vela/../secret.txt', 'app://elsewhere/index.html']) {
      const res = await handle(get(url));
      expect(res.status, url).toBe(404);
      expect(await res.text()).not.toContain('outside the renderer');
    }
  });

  it('answers HEAD without a body and refuses other methods', async () => {
    const head = await handle(get('app://vela/index.html', {}, 'HEAD'));
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect((await handle(new Request('app://vela/index.html', { method: 'POST', body: 'x' }))).status).toBe(405);
  });

  it('says the window is not built when there is no renderer', async () => {
    const res = await createAppHandler(path.join(dir, 'nothing-here'))(get('app://vela/'));
    expect(res.status).toBe(503);
    expect(await res.text()).toMatch(/npm run build/);
  });
});

describe('vela-media:// (previews confined to the media partitions)', () => {
  let harness: EngineHarness;
  let handle: (request: Request) => Promise<Response>;
  const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));

  beforeAll(() => {
    harness = createHarness();
    const { cacheDir, partialDir, dir } = harness;
    fs.writeFileSync(path.join(cacheDir, 'clip.mp4'), bytes);
    fs.writeFileSync(path.join(cacheDir, '表盘 #1.png'), 'png');
    fs.writeFileSync(path.join(cacheDir, '.hidden.png'), 'dot');
    fs.writeFileSync(path.join(partialDir, 'abc'), 'in progress');
    fs.writeFileSync(path.join(dir, 'config.json.bak'), 'store');
    fs.writeFileSync(path.join(cacheDir, 'empty.png'), '');
    fs.mkdirSync(path.join(dir, 'mass', 'download'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'mass', 'download', 'song.mp3'), 'mp3');
    fs.symlinkSync(path.join(dir, 'config.json.bak'), path.join(cacheDir, 'link-out.png'));
    handle = createMediaHandler(new MediaLibrary(harness.engine));
  });

  afterAll(() => harness.close());

  it('serves a cache file whole, with its type, length and accept-ranges', async () => {
    const res = await handle(get(mediaUrl({ partition: 'cache', name: 'clip.mp4' })));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('video/mp4');
    expect(res.headers.get('content-length')).toBe('1000');
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('serves ranges so video can seek, and 416 past the end', async () => {
    const res = await handle(get(mediaUrl({ partition: 'cache', name: 'clip.mp4' }), { range: 'bytes=100-199' }));
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe('bytes 100-199/1000');
    expect(res.headers.get('content-length')).toBe('100');
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes.subarray(100, 200))).toBe(true);
    const tail = await handle(get(mediaUrl({ partition: 'cache', name: 'clip.mp4' }), { range: 'bytes=-10' }));
    expect(Buffer.from(await tail.arrayBuffer()).equals(bytes.subarray(990))).toBe(true);
    const past = await handle(get(mediaUrl({ partition: 'cache', name: 'clip.mp4' }), { range: 'bytes=1000-' }));
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe('bytes */1000');
  });

  it('serves encoded names, the mass partition, empty files and HEAD', async () => {
    expect(await (await handle(get(mediaUrl({ partition: 'cache', name: '表盘 #1.png' })))).text()).toBe('png');
    expect(await (await handle(get(mediaUrl({ partition: 'mass', name: 'song.mp3' })))).text()).toBe('mp3');
    const empty = await handle(get(mediaUrl({ partition: 'cache', name: 'empty.png' })));
    expect(empty.status).toBe(200);
    expect(await empty.text()).toBe('');
    const head = await handle(get(mediaUrl({ partition: 'cache', name: 'clip.mp4' }), {}, 'HEAD'));
    expect(head.headers.get('content-length')).toBe('1000');
    expect(await head.text()).toBe('');
  });

  it('never serves a downloaded file as a document: sandboxed, nosniff, active types as attachments', async () => {
    fs.writeFileSync(path.join(harness.cacheDir, 'x.html'), '<script>alert(1)</script>');
    fs.writeFileSync(path.join(harness.cacheDir, 'x.svg'), '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
    const answer = async (name: string) => (await handle(get(mediaUrl({ partition: 'cache', name })))).headers;
    for (const name of ['clip.mp4', 'x.html', 'x.svg']) {
      const headers = await answer(name);
      expect(headers.get('content-security-policy'), name).toBe(MEDIA_CONTENT_SECURITY_POLICY);
      expect(headers.get('x-content-type-options'), name).toBe('nosniff');
    }
    expect((await answer('clip.mp4')).get('content-disposition')).toBeNull();
    expect((await answer('x.html')).get('content-type')).toBe('application/octet-stream');
    expect((await answer('x.html')).get('content-disposition')).toMatch(/^attachment/);
    expect((await answer('x.svg')).get('content-type')).toBe('image/svg+xml');
    expect((await answer('x.svg')).get('content-disposition')).toMatch(/^attachment/);
  });

  it('answers the same 404 for anything outside, in progress, hidden, linked out or missing', async () => {
    for (const url of [
      'vela-media://cache/%2e%2e/config.json.bak',
      'vela-media://cache/..%2Fconfig.json.bak',
      'vela-media://cache/%2E%2E%2F%2E%2E%2F%2E%2E%2Fetc%2Fpasswd',
      'vela-media://cache//etc/passwd',
      `vela-media://cache/${encodeURIComponent(path.join(harness.dir, 'config.json.bak'))}`,
      'vela-media://cache/.partial/abc',
      'vela-media://cache/%2Epartial/abc',
      'vela-media://cache/.hidden.png',
      'vela-media://cache/link-out.png',
      'vela-media://cache/missing.png',
      'vela-media://cache/.partial',
      'vela-media://mass/clip.mp4',
      'vela-media://gallery/clip.mp4',
      'vela-media://config/x',
    ]) {
      const res = await handle(get(url));
      expect(res.status, url).toBe(404);
      expect(await res.text(), url).toBe('not found\n');
    }
    expect((await handle(new Request(mediaUrl({ partition: 'cache', name: 'clip.mp4' }), { method: 'DELETE' }))).status).toBe(404);
  });
});
