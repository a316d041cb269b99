/**
 * The engine against a real HTTP server: whole files, naming, headers, argument checks, HTTP errors
 * and listeners, as a quick app (or a desktop user) would see them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_ATTEMPTS_WITHOUT_PROGRESS } from '../../src-main/core/retry-policy.js';
import { FailCode } from '../../src-shared/codes.js';
import { createHarness, MiB, rejection, sizeOf, thrown, waitFor, type EngineHarness } from '../helpers/engine.js';
import { randomBytesSeeded, sha256, sha256File, startServer, type TestServer } from '../helpers/server.js';

let h: EngineHarness;
let server: TestServer;

beforeEach(async () => {
  server = await startServer();
  h = createHarness();
});

afterEach(async () => {
  await h.close();
  await server.close();
});

const text = (s: string): Buffer => Buffer.from(s, 'utf8');

describe('a whole file', () => {
  it('downloads 64 MiB byte-exact, and the final name never shows a partial file', async () => {
    const size = 64 * MiB;
    const body = randomBytesSeeded(size, 7);
    // Throttled just enough that the download surely takes a while to watch (about 0.5 s).
    server.setFile('/big.bin', { body, bytesPerSecond: 128 * MiB });
    const task = h.engine.download({ url: server.urlFor('/big.bin') });
    const finalPath = path.join(h.cacheDir, 'big.bin');
    const partialPath = path.join(h.partialDir, task.token);

    let done = false;
    const result = h.engine.whenDone(task.token).finally(() => (done = true));
    let sawRunning = 0;
    const sizesSeenUnderFinalName: number[] = [];
    while (!done) {
      const state = h.engine.get(task.token).state;
      const exists = fs.existsSync(finalPath);
      if (exists) sizesSeenUnderFinalName.push(sizeOf(finalPath));
      if (state === 'running' && sizeOf(partialPath) > 0 && !exists) sawRunning += 1;
      await new Promise((r) => setTimeout(r, 2));
    }
    const { uri, path: file } = await result;
    expect(sawRunning).toBeGreaterThan(0);
    // The only moment the name exists before the promise settles is the atomic commit, with every byte.
    expect(sizesSeenUnderFinalName.every((n) => n === size)).toBe(true);
    expect(uri).toBe('internal://cache/big.bin');
    expect(file).toBe(finalPath);
    expect(await sha256File(file)).toBe(sha256(body));
    const record = h.engine.get(task.token);
    expect(record).toMatchObject({ state: 'completed', bytes: size, total: size, name: 'big.bin' });
    expect(fs.existsSync(partialPath)).toBe(false);
  });
});

describe('file names', () => {
  async function nameFor(route: string, file: Parameters<TestServer['setFile']>[1], extra: { filename?: string } = {}) {
    server.setFile(route, file);
    const { token } = h.engine.download({ url: server.urlFor(route), ...extra });
    return h.engine.whenDone(token);
  }

  it('takes a quoted Content-Disposition filename', async () => {
    const r = await nameFor('/dl?id=1', { body: text('pdf'), contentDisposition: 'attachment; filename="report 2024.pdf"' });
    expect(path.basename(r.path)).toBe('report 2024.pdf');
    expect(r.uri).toBe('internal://cache/report%202024.pdf');
  });

  it("takes filename*=UTF-8'' and percent-encodes every byte of the URI", async () => {
    const r = await nameFor('/face', {
      body: text('watch face'),
      contentDisposition: "attachment; filename=\"fallback.txt\"; filename*=UTF-8''%E8%A1%A8%E7%9B%98.txt",
    });
    expect(r.uri).toBe('internal://cache/%E8%A1%A8%E7%9B%98.txt');
    expect(r.path).toBe(path.join(h.cacheDir, '表盘.txt'));
    expect(fs.readFileSync(r.path, 'utf8')).toBe('watch face');
  });

  it('keeps a traversal attempt inside the cache', async () => {
    const r = await nameFor('/trap', { body: text('gotcha'), contentDisposition: 'attachment; filename="../../evil.txt"' });
    expect(path.dirname(r.path)).toBe(h.cacheDir);
    expect(path.basename(r.path)).toBe('evil.txt');
    expect(r.uri).toBe('internal://cache/evil.txt');
    expect(fs.existsSync(path.join(h.dir, 'evil.txt'))).toBe(false);
    expect(fs.existsSync(path.join(path.dirname(h.dir), 'evil.txt'))).toBe(false);

    const backslash = await nameFor('/trap2', { body: text('gotcha'), contentDisposition: 'attachment; filename="..\\..\\win.txt"' });
    expect(path.dirname(backslash.path)).toBe(h.cacheDir);
    expect(path.basename(backslash.path)).toBe('win.txt');
  });

  it('takes the name from the URL, else `download`, and an extension from Content-Type', async () => {
    const fromUrl = await nameFor('/files/some%20name.bin?x=1', { body: text('a') });
    expect(fromUrl.uri).toBe('internal://cache/some%20name.bin');
    expect(fs.existsSync(path.join(h.cacheDir, 'some name.bin'))).toBe(true);

    const fallback = await nameFor('/', { body: text('b') });
    expect(fallback.uri).toBe('internal://cache/download');

    const typed = await nameFor('/picture', { body: text('png?'), contentType: 'image/png' });
    expect(typed.uri).toBe('internal://cache/picture.png');

    const typedText = await nameFor('/', { body: text('c'), contentType: 'text/plain; charset=utf-8' });
    expect(typedText.uri).toBe('internal://cache/download.txt');
  });

  it('numbers clashes a.txt, a-1.txt, a-2.txt and never overwrites', async () => {
    const uris: string[] = [];
    for (const content of ['one', 'two', 'three']) {
      server.setFile('/a.txt', { body: text(content) });
      const { token } = h.engine.download({ url: server.urlFor('/a.txt') });
      uris.push((await h.engine.whenDone(token)).uri);
    }
    expect(uris).toEqual(['internal://cache/a.txt', 'internal://cache/a-1.txt', 'internal://cache/a-2.txt']);
    expect(fs.readFileSync(path.join(h.cacheDir, 'a.txt'), 'utf8')).toBe('one');
    expect(fs.readFileSync(path.join(h.cacheDir, 'a-1.txt'), 'utf8')).toBe('two');
    expect(fs.readFileSync(path.join(h.cacheDir, 'a-2.txt'), 'utf8')).toBe('three');
  });

  it('uses an explicit filename over Content-Disposition and the URL', async () => {
    const r = await nameFor('/x.bin', { body: text('mine'), contentDisposition: 'attachment; filename="theirs.bin"' }, { filename: 'my file.dat' });
    expect(r.path).toBe(path.join(h.cacheDir, 'my file.dat'));
    expect(r.uri).toBe('internal://cache/my%20file.dat');
    expect(h.cacheFiles()).toEqual(['my file.dat']);
  });
});

describe('request headers', () => {
  it('sends headers given as an object or a JSON string, and a Vela Companion User-Agent by default', async () => {
    server.setFile('/h.txt', { body: text('h') });
    const a = h.engine.download({ url: server.urlFor('/h.txt'), header: { 'X-Token': 'abc', Cookie: 'k=v' } });
    await h.engine.whenDone(a.token);
    const b = h.engine.download({ url: server.urlFor('/h.txt'), header: JSON.stringify({ 'X-Json': '42' }) });
    await h.engine.whenDone(b.token);
    const [first, second] = server.requestsFor('/h.txt');
    expect(first?.headers['x-token']).toBe('abc');
    expect(first?.headers.cookie).toBe('k=v');
    expect(first?.headers['user-agent']).toMatch(/VelaCompanion/);
    expect(first?.headers['accept-encoding']).toBe('identity');
    expect(second?.headers['x-json']).toBe('42');
    expect(second?.headers['user-agent']).toMatch(/VelaCompanion/);
  });

  it('lets the caller set its own User-Agent', async () => {
    server.setFile('/ua.txt', { body: text('ua') });
    const { token } = h.engine.download({ url: server.urlFor('/ua.txt'), header: { 'user-agent': 'MyQuickApp/2.0' } });
    await h.engine.whenDone(token);
    expect(server.requestsFor('/ua.txt')[0]?.headers['user-agent']).toBe('MyQuickApp/2.0');
  });
});

describe('arguments (fail before anything is sent)', () => {
  it('throws 202 synchronously for bad url, scheme, headers and filenames', () => {
    const url = server.urlFor('/ok.txt');
    const cases: Array<[string, Parameters<EngineHarness['engine']['download']>[0]]> = [
      ['missing url', { url: undefined }],
      ['non-string url', { url: 42 }],
      ['malformed url', { url: 'http://' }],
      ['not a url', { url: 'not a url' }],
      ['ftp scheme', { url: 'ftp://127.0.0.1/file.txt' }],
      ['file scheme', { url: 'file:///etc/passwd' }],
      ['header name with space', { url, header: { 'Bad Name': 'x' } }],
      ['header value with CR/LF', { url, header: { 'X-Inject': 'a\r\nEvil: 1' } }],
      ['header value with LF only', { url, header: { 'X-Inject': 'a\nb' } }],
      ['header as a non-JSON string', { url, header: 'X-A: 1' }],
      ['header as an array', { url, header: ['a'] }],
      ['filename with /', { url, filename: 'dir/name.txt' }],
      ['filename with ..', { url, filename: '..' }],
      ['filename with .. inside', { url, filename: 'a..b.txt' }],
      ['filename with backslash', { url, filename: 'a\\b.txt' }],
      ['filename with colon', { url, filename: 'a:b.txt' }],
      ['unknown device id', { url, device: 'no-such-watch' }],
    ];
    for (const [what, request] of cases) {
      expect(thrown(() => h.engine.download(request)).code, what).toBe(FailCode.IllegalArgument);
    }
    expect(h.engine.list()).toEqual([]);
    expect(server.requests).toHaveLength(0);
  });

  it('answers 203 for an unsupported device, with zero requests reaching the server', async () => {
    server.setFile('/ok.txt', { body: text('ok') });
    const error = thrown(() => h.engine.download({ url: server.urlFor('/ok.txt'), device: 'redmi-watch-4' }));
    expect(error.code).toBe(FailCode.NotSupported);
    expect(error.message).toMatch(/Redmi Watch 4/);
    h.profile('unsupported-custom', {}, {}, false);
    expect(thrown(() => h.engine.download({ url: server.urlFor('/ok.txt'), device: 'unsupported-custom' })).code).toBe(FailCode.NotSupported);
    await new Promise((r) => setTimeout(r, 100));
    expect(server.requests).toHaveLength(0);
    expect(h.engine.list()).toEqual([]);
    // A supported watch works.
    const { token } = h.engine.download({ url: server.urlFor('/ok.txt'), device: 'watch-s4' });
    await expect(h.engine.whenDone(token)).resolves.toMatchObject({ uri: 'internal://cache/ok.txt' });
    expect(h.engine.get(token).profileId).toBe('watch-s4');
  });

  it('answers 1001 for an unknown token and 202 for an empty one', async () => {
    expect(await rejection(h.engine.whenDone('no-such-token'))).toMatchObject({ code: FailCode.TaskNotFound });
    expect(await rejection(h.engine.whenDone(''))).toMatchObject({ code: FailCode.IllegalArgument });
    expect(await rejection(h.engine.whenDone(undefined))).toMatchObject({ code: FailCode.IllegalArgument });
  });

  // Regression (found by hostile-api's fast-check run in CI): the store looked tokens up as plain
  // object keys, so "toString" found Object.prototype.toString and tasks.cancel answered 500.
  it('answers 1001 for tokens that are names of Object.prototype', async () => {
    for (const token of ['toString', '__proto__', 'constructor', 'hasOwnProperty', 'valueOf']) {
      expect(() => h.engine.get(token), token).toThrow(expect.objectContaining({ code: FailCode.TaskNotFound }));
      expect(() => h.engine.cancel(token), token).toThrow(expect.objectContaining({ code: FailCode.TaskNotFound }));
      expect(await rejection(h.engine.whenDone(token)), token).toMatchObject({ code: FailCode.TaskNotFound });
      expect(await rejection(h.engine.remove(token)), token).toMatchObject({ code: FailCode.TaskNotFound });
    }
  });
});

describe('HTTP errors', () => {
  it('fails a 404 at once with 1000 naming the status', async () => {
    const { token } = h.engine.download({ url: server.urlFor('/missing.txt') });
    const error = await rejection(h.engine.whenDone(token));
    expect(error.code).toBe(FailCode.DownloadFailed);
    expect(error.message).toMatch(/404/);
    expect(server.requestsFor('/missing.txt')).toHaveLength(1);
    expect(h.engine.get(token)).toMatchObject({ state: 'failed', code: 1000 });
    expect(h.cacheFiles()).toEqual([]);
  });

  it('retries a 500 a bounded number of times, then fails with 1000 naming the status', async () => {
    server.setFile('/broken.txt', { body: text('x'), status: 500 });
    const { token } = h.engine.download({ url: server.urlFor('/broken.txt') });
    const error = await rejection(h.engine.whenDone(token));
    expect(error.code).toBe(FailCode.DownloadFailed);
    expect(error.message).toMatch(/500/);
    const attempts = server.requestsFor('/broken.txt').length;
    expect(attempts).toBeGreaterThan(1);
    expect(attempts).toBeLessThanOrEqual(MAX_ATTEMPTS_WITHOUT_PROGRESS);
    expect(h.cacheFiles()).toEqual([]);
  });

  it('goes on after a 503 and completes', async () => {
    const body = randomBytesSeeded(100_000, 3);
    server.setFile('/flaky.bin', { body, statusSequence: [503, 502] });
    const { token } = h.engine.download({ url: server.urlFor('/flaky.bin') });
    const r = await h.engine.whenDone(token);
    expect(await sha256File(r.path)).toBe(sha256(body));
    expect(server.requestsFor('/flaky.bin').map((q) => q.status)).toEqual([503, 502, 200]);
  });

  it('honours Retry-After', async () => {
    server.setFile('/later.txt', { body: text('later'), statusSequence: [503], retryAfter: '1' });
    const { token } = h.engine.download({ url: server.urlFor('/later.txt') });
    await h.engine.whenDone(token);
    const [first, second] = server.requestsFor('/later.txt');
    // Backoff alone would wait at most retryMaxMs (100 ms).
    expect(second!.startedAt - first!.startedAt).toBeGreaterThanOrEqual(900);
  });

  it('gives up on a server that cuts every body short at the same byte', async () => {
    server.setFile('/short-body.bin', { body: randomBytesSeeded(100_000), lieContentLength: 150_000 });
    const { token } = h.engine.download({ url: server.urlFor('/short-body.bin') });
    const error = await rejection(h.engine.whenDone(token));
    expect(error.code).toBe(1000);
    expect(error.message).toMatch(/ended early|network error|range/);
    expect(server.requestsFor('/short-body.bin').length).toBeLessThanOrEqual(10);
    expect(h.cacheFiles()).toEqual([]);
  });

  it('asks for the identity encoding: a gzip-capable server sends the plain bytes', async () => {
    const body = Buffer.from('plain text '.repeat(10_000));
    server.setFile('/z.txt', { body, gzip: true, contentType: 'text/plain' });
    const { token } = h.engine.download({ url: server.urlFor('/z.txt') });
    const r = await h.engine.whenDone(token);
    expect(await sha256File(r.path)).toBe(sha256(body));
  });

  it('downloads a body without Content-Length (chunked)', async () => {
    const body = randomBytesSeeded(500_000, 9);
    server.setFile('/chunked.bin', { body, noContentLength: true });
    const { token } = h.engine.download({ url: server.urlFor('/chunked.bin') });
    const r = await h.engine.whenDone(token);
    expect(await sha256File(r.path)).toBe(sha256(body));
    expect(h.engine.get(token)).toMatchObject({ bytes: body.length, total: body.length });
  });

  it('fails a redirect loop or a redirect to another scheme with 1000, without retrying', async () => {
    server.setFile('/loop', { body: Buffer.alloc(0), redirectTo: '/loop' });
    const loop = h.engine.download({ url: server.urlFor('/loop') });
    const loopError = await rejection(h.engine.whenDone(loop.token));
    expect(loopError.code).toBe(1000);
    expect(loopError.message).toMatch(/redirect/);
    expect(server.requestsFor('/loop').length).toBeLessThanOrEqual(12);

    server.setFile('/to-ftp', { body: Buffer.alloc(0), redirectTo: 'ftp://127.0.0.1/file.txt' });
    const ftp = h.engine.download({ url: server.urlFor('/to-ftp') });
    const ftpError = await rejection(h.engine.whenDone(ftp.token));
    expect(ftpError.code).toBe(1000);
    expect(ftpError.message).toMatch(/redirect|scheme/);
    expect(server.requestsFor('/to-ftp')).toHaveLength(1);
  });

  it('retries a refused connection, then fails with 1000 "network error"', async () => {
    const closed = await startServer();
    const url = closed.urlFor('/gone.txt');
    await closed.close();
    const { token } = h.engine.download({ url });
    const error = await rejection(h.engine.whenDone(token));
    expect(error.code).toBe(1000);
    expect(error.message).toMatch(/network error/);
  });

  it('resumes after the server stalls (idle timeout), and completes', async () => {
    const engine = await h.reopen({ idleTimeoutMs: 200 });
    const body = randomBytesSeeded(300_000, 4);
    server.setFile('/stall.bin', { body, stallAfterBytes: 100_000 });
    const { token } = engine.download({ url: server.urlFor('/stall.bin') });
    const r = await engine.whenDone(token);
    expect(await sha256File(r.path)).toBe(sha256(body));
    const requests = server.requestsFor('/stall.bin');
    expect(requests.map((q) => q.range)).toEqual([undefined, 'bytes=100000-', 'bytes=200000-']);
  });

  it('downloads an empty file', async () => {
    server.setFile('/empty.txt', { body: Buffer.alloc(0) });
    const { token } = h.engine.download({ url: server.urlFor('/empty.txt') });
    const r = await h.engine.whenDone(token);
    expect(fs.statSync(r.path).size).toBe(0);
    expect(h.engine.get(token)).toMatchObject({ state: 'completed', bytes: 0, total: 0 });
  });

  it('follows a redirect and names the file after the final URL', async () => {
    server.setFile('/short', { body: Buffer.alloc(0), redirectTo: '/real/target.txt' });
    server.setFile('/real/target.txt', { body: text('target') });
    const { token } = h.engine.download({ url: server.urlFor('/short') });
    const r = await h.engine.whenDone(token);
    expect(fs.readFileSync(r.path, 'utf8')).toBe('target');
    // As browsers do: the name comes from where the bytes came from, not from the short link.
    expect(r.uri).toBe('internal://cache/target.txt');
  });
});

describe('progress', () => {
  it('is coalesced: a few batched events a second, each task at most once per batch, bytes never going back', async () => {
    const tokens: string[] = [];
    for (let i = 0; i < 3; i++) {
      server.setFile(`/prog-${i}.bin`, { body: randomBytesSeeded(600_000, i), bytesPerSecond: 1 * MiB });
      tokens.push(h.engine.download({ url: server.urlFor(`/prog-${i}.bin`) }).token);
    }
    const batches: Array<Array<{ token: string; bytes: number; total: number | null }>> = [];
    h.engine.on('progress', (batch) => batches.push(batch));
    const started = Date.now();
    await Promise.all(tokens.map((t) => h.engine.whenDone(t)));
    const seconds = (Date.now() - started) / 1000;
    // progressIntervalMs is 50: at most ~20 batches a second for all tasks together.
    expect(batches.length).toBeGreaterThan(3);
    expect(batches.length).toBeLessThanOrEqual(Math.ceil(seconds * 20) + 2);
    expect(batches.some((b) => b.length > 1)).toBe(true);
    const last = new Map<string, number>();
    for (const batch of batches) {
      expect(new Set(batch.map((p) => p.token)).size).toBe(batch.length);
      for (const p of batch) {
        expect(p.bytes).toBeGreaterThanOrEqual(last.get(p.token) ?? 0);
        expect(p.total).toBe(600_000);
        last.set(p.token, p.bytes);
      }
    }
  });
});

describe('listeners', () => {
  it('answers a listener added after completion at once, and every listener of a running task', async () => {
    server.setFile('/l.bin', { body: randomBytesSeeded(300_000), bytesPerSecond: 2 * MiB });
    const { token } = h.engine.download({ url: server.urlFor('/l.bin') });
    const answers = await Promise.all([h.engine.whenDone(token), h.engine.whenDone(token), h.engine.whenDone(token)]);
    expect(new Set(answers.map((a) => a.uri))).toEqual(new Set(['internal://cache/l.bin']));
    const requestsBefore = server.requests.length;
    let late: unknown;
    void h.engine.whenDone(token).then((r) => (late = r));
    await Promise.resolve();
    await Promise.resolve();
    expect(late).toMatchObject({ token, uri: 'internal://cache/l.bin' });
    expect(server.requests.length).toBe(requestsBefore);
  });

  it('answers late listeners of a failed task with its 1000', async () => {
    const { token } = h.engine.download({ url: server.urlFor('/nothing') });
    await rejection(h.engine.whenDone(token));
    const again = await rejection(h.engine.whenDone(token));
    expect(again).toMatchObject({ code: 1000 });
    expect(again.message).toMatch(/404/);
  });

  it('remove with deleteFile deletes the finished file; without it the file stays', async () => {
    server.setFile('/keep.txt', { body: text('keep') });
    server.setFile('/drop.txt', { body: text('drop') });
    const keep = h.engine.download({ url: server.urlFor('/keep.txt') });
    const drop = h.engine.download({ url: server.urlFor('/drop.txt') });
    const [kept, dropped] = await Promise.all([h.engine.whenDone(keep.token), h.engine.whenDone(drop.token)]);
    await h.engine.remove(keep.token);
    await h.engine.remove(drop.token, true);
    expect(fs.existsSync(kept.path)).toBe(true);
    expect(fs.existsSync(dropped.path)).toBe(false);
    expect(h.engine.list()).toEqual([]);
    expect(await rejection(h.engine.whenDone(keep.token))).toMatchObject({ code: FailCode.TaskNotFound });
  });

  it('answers waiting listeners with 1001 when the task is removed', async () => {
    server.setFile('/slow.bin', { body: randomBytesSeeded(1 * MiB), bytesPerSecond: 256 * 1024 });
    const { token } = h.engine.download({ url: server.urlFor('/slow.bin') });
    const pending = rejection(h.engine.whenDone(token));
    await waitFor(() => h.engine.get(token).state === 'running', 'running');
    await h.engine.remove(token);
    expect(await pending).toMatchObject({ code: FailCode.TaskNotFound });
    expect(h.partialFiles()).toEqual([]);
    expect(await rejection(h.engine.whenDone(token))).toMatchObject({ code: FailCode.TaskNotFound });
  });
});
