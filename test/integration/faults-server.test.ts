/**
 * Fault injection on the server side: connections dropped at seeded random offsets, 500 then 200,
 * stalls past the idle timeout, an ETag that changes between attempts, a server that ignores Range
 * or answers the wrong one, a body cut short of its Content-Length. Every case must end byte-exact or
 * fail with 1000 and a message that says why; and no file with wrong bytes may ever carry a final
 * name in the cache (a watcher polls the folder every few ms while each case runs).
 * Replay a failure with `VELA_FAULT_SEED=<seed printed in the title>`.
 */
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_ATTEMPTS_WITHOUT_PROGRESS } from '../../src-main/core/retry-policy.js';
import { FailCode } from '../../src-shared/codes.js';
import { createHarness, KiB, MiB, waitFor, type EngineHarness } from '../helpers/engine.js';
import { faultSeed, listDir, randomInt, seededRandom, watchCache } from '../helpers/faults.js';
import { randomBytesSeeded, sha256, sha256File, startServer, type ServedFile, type TestServer } from '../helpers/server.js';

const SEED = faultSeed(0xfa017);
const IDLE_MS = 250;

let h: EngineHarness;
let server: TestServer;

beforeEach(async () => {
  server = await startServer();
  h = createHarness({ idleTimeoutMs: IDLE_MS });
});

afterEach(async () => {
  await h.close();
  await server.close();
});

/** What a 1000 must say: why it failed, in words a person can act on (API.md §2). */
const CLEAR_REASON = /HTTP status \d{3}|network error|timeout|the body ended early|range|restarting|insufficient space|too many redirects/;

type Outcome = { ok: true; path: string } | { ok: false; code: number; message: string };

/**
 * Download `urlPath` and check the invariants whatever happens: completed byte-exact with `expected()`
 * (the body the server holds at the end), or failed with 1000 and a clear message; and every name that
 * appeared in the cache during the run holds exactly the expected bytes (so: none when it failed).
 */
async function runCase(urlPath: string, expected: () => Buffer, context: string, during?: (token: string) => Promise<void>): Promise<Outcome> {
  const before = new Set(h.cacheFiles());
  const watcher = watchCache(h.cacheDir, 2);
  const { token } = h.engine.download({ url: server.urlFor(urlPath) });
  let outcome: Outcome;
  try {
    const settled = h.engine.whenDone(token).then(
      (r): Outcome => ({ ok: true, path: r.path }),
      (e: { code: number; message: string }): Outcome => ({ ok: false, code: e.code, message: e.message }),
    );
    if (during) await during(token);
    outcome = await settled;
  } finally {
    watcher.scan();
    watcher.stop();
  }
  const appeared = watcher.seen.filter((n) => !before.has(n));
  const want = sha256(expected());
  if (outcome.ok) {
    expect(appeared, `${context}: names that appeared in the cache`).toEqual([path.basename(outcome.path)]);
    expect(await sha256File(outcome.path), `${context}: the completed file`).toBe(want);
    expect(h.engine.get(token)).toMatchObject({ state: 'completed', bytes: expected().length, total: expected().length });
    // The committed file's sidecar goes with the next store write.
    h.store.flush();
    expect(listDir(h.partialDir).filter((n) => n.startsWith(token)), `${context}: partial files left`).toEqual([]);
  } else {
    expect(outcome.code, `${context}: ${outcome.message}`).toBe(FailCode.DownloadFailed);
    expect(outcome.message, context).toMatch(CLEAR_REASON);
    expect(outcome.message, context).not.toMatch(/internal error/);
    expect(appeared, `${context}: a failed task left a final-named file`).toEqual([]);
    expect(h.engine.get(token)).toMatchObject({ state: 'failed', code: FailCode.DownloadFailed, message: outcome.message });
  }
  // Whatever was seen under a final name is still there with exactly the expected bytes.
  for (const name of appeared) expect(await sha256File(path.join(h.cacheDir, name)), `${context}: ${name}`).toBe(want);
  return outcome;
}

const gets = (p: string) => server.requestsFor(p).filter((r) => r.method === 'GET');

