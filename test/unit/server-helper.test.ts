import http from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { randomBytesSeeded, sha256, sha256File, startServer } from '../helpers/server.js';
import type { ServedFile, TestServer } from '../helpers/server.js';

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** true when the body arrived whole (the message completed). */
  complete: boolean;
  error?: Error;
}

/** A plain node:http request that collects whatever body arrives, whole or not. */
function raw(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let error: Error | undefined;
    let responded = false;
    const req = http.request(url, { method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      responded = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (e) => {
        error ??= e;
      });
      res.on('close', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks),
          complete: res.complete,
          error,
        }),
      );
    });
    if (opts.timeoutMs !== undefined) req.setTimeout(opts.timeoutMs, () => req.destroy(new Error('client idle timeout')));
    req.on('error', (e) => {
      if (responded) error ??= e;
      else reject(e);
    });
    req.end();
  });
}

const servers: TestServer[] = [];
async function serve(files: Record<string, ServedFile>): Promise<TestServer> {
  const s = await startServer(files);
  servers.push(s);
  return s;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const MiB = 1024 * 1024;

describe('randomBytesSeeded / sha256', () => {
  it('is deterministic per seed, prefix-stable, and fast for 64 MiB', async () => {
    const a = randomBytesSeeded(1000, 7);
    expect(randomBytesSeeded(1000, 7).equals(a)).toBe(true);
    expect(randomBytesSeeded(1000, 8).equals(a)).toBe(false);
    expect(randomBytesSeeded(100, 7).equals(a.subarray(0, 100))).toBe(true);
    expect(randomBytesSeeded(0).length).toBe(0);

    const t0 = performance.now();
    const big = randomBytesSeeded(64 * MiB, 3);
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(big.length).toBe(64 * MiB);
    // Not all zeros, and does not repeat the 1 MiB block.
    expect(big.subarray(0, MiB).equals(big.subarray(MiB, 2 * MiB))).toBe(false);

    expect(sha256('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const dir = await mkdtemp(join(tmpdir(), 'srv-helper-'));
    try {
      const p = join(dir, 'f.bin');
      await writeFile(p, a);
      expect(await sha256File(p)).toBe(sha256(a));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('test server', () => {
  it('serves a full GET byte-exact with default headers, and logs it', async () => {
    const body = randomBytesSeeded(3 * MiB + 17, 1);
    const s = await serve({ '/a.bin': { body } });
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(s.urlFor('/a.bin'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(body.length));
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('etag')).toMatch(/^"[0-9a-f]{32}"$/);
    expect(res.headers.get('last-modified')).toBe('Wed, 21 Oct 2015 07:28:00 GMT');
    const got = Buffer.from(await res.arrayBuffer());
    expect(sha256(got)).toBe(sha256(body));

    expect(s.requests).toHaveLength(1);
    const log = s.requests[0]!;
    expect(log).toMatchObject({ method: 'GET', path: '/a.bin', status: 200, bytesSent: body.length });
    expect(s.bytesSentFor('/a.bin')).toBe(body.length);
    expect(s.requestsFor('/a.bin?x=1')).toHaveLength(1);
  });

  it('supports HEAD, custom validators, null headers, 404 and query-insensitive lookup', async () => {
    const body = Buffer.from('hello world');
    const s = await serve({
      '/h.txt': { body, etag: '"v1"', lastModified: null, contentType: 'text/plain' },
      '/bare': { body, etag: null, contentType: null },
    });
    const head = await fetch(s.urlFor('/h.txt?cache=bust'), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('11');
    expect(head.headers.get('etag')).toBe('"v1"');
    expect(head.headers.get('last-modified')).toBeNull();
    expect(head.headers.get('content-type')).toBe('text/plain');
    expect((await head.arrayBuffer()).byteLength).toBe(0);
    expect(s.requests[0]).toMatchObject({ method: 'HEAD', path: '/h.txt', bytesSent: 0, status: 200 });

    const bare = await raw(s.urlFor('/bare'));
    expect(bare.headers.etag).toBeUndefined();
    expect(bare.headers['content-type']).toBeUndefined();
    expect(bare.body.toString()).toBe('hello world');

    const missing = await fetch(s.urlFor('/nope.bin'));
    expect(missing.status).toBe(404);
    await missing.arrayBuffer();
    expect(s.requestsFor('/nope.bin')[0]?.status).toBe(404);
  });

  it('answers Range bytes=N- and N-M with 206 and a correct Content-Range, 416 beyond the end', async () => {
    const body = randomBytesSeeded(100_000, 2);
    const s = await serve({ '/r.bin': { body } });

    const open = await fetch(s.urlFor('/r.bin'), { headers: { Range: 'bytes=40000-' } });
    expect(open.status).toBe(206);
    expect(open.headers.get('content-range')).toBe('bytes 40000-99999/100000');
    expect(open.headers.get('content-length')).toBe('60000');
    expect(Buffer.from(await open.arrayBuffer()).equals(body.subarray(40000))).toBe(true);

    const closed = await fetch(s.urlFor('/r.bin'), { headers: { Range: 'bytes=10-19' } });
    expect(closed.status).toBe(206);
    expect(closed.headers.get('content-range')).toBe('bytes 10-19/100000');
    expect(Buffer.from(await closed.arrayBuffer()).equals(body.subarray(10, 20))).toBe(true);

    const suffix = await fetch(s.urlFor('/r.bin'), { headers: { Range: 'bytes=-5' } });
    expect(suffix.headers.get('content-range')).toBe('bytes 99995-99999/100000');
    expect(Buffer.from(await suffix.arrayBuffer()).equals(body.subarray(99995))).toBe(true);

    const beyond = await fetch(s.urlFor('/r.bin'), { headers: { Range: 'bytes=100000-' } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe('bytes */100000');
    await beyond.arrayBuffer();

    // Only the requested bytes were written.
    expect(s.requestsFor('/r.bin').map((r) => r.bytesSent)).toEqual([60000, 10, 5, 0]);
    expect(s.bytesSentFor('/r.bin')).toBe(60015);
    expect(s.requests[0]?.range).toBe('bytes=40000-');
  });

  it('honours If-Range: matching ETag or date → 206, mismatch → full 200', async () => {
    const body = randomBytesSeeded(5000, 3);
    const s = await serve({ '/i.bin': { body } });
    const first = await fetch(s.urlFor('/i.bin'));
    const etag = first.headers.get('etag')!;
    const lastModified = first.headers.get('last-modified')!;
    await first.arrayBuffer();

    const match = await fetch(s.urlFor('/i.bin'), { headers: { Range: 'bytes=1000-', 'If-Range': etag } });
    expect(match.status).toBe(206);
    expect(Buffer.from(await match.arrayBuffer()).equals(body.subarray(1000))).toBe(true);

    const dateMatch = await fetch(s.urlFor('/i.bin'), { headers: { Range: 'bytes=1000-', 'If-Range': lastModified } });
    expect(dateMatch.status).toBe(206);
    await dateMatch.arrayBuffer();

    const mismatch = await fetch(s.urlFor('/i.bin'), { headers: { Range: 'bytes=1000-', 'If-Range': '"other"' } });
    expect(mismatch.status).toBe(200);
    expect(mismatch.headers.get('content-range')).toBeNull();
    expect(Buffer.from(await mismatch.arrayBuffer()).equals(body)).toBe(true);

    const dateMismatch = await fetch(s.urlFor('/i.bin'), {
      headers: { Range: 'bytes=1000-', 'If-Range': 'Thu, 01 Jan 2020 00:00:00 GMT' },
    });
    expect(dateMismatch.status).toBe(200);
    await dateMismatch.arrayBuffer();

    // A changed file (new content → new ETag) no longer matches the old validator.
    s.setFile('/i.bin', { body: randomBytesSeeded(5000, 4) });
    const changed = await fetch(s.urlFor('/i.bin'), { headers: { Range: 'bytes=1000-', 'If-Range': etag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    await changed.arrayBuffer();
  });

  it('acceptRanges:false ignores Range and always sends the whole file with 200', async () => {
    const body = randomBytesSeeded(20_000, 5);
    const s = await serve({ '/n.bin': { body, acceptRanges: false } });
    const res = await fetch(s.urlFor('/n.bin'), { headers: { Range: 'bytes=100-' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('accept-ranges')).toBeNull();
    expect(res.headers.get('content-range')).toBeNull();
    expect(Buffer.from(await res.arrayBuffer()).equals(body)).toBe(true);
    expect(s.bytesSentFor('/n.bin')).toBe(20_000);
  });

  it('plays statusSequence (with Retry-After), then serves normally', async () => {
    const body = Buffer.from('payload');
    const s = await serve({ '/seq': { body, statusSequence: [500, 503, 429], retryAfter: '2' } });
    const results: { status: number; retryAfter: string | null; text: string }[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await fetch(s.urlFor('/seq'));
      results.push({ status: res.status, retryAfter: res.headers.get('retry-after'), text: await res.text() });
    }
    expect(results.map((r) => r.status)).toEqual([500, 503, 429, 200, 200]);
    expect(results[1]).toMatchObject({ retryAfter: '2', text: '503 Service Unavailable\n' });
    expect(results[3]).toMatchObject({ retryAfter: null, text: 'payload' });

    const forced = await serve({ '/gone': { body, status: 404 } });
    const r = await fetch(forced.urlFor('/gone'));
    expect(r.status).toBe(404);
    expect(await r.text()).toBe('404 Not Found\n');
  });

  it('dropAfterBytes cuts the body: the client sees a short, aborted body; the log counts exact bytes', async () => {
    const body = randomBytesSeeded(2 * MiB, 6);
    const s = await serve({ '/d.bin': { body, dropAfterBytes: [300_000, 1_000_000] } });

    // fetch: the body read fails.
    const res = await fetch(s.urlFor('/d.bin'));
    expect(res.status).toBe(200);
    await expect(res.arrayBuffer()).rejects.toThrow();

    // node:http: exactly the bytes before the drop arrive, and the message is not complete.
    const second = await raw(s.urlFor('/d.bin'));
    expect(second.complete).toBe(false);
    expect(second.body.length).toBe(1_000_000);
    expect(second.body.equals(body.subarray(0, 1_000_000))).toBe(true);

    // After the list: no drop. Resume with a range sends only the missing bytes.
    const rest = await raw(s.urlFor('/d.bin'), { headers: { Range: 'bytes=1000000-' } });
    expect(rest.status).toBe(206);
    expect(rest.complete).toBe(true);
    expect(Buffer.concat([second.body, rest.body]).equals(body)).toBe(true);

    const logs = s.requestsFor('/d.bin');
    expect(logs.map((l) => l.bytesSent)).toEqual([300_000, 1_000_000, 2 * MiB - 1_000_000]);
    expect(logs.map((l) => l.outcome)).toEqual(['dropped', 'dropped', 'complete']);
  });

  it('a plain number drops every body response, counted from the range start', async () => {
    const body = randomBytesSeeded(50_000, 7);
    const s = await serve({ '/d2.bin': { body, dropAfterBytes: 1000 } });
    const a = await raw(s.urlFor('/d2.bin'), { headers: { Range: 'bytes=10000-' } });
    expect(a.status).toBe(206);
    expect(a.complete).toBe(false);
    expect(a.body.equals(body.subarray(10000, 11000))).toBe(true);
    const b = await raw(s.urlFor('/d2.bin'));
    expect(b.body.length).toBe(1000);
    expect(b.complete).toBe(false);
  });

  it('stallAfterBytes sends some bytes then goes silent with the socket open', async () => {
    const body = randomBytesSeeded(100_000, 8);
    const s = await serve({ '/s.bin': { body, stallAfterBytes: 4096 } });
    const t0 = performance.now();
    const res = await raw(s.urlFor('/s.bin'), { timeoutMs: 300 });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(250);
    expect(res.error).toBeDefined();
    expect(res.complete).toBe(false);
    expect(res.headers['content-length']).toBe('100000');
    expect(res.body.equals(body.subarray(0, 4096))).toBe(true);
    await vi_waitFor(() => s.requests[0]?.endedAt !== undefined);
    expect(s.requests[0]).toMatchObject({ bytesSent: 4096, outcome: 'stalled' });
  });

  it('lieContentLength promises more than it sends and closes the connection', async () => {
    const body = randomBytesSeeded(10_000, 9);
    const s = await serve({ '/l.bin': { body, lieContentLength: 20_000 } });
    const res = await raw(s.urlFor('/l.bin'));
    expect(res.headers['content-length']).toBe('20000');
    expect(res.complete).toBe(false);
    expect(res.body.equals(body)).toBe(true);
    const f = await fetch(s.urlFor('/l.bin'));
    await expect(f.arrayBuffer()).rejects.toThrow();
  });

  it('noContentLength sends a chunked body without Content-Length', async () => {
    const body = randomBytesSeeded(200_000, 10);
    const s = await serve({ '/c.bin': { body, noContentLength: true } });
    const res = await raw(s.urlFor('/c.bin'));
    expect(res.headers['content-length']).toBeUndefined();
    expect(res.headers['transfer-encoding']).toBe('chunked');
    expect(res.complete).toBe(true);
    expect(res.body.equals(body)).toBe(true);
  });

  it('throttles to bytesPerSecond (±25% over ~1 s)', async () => {
    const rate = 256 * 1024;
    const body = randomBytesSeeded(rate, 11);
    const s = await serve({ '/t.bin': { body, bytesPerSecond: rate } });
    const t0 = performance.now();
    const res = await fetch(s.urlFor('/t.bin'));
    const got = Buffer.from(await res.arrayBuffer());
    const seconds = (performance.now() - t0) / 1000;
    expect(got.equals(body)).toBe(true);
    expect(seconds).toBeGreaterThan(0.75);
    expect(seconds).toBeLessThan(1.25);
  });

  it('gzip: compressed with Content-Encoding and no Content-Length when allowed, identity otherwise', async () => {
    const body = Buffer.from('compressible text '.repeat(10_000));
    const s = await serve({ '/z.txt': { body, gzip: true, contentType: 'text/plain' } });

    const zipped = await raw(s.urlFor('/z.txt'), { headers: { 'Accept-Encoding': 'gzip, deflate' } });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers['content-length']).toBeUndefined();
    expect(zipped.headers.vary).toBe('Accept-Encoding');
    expect(zipped.body.length).toBeLessThan(body.length / 10);
    expect(gunzipSync(zipped.body).equals(body)).toBe(true);
    expect(s.requests[0]?.bytesSent).toBe(zipped.body.length);

    const plain = await raw(s.urlFor('/z.txt'), { headers: { 'Accept-Encoding': 'identity' } });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers['content-length']).toBe(String(body.length));
    expect(plain.body.equals(body)).toBe(true);

    const refused = await raw(s.urlFor('/z.txt'), { headers: { 'Accept-Encoding': 'gzip;q=0, br' } });
    expect(refused.headers['content-encoding']).toBeUndefined();

    // fetch asks for gzip and decodes it.
    const f = await fetch(s.urlFor('/z.txt'));
    expect(f.headers.get('content-encoding')).toBe('gzip');
    expect(Buffer.from(await f.arrayBuffer()).equals(body)).toBe(true);
  });

  it('redirects (302 by default) to a path or URL', async () => {
    const body = Buffer.from('target');
    const s = await serve({ '/from': { body: Buffer.alloc(0), redirectTo: '/to.bin' }, '/to.bin': { body } });
    const manual = await fetch(s.urlFor('/from'), { redirect: 'manual' });
    expect(manual.status).toBe(302);
    expect(manual.headers.get('location')).toBe('/to.bin');
    await manual.arrayBuffer();

    const followed = await fetch(s.urlFor('/from'));
    expect(followed.status).toBe(200);
    expect(followed.url).toBe(s.urlFor('/to.bin'));
    expect(await followed.text()).toBe('target');

    const other = await serve({ '/x': { body: Buffer.alloc(0), redirectTo: s.urlFor('/to.bin'), redirectStatus: 307 } });
    const cross = await fetch(other.urlFor('/x'));
    expect(cross.redirected).toBe(true);
    expect(await cross.text()).toBe('target');
  });

  it('records maxConcurrent for parallel slow requests', async () => {
    const body = randomBytesSeeded(32 * 1024, 12);
    const s = await serve({ '/slow.bin': { body, bytesPerSecond: 128 * 1024 } });
    const fetchOne = async (): Promise<Buffer> => Buffer.from(await (await fetch(s.urlFor('/slow.bin'))).arrayBuffer());
    const results = await Promise.all([fetchOne(), fetchOne(), fetchOne()]);
    for (const r of results) expect(r.equals(body)).toBe(true);
    expect(s.maxConcurrent).toBe(3);
    expect(s.activeResponses).toBe(0);

    s.reset();
    expect(s.requests).toHaveLength(0);
    expect(s.maxConcurrent).toBe(0);
    await fetchOne();
    await fetchOne();
    expect(s.maxConcurrent).toBe(1);
  });

  it('delayMs waits before headers', async () => {
    const s = await serve({ '/late': { body: Buffer.from('x'), delayMs: 200 } });
    const t0 = performance.now();
    const res = await fetch(s.urlFor('/late'));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(190);
    expect(await res.text()).toBe('x');
  });

  it('sends Content-Disposition as raw bytes (UTF-8 beyond latin1)', async () => {
    const s = await serve({
      '/cd': { body: Buffer.from('x'), contentDisposition: 'attachment; filename="表盘.bin"' },
      '/cd2': { body: Buffer.from('x'), contentDisposition: "attachment; filename*=UTF-8''%E8%A1%A8.bin" },
    });
    const res = await raw(s.urlFor('/cd'));
    const header = res.headers['content-disposition']!;
    expect(Buffer.from(header, 'latin1').toString('utf8')).toBe('attachment; filename="表盘.bin"');
    const res2 = await raw(s.urlFor('/cd2'));
    expect(res2.headers['content-disposition']).toBe("attachment; filename*=UTF-8''%E8%A1%A8.bin");
  });

  it('logs a client abort mid-body without crashing, and keeps serving', async () => {
    const body = randomBytesSeeded(32 * MiB, 14);
    const s = await serve({ '/big.bin': { body } });
    await new Promise<void>((resolve, reject) => {
      const req = http.get(s.urlFor('/big.bin'), { agent: false }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => undefined);
      req.on('timeout', reject);
    });
    await vi_waitFor(() => s.requests[0]?.endedAt !== undefined);
    const log = s.requests[0]!;
    expect(log.outcome).toBe('aborted');
    expect(log.bytesSent).toBeGreaterThan(0);
    expect(log.bytesSent).toBeLessThan(body.length);

    const again = await fetch(s.urlFor('/big.bin'), { headers: { Range: `bytes=${body.length - 10}-` } });
    expect(Buffer.from(await again.arrayBuffer()).equals(body.subarray(body.length - 10))).toBe(true);
  });

  it('a custom handler takes over, and its status is logged', async () => {
    const s = await serve({
      '/custom': {
        body: Buffer.alloc(0),
        handler: (_req, res) => {
          res.writeHead(418, { 'Content-Type': 'text/plain' });
          res.end('teapot');
        },
      },
    });
    const res = await fetch(s.urlFor('/custom'));
    expect(res.status).toBe(418);
    expect(await res.text()).toBe('teapot');
    await vi_waitFor(() => s.requests[0]?.endedAt !== undefined);
    expect(s.requests[0]?.status).toBe(418);
  });

  it('close() resolves quickly with stalled and throttled responses open', async () => {
    const body = randomBytesSeeded(MiB, 13);
    const s = await startServer({
      '/stall': { body, stallAfterBytes: 10 },
      '/slow': { body, bytesPerSecond: 1024 },
      '/late': { body, delayMs: 60_000 },
    });
    const pending = [raw(s.urlFor('/stall')), raw(s.urlFor('/slow')), raw(s.urlFor('/late')).catch((e: Error) => e)];
    await vi_waitFor(() => s.activeResponses === 3);
    const t0 = performance.now();
    await s.close();
    expect(performance.now() - t0).toBeLessThan(1000);
    const [stalled, slow, late] = await Promise.all(pending);
    expect((stalled as RawResponse).complete).toBe(false);
    expect((slow as RawResponse).complete).toBe(false);
    expect(late).toBeInstanceOf(Error);
    await s.close(); // idempotent
  });
});

async function vi_waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
