/**
 * Issue 10, points 6, 7 and 13, below the window: the router over the real engine and a real loopback
 * server, and the browser host's opener with a stand-in launcher (a script that writes down what it was
 * given), never a mocked module.
 *
 * - A completed task whose file is gone says so (`fileMissing`) in lists, answers and events; Open and
 *   Show in folder refuse it instead of answering the old path; Download again makes it anew.
 * - "open" hands only images, video and audio to the system, whichever front door asks.
 * - A running download shows the name the server gave it as soon as it is known (`suggestedName`).
 * - The gallery defaults are reported as full paths, under `--gallery-dir` when serve got one.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EngineInfo, MediaOutcome, ShellResult } from '../../src-shared/channels.js';
import { FailCode } from '../../src-shared/codes.js';
import type { TaskRecord } from '../../src-shared/types.js';
import { desktopOpen } from '../../src-main/host/desktop-open.js';
import { createRouter, type DesktopShell } from '../../src-main/router/handlers.js';
import type { Router } from '../../src-main/router/router.js';
import { spawnServe } from '../e2e/harness.js';
import { createHarness, KiB, type EngineHarness } from '../helpers/engine.js';
import { mediaBytes } from '../helpers/media-bytes.js';
import { randomBytesSeeded, startServer, type TestServer } from '../helpers/server.js';

let h: EngineHarness;
let server: TestServer;
let router: Router;
let scratch: string;
/** What the shell was asked to do, for routers built with `recording`. */
let asked: Array<[string, string]>;
const recording: DesktopShell = {
  kind: 'browser',
  reveal: async (file) => {
    asked.push(['reveal', file]);
    return true;
  },
  open: async (file) => {
    asked.push(['open', file]);
    return true;
  },
};

beforeEach(async () => {
  server = await startServer();
  h = createHarness();
  asked = [];
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-daily-'));
  router = createRouter(h.engine, () => ({ pid: process.pid, dataDir: h.dir, version: 'test' }), recording, { galleryHome: path.join(scratch, 'home') });
});

afterEach(async () => {
  await h.close();
  await server.close();
  fs.rmSync(scratch, { recursive: true, force: true });
});

type Answer<T> = { ok: true; value: T } | { ok: false; error: { code: number; message: string } };
const call = async <T>(channel: string, input: unknown): Promise<Answer<T>> => (await router.call(channel, input)) as never;
async function value<T>(channel: string, input: unknown): Promise<T> {
  const answer = await call<T>(channel, input);
  if (!answer.ok) throw new Error(`${channel}: ${answer.error.code} ${answer.error.message}`);
  return answer.value;
}

async function download(urlPath: string, body: Buffer, extra: Record<string, unknown> = {}): Promise<TaskRecord> {
  server.setFile(urlPath, { body });
  const { token } = await value<{ token: string }>('download.start', { url: server.urlFor(urlPath), ...extra });
  await h.engine.whenDone(token);
  return value<TaskRecord>('tasks.get', { token });
}

async function until<T>(what: string, check: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const result = check();
    if (result !== undefined && result !== false) return result;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await delay(20);
  }
}

