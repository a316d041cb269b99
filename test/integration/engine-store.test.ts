/**
 * The engine's persistence and partitions: batched store writes, unreadable store files kept aside,
 * the `mass` partition, and move to gallery.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FailCode } from '../../src-shared/codes.js';
import { openStore } from '../../src-main/core/store.js';
import { createHarness, rejection, type EngineHarness } from '../helpers/engine.js';
import { mediaBytes } from '../helpers/media-bytes.js';
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

describe('store writes', () => {
  it('batches: 200 small downloads make far fewer writes than two per task', async () => {
    const count = 200;
    for (let i = 0; i < count; i++) server.setFile(`/s/${i}.txt`, { body: Buffer.from(`file ${i}`) });
    const before = h.store.writeCount;
    const tokens = Array.from({ length: count }, (_, i) => h.engine.download({ url: server.urlFor(`/s/${i}.txt`) }).token);
    const results = await Promise.all(tokens.map((t) => h.engine.whenDone(t)));
    expect(new Set(results.map((r) => r.uri)).size).toBe(count);
    for (const [i, r] of results.entries()) expect(fs.readFileSync(r.path, 'utf8')).toBe(`file ${i}`);
    h.store.flush();
    const writes = h.store.writeCount - before;
    expect(writes).toBeGreaterThan(0);
    expect(writes).toBeLessThan(count / 4);
    // And what was written is the truth: a new store on the same dir sees every task completed.
    const reread = openStore(h.dir);
    expect(reread.allTasks().filter((t) => t.state === 'completed')).toHaveLength(count);
    // Committed-file sidecars go once the store has the completion.
    expect(h.partialFiles()).toEqual([]);
  });
});

describe('unreadable store files', () => {
  it('keeps a corrupt file aside and starts empty', async () => {
    await h.engine.stop();
    const file = path.join(h.dir, 'config.json');
    const garbage = '{"version":1,"tasks":{ this is not json';
    fs.writeFileSync(file, garbage);
    const engine = await h.reopen();
    const recovery = h.store.recovery;
    expect(recovery).toBeDefined();
    expect(recovery!.reason).toMatch(/could not be read/);
    expect(fs.readFileSync(recovery!.keptAs, 'utf8')).toBe(garbage);
    expect(path.dirname(recovery!.keptAs)).toBe(h.dir);
    expect(engine.list()).toEqual([]);
    // It works: a download goes through and is written to a fresh file.
    server.setFile('/after.txt', { body: Buffer.from('after') });
    const { token } = engine.download({ url: server.urlFor('/after.txt') });
    await engine.whenDone(token);
    h.store.flush();
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).tasks[token].state).toBe('completed');
  });

  it('keeps a store from a newer version (99) aside too', async () => {
    await h.engine.stop();
    const file = path.join(h.dir, 'config.json');
    const future = JSON.stringify({ version: 99, tasks: { abc: { token: 'abc' } }, profiles: [], settings: {} });
    fs.writeFileSync(file, future);
    const engine = await h.reopen();
    const recovery = h.store.recovery!;
    expect(recovery.reason).toMatch(/newer version/);
    expect(fs.readFileSync(recovery.keptAs, 'utf8')).toBe(future);
    expect(engine.list()).toEqual([]);
    expect(await rejection(engine.whenDone('abc'))).toMatchObject({ code: FailCode.TaskNotFound });
  });
});

describe('partitions', () => {
  it("a 'mass' profile puts files under internal://mass/download/", async () => {
    const body = randomBytesSeeded(50_000, 51);
    server.setFile('/m.bin', { body });
    h.profile('hapjs-like', {}, { storage: 'mass' });
    const { token } = h.engine.download({ url: server.urlFor('/m.bin'), device: 'hapjs-like' });
    const r = await h.engine.whenDone(token);
    expect(r.uri).toBe('internal://mass/download/m.bin');
    expect(r.path).toBe(path.join(h.dir, 'mass', 'download', 'm.bin'));
    expect(await sha256File(r.path)).toBe(sha256(body));
    expect(h.cacheFiles()).toEqual([]);
  });
});

describe('move to gallery', () => {
  let home: string;
  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-home-'));
  });
  afterEach(() => {
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('moves a .png to <home>/Pictures/Vela Companion and out of the cache', async () => {
    const body = mediaBytes('png', 20_000, 61); // real PNG bytes: the bytes decide, not the Content-Type
    server.setFile('/shot.png', { body, contentType: 'image/png' });
    const { token } = h.engine.download({ url: server.urlFor('/shot.png') });
    const r = await h.engine.whenDone(token);
    const moved = await h.engine.moveToGallery(token, home);
    const expected = path.join(home, 'Pictures', 'Vela Companion', 'shot.png');
    expect(moved).toEqual({ token, path: expected });
    expect(await sha256File(expected)).toBe(sha256(body));
    expect(fs.existsSync(r.path)).toBe(false);
    expect(h.cacheFiles()).toEqual([]);
    expect(h.engine.get(token)).toMatchObject({ galleryPath: expected, path: expected });
    // A second move is refused; the file stays.
    expect(await rejection(h.engine.moveToGallery(token, home))).toMatchObject({ code: 202 });
    expect(fs.existsSync(expected)).toBe(true);
  });

  it('refuses a .txt with 202 and leaves it in the cache', async () => {
    server.setFile('/notes.txt', { body: Buffer.from('notes'), contentType: 'text/plain' });
    const { token } = h.engine.download({ url: server.urlFor('/notes.txt') });
    const r = await h.engine.whenDone(token);
    const error = await rejection(h.engine.moveToGallery(token, home));
    expect(error.code).toBe(FailCode.IllegalArgument);
    expect(error.message).toMatch(/not a media file/);
    expect(fs.readFileSync(r.path, 'utf8')).toBe('notes');
    expect(fs.readdirSync(home)).toEqual([]);
  });

  it('refuses an unfinished task with 202', async () => {
    server.setFile('/slow.png', { body: randomBytesSeeded(1 << 20), bytesPerSecond: 512 * 1024, contentType: 'image/png' });
    const { token } = h.engine.download({ url: server.urlFor('/slow.png') });
    expect(await rejection(h.engine.moveToGallery(token, home))).toMatchObject({ code: 202 });
  });
});