describe(`connections dropped at seeded random offsets (seed ${SEED})`, () => {
  it('resumes at exactly the bytes received, with each kind of validator, and never fetches a byte twice', async () => {
    const random = seededRandom(SEED);
    const validators: Array<{ name: string; file: Partial<ServedFile> }> = [
      { name: 'strong ETag', file: {} },
      { name: 'Last-Modified only', file: { etag: null } },
      { name: 'weak ETag + Last-Modified', file: { etag: 'W/"weak"' } },
      { name: 'chunked (no Content-Length) + ETag', file: { noContentLength: true } },
    ];
    const summary: string[] = [];
    for (let run = 0; run < 8; run++) {
      const size = randomInt(random, 64 * KiB, 2 * MiB);
      const body = randomBytesSeeded(size, SEED + run);
      // Drops are counted from each response's first byte; up to four, each leaving progress.
      const drops = Array.from({ length: randomInt(random, 1, 4) }, () => randomInt(random, 1, Math.max(1, Math.floor(size / 3))));
      const kind = validators[run % validators.length]!;
      const p = `/drop-${run}.bin`;
      server.setFile(p, { body, dropAfterBytes: drops, ...kind.file });
      const context = `seed ${SEED} run ${run} (${kind.name}): size ${size}, drops ${drops.join(', ')}`;
      summary.push(context);
      const outcome = await runCase(p, () => body, context);
      expect(outcome.ok, context).toBe(true);
      // Each resume starts exactly where the bytes received so far end, validated with If-Range.
      const requests = gets(p);
      let received = 0;
      for (const [i, r] of requests.entries()) {
        expect(r.range, `${context}: request ${i}`).toBe(i === 0 ? undefined : `bytes=${received}-`);
        if (i > 0) expect(r.headers['if-range'], `${context}: request ${i}`).toBe(kind.file.etag === undefined ? `"${sha256(body).slice(0, 32)}"` : 'Wed, 21 Oct 2015 07:28:00 GMT');
        expect(r.status, `${context}: request ${i}`).toBe(i === 0 ? 200 : 206);
        received += r.bytesSent;
      }
      expect(server.bytesSentFor(p), context).toBe(size);
    }
  });

  it('without validators or without Range support, every attempt starts over from byte 0 and the file is still exact', async () => {
    const random = seededRandom(SEED ^ 0x51);
    for (let run = 0; run < 6; run++) {
      const size = randomInt(random, 64 * KiB, MiB);
      const body = randomBytesSeeded(size, SEED + 100 + run);
      const drops = Array.from({ length: randomInt(random, 1, 3) }, () => randomInt(random, 0, size - 1));
      const noRanges = run % 2 === 0;
      const p = `/restart-${run}.bin`;
      server.setFile(p, { body, dropAfterBytes: drops, ...(noRanges ? { acceptRanges: false } : { etag: null, lastModified: null }) });
      const context = `seed ${SEED} run ${run} (${noRanges ? 'ignores Range' : 'no validators'}): size ${size}, drops ${drops.join(', ')}`;
      // A drop short of the furthest point so far is no progress: eight in a row may fail, with 1000.
      await runCase(p, () => body, context);
      for (const [i, r] of gets(p).entries()) {
        if (noRanges) expect(r.status, `${context}: request ${i}`).toBe(200);
        else expect(r.range, `${context}: request ${i} must not ask for a range it cannot validate`).toBeUndefined();
      }
    }
    // And a link that always breaks at the same point never gets further: 1000 after 8 attempts, no file.
    for (const noRanges of [true, false]) {
      const body = randomBytesSeeded(300 * KiB, SEED + 199);
      const p = `/same-point-${noRanges ? 'norange' : 'novalidator'}.bin`;
      server.setFile(p, { body, dropAfterBytes: Array(MAX_ATTEMPTS_WITHOUT_PROGRESS + 2).fill(100 * KiB), ...(noRanges ? { acceptRanges: false } : { etag: null, lastModified: null }) });
      const outcome = await runCase(p, () => body, `${p}: drops at 100 KiB every time`);
      expect(outcome).toMatchObject({ ok: false, message: expect.stringMatching(new RegExp(`gave up after ${MAX_ATTEMPTS_WITHOUT_PROGRESS} attempts`)) });
      expect(gets(p)).toHaveLength(MAX_ATTEMPTS_WITHOUT_PROGRESS);
    }
  });
});

