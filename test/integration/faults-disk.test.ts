/**
 * Fault injection: a full disk. Where the test can mount one (root on Linux), the data dir lives on a
 * small tmpfs that really fills up (ENOSPC); elsewhere the device profile's quota stands in and the
 * test names say so. A full disk must end the task with 1000 and a message saying "insufficient
 * space", remove its partial file, keep the store readable and consistent, and leave other tasks alone,
 * wherever the ENOSPC strikes: in the body, in the sidecar written before it, or in the final commit.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src-main/core/engine.js';
import { openStore, type TaskStore } from '../../src-main/core/store.js';
import { FailCode } from '../../src-shared/codes.js';
import { ROOT } from '../helpers/cli.js';
import { ENGINE_DEFAULTS, KiB, MiB, rejection, sizeOf, waitFor } from '../helpers/engine.js';
import { listDir } from '../helpers/faults.js';
import { randomBytesSeeded, sha256, sha256File, startServer, type TestServer } from '../helpers/server.js';

function mountTmpfs(dir: string, options: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

function unmount(dir: string): void {
  try {
    execFileSync('umount', [dir], { stdio: 'pipe' });
  } catch {
    execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
  }
}

/**
 * Whether this process may mount a tmpfs (root on Linux, outside a locked-down container).
 * `VELA_FAULTS_NO_MOUNT=1` forces the quota fallback, to run it where mounting works.
 */
