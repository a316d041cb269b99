/**
 * private-files.ts on real files under a permissive umask: what tightenDataDir changes and leaves
 * alone, what it costs on a big cache, and the mode a file gets when it leaves for the gallery.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensurePrivateDir, makePublicFile, tightenDataDir } from '../../src-main/core/private-files.js';

const modeOf = (file: string): string => (fs.lstatSync(file).mode & 0o777).toString(8).padStart(3, '0');
const posix = process.platform !== 'win32';

let previousUmask: number;
beforeAll(() => {
  if (posix) previousUmask = process.umask(0o022);
});
afterAll(() => {
  if (posix) process.umask(previousUmask);
});

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-private-'));
});
afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

/** A folder tree as an older version left it: folders 0755, files 0644. */
function loose(dir: string, files: string[]): void {
  for (const file of files) {
    const full = path.join(dir, file);
    fs.mkdirSync(path.dirname(full), { recursive: true, mode: 0o755 });
    fs.writeFileSync(full, 'x', { mode: 0o644 });
  }
}

describe.skipIf(!posix)('private files', () => {
  it('ensurePrivateDir creates 0700 folders and tightens an existing one', () => {
    const fresh = path.join(root, 'a', 'b');
    ensurePrivateDir(fresh);
    expect(modeOf(path.join(root, 'a'))).toBe('700');
    expect(modeOf(fresh)).toBe('700');
    const old = path.join(root, 'old');
    fs.mkdirSync(old, { mode: 0o755 });
    ensurePrivateDir(old);
    expect(modeOf(old)).toBe('700');
  });

  it('tightens its own top-level files and the cache and mass trees, and leaves everything else and links alone', () => {
    const data = path.join(root, 'data');
    loose(data, [
      'config.json',
      'journal.jsonl',
      'cache/a.mp4',
      'cache/.partial/t',
      'cache/.partial/t.json',
      'mass/download/b.png',
      'Partitions/chromium-owned',
      'Local State',
    ]);
    fs.chmodSync(data, 0o755);
    const outside = path.join(root, 'outside');
    fs.writeFileSync(outside, 'x', { mode: 0o644 });
    fs.symlinkSync(outside, path.join(data, 'cache', 'link'));
    fs.chmodSync(root, 0o755);
    fs.symlinkSync(root, path.join(data, 'mass', 'dirlink'));

    expect(tightenDataDir(data)).toBe(11);
    expect(modeOf(data)).toBe('700');
    for (const dir of ['cache', 'cache/.partial', 'mass', 'mass/download']) expect(modeOf(path.join(data, dir)), dir).toBe('700');
    for (const file of ['config.json', 'journal.jsonl', 'cache/a.mp4', 'cache/.partial/t', 'cache/.partial/t.json', 'mass/download/b.png']) {
      expect(modeOf(path.join(data, file)), file).toBe('600');
    }
    // Chromium's folders in Electron's userData are closed by the 0700 data dir; their modes are Chromium's.
    expect(modeOf(path.join(data, 'Partitions'))).toBe('755');
    expect(modeOf(path.join(data, 'Partitions', 'chromium-owned'))).toBe('644');
    expect(modeOf(path.join(data, 'Local State'))).toBe('644');
    // Links are not followed.
    expect(modeOf(outside)).toBe('644');
    expect(modeOf(root)).toBe('755');
    // A second start changes nothing.
    expect(tightenDataDir(data)).toBe(0);
    // A missing data dir is no error.
    expect(tightenDataDir(path.join(root, 'missing'))).toBe(0);
  });

  it('trusts a folder already 0700 with its contents, and finishes a walk that was cut short', () => {
    const data = path.join(root, 'data');
    loose(data, ['cache/a.bin', 'cache/b.bin']);
    const cache = path.join(data, 'cache');
    // Cut short: one file done, its folder not yet (folders are tightened after their contents).
    fs.chmodSync(path.join(cache, 'a.bin'), 0o600);
    expect(tightenDataDir(data)).toBe(3); // b.bin, cache, data
    expect(modeOf(path.join(cache, 'b.bin'))).toBe('600');
    // A loose file inside a tight folder (an older version run again) is out of reach already: left.
    fs.writeFileSync(path.join(cache, 'c.bin'), 'x', { mode: 0o644 });
    expect(tightenDataDir(data)).toBe(0);
    // Someone opened the folder up again: it is walked again.
    fs.chmodSync(cache, 0o755);
    expect(tightenDataDir(data)).toBe(2);
    expect(modeOf(path.join(cache, 'c.bin'))).toBe('600');
  });

  it('tightens 10,000 cache files quickly, and costs little once they are tight', () => {
    const data = path.join(root, 'data');
    const cache = path.join(data, 'cache');
    fs.mkdirSync(cache, { recursive: true, mode: 0o755 });
    for (let i = 0; i < 10_000; i++) fs.writeFileSync(path.join(cache, `f${i}.bin`), '', { mode: 0o644 });
    let t = performance.now();
    expect(tightenDataDir(data)).toBe(10_002);
    const first = performance.now() - t;
    t = performance.now();
    expect(tightenDataDir(data)).toBe(0);
    const again = performance.now() - t;
    console.log(`tightenDataDir, 10,000 cache files: ${first.toFixed(0)} ms loose, ${again.toFixed(0)} ms already tight`);
    expect(modeOf(path.join(cache, 'f9999.bin'))).toBe('600');
    // Generous for a loaded two-core machine; typically well under a tenth of this.
    expect(first).toBeLessThan(2_000);
  });

  it('makePublicFile gives a file the mode a new one would get under the umask', () => {
    const file = path.join(root, 'shot.png');
    fs.writeFileSync(file, 'x', { mode: 0o600 });
    makePublicFile(file);
    expect(modeOf(file)).toBe('644');
    process.umask(0o027);
    try {
      makePublicFile(file);
      expect(modeOf(file)).toBe('640');
    } finally {
      process.umask(0o022);
    }
  });
});