describe('the resource changes between attempts', () => {
  it(`a new ETag (and body) after a drop restarts from 0 and ends with the new bytes (seed ${SEED})`, async () => {
    // Slow retries so the test can swap the file between the drop and the next request.
    await h.reopen({ idleTimeoutMs: IDLE_MS, retryBaseMs: 300, retryMaxMs: 600 });
    const random = seededRandom(SEED ^ 0xe7a9);
    for (let run = 0; run < 4; run++) {
      const oldSize = randomInt(random, 256 * KiB, MiB);
      // Same length in half the runs: a blind append would then give a file of the right size and wrong bytes.
      const newSize = run % 2 === 0 ? oldSize : randomInt(random, 64 * KiB, MiB);
      const oldBody = randomBytesSeeded(oldSize, SEED + 200 + run);
      const newBody = randomBytesSeeded(newSize, SEED + 300 + run);
      const dropAt = randomInt(random, 1, oldSize - 1);
      const p = `/changes-${run}.bin`;
      const byDate = run === 3;
      server.setFile(p, byDate ? { body: oldBody, etag: null, dropAfterBytes: [dropAt] } : { body: oldBody, etag: `"v1-${run}"`, dropAfterBytes: [dropAt] });
      const context = `seed ${SEED} run ${run}: ${oldSize} → ${newSize} bytes, drop at ${dropAt}${byDate ? ', Last-Modified only' : ''}`;
      await runCase(p, () => newBody, context, async () => {
        await waitFor(() => gets(p)[0]?.outcome === 'dropped', `the first response to drop (${context})`);
        expect(gets(p), context).toHaveLength(1);
        server.setFile(
          p,
          byDate ? { body: newBody, etag: null, lastModified: 'Thu, 22 Oct 2015 07:28:00 GMT' } : { body: newBody, etag: `"v2-${run}"` },
        );
      });
      const [, second, third] = gets(p);
      expect(second?.range, context).toBe(`bytes=${dropAt}-`);
      expect(second?.headers['if-range'], context).toBe(byDate ? 'Wed, 21 Oct 2015 07:28:00 GMT' : `"v1-${run}"`);
      expect(second?.status, context).toBe(200);
      expect(third, context).toBeUndefined();
    }
  });
});

describe('server errors', () => {
  it('500 then 200 completes; 500 after a drop resumes at the drop; 500 for ever fails with 1000 naming the status', async () => {
    const body = randomBytesSeeded(700 * KiB, SEED + 400);
    server.setFile('/500-200.bin', { body, statusSequence: [500, 200] });
    expect((await runCase('/500-200.bin', () => body, '500 then 200')).ok).toBe(true);
    expect(gets('/500-200.bin').map((r) => r.status)).toEqual([500, 200]);

    const dropAt = randomInt(seededRandom(SEED ^ 0x500), 1, body.length - 1);
    server.setFile('/drop-500.bin', { body, dropAfterBytes: [dropAt], statusSequence: [200, 500, 502, 503] });
    expect((await runCase('/drop-500.bin', () => body, `drop at ${dropAt}, then 500, 502, 503`)).ok).toBe(true);
    const requests = gets('/drop-500.bin');
    expect(requests.map((r) => r.status)).toEqual([200, 500, 502, 503, 206]);
    expect(requests[4]!.range).toBe(`bytes=${dropAt}-`);
    expect(server.bytesSentFor('/drop-500.bin')).toBe(body.length);

    server.setFile('/always-500.bin', { body, status: 500 });
    const failed = await runCase('/always-500.bin', () => body, '500 for ever');
    expect(failed).toMatchObject({ ok: false, code: 1000, message: expect.stringMatching(/HTTP status 500/) });
    expect(gets('/always-500.bin')).toHaveLength(MAX_ATTEMPTS_WITHOUT_PROGRESS);

    server.setFile('/404.bin', { body, status: 404 });
    expect(await runCase('/404.bin', () => body, '404')).toMatchObject({ ok: false, message: expect.stringMatching(/HTTP status 404/) });
    expect(gets('/404.bin')).toHaveLength(1);
  });
});

