/**
 * Secrets at rest for the user only (DESIGN.md "Persistence and paths"): after real downloads with an
 * `Authorization` header and a URL with userinfo, everything the engine wrote in its data dir is 0700
 * (folders) / 0600 (files) under a permissive umask; a data dir left 0755/0644 by an older version is
 * tightened when an engine opens it; a file moved to the gallery takes that folder's usual mode.
 * POSIX modes only: on Windows the profile's ACLs do this job (src-main/core/private-files.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src-main/core/engine.js';
import { openStore } from '../../src-main/core/store.js';
import { ENGINE_DEFAULTS, KiB, MiB, sizeOf, waitFor } from '../helpers/engine.js';
import { randomBytesSeeded, startServer, type TestServer } from '../helpers/server.js';
import { mediaBytes } from '../helpers/media-bytes.js';

const modeOf = (file: string): string => (fs.lstatSync(file).mode & 0o777).toString(8).padStart(3, '0');

let previousUmask: number;
beforeAll(() => {
  // The usual desktop umask, set explicitly: 0700/0600 must come from the code, not from a strict umask.
  if (process.platform !== 'win32') previousUmask = process.umask(0o022);
});
afterAll(() => {
  if (process.platform !== 'win32') process.umask(previousUmask);
});

let server: TestServer;
let root: string;
let dataDir: string;
let engine: Engine | undefined;

const open = (): Engine => {
  engine = new Engine({ dataDir, store: openStore(dataDir), ...ENGINE_DEFAULTS });
  return engine;
};

beforeEach(async () => {
  server = await startServer();
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-modes-'));
  fs.chmodSync(root, 0o755);
  // Not there yet: the engine creates it (mkdtemp alone would hand it a 0700 folder).
  dataDir = path.join(root, 'data');
});

afterEach(async () => {
  await engine?.stop();
  engine = undefined;
  await server.close();
  fs.rmSync(root, { recursive: true, force: true });
});

/** A URL with credentials in it, as a user may paste one. */
const secretUrl = (p: string): string => server.urlFor(p).replace('http://', 'http://user:s3cret@');
const header = { Authorization: 'Bearer top-secret' };

/** A finished download (cache), a finished one in the `mass` partition, and a paused single stream and segmented one with their sidecars. */
async function downloadSome(e: Engine): Promise<{ done: string; mass: string; pausedToken: string; segmentedToken: string }> {
  server.setFile('/done.bin', { body: randomBytesSeeded(64 * KiB, 1) });
  server.setFile('/mass.bin', { body: randomBytesSeeded(32 * KiB, 2) });
  server.setFile('/slow.bin', { body: randomBytesSeeded(4 * MiB, 3), bytesPerSecond: 2 * MiB });

  const done = await e.whenDone(e.download({ url: secretUrl('/done.bin'), header }).token);
  e.profiles.save({ id: 'mass', name: 'Mass', supported: true, link: {}, device: { storage: 'mass' } });
  const mass = await e.whenDone(e.download({ url: secretUrl('/mass.bin'), header, device: 'mass' }).token);

  const { token } = e.download({ url: secretUrl('/slow.bin'), header });
  void e.whenDone(token).catch(() => undefined);
  const sidecar = path.join(e.paths.partialDir, `${token}.json`);
  // The sidecar of a fresh stream is written once 1 MiB has arrived (or after 1 s).
  await waitFor(() => fs.existsSync(sidecar) && sizeOf(path.join(e.paths.partialDir, token)) > 1 * MiB, 'a sidecar');
  e.pause(token);
  await waitFor(() => e.get(token).state === 'paused', 'paused');

  // A segmented one: its partial file is opened by another path (segmented.ts), its map written first.
  server.setFile('/seg.bin', { body: randomBytesSeeded(8 * MiB, 5), bytesPerSecond: 4 * MiB });
  e.updateSettings({ segments: 2 });
  const seg = e.download({ url: secretUrl('/seg.bin'), header }).token;
  void e.whenDone(seg).catch(() => undefined);
  await waitFor(() => fs.existsSync(path.join(e.paths.partialDir, `${seg}.json`)) && e.get(seg).bytes > 256 * KiB, 'a segment map');
  e.pause(seg);
  await waitFor(() => e.get(seg).state === 'paused', 'paused');
  e.updateSettings({ segments: 1 });

  e.store.flush();
  expect(server.requestsFor('/done.bin')[0]?.headers.authorization).toBe('Bearer top-secret');
  return { done: done.path, mass: mass.path, pausedToken: token, segmentedToken: seg };
}

