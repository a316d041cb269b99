/**
 * Issue 10, points 1 and 2, in the engine: whether a task can resume (`resumable`) and that a restart
 * says so (`restarted`); a resumed or retried task takes the next free slot ahead of tasks that never
 * started; while a task waits between attempts it carries `retry: { attempt, of, at }`; the count of
 * attempts starts again whenever one made progress; a failed task keeps its bytes and its Retry asks
 * the server for the rest with a Range request.
 */
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_ATTEMPTS_WITHOUT_PROGRESS } from '../../src-main/core/retry-policy.js';
import { FailCode } from '../../src-shared/codes.js';
import type { TaskRecord, TaskRetry } from '../../src-shared/types.js';
import { createHarness, KiB, MiB, rejection, sizeOf, waitFor, type EngineHarness } from '../helpers/engine.js';
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

const partialOf = (token: string): string => path.join(h.partialDir, token);

/** Every record the engine emitted for a token, in order. */
function recordsOf(token: () => string): TaskRecord[] {
  const seen: TaskRecord[] = [];
  h.engine.on('task', (task) => {
    if (task.token === token()) seen.push(task);
  });
  return seen;
}

describe('whether a task can resume', () => {
  const cases = [
    { name: 'a strong ETag and ranges', file: {}, resumable: true },
    { name: 'Last-Modified only, and ranges', file: { etag: null }, resumable: true },
    { name: 'no ETag and no Last-Modified', file: { etag: null, lastModified: null }, resumable: false },
    { name: 'a weak ETag only (useless for If-Range)', file: { etag: 'W/"v1"', lastModified: null }, resumable: false },
    { name: 'no range support', file: { acceptRanges: false }, resumable: false },
  ] as const;
  for (const c of cases) {
    it(`is ${String(c.resumable)} for ${c.name}, known once the answer is accepted`, async () => {
      const p = `/verdict-${cases.indexOf(c)}.bin`;
      server.setFile(p, { body: randomBytesSeeded(64 * KiB, 40), ...c.file });
      const { token } = h.engine.download({ url: server.urlFor(p) });
      expect(h.engine.get(token).resumable).toBeUndefined();
      await h.engine.whenDone(token);
      expect(h.engine.get(token).resumable).toBe(c.resumable);
    });
  }

  it('a pause and resume against a server without validators restarts from byte 0, and the task says so', async () => {
    const body = randomBytesSeeded(2 * MiB, 41);
    server.setFile('/novalid.bin', { body, etag: null, lastModified: null, bytesPerSecond: 2 * MiB });
    const { token } = h.engine.download({ url: server.urlFor('/novalid.bin') });
    await waitFor(() => h.engine.get(token).resumable === false, 'the verdict');
    await waitFor(() => sizeOf(partialOf(token)) > 256 * KiB, 'some bytes');
    h.engine.pause(token);
    await waitFor(() => h.engine.get(token).state === 'paused', 'paused');
    const at = h.engine.get(token).bytes;
    expect(at).toBeGreaterThan(0);
    expect(h.engine.get(token)).toMatchObject({ resumable: false });
    expect(h.engine.get(token).restarted).toBeUndefined();
    const before = Date.now();
    h.engine.resume(token);
    const r = await h.engine.whenDone(token);
    expect(await sha256File(r.path)).toBe(sha256(body));
    const [, second] = server.requestsFor('/novalid.bin');
    expect(second?.range).toBeUndefined();
    const { restarted } = h.engine.get(token);
    expect(restarted?.from).toBe(at);
    expect(restarted?.at).toBeGreaterThanOrEqual(before);
  });

  it('a server that ignores Range: the resume gets a 200, starts over, and says it restarted', async () => {
    const body = randomBytesSeeded(2 * MiB, 42);
    // It sends an ETag but no Accept-Ranges: the verdict is false; the engine still asks for a range.
    server.setFile('/norange.bin', { body, acceptRanges: false, bytesPerSecond: 2 * MiB });
    const { token } = h.engine.download({ url: server.urlFor('/norange.bin') });
    await waitFor(() => sizeOf(partialOf(token)) > 256 * KiB, 'some bytes');
    expect(h.engine.get(token).resumable).toBe(false);
    h.engine.pause(token);
    await waitFor(() => h.engine.get(token).state === 'paused', 'paused');
    const at = h.engine.get(token).bytes;
    h.engine.resume(token);
    const r = await h.engine.whenDone(token);
    expect(await sha256File(r.path)).toBe(sha256(body));
    expect(server.requestsFor('/norange.bin')[1]).toMatchObject({ range: `bytes=${at}-`, status: 200 });
    expect(h.engine.get(token).restarted?.from).toBe(at);
  });
});