describe('a completed download whose file is gone', () => {
  it('reads "deleted" everywhere once Media deletes it, and Open and Show in folder refuse the old path', async () => {
    const task = await download('/face.png', mediaBytes('png', 4 * KiB, 1), { header: { 'X-Watch': 'band' } });
    expect(task.fileMissing).toBeUndefined();
    const events: TaskRecord[] = [];
    router.subscribe((event, payload) => {
      if (event === 'task.updated') events.push(payload as TaskRecord);
    });

    const removed = await value<MediaOutcome[]>('media.remove', { items: [{ partition: 'cache', name: 'face.png' }] });
    expect(removed).toEqual([{ ref: { partition: 'cache', name: 'face.png' } }]);
    // The event the window follows says so at once, as do the answers.
    expect(events.at(-1)).toMatchObject({ token: task.token, state: 'completed', fileMissing: true });
    expect(await value<TaskRecord>('tasks.get', { token: task.token })).toMatchObject({ fileMissing: true });
    expect((await value<TaskRecord[]>('tasks.list', {})).find((t) => t.token === task.token)).toMatchObject({ fileMissing: true });

    for (const channel of ['shell.open', 'shell.reveal']) {
      const answer = await call<ShellResult>(channel, { token: task.token });
      expect(answer.ok, channel).toBe(false);
      if (answer.ok) continue;
      expect(answer.error.code).toBe(FailCode.IllegalArgument);
      expect(answer.error.message).toBe('the file was deleted: face.png; download it again from its row');
    }
    expect(asked).toEqual([]);
  });

  it('is told apart when the file went outside the app too (as Chrome does)', async () => {
    const task = await download('/notes.bin', randomBytesSeeded(1000, 2));
    fs.rmSync(task.path!);
    expect(await value<TaskRecord>('tasks.get', { token: task.token })).toMatchObject({ state: 'completed', fileMissing: true });
  });

  it('downloads again as a new task with the same request, which takes the old one\'s place', async () => {
    const body = mediaBytes('png', 8 * KiB, 3);
    h.profile('slowish', { bandwidth: 10 * 1024 * 1024 });
    const task = await download('/again.png', body, { header: { Authorization: 'Bearer watch' }, filename: 'mine.png', description: 'Watch face', device: 'slowish' });
    // Not while the file is there, nor for anything but a completed task.
    const refused = await call('tasks.downloadAgain', { token: task.token });
    expect(refused).toMatchObject({ ok: false, error: { code: FailCode.IllegalArgument, message: `the file is still there: ${task.path}` } });

    fs.rmSync(task.path!);
    const removedEvents: string[] = [];
    router.subscribe((event, payload) => {
      if (event === 'task.removed') removedEvents.push((payload as { token: string }).token);
    });
    const again = await value<TaskRecord>('tasks.downloadAgain', { token: task.token });
    expect(again.token).not.toBe(task.token);
    expect(again).toMatchObject({
      url: task.url,
      headers: { Authorization: 'Bearer watch' },
      requestedFilename: 'mine.png',
      description: 'Watch face',
      profileId: 'slowish',
    });
    expect(removedEvents).toEqual([task.token]);
    const done = await h.engine.whenDone(again.token);
    expect(fs.readFileSync(done.path)).toEqual(body);
    expect(path.basename(done.path)).toBe('mine.png');
    expect((await value<TaskRecord[]>('tasks.list', {})).map((t) => t.token)).toEqual([again.token]);
    expect(server.requestsFor('/again.png').at(-1)?.headers.authorization).toBe('Bearer watch');

    const failed = await call('tasks.downloadAgain', { token: 'no-such-token' });
    expect(failed).toMatchObject({ ok: false, error: { code: FailCode.TaskNotFound } });
  });
});