describe.skipIf(process.platform === 'win32')('files at rest are the user alone', () => {
  it('a new data dir: 0700 folders, 0600 store, journal, partial file, sidecar and finished files', async () => {
    const e = open();
    const { done, mass, pausedToken, segmentedToken } = await downloadSome(e);
    // Something the store and journal must hold for a crash: the credentials went there.
    expect(fs.readFileSync(path.join(dataDir, 'config.json'), 'utf8')).toContain('top-secret');

    expect(modeOf(dataDir)).toBe('700');
    for (const dir of ['cache', 'cache/.partial', 'mass', 'mass/download']) expect(modeOf(path.join(dataDir, dir)), dir).toBe('700');
    const files = [
      path.join(dataDir, 'config.json'),
      path.join(dataDir, 'journal.jsonl'),
      path.join(e.paths.partialDir, pausedToken),
      path.join(e.paths.partialDir, `${pausedToken}.json`),
      path.join(e.paths.partialDir, segmentedToken),
      path.join(e.paths.partialDir, `${segmentedToken}.json`),
      done,
      mass,
    ];
    expect(path.dirname(done)).toBe(path.join(dataDir, 'cache'));
    expect(path.dirname(mass)).toBe(path.join(dataDir, 'mass', 'download'));
    for (const file of files) expect(modeOf(file), path.relative(dataDir, file)).toBe('600');
    // And nothing else in the tree is readable by others.
    for (const entry of fs.readdirSync(dataDir, { recursive: true, withFileTypes: true })) {
      const full = path.join(entry.parentPath, entry.name);
      expect(modeOf(full), path.relative(dataDir, full)).toBe(entry.isDirectory() ? '700' : '600');
    }
  });

  it('a data dir from an older version (0755 folders, 0644 files) is tightened when an engine opens it', async () => {
    const first = open();
    const { pausedToken } = await downloadSome(first);
    await first.stop();
    engine = undefined;
    const outside = path.join(root, 'outside.txt');
    fs.writeFileSync(outside, 'not ours');
    fs.chmodSync(outside, 0o644);
    fs.symlinkSync(outside, path.join(dataDir, 'cache', 'link-out'));
    fs.writeFileSync(path.join(dataDir, 'config.json.corrupt-2020-01-01'), '{"tasks":{"x":"Bearer old"}}');
    // What an older version left: everything world-readable.
    const loosen = (dir: string): void => {
      fs.chmodSync(dir, 0o755);
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) loosen(full);
        else if (entry.isFile()) fs.chmodSync(full, 0o644);
      }
    };
    loosen(dataDir);
    expect(modeOf(path.join(dataDir, 'journal.jsonl'))).toBe('644');

    const second = open();
    expect(modeOf(dataDir)).toBe('700');
    const entries = fs.readdirSync(dataDir, { recursive: true, withFileTypes: true });
    expect(entries.length).toBeGreaterThan(8);
    for (const entry of entries) {
      const full = path.join(entry.parentPath, entry.name);
      if (entry.isSymbolicLink()) continue;
      expect(modeOf(full), path.relative(dataDir, full)).toBe(entry.isDirectory() ? '700' : '600');
    }
    expect(modeOf(path.join(second.paths.partialDir, `${pausedToken}.json`))).toBe('600');
    // A link is never followed: what it points to outside is not the engine's to change.
    expect(modeOf(outside)).toBe('644');
  });

  it('a file moved to the gallery takes the folder usual mode (0644 under umask 022), not the cache 0600', async () => {
    const e = open();
    server.setFile('/shot.png', { body: mediaBytes('png', 20 * KiB, 4), contentType: 'image/png' });
    const { token } = e.download({ url: secretUrl('/shot.png'), header });
    const r = await e.whenDone(token);
    expect(modeOf(r.path)).toBe('600');
    const home = path.join(root, 'home');
    const moved = await e.moveToGallery(token, home);
    expect(moved.path).toBe(path.join(home, 'Pictures', 'Vela Companion', 'shot.png'));
    expect(modeOf(moved.path)).toBe('644');
    expect(modeOf(path.dirname(moved.path))).toBe('755');
  });
});