const CAN_MOUNT = ((): boolean => {
  if (process.platform !== 'linux' || process.env.VELA_FAULTS_NO_MOUNT) return false;
  const probe = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-tmpfs-probe-'));
  try {
    if (!mountTmpfs(probe, 'size=1m')) return false;
    unmount(probe);
    return true;
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
})();

/** Fill the file system holding `dir` with one file until ENOSPC; returns its path. */
function fillBlocks(dir: string): string {
  const file = path.join(dir, 'filler.bin');
  const fd = fs.openSync(file, 'w');
  const chunk = Buffer.alloc(64 * KiB, 1);
  try {
    for (;;) fs.writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    fs.closeSync(fd);
  }
  // Page-sized leftovers too, so not even a small JSON file fits.
  const fd2 = fs.openSync(path.join(dir, 'filler-small.bin'), 'w');
  try {
    for (;;) fs.writeSync(fd2, Buffer.alloc(512, 1));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    fs.closeSync(fd2);
  }
  return file;
}

/** Create empty files in `dir` until the file system has no inode left. */
function fillInodes(dir: string): number {
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 0; ; i++) {
    try {
      fs.closeSync(fs.openSync(path.join(dir, `i${i}`), 'w'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      return i;
    }
  }
}

let tmp: string;
let mounts: string[];
let engines: Engine[];
let server: TestServer;

beforeEach(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-faults-disk-'));
  mounts = [];
  engines = [];
  server = await startServer();
});

afterEach(async () => {
  for (const engine of engines) await engine.stop();
  await server.close();
  for (const dir of mounts.reverse()) unmount(dir);
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A folder in tmp with a fresh tmpfs of that size on it. */
function tmpfs(name: string, options: string): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  if (!mountTmpfs(dir, options)) throw new Error(`mount -t tmpfs -o ${options} failed on ${dir}`);
  mounts.push(dir);
  return dir;
}

function engineOn(dataDir: string, store: TaskStore = openStore(dataDir)): Engine {
  const engine = new Engine({ dataDir, store, ...ENGINE_DEFAULTS });
  engines.push(engine);
  return engine;
}

const INSUFFICIENT = /insufficient space/;

describe.runIf(CAN_MOUNT)('disk full: the data dir on a 4 MiB tmpfs', () => {
  it('a 16 MiB download fails with 1000 "insufficient space", its partial is removed, the store stays consistent, a small task beside it completes', async () => {
    const dataDir = path.join(tmpfs('disk', 'size=4m'), 'data');
    const big = randomBytesSeeded(16 * MiB, 71);
    const small = randomBytesSeeded(100 * KiB, 72);
    // Throttled so the small one is done long before the disk fills (~0.6 s in).
    server.setFile('/big.bin', { body: big, bytesPerSecond: 6 * MiB });
    server.setFile('/small.bin', { body: small });
    const engine = engineOn(dataDir);
    const smallTask = engine.download({ url: server.urlFor('/small.bin') });
    const bigTask = engine.download({ url: server.urlFor('/big.bin') });
    const [smallResult, bigError] = await Promise.all([engine.whenDone(smallTask.token), rejection(engine.whenDone(bigTask.token))]);

    expect(bigError.code).toBe(FailCode.DownloadFailed);
    expect(bigError.message).toMatch(INSUFFICIENT);
    expect(bigError.message).toMatch(/disk is full/);
    // Not worth retrying: one request.
    expect(server.requestsFor('/big.bin')).toHaveLength(1);
    expect(await sha256File(smallResult.path)).toBe(sha256(small));

    engine.store.flush();
    const cacheDir = path.join(dataDir, 'cache');
    expect(listDir(path.join(cacheDir, '.partial'))).toEqual([]);
    expect(listDir(cacheDir)).toEqual(['.partial', 'small.bin']);
    expect(engine.get(bigTask.token)).toMatchObject({ state: 'failed', code: 1000, bytes: 0 });

    // The store file on disk parses and says the same.
    const onDisk = JSON.parse(fs.readFileSync(path.join(dataDir, 'config.json'), 'utf8')) as { tasks: Record<string, { state: string; code?: number; message?: string }> };
    expect(onDisk.tasks[smallTask.token]).toMatchObject({ state: 'completed' });
    expect(onDisk.tasks[bigTask.token]).toMatchObject({ state: 'failed', code: 1000, message: bigError.message });
    const reread = openStore(dataDir);
    expect(reread.recovery).toBeUndefined();
    expect(reread.allTasks().map((t) => t.state).sort()).toEqual(['completed', 'failed']);

    // The space came back: a 2 MiB file fits now.
    const after = randomBytesSeeded(2 * MiB, 73);
    server.setFile('/after.bin', { body: after });
    const next = await engine.whenDone(engine.download({ url: server.urlFor('/after.bin') }).token);
    expect(await sha256File(next.path)).toBe(sha256(after));
  });

  /** A download that meets a disk already full when its response starts (the sidecar is the first write). */
  async function fullBeforeFirstByte(): Promise<{ dataDir: string; error: { code: number; message: string } }> {
    const disk = tmpfs('full', 'size=1m');
    const dataDir = path.join(disk, 'data');
    // The store lives elsewhere: this test is about the download, not about store writes.
    const engine = engineOn(dataDir, openStore(path.join(tmp, 'store')));
    fillBlocks(disk);
    server.setFile('/x.bin', { body: randomBytesSeeded(64 * KiB, 74) });
    const { token } = engine.download({ url: server.urlFor('/x.bin') });
    return { dataDir, error: await rejection(engine.whenDone(token)) };
  }

  it('ENOSPC before the first byte (the sidecar write): 1000 "insufficient space", no bytes and no sidecar kept', async () => {
    const { dataDir, error } = await fullBeforeFirstByte();
    expect(error.code).toBe(FailCode.DownloadFailed);
    expect(error.message).toMatch(INSUFFICIENT);
    expect(listDir(path.join(dataDir, 'cache'))).toEqual(['.partial']);
    expect(listDir(path.join(dataDir, 'cache', '.partial')).filter((n) => !n.endsWith('.json.tmp'))).toEqual([]);
  });

  // Regression, fixed (src-main/core/partial-files.ts, writeMeta / remove): writeMeta writes `<token>.json.tmp` and
  // renames it; when the write fails (ENOSPC) the temp file stays, and remove() deletes only `<token>`
  // and `<token>.json`, so an empty `<token>.json.tmp` is left in cache/.partial for ever (nothing else
  // ever removes it).
  it('ENOSPC in the sidecar write leaves nothing at all in .partial (no <token>.json.tmp)', async () => {
    const { dataDir, error } = await fullBeforeFirstByte();
    expect(error.message).toMatch(INSUFFICIENT);
    expect(listDir(path.join(dataDir, 'cache', '.partial'))).toEqual([]);
  });

  // Regression, fixed (src-main/core/engine.ts, #complete / #startTask): an error thrown while committing the finished
  // file (commitFile → link) is not classified. ENOSPC there (here: the tmpfs is out of inodes, a
  // disk-full that real disks have too) ends in `#startTask`'s catch as
  // "internal error: ENOSPC: no space left on device, link '<partial path>' -> '<final path>'": the
  // message says "internal error" and leaks paths instead of "insufficient space", and the partial
  // file and its sidecar are kept although a full disk should remove them.
  it('ENOSPC around the final commit (out of inodes): complete and whole, or 1000 "insufficient space" with nothing left', async () => {
    const disk = tmpfs('inodes', 'size=64m,nr_inodes=64');
    const dataDir = path.join(disk, 'data');
    const engine = engineOn(dataDir, openStore(path.join(tmp, 'store')));
    const body = randomBytesSeeded(MiB, 75);
    server.setFile('/commit.bin', { body, bytesPerSecond: 2 * MiB });
    const { token } = engine.download({ url: server.urlFor('/commit.bin') });
    const partial = path.join(dataDir, 'cache', '.partial', token);
    // Streaming: the partial file and its sidecar exist; now take every inode that is left.
    await waitFor(() => sizeOf(partial) > 64 * KiB, 'the first bytes');
    expect(fillInodes(path.join(disk, 'inodes'))).toBeGreaterThan(0);
    // The hard link that commits the file needs no inode, so the commit may still succeed (then the
    // file is whole); the notes around it need inodes. Either way: never an internal error, never a
    // half file under the final name, nothing left behind on failure.
    const outcome = await engine.whenDone(token).then(
      (r) => ({ ok: true as const, r }),
      (e: { code: number; message: string }) => ({ ok: false as const, e }),
    );
    if (outcome.ok) {
      expect(await sha256File(outcome.r.path)).toBe(sha256(body));
    } else {
      expect(listDir(path.join(dataDir, 'cache'))).toEqual(['.partial']);
      expect(outcome.e.code).toBe(FailCode.DownloadFailed);
      expect(outcome.e.message).not.toMatch(/internal error/);
      expect(outcome.e.message).toMatch(INSUFFICIENT);
      expect(listDir(path.join(dataDir, 'cache', '.partial'))).toEqual([]);
    }
  });

  // Regression, fixed (src-main/core/store.ts, TaskStore.flush): the batched write runs in a timer and does not catch
  // the error of `conf.store = …`, so a state change recorded while the disk is full (the store file on
  // the full disk) throws ENOSPC out of the timer: an uncaught exception that kills the engine's process
  // (CLI, host or Electron main). flush() also clears its dirty flag before the write, so even a caught
  // failure would lose the change: it is never written once space is back unless another change comes.
  it('a store write on a full disk does not kill the process; the file keeps its last good content and the change is written once space is back', async () => {
    const disk = tmpfs('store-full', 'size=1m');
    const dataDir = path.join(disk, 'data');
    const script = path.join(tmp, 'store-full.mjs');
    const storeUrl = new URL(`file://${path.join(ROOT, 'dist', 'src-main', 'core', 'store.js')}`).href;
    fs.writeFileSync(
      script,
      [
        `import fs from 'node:fs';`,
        `import { openStore } from ${JSON.stringify(storeUrl)};`,
        `const [dataDir, filler] = process.argv.slice(2);`,
        `const store = openStore(dataDir);`,
        `const task = (token) => ({ token, url: 'http://127.0.0.1/x', headers: {}, profileId: 'desktop', storage: 'cache', listenerRule: 'all', state: 'queued', bytes: 0, total: null, createdAt: 1, updatedAt: 1 });`,
        `store.putTask(task('before'), { immediate: true });`,
        // Fill the disk, then record a change the batched way (as the engine does for state changes).
        `const fd = fs.openSync(filler, 'w');`,
        `try { for (;;) fs.writeSync(fd, Buffer.alloc(4096, 1)); } catch (e) { if (e.code !== 'ENOSPC') throw e; } finally { fs.closeSync(fd); }`,
        `store.putTask(task('during'));`,
        `await new Promise((r) => setTimeout(r, 600));`,
        `fs.rmSync(filler);`,
        `store.flush();`,
        `console.log('alive');`,
      ].join('\n'),
    );
    const child = spawn(process.execPath, [script, dataDir, path.join(disk, 'filler.bin')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    // Whatever happened, the file on disk is never half written (conf writes atomically).
    const onDisk = JSON.parse(fs.readFileSync(path.join(dataDir, 'config.json'), 'utf8')) as { tasks: Record<string, unknown> };
    expect(onDisk.tasks.before).toBeDefined();
    expect(out).toContain('alive');
    expect(code, out).toBe(0);
    expect(onDisk.tasks.during).toBeDefined();
  });
});

if (!CAN_MOUNT) console.warn('faults-disk: no tmpfs could be mounted here; the disk-full tests fall back to a device-profile quota');

describe.runIf(!CAN_MOUNT)('disk full (FALLBACK: no tmpfs could be mounted here, so the device-profile quota stands in)', () => {
  it('a 16 MiB download over a 4 MiB quota fails with 1000 "insufficient space", its partial is removed, a small task beside it completes', async () => {
    const dataDir = path.join(tmp, 'data');
    const engine = engineOn(dataDir);
    engine.profiles.save({ id: 'small-disk', name: 'Small disk', supported: true, link: {}, device: { quotaBytes: 4 * MiB } });
    const big = randomBytesSeeded(16 * MiB, 71);
    const small = randomBytesSeeded(100 * KiB, 72);
    server.setFile('/big.bin', { body: big, bytesPerSecond: 6 * MiB });
    server.setFile('/small.bin', { body: small });
    const smallTask = engine.download({ url: server.urlFor('/small.bin'), device: 'small-disk' });
    const bigTask = engine.download({ url: server.urlFor('/big.bin'), device: 'small-disk' });
    const [smallResult, bigError] = await Promise.all([engine.whenDone(smallTask.token), rejection(engine.whenDone(bigTask.token))]);
    expect(bigError).toMatchObject({ code: FailCode.DownloadFailed, message: expect.stringMatching(INSUFFICIENT) });
    expect(await sha256File(smallResult.path)).toBe(sha256(small));
    engine.store.flush();
    expect(listDir(path.join(dataDir, 'cache', '.partial'))).toEqual([]);
    expect(listDir(path.join(dataDir, 'cache'))).toEqual(['.partial', 'small.bin']);
    const reread = openStore(dataDir);
    expect(reread.recovery).toBeUndefined();
    expect(reread.allTasks().map((t) => t.state).sort()).toEqual(['completed', 'failed']);
  });
});