describe('the queue: a resumed task goes ahead of tasks that never started', () => {
  it('takes the next free slot before queued tasks added earlier', async () => {
    h.engine.updateSettings({ concurrency: 1 });
    const slow = randomBytesSeeded(1 * MiB, 43);
    server.setFile('/a.bin', { body: slow, bytesPerSecond: 1 * MiB });
    server.setFile('/b.bin', { body: randomBytesSeeded(256 * KiB, 44), bytesPerSecond: 1 * MiB });
    server.setFile('/c.bin', { body: randomBytesSeeded(64 * KiB, 45) });
    server.setFile('/d.bin', { body: randomBytesSeeded(64 * KiB, 46) });
    const a = h.engine.download({ url: server.urlFor('/a.bin') }).token;
    await waitFor(() => sizeOf(partialOf(a)) > 64 * KiB, 'a running');
    const b = h.engine.download({ url: server.urlFor('/b.bin') }).token;
    const c = h.engine.download({ url: server.urlFor('/c.bin') }).token;
    const d = h.engine.download({ url: server.urlFor('/d.bin') }).token;
    h.engine.pause(a);
    await waitFor(() => h.engine.get(a).state === 'paused', 'a paused');
    // The slot went to b, the oldest of the tasks that never started.
    await waitFor(() => h.engine.get(b).state === 'running', 'b running');
    h.engine.resume(a);
    expect(h.engine.get(a).state).toBe('queued');
    // When b is done, a goes on, while c and d (queued before a was resumed) still wait.
    await h.engine.whenDone(b);
    await waitFor(() => h.engine.get(a).state === 'running', 'a running again');
    expect(h.engine.get(c).state).toBe('queued');
    expect(h.engine.get(d).state).toBe('queued');
    await Promise.all([a, c, d].map((t) => h.engine.whenDone(t)));
    const order = server.requests.filter((r) => r.method === 'GET').map((r) => `${r.path}${r.range ? ' (range)' : ''}`);
    expect(order).toEqual(['/a.bin', '/b.bin', '/a.bin (range)', '/c.bin', '/d.bin']);
  });

  it('a retried task goes ahead too', async () => {
    h.engine.updateSettings({ concurrency: 1 });
    server.setFile('/fail.bin', { body: randomBytesSeeded(64 * KiB, 47), status: 404 });
    server.setFile('/long.bin', { body: randomBytesSeeded(512 * KiB, 48), bytesPerSecond: 1 * MiB });
    server.setFile('/later.bin', { body: randomBytesSeeded(16 * KiB, 49) });
    const failing = h.engine.download({ url: server.urlFor('/fail.bin') }).token;
    await rejection(h.engine.whenDone(failing));
    const long = h.engine.download({ url: server.urlFor('/long.bin') }).token;
    await waitFor(() => h.engine.get(long).state === 'running', 'long running');
    const later = h.engine.download({ url: server.urlFor('/later.bin') }).token;
    server.setFile('/fail.bin', { body: randomBytesSeeded(64 * KiB, 47) });
    h.engine.retry(failing);
    await Promise.all([long, later, failing].map((t) => h.engine.whenDone(t)));
    expect(server.requests.filter((r) => r.method === 'GET').map((r) => r.path)).toEqual(['/fail.bin', '/long.bin', '/fail.bin', '/later.bin']);
  });

  it('after a restart of the engine, tasks that had run start before tasks that never did', async () => {
    h.engine.updateSettings({ concurrency: 1 });
    server.setFile('/first.bin', { body: randomBytesSeeded(1 * MiB, 50), bytesPerSecond: 1 * MiB });
    server.setFile('/fresh.bin', { body: randomBytesSeeded(16 * KiB, 51) });
    const fresh = h.engine.download({ url: server.urlFor('/fresh.bin') }).token;
    h.engine.pause(fresh); // queued, never started: held back while the other starts
    const first = h.engine.download({ url: server.urlFor('/first.bin') }).token;
    await waitFor(() => sizeOf(partialOf(first)) > 128 * KiB, 'first running');
    h.engine.resume(fresh);
    const engine = await h.reopen();
    // `fresh` is older, but `first` was running when the engine stopped: it goes first.
    await Promise.all([first, fresh].map((t) => engine.whenDone(t)));
    const gets = server.requests.filter((r) => r.method === 'GET').map((r) => `${r.path}${r.range ? ' (range)' : ''}`);
    expect(gets).toEqual(['/first.bin', '/first.bin (range)', '/fresh.bin']);
  });
});

