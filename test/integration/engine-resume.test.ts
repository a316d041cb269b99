/**
 * Pause, resume, cancel, drops mid-body, changed resources, servers without ranges, retry with a new
 * URL and a restart of the whole engine: every path where bytes already on disk must be kept or
 * thrown away, never appended blindly.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src-main/core/engine.js';
import { openStore } from '../../src-main/core/store.js';
import { FailCode } from '../../src-shared/codes.js';
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

describe('pause, resume, cancel', () => {
  it('pauses a download (bytes stop growing), then resumes it to a byte-exact file', async () => {
    const body = randomBytesSeeded(2 * MiB, 11);
    server.setFile('/p.bin', { body, bytesPerSecond: 2 * MiB });
    const { token } = h.engine.download({ url: server.urlFor('/p.bin') });
    let settled = false;
    const done = h.engine.whenDone(token).finally(() => (settled = true));
    await waitFor(() => sizeOf(partialOf(token)) > 256 * KiB, 'some bytes');
    h.engine.pause(token);
    await waitFor(() => h.engine.get(token).state === 'paused', 'paused');
    const at = sizeOf(partialOf(token));
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(body.length);
    expect(h.engine.get(token).bytes).toBe(at);
    await new Promise((r) => setTimeout(r, 300));
    expect(sizeOf(partialOf(token))).toBe(at);
    expect(h.engine.get(token).state).toBe('paused');
    expect(settled).toBe(false); // a paused task keeps its listeners waiting
    expect(h.cacheFiles()).toEqual([]);

    h.engine.resume(token);
    const r = await done;
    expect(await sha256File(r.path)).toBe(sha256(body));
    const [, second] = server.requestsFor('/p.bin');
    expect(second?.range).toBe(`bytes=${at}-`);
    expect(second?.status).toBe(206);
  });

  it('pause then resume at once (before the pause took effect) still completes', async () => {
    const body = randomBytesSeeded(1 * MiB, 19);
    server.setFile('/pr.bin', { body, bytesPerSecond: 2 * MiB });
    const { token } = h.engine.download({ url: server.urlFor('/pr.bin') });
    await waitFor(() => sizeOf(partialOf(token)) > 0, 'some bytes');
    h.engine.pause(token);
    h.engine.resume(token);
    const r = await h.engine.whenDone(token);
    expect(await sha256File(r.path)).toBe(sha256(body));
  });

  it('pause then cancel at once cancels', async () => {
    server.setFile('/pc.bin', { body: randomBytesSeeded(1 * MiB), bytesPerSecond: 2 * MiB });
    const { token } = h.engine.download({ url: server.urlFor('/pc.bin') });
    const pending = rejection(h.engine.whenDone(token));
    await waitFor(() => sizeOf(partialOf(token)) > 0, 'some bytes');
    h.engine.pause(token);
    h.engine.cancel(token);
    expect(await pending).toMatchObject({ code: 1000, message: 'cancelled' });
    expect(h.engine.get(token).state).toBe('cancelled');
    expect(h.partialFiles()).toEqual([]);
  });

  it('cancels: listeners get 1000 "cancelled", no partial and no final file stay', async () => {
    server.setFile('/c.bin', { body: randomBytesSeeded(2 * MiB), bytesPerSecond: 2 * MiB });
    const { token } = h.engine.download({ url: server.urlFor('/c.bin') });
    const pending = rejection(h.engine.whenDone(token));
    await waitFor(() => sizeOf(partialOf(token)) > 64 * KiB, 'some bytes');
    h.engine.cancel(token);
    const error = await pending;
    expect(error).toMatchObject({ code: FailCode.DownloadFailed });
    expect(error.message).toMatch(/cancelled/);
    await waitFor(() => h.engine.get(token).state === 'cancelled', 'cancelled');
    expect(h.partialFiles()).toEqual([]);
    expect(h.cacheFiles()).toEqual([]);
    expect(await rejection(h.engine.whenDone(token))).toMatchObject({ code: 1000, message: 'cancelled' });
  });

  it('cancels a paused task too', async () => {
    server.setFile('/cp.bin', { body: randomBytesSeeded(2 * MiB), bytesPerSecond: 2 * MiB });
    const { token } = h.engine.download({ url: server.urlFor('/cp.bin') });
    const pending = rejection(h.engine.whenDone(token));
    await waitFor(() => sizeOf(partialOf(token)) > 64 * KiB, 'some bytes');
    h.engine.pause(token);
    await waitFor(() => h.engine.get(token).state === 'paused', 'paused');
    h.engine.cancel(token);
    expect(await pending).toMatchObject({ code: 1000, message: 'cancelled' });
    expect(h.partialFiles()).toEqual([]);
    expect(h.cacheFiles()).toEqual([]);
  });
});

describe('resume after a broken connection', () => {
  it('fetches only the missing bytes after the server drops mid-body', async () => {
    const body = randomBytesSeeded(4 * MiB, 12);
    const dropAt = 1 * MiB + 123;
    server.setFile('/drop.bin', { body, dropAfterBytes: [dropAt] });
    const { token } = h.engine.download({ url: server.urlFor('/drop.bin') });
    const r = await h.engine.whenDone(token);
    expect(await sha256File(r.path)).toBe(sha256(body));
    const [first, second, third] = server.requestsFor('/drop.bin');
    expect(first?.outcome).toBe('dropped');
    expect(second?.status).toBe(206);
    expect(second?.range).toBe(`bytes=${dropAt}-`);
    expect(second?.headers['if-range']).toBe(`"${sha256(body).slice(0, 32)}"`); // the helper's default ETag
    expect(third).toBeUndefined();
    expect(server.bytesSentFor('/drop.bin')).toBe(body.length);
  });

  it('restarts from byte 0 when the resource changed between attempts, and ends with the new content', async () => {
    const oldBody = randomBytesSeeded(1 * MiB, 1);
    const newBody = randomBytesSeeded(1 * MiB + 777, 2);
    server.setFile('/v.bin', { body: oldBody, etag: '"v1"', dropAfterBytes: [512 * KiB], bytesPerSecond: 2 * MiB });
    const { token } = h.engine.download({ url: server.urlFor('/v.bin') });
    // The first response is streaming (its bytes and its drop are fixed); the next request sees v2.
    await waitFor(() => sizeOf(partialOf(token)) > 0, 'first bytes');
    server.setFile('/v.bin', { body: newBody, etag: '"v2"' });
    const r = await h.engine.whenDone(token);
    expect(await sha256File(r.path)).toBe(sha256(newBody));
    expect(fs.statSync(r.path).size).toBe(newBody.length);
    const [first, second] = server.requestsFor('/v.bin');
    expect(first?.outcome).toBe('dropped');
    expect(second?.range).toBe(`bytes=${512 * KiB}-`);
    expect(second?.headers['if-range']).toBe('"v1"');
    expect(second?.status).toBe(200);
    expect(h.engine.get(token).total).toBe(newBody.length);
  });

  it('validates with Last-Modified when there is no ETag', async () => {
    const body = randomBytesSeeded(1 * MiB, 5);
    server.setFile('/lm.bin', { body, etag: null, dropAfterBytes: [300_000] });
    const { token } = h.engine.download({ url: server.urlFor('/lm.bin') });
    const r = await h.engine.whenDone(token);
    expect(await sha256File(r.path)).toBe(sha256(body));
    const second = server.requestsFor('/lm.bin')[1];
    expect(second?.headers['if-range']).toBe('Wed, 21 Oct 2015 07:28:00 GMT');
    expect(second?.status).toBe(206);
  });

  it('starts over from byte 0 when the server ignores Range', async () => {
    const body = randomBytesSeeded(2 * MiB, 13);
    server.setFile('/norange.bin', { body, acceptRanges: false, dropAfterBytes: [700_000] });
    const { token } = h.engine.download({ url: server.urlFor('/norange.bin') });
    const r = await h.engine.whenDone(token);
    expect(await sha256File(r.path)).toBe(sha256(body));
    const [, second] = server.requestsFor('/norange.bin');
    expect(second?.status).toBe(200);
    expect(server.bytesSentFor('/norange.bin')).toBe(700_000 + body.length);
  });

  it('never appends bytes it cannot validate (no ETag, no Last-Modified): starts over', async () => {
    const body = randomBytesSeeded(1 * MiB, 14);
    server.setFile('/nov.bin', { body, etag: null, lastModified: null, dropAfterBytes: [400_000] });
    const { token } = h.engine.download({ url: server.urlFor('/nov.bin') });
    const r = await h.engine.whenDone(token);
    expect(await sha256File(r.path)).toBe(sha256(body));
    const [, second] = server.requestsFor('/nov.bin');
    expect(second?.range).toBeUndefined();
  });

  it("completes byte-exact when the profile's link drops every connection after N bytes", async () => {
    const body = randomBytesSeeded(1 * MiB, 15);
    // The file is an exact multiple of the drop point: the last connection delivers its last byte exactly at it.
    h.profile('flaky-link', { dropAfterBytes: 256 * KiB });
    const { token } = h.engine.download({ url: server.urlFor('/link.bin'), device: 'flaky-link' });
    server.setFile('/link.bin', { body });
    const r = await h.engine.whenDone(token);
    expect(await sha256File(r.path)).toBe(sha256(body));
    const requests = server.requestsFor('/link.bin').filter((q) => q.status === 200 || q.status === 206);
    expect(requests.length).toBeGreaterThanOrEqual(4);
    expect(requests.length).toBeLessThanOrEqual(8);
  });

  it('completes byte-exact when the link drops at an odd point', async () => {
    const body = randomBytesSeeded(1 * MiB + 5, 16);
    h.profile('flaky-odd', { dropAfterBytes: 100_001 });
    server.setFile('/odd.bin', { body });
    const { token } = h.engine.download({ url: server.urlFor('/odd.bin'), device: 'flaky-odd' });
    const r = await h.engine.whenDone(token);
    expect(await sha256File(r.path)).toBe(sha256(body));
  });

  it('completes byte-exact under packet loss: connections drop at random points and each drop resumes', async () => {
    const body = randomBytesSeeded(1 * MiB, 18);
    h.profile('lossy', { packetLoss: 0.5 });
    server.setFile('/lossy.bin', { body });
    const { token } = h.engine.download({ url: server.urlFor('/lossy.bin'), device: 'lossy' });
    const r = await h.engine.whenDone(token);
    expect(await sha256File(r.path)).toBe(sha256(body));
    // Every resumed request asked only for what was missing: nothing was sent twice beyond in-flight bytes.
    for (const q of server.requestsFor('/lossy.bin').slice(1)) expect(q.range).toMatch(/^bytes=\d+-$/);
  });
});

describe('retry', () => {
  it('retry with a new URL keeps the bytes when the validators match', async () => {
    const body = randomBytesSeeded(2 * MiB, 17);
    const dropAt = 800_000;
    // The link works once, drops, then expires (403): the task fails with its bytes kept.
    server.setFile('/old.bin', { body, dropAfterBytes: [dropAt], statusSequence: [200, 403] });
    const { token } = h.engine.download({ url: server.urlFor('/old.bin') });
    const error = await rejection(h.engine.whenDone(token));
    expect(error).toMatchObject({ code: 1000 });
    expect(error.message).toMatch(/403/);
    expect(h.engine.get(token)).toMatchObject({ state: 'failed', bytes: dropAt });
    expect(h.cacheFiles()).toEqual([]);

    server.setFile('/new.bin', { body });
    h.engine.retry(token, server.urlFor('/new.bin'));
    const r = await h.engine.whenDone(token);
    expect(await sha256File(r.path)).toBe(sha256(body));
    const [fresh] = server.requestsFor('/new.bin');
    expect(fresh?.range).toBe(`bytes=${dropAt}-`);
    expect(fresh?.status).toBe(206);
    expect(server.bytesSentFor('/new.bin')).toBe(body.length - dropAt);
    expect(h.engine.get(token).url).toBe(server.urlFor('/new.bin'));
  });

  it('a retry with a new link to another origin drops the credentials given for the old one; the same origin keeps them', async () => {
    const other = await startServer({ '/moved.bin': { body: Buffer.from('elsewhere') } });
    try {
      const headers = { Authorization: 'Bearer s3cret', Cookie: 'sid=1', 'X-Trace': 'keep-me' };
      const { token } = h.engine.download({ url: server.urlFor('/gone.bin'), header: headers });
      expect(await rejection(h.engine.whenDone(token))).toMatchObject({ code: 1000 });
      server.setFile('/same.bin', { body: Buffer.from('same origin') });
      h.engine.retry(token, server.urlFor('/same.bin'));
      await h.engine.whenDone(token);
      expect(server.requestsFor('/same.bin')[0]?.headers).toMatchObject({ authorization: 'Bearer s3cret', cookie: 'sid=1' });

      const second = h.engine.download({ url: server.urlFor('/gone-too.bin'), header: headers }).token;
      expect(await rejection(h.engine.whenDone(second))).toMatchObject({ code: 1000 });
      h.engine.retry(second, other.urlFor('/moved.bin'));
      await h.engine.whenDone(second);
      const [sent] = other.requestsFor('/moved.bin');
      expect(sent?.headers.authorization).toBeUndefined();
      expect(sent?.headers.cookie).toBeUndefined();
      expect(sent?.headers['x-trace']).toBe('keep-me');
    } finally {
      await other.close();
    }
  });

  it('retry of a failed 404 after the file appears completes under the same token', async () => {
    const { token } = h.engine.download({ url: server.urlFor('/later.txt') });
    expect(await rejection(h.engine.whenDone(token))).toMatchObject({ code: 1000 });
    server.setFile('/later.txt', { body: Buffer.from('here now') });
    h.engine.retry(token);
    const r = await h.engine.whenDone(token);
    expect(fs.readFileSync(r.path, 'utf8')).toBe('here now');
  });
});

describe('restart', () => {
  it('resumes after the engine stops mid-download, fetching only missing bytes; finished tokens still answer', async () => {
    server.setFile('/small.txt', { body: Buffer.from('small') });
    const small = h.engine.download({ url: server.urlFor('/small.txt') });
    const smallResult = await h.engine.whenDone(small.token);

    const body = randomBytesSeeded(3 * MiB, 18);
    server.setFile('/r.bin', { body, bytesPerSecond: 3 * MiB });
    const { token } = h.engine.download({ url: server.urlFor('/r.bin') });
    await waitFor(() => sizeOf(partialOf(token)) > 1 * MiB, 'a third of the file');
    await h.engine.stop();
    const at = sizeOf(partialOf(token));
    expect(at).toBeLessThan(body.length);
    expect(h.cacheFiles()).toEqual(['small.txt']);

    const engine = await h.reopen();
    expect(await engine.whenDone(small.token)).toEqual(smallResult);
    const r = await engine.whenDone(token);
    expect(await sha256File(r.path)).toBe(sha256(body));
    const requests = server.requestsFor('/r.bin');
    expect(requests).toHaveLength(2);
    expect(requests[1]?.range).toBe(`bytes=${at}-`);
    expect(requests[1]?.status).toBe(206);
    // Only what was in flight when the engine stopped is fetched twice.
    const sent = server.bytesSentFor('/r.bin');
    expect(sent).toBeGreaterThanOrEqual(body.length);
    expect(sent).toBeLessThan(body.length + 256 * KiB);
  });

  it('after a crash between the final rename and the store write, the task is found completed', async () => {
    server.setFile('/crash.txt', { body: Buffer.from('crash') });
    const { token } = h.engine.download({ url: server.urlFor('/crash.txt') });
    h.store.flush(); // the token is on disk (as queued/running)
    const r = await h.engine.whenDone(token);
    // Store writes are batched: right after completion the file still says the task is unfinished.
    const onDisk = openStore(h.dir);
    expect(onDisk.getTask(token)?.state).not.toBe('completed');
    // A process that starts on this file (as after kill -9) finds the committed file through the journal.
    const after = new Engine({ dataDir: h.dir, store: onDisk, autoStart: false });
    expect(after.get(token)).toMatchObject({ state: 'completed', uri: r.uri, path: r.path });
    expect(await after.whenDone(token)).toEqual(r);
    expect(fs.readFileSync(r.path, 'utf8')).toBe('crash');
    await after.stop();
  });

  it('a token handed out just before a crash answers after it, and a task removed just before one stays removed', async () => {
    server.setFile('/kept.txt', { body: Buffer.from('kept'), bytesPerSecond: 1 });
    server.setFile('/gone.txt', { body: Buffer.from('gone'), bytesPerSecond: 1 });
    const kept = h.engine.download({ url: server.urlFor('/kept.txt') });
    const gone = h.engine.download({ url: server.urlFor('/gone.txt') });
    h.store.flush();
    const late = h.engine.download({ url: server.urlFor('/kept.txt') });
    await h.engine.remove(gone.token);
    // What a kill -9 now leaves: the store file from before the last download and the removal.
    const onDisk = openStore(h.dir);
    expect(onDisk.getTask(late.token)).toBeUndefined();
    expect(onDisk.getTask(gone.token)).toBeDefined();
    const after = new Engine({ dataDir: h.dir, store: onDisk, autoStart: false });
    expect(after.get(late.token).state).toBe('queued');
    expect(after.get(kept.token).token).toBe(kept.token);
    expect(() => after.get(gone.token)).toThrow(expect.objectContaining({ code: 1001 }));
    // Written at once: a second crash right after finds the same.
    expect(openStore(h.dir).getTask(late.token)).toBeDefined();
    expect(openStore(h.dir).getTask(gone.token)).toBeUndefined();
    await after.stop();
  });

  it('a partial file that already holds every byte (crash before the rename) is committed, not fetched again', async () => {
    const body = Buffer.from('already whole');
    server.setFile('/whole.txt', { body });
    const recorder = await h.reopen({ autoStart: false });
    const { token } = recorder.download({ url: server.urlFor('/whole.txt') });
    await recorder.stop();
    // What a kill -9 right after the last byte leaves: the whole body in .partial with its validators.
    const partialDir = path.join(h.dir, 'cache', '.partial');
    fs.writeFileSync(path.join(partialDir, token), body);
    const etag = (await fetch(server.urlFor('/whole.txt'), { method: 'HEAD' })).headers.get('etag');
    fs.writeFileSync(path.join(partialDir, `${token}.json`), JSON.stringify({ url: server.urlFor('/whole.txt'), etag, total: body.length }));
    server.reset();
    const runner = await h.reopen();
    const r = await runner.whenDone(token);
    expect(fs.readFileSync(r.path, 'utf8')).toBe('already whole');
    expect(server.bytesSentFor('/whole.txt')).toBe(0);
    expect(server.requestsFor('/whole.txt').map((q) => q.status)).toEqual([416]);
  });

  it('records a task without running it (autoStart false); a later engine runs it', async () => {
    const recorder = await h.reopen({ autoStart: false });
    server.setFile('/rec.txt', { body: Buffer.from('recorded') });
    const { token } = recorder.download({ url: server.urlFor('/rec.txt') });
    await new Promise((r) => setTimeout(r, 100));
    expect(server.requests).toHaveLength(0);
    expect(recorder.get(token).state).toBe('queued');
    await recorder.stop();
    const runner = await h.reopen();
    const r = await runner.whenDone(token);
    expect(fs.readFileSync(r.path, 'utf8')).toBe('recorded');
  });
});