describe(`stalls past the idle timeout (${IDLE_MS} ms)`, () => {
  it(`a server that stalls at a seeded random point of every response still finishes (seed ${SEED})`, async () => {
    const random = seededRandom(SEED ^ 0x57a1);
    const size = randomInt(random, 300 * KiB, 600 * KiB);
    const stallAt = randomInt(random, Math.ceil(size / 3), Math.ceil(size / 2));
    const body = randomBytesSeeded(size, SEED + 500);
    server.setFile('/stall.bin', { body, stallAfterBytes: stallAt });
    const context = `seed ${SEED}: size ${size}, stall after ${stallAt} bytes of each response`;
    expect((await runCase('/stall.bin', () => body, context)).ok, context).toBe(true);
    const requests = gets('/stall.bin');
    expect(requests.map((r) => r.range)).toEqual([undefined, `bytes=${stallAt}-`, `bytes=${2 * stallAt}-`].slice(0, requests.length));
    expect(requests.length).toBe(Math.ceil(size / stallAt));
  });

  it(`a server that never sends a byte fails with 1000 "timeout" after ${MAX_ATTEMPTS_WITHOUT_PROGRESS} attempts`, async () => {
    const body = randomBytesSeeded(100 * KiB, SEED + 501);
    server.setFile('/silent.bin', { body, stallAfterBytes: 0 });
    const outcome = await runCase('/silent.bin', () => body, 'stall at byte 0');
    expect(outcome).toMatchObject({ ok: false, message: expect.stringMatching(new RegExp(`^timeout.*gave up after ${MAX_ATTEMPTS_WITHOUT_PROGRESS} attempts`)) });
    expect(gets('/silent.bin')).toHaveLength(MAX_ATTEMPTS_WITHOUT_PROGRESS);
  });
});

describe('servers that break the Range contract', () => {
  it('a server that ignores Range: a drop means starting over with a 200, and the file is exact', async () => {
    const random = seededRandom(SEED ^ 0x4a9e);
    const body = randomBytesSeeded(randomInt(random, 512 * KiB, MiB), SEED + 600);
    const drops = [randomInt(random, 1, 200 * KiB), randomInt(random, 200 * KiB, 400 * KiB)];
    server.setFile('/ignores.bin', { body, acceptRanges: false, dropAfterBytes: drops });
    const context = `seed ${SEED}: size ${body.length}, drops ${drops.join(', ')}`;
    expect((await runCase('/ignores.bin', () => body, context)).ok, context).toBe(true);
    expect(gets('/ignores.bin').map((r) => [r.status, r.bytesSent])).toEqual([[200, drops[0]], [200, drops[1]], [200, body.length]]);
  });

  it('a server that answers 206 from the wrong offset: the bytes are thrown away, never appended', async () => {
    const body = randomBytesSeeded(600 * KiB, SEED + 601);
    const dropAt = 250_000;
    let calls = 0;
    server.setFile('/wrong-range.bin', {
      body,
      handler: (req, res) => {
        calls++;
        const etag = '"wr"';
        if (calls === 1) {
          // Whole body promised, cut short.
          res.writeHead(200, { 'Content-Length': body.length, ETag: etag, 'Accept-Ranges': 'bytes' });
          res.write(body.subarray(0, dropAt), () => res.socket?.destroy());
          return;
        }
        if (req.headers.range) {
          // Claims a range, but from byte 0 whatever was asked.
          res.writeHead(206, { 'Content-Length': body.length, 'Content-Range': `bytes 0-${body.length - 1}/${body.length}`, ETag: etag });
          res.end(body);
          return;
        }
        res.writeHead(200, { 'Content-Length': body.length, ETag: etag });
        res.end(body);
      },
    });
    expect((await runCase('/wrong-range.bin', () => body, 'wrong 206')).ok).toBe(true);
    const requests = gets('/wrong-range.bin');
    expect(requests.map((r) => [r.range, r.status])).toEqual([
      [undefined, 200],
      [`bytes=${dropAt}-`, 206],
      [undefined, 200],
    ]);
  });

  it('a server whose every body ends short of its Content-Length: fails with 1000, no file under a final name', async () => {
    const body = randomBytesSeeded(300 * KiB, SEED + 602);
    server.setFile('/short.bin', { body, lieContentLength: body.length + 1000 });
    const outcome = await runCase('/short.bin', () => body, 'Content-Length 1000 bytes too long');
    expect(outcome).toMatchObject({ ok: false, code: 1000 });
  });
});