describe('retries', () => {
  it('a task waiting to retry carries { attempt, of, at }, counting up, cleared when the next attempt starts', async () => {
    const engine = await h.reopen({ retryBaseMs: 100, retryMaxMs: 400 });
    const body = randomBytesSeeded(64 * KiB, 52);
    server.setFile('/busy.bin', { body, statusSequence: [503, 503, 503] });
    let token = '';
    const seen = recordsOf(() => token);
    token = engine.download({ url: server.urlFor('/busy.bin') }).token;
    const r = await engine.whenDone(token);
    expect(await sha256File(r.path)).toBe(sha256(body));
    const waits = seen.filter((t) => t.retry !== undefined);
    expect(waits.map((t) => [t.retry!.attempt, t.retry!.of])).toEqual([
      [2, MAX_ATTEMPTS_WITHOUT_PROGRESS],
      [3, MAX_ATTEMPTS_WITHOUT_PROGRESS],
      [4, MAX_ATTEMPTS_WITHOUT_PROGRESS],
    ]);
    for (const wait of waits) expect(wait.state).toBe('running');
    // `at` is when the next request really went out: 100, 200, 400 ms (less jitter) after each 503.
    const requests = server.requestsFor('/busy.bin');
    waits.forEach((wait, i) => {
      const retry = wait.retry as TaskRetry;
      expect(retry.at - wait.updatedAt).toBeGreaterThanOrEqual(0.8 * 100 * 2 ** i - 5);
      expect(retry.at - wait.updatedAt).toBeLessThanOrEqual(100 * 2 ** i + 5);
      expect(requests[i + 1]!.startedAt).toBeGreaterThanOrEqual(retry.at - 10);
    });
    // Each wait is cleared before the next attempt, and nothing of it stays on the finished task.
    const index = seen.indexOf(waits[0]!);
    expect(seen[index + 1]?.retry).toBeUndefined();
    expect(engine.get(token).retry).toBeUndefined();
  });

  it('a pause during the wait ends it: the paused task has no retry state', async () => {
    const engine = await h.reopen({ retryBaseMs: 5_000, retryMaxMs: 5_000 });
    server.setFile('/down.bin', { body: randomBytesSeeded(16 * KiB, 53), status: 503 });
    const { token } = engine.download({ url: server.urlFor('/down.bin') });
    await waitFor(() => engine.get(token).retry !== undefined, 'waiting to retry');
    expect(engine.get(token)).toMatchObject({ state: 'running', retry: { attempt: 2, of: MAX_ATTEMPTS_WITHOUT_PROGRESS } });
    engine.pause(token);
    await waitFor(() => engine.get(token).state === 'paused', 'paused');
    expect(engine.get(token).retry).toBeUndefined();
  });

  it('starts the count again whenever an attempt got further: more drops than the bound, and it still completes', async () => {
    const body = randomBytesSeeded(1 * MiB, 54);
    const drops = MAX_ATTEMPTS_WITHOUT_PROGRESS + 4;
    // Every response breaks after 64 KiB: each attempt gets further than the one before.
    server.setFile('/drops.bin', { body, dropAfterBytes: Array(drops).fill(64 * KiB) });
    let token = '';
    const seen = recordsOf(() => token);
    token = h.engine.download({ url: server.urlFor('/drops.bin') }).token;
    const r = await h.engine.whenDone(token);
    expect(await sha256File(r.path)).toBe(sha256(body));
    const gets = server.requestsFor('/drops.bin');
    expect(gets.filter((q) => q.outcome === 'dropped')).toHaveLength(drops);
    // Never more than "attempt 2": every failure followed progress.
    const attempts = seen.flatMap((t) => (t.retry ? [t.retry.attempt] : []));
    expect(attempts).toHaveLength(drops);
    expect(new Set(attempts)).toEqual(new Set([2]));
    expect(server.bytesSentFor('/drops.bin')).toBe(body.length);
  });

  it(`gives up after ${MAX_ATTEMPTS_WITHOUT_PROGRESS} attempts in a row without progress, with 1000`, async () => {
    server.setFile('/dead.bin', { body: randomBytesSeeded(16 * KiB, 55), status: 503 });
    const { token } = h.engine.download({ url: server.urlFor('/dead.bin') });
    const error = await rejection(h.engine.whenDone(token));
    expect(error.code).toBe(FailCode.DownloadFailed);
    expect(error.message).toMatch(new RegExp(`HTTP status 503.*gave up after ${MAX_ATTEMPTS_WITHOUT_PROGRESS} attempts`));
    expect(server.requestsFor('/dead.bin')).toHaveLength(MAX_ATTEMPTS_WITHOUT_PROGRESS);
    expect(h.engine.get(token).retry).toBeUndefined();
  });
});