describe('open and show in folder', () => {
  it('hands the system only images, video and audio; anything else answers with its path and why', async () => {
    const image = await download('/pic.png', mediaBytes('png', 2 * KiB, 4));
    const script = await download('/install.sh', Buffer.from('#!/bin/sh\necho hi\n'));
    expect(await value<ShellResult>('shell.open', { token: image.token })).toEqual({ path: image.path, done: true });
    expect(await value<ShellResult>('shell.open', { token: script.token })).toEqual({ path: script.path, done: false, reason: 'not-media' });
    expect(await value<ShellResult>('shell.open', { partition: 'cache', name: 'install.sh' })).toEqual({ path: script.path, done: false, reason: 'not-media' });
    // Showing it in its folder runs nothing: allowed for every file.
    expect(await value<ShellResult>('shell.reveal', { token: script.token })).toEqual({ path: script.path, done: true });
    expect(asked).toEqual([
      ['open', image.path],
      ['reveal', script.path],
    ]);
    // Still confined: nothing outside the partitions.
    expect(await call('shell.open', { partition: 'cache', name: '../config.json' })).toMatchObject({ ok: false, error: { code: FailCode.IllegalArgument } });
  });

  it('without a desktop (the CLI, tests) answers with the path only', async () => {
    const plain = createRouter(h.engine, () => ({ pid: process.pid, dataDir: h.dir, version: 'test' }));
    const image = await download('/plain.png', mediaBytes('png', 1 * KiB, 5));
    expect((await plain.call('shell.open', { token: image.token })) as Answer<ShellResult>).toEqual({
      ok: true,
      value: { path: image.path, done: false, reason: 'unavailable' },
    });
  });

  it("the browser host's opener starts the launcher through `open` with the file (and --reveal to show it)", async () => {
    const record = path.join(scratch, 'launched.txt');
    const launcher = path.join(scratch, 'launcher.sh');
    fs.writeFileSync(launcher, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${record}'\n`, { mode: 0o755 });
    const shell = desktopOpen({ launcher });
    const file = path.join(scratch, 'a photo, 1.png');
    fs.writeFileSync(file, mediaBytes('png', 100, 6));

    expect(await shell.open(file)).toBe(true);
    await until('the launcher to record the open', () => fs.existsSync(record) && fs.readFileSync(record, 'utf8').includes(file));
    expect(await shell.reveal(file)).toBe(true);
    await until('the launcher to record the reveal', () => fs.readFileSync(record, 'utf8').split('\n').length >= 3);
    expect(fs.readFileSync(record, 'utf8').trim().split('\n')).toEqual([file, `--reveal ${file}`]);

    // Not media by its name: never handed over.
    expect(await shell.open(path.join(scratch, 'setup.desktop'))).toBe(false);
    // A launcher that cannot start is "not done", never a crash.
    expect(await desktopOpen({ launcher: path.join(scratch, 'missing-launcher') }).open(file)).toBe(false);
    expect(fs.readFileSync(record, 'utf8').trim().split('\n')).toHaveLength(2);
  });
});

describe('the name a running download shows', () => {
  it('is the one the server gave, as soon as its answer is known, for each download', async () => {
    const names = ['face-a.bin', 'face-b.bin', 'face-c.bin'];
    const tokens: string[] = [];
    for (const [i, name] of names.entries()) {
      server.setFile(`/${i}/etag.bin`, { body: randomBytesSeeded(400 * KiB, 10 + i), bytesPerSecond: 64 * KiB, contentDisposition: `attachment; filename="${name}"` });
      tokens.push((await value<{ token: string }>('download.start', { url: server.urlFor(`/${i}/etag.bin`) })).token);
    }
    const latest = new Map<string, TaskRecord>();
    router.subscribe((event, payload) => {
      if (event === 'task.updated') latest.set((payload as TaskRecord).token, payload as TaskRecord);
    });
    await until('three suggested names', () => tokens.every((token) => latest.get(token)?.suggestedName !== undefined), 8_000);
    for (const [i, token] of tokens.entries()) {
      expect(latest.get(token)).toMatchObject({ state: 'running', suggestedName: names[i] });
      expect(latest.get(token)?.name).toBeUndefined();
    }
    const listed = await value<TaskRecord[]>('tasks.list', {});
    expect(listed.map((t) => t.suggestedName)).toEqual(names);
    for (const token of tokens) await value('tasks.cancel', { token });
  });
});

describe('gallery folders', () => {
  it('reports the defaults as full paths, under the gallery home the router was given, and moves there', async () => {
    const info = await value<EngineInfo>('engine.info', {});
    const home = path.join(scratch, 'home');
    expect(info.galleryDefaults).toEqual({
      image: path.join(home, 'Pictures', 'Vela Companion'),
      video: path.join(home, 'Videos', 'Vela Companion'),
      audio: path.join(home, 'Music', 'Vela Companion'),
    });
    await download('/moved.png', mediaBytes('png', 1 * KiB, 7));
    const [moved] = await value<MediaOutcome[]>('media.moveToGallery', { items: [{ partition: 'cache', name: 'moved.png' }] });
    expect(moved?.path).toBe(path.join(home, 'Pictures', 'Vela Companion', 'moved.png'));
  });

  it('`serve --gallery-dir` is that gallery home', async () => {
    const dataDir = path.join(scratch, 'data');
    const galleryDir = path.join(scratch, 'gallery home');
    // --help lists it as move-to-gallery's does.
    const help = execFileSync(process.execPath, [path.resolve('bin/vela-companion.js'), 'serve', '--help'], { encoding: 'utf8' });
    expect(help).toContain('--gallery-dir <dir>');
    const { child, url } = await spawnServe(dataDir, path.join(scratch, 'user'), ['--gallery-dir', galleryDir]);
    try {
      const secret = new URL(url).hash.replace('#secret=', '');
      const response = await fetch(new URL('/api/engine.info', url), { method: 'POST', headers: { authorization: `Bearer ${secret}` }, body: '{}' });
      const reply = (await response.json()) as { ok: true; value: EngineInfo };
      expect(reply.value.galleryDefaults?.image).toBe(path.join(galleryDir, 'Pictures', 'Vela Companion'));
      expect(reply.value.shell).toBe('browser');
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
    }
  });
});