describe('a failed task keeps its bytes', () => {
  it('shows how many it had, and its Retry asks for the rest with a Range request', async () => {
    const body = randomBytesSeeded(1 * MiB, 56);
    const cut = 300 * KiB;
    // The first body breaks at 300 KiB; then the server answers 503 until the attempts run out.
    server.setFile('/gone.bin', { body, dropAfterBytes: [cut], statusSequence: [200, ...Array<number>(MAX_ATTEMPTS_WITHOUT_PROGRESS).fill(503)] });
    const { token } = h.engine.download({ url: server.urlFor('/gone.bin') });
    const error = await rejection(h.engine.whenDone(token));
    expect(error.code).toBe(FailCode.DownloadFailed);
    const failed = h.engine.get(token);
    expect(failed).toMatchObject({ state: 'failed', bytes: cut, total: body.length, resumable: true });
    expect(failed.retry).toBeUndefined();
    expect(sizeOf(partialOf(token))).toBe(cut);

    const earlier = server.requestsFor('/gone.bin').length;
    const sentBefore = server.bytesSentFor('/gone.bin');
    server.setFile('/gone.bin', { body }); // the server is back
    h.engine.retry(token);
    const r = await h.engine.whenDone(token);
    expect(await sha256File(r.path)).toBe(sha256(body));
    const [again, ...rest] = server.requestsFor('/gone.bin').slice(earlier);
    expect(again).toMatchObject({ range: `bytes=${cut}-`, status: 206 });
    expect(again?.headers['if-range']).toBe(`"${sha256(body).slice(0, 32)}"`);
    expect(rest).toEqual([]);
    expect(server.bytesSentFor('/gone.bin') - sentBefore).toBe(body.length - cut);
  });
});
