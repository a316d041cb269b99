import { createHash, randomBytes } from 'node:crypto';
import * as fsSync from 'node:fs';
import { existsSync, statSync } from 'node:fs';
import type * as Fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import type * as FsPromises from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FailCode, VelaError } from '../../src-shared/codes.js';
import { mediaKind, moveToGallery } from '../../src-main/core/gallery.js';
import type { MediaKind } from '../../src-main/core/paths.js';

// Pass-through spies, so single steps of a move can be made to fail.
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof FsPromises>();
  return { ...actual, link: vi.fn(actual.link), copyFile: vi.fn(actual.copyFile), unlink: vi.fn(actual.unlink) };
});

// Naming a file under a free name uses the synchronous calls (place-file.ts).
vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof Fs>();
  const linkSync = vi.fn(actual.linkSync);
  return { ...actual, default: { ...actual, linkSync }, linkSync };
});

const actual = await vi.importActual<typeof FsPromises>('node:fs/promises');
const actualFs = await vi.importActual<typeof Fs>('node:fs');
const linkMock = vi.mocked(fsSync.linkSync);
const copyFileMock = vi.mocked(fsp.copyFile);
const unlinkMock = vi.mocked(fsp.unlink);

const SHM = '/dev/shm';
const crossFsAvailable = (() => {
  try {
    return statSync(SHM).isDirectory() && statSync(SHM).dev !== statSync(os.tmpdir()).dev;
  } catch {
    return false;
  }
})();

let tmp: string;
let dirs: Record<MediaKind, string>;
const scratch: string[] = [];

beforeEach(async () => {
  vi.clearAllMocks();
  tmp = await fsp.realpath(await fsp.mkdtemp(path.join(os.tmpdir(), 'vela-gallery-')));
  scratch.push(tmp);
  dirs = {
    image: path.join(tmp, 'home', 'Pictures', 'Vela Companion'),
    video: path.join(tmp, 'home', 'Videos', 'Vela Companion'),
    audio: path.join(tmp, 'home', 'Music', 'Vela Companion'),
  };
  await fsp.mkdir(path.join(tmp, 'cache'));
});

afterEach(async () => {
  linkMock.mockImplementation(actualFs.linkSync);
  copyFileMock.mockImplementation(actual.copyFile);
  unlinkMock.mockImplementation(actual.unlink);
  for (const dir of scratch.splice(0)) await fsp.rm(dir, { recursive: true, force: true });
});

const sha256 = async (file: string): Promise<string> =>
  createHash('sha256').update(await fsp.readFile(file)).digest('hex');

async function cacheFile(name: string, content: Buffer | string = randomBytes(4096), dir = path.join(tmp, 'cache')) {
  const file = path.join(dir, name);
  await fsp.writeFile(file, content);
  return file;
}

async function caught(promise: Promise<unknown>): Promise<VelaError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(VelaError);
  return error as VelaError;
}

describe('mediaKind', () => {
  it.each([
    ['a.png', undefined, 'image'],
    ['a.JPG', undefined, 'image'],
    ['a.webp', undefined, 'image'],
    ['clip.mp4', undefined, 'video'],
    ['clip.webm', undefined, 'video'],
    ['clip.mov', undefined, 'video'],
    ['song.mp3', undefined, 'audio'],
    ['song.m4a', undefined, 'audio'],
    ['song.flac', undefined, 'audio'],
    ['notes.txt', undefined, null],
    ['bundle.zip', undefined, null],
    ['app.rpk', undefined, null],
    ['noext', undefined, null],
    ['png', undefined, null],
    ['.png', undefined, null],
    ['blob', 'image/png', 'image'],
    ['blob', 'Video/MP4; codecs="avc1"', 'video'],
    ['blob', 'audio/mpeg', 'audio'],
    ['a.txt', 'image/gif', 'image'],
    ['a.png', 'application/octet-stream', 'image'],
    ['a.bin', 'application/octet-stream', null],
    ['a.png', '', 'image'],
    ['blob', 'text/html', null],
  ] as const)('%s (%s) → %s', (name, mime, kind) => {
    expect(mediaKind(name, mime)).toBe(kind);
  });
});

describe('moveToGallery on one file system', () => {
  it.each([
    ['photo.png', 'image'],
    ['clip.mp4', 'video'],
    ['song.mp3', 'audio'],
  ] as const)('moves %s into the %s folder, creating it', async (name, kind) => {
    const src = await cacheFile(name);
    const hash = await sha256(src);
    const moved = await moveToGallery(src, dirs);
    expect(moved).toBe(path.join(dirs[kind], name));
    expect(path.isAbsolute(moved)).toBe(true);
    expect(existsSync(src)).toBe(false);
    expect(await sha256(moved)).toBe(hash);
    expect(copyFileMock).not.toHaveBeenCalled(); // a rename, not a copy
  });

  it('uses the MIME type for a file without an extension', async () => {
    const src = await cacheFile('download');
    expect(await moveToGallery(src, dirs, 'video/mp4')).toBe(path.join(dirs.video, 'download'));
    const src2 = await cacheFile('download');
    expect(await moveToGallery(src2, dirs, 'audio/ogg')).toBe(path.join(dirs.audio, 'download'));
  });

  it('never overwrites: a clash becomes name-1.ext, then name-2.ext', async () => {
    await fsp.mkdir(dirs.image, { recursive: true });
    await fsp.writeFile(path.join(dirs.image, 'a.png'), 'original');
    const first = await moveToGallery(await cacheFile('a.png', 'one'), dirs);
    const second = await moveToGallery(await cacheFile('a.png', 'two'), dirs);
    expect(first).toBe(path.join(dirs.image, 'a-1.png'));
    expect(second).toBe(path.join(dirs.image, 'a-2.png'));
    expect(await fsp.readFile(path.join(dirs.image, 'a.png'), 'utf8')).toBe('original');
    expect(await fsp.readFile(first, 'utf8')).toBe('one');
    expect(await fsp.readFile(second, 'utf8')).toBe('two');
  });

  it('numbers a name without an extension as name-1', async () => {
    await fsp.mkdir(dirs.image, { recursive: true });
    await fsp.writeFile(path.join(dirs.image, 'snap'), 'x');
    expect(await moveToGallery(await cacheFile('snap'), dirs, 'image/jpeg')).toBe(path.join(dirs.image, 'snap-1'));
  });

  it.each(['notes.txt', 'bundle.zip'])('refuses %s with 202 and leaves it in place', async (name) => {
    const src = await cacheFile(name, 'content');
    const error = await caught(moveToGallery(src, dirs));
    expect(error.code).toBe(FailCode.IllegalArgument);
    expect(error.message).toBe(`not a media file: ${name}`);
    expect(await fsp.readFile(src, 'utf8')).toBe('content');
    expect(existsSync(path.join(tmp, 'home'))).toBe(false);
  });

  it('fails with 1000 when the source is missing', async () => {
    const error = await caught(moveToGallery(path.join(tmp, 'cache', 'gone.png'), dirs));
    expect(error.code).toBe(FailCode.DownloadFailed);
    expect(error.message).toMatch(/^cannot move to gallery: /);
  });

  it('fails with 1000 and keeps the source when the gallery folder cannot be made', async () => {
    await fsp.mkdir(path.join(tmp, 'home', 'Pictures'), { recursive: true });
    await fsp.writeFile(dirs.image, 'a file where the folder should be');
    const src = await cacheFile('a.png', 'keep me');
    const error = await caught(moveToGallery(src, dirs));
    expect(error.code).toBe(FailCode.DownloadFailed);
    expect(error.message).toMatch(/^cannot move to gallery: /);
    expect(await fsp.readFile(src, 'utf8')).toBe('keep me');
  });

  it('still moves without overwriting where hard links are not supported', async () => {
    linkMock.mockImplementation(() => {
      throw Object.assign(new Error('EPERM: operation not permitted'), { code: 'EPERM' });
    });
    await fsp.mkdir(dirs.image, { recursive: true });
    await fsp.writeFile(path.join(dirs.image, 'a.png'), 'original');
    const src = await cacheFile('a.png', 'new');
    expect(await moveToGallery(src, dirs)).toBe(path.join(dirs.image, 'a-1.png'));
    expect(await fsp.readFile(path.join(dirs.image, 'a.png'), 'utf8')).toBe('original');
    expect(await fsp.readFile(path.join(dirs.image, 'a-1.png'), 'utf8')).toBe('new');
    expect(existsSync(src)).toBe(false);
    expect(linkMock).toHaveBeenCalled();
  });
});

describe.skipIf(!crossFsAvailable)('moveToGallery across file systems (/dev/shm → /tmp)', () => {
  let shm: string;

  beforeEach(async () => {
    shm = await fsp.mkdtemp(path.join(SHM, 'vela-gallery-'));
    scratch.push(shm);
  });

  const galleryEntries = async (kind: MediaKind) => (await fsp.readdir(dirs[kind])).sort();

  it('copies byte for byte, flushes, renames into place and removes the source', async () => {
    const content = randomBytes(3 * 1024 * 1024 + 17);
    const src = await cacheFile('movie.mp4', content, shm);
    expect(statSync(src).dev).not.toBe(statSync(tmp).dev);
    const moved = await moveToGallery(src, dirs);
    expect(moved).toBe(path.join(dirs.video, 'movie.mp4'));
    expect(await sha256(moved)).toBe(createHash('sha256').update(content).digest('hex'));
    expect(existsSync(src)).toBe(false);
    expect(await galleryEntries('video')).toEqual(['movie.mp4']);
    expect(copyFileMock).toHaveBeenCalledTimes(1);
  });

  it('keeps the numbered-name rule across file systems', async () => {
    await fsp.mkdir(dirs.audio, { recursive: true });
    await fsp.writeFile(path.join(dirs.audio, 'song.mp3'), 'original');
    const moved = await moveToGallery(await cacheFile('song.mp3', 'new', shm), dirs);
    expect(moved).toBe(path.join(dirs.audio, 'song-1.mp3'));
    expect(await fsp.readFile(path.join(dirs.audio, 'song.mp3'), 'utf8')).toBe('original');
    expect(await galleryEntries('audio')).toEqual(['song-1.mp3', 'song.mp3']);
  });

  it('leaves the source and no temp file when the destination is a file, not a folder', async () => {
    await fsp.mkdir(path.join(tmp, 'home', 'Pictures'), { recursive: true });
    await fsp.writeFile(dirs.image, 'in the way');
    const src = await cacheFile('pic.png', 'keep me', shm);
    const error = await caught(moveToGallery(src, dirs));
    expect(error.code).toBe(FailCode.DownloadFailed);
    expect(await fsp.readFile(src, 'utf8')).toBe('keep me');
    expect(await fsp.readFile(dirs.image, 'utf8')).toBe('in the way');
    expect(await fsp.readdir(path.join(tmp, 'home', 'Pictures'))).toEqual(['Vela Companion']);
  });

  it('removes the temp copy and keeps the source when the copy fails half way', async () => {
    copyFileMock.mockImplementation(async (from, to) => {
      await fsp.writeFile(to as string, 'half');
      throw Object.assign(new Error('ENOSPC: no space left on device, copyfile'), { code: 'ENOSPC' });
    });
    const src = await cacheFile('clip.mp4', 'whole file', shm);
    const error = await caught(moveToGallery(src, dirs));
    expect(error.code).toBe(FailCode.DownloadFailed);
    expect(error.message).toMatch(/^cannot move to gallery: .*ENOSPC/);
    expect(await fsp.readFile(src, 'utf8')).toBe('whole file');
    expect(await galleryEntries('video')).toEqual([]);
  });

  it('removes the flushed temp copy and keeps the source when naming it fails', async () => {
    linkMock.mockImplementation((from, to) => {
      if (String(from).startsWith(dirs.video)) {
        throw Object.assign(new Error('EIO: i/o error, link'), { code: 'EIO' });
      }
      return actualFs.linkSync(from, to);
    });
    const src = await cacheFile('clip.mp4', 'whole file', shm);
    const error = await caught(moveToGallery(src, dirs));
    expect(error.code).toBe(FailCode.DownloadFailed);
    expect(error.message).toMatch(/EIO/);
    expect(await fsp.readFile(src, 'utf8')).toBe('whole file');
    expect(await galleryEntries('video')).toEqual([]);
  });

  it('removes the gallery copy and keeps the source when the source cannot be removed', async () => {
    const src = await cacheFile('clip.mp4', 'whole file', shm);
    unlinkMock.mockImplementation(async (file) => {
      if (String(file) === src) throw Object.assign(new Error('EBUSY: resource busy or locked, unlink'), { code: 'EBUSY' });
      return actual.unlink(file);
    });
    const error = await caught(moveToGallery(src, dirs));
    expect(error.code).toBe(FailCode.DownloadFailed);
    expect(error.message).toMatch(/EBUSY/);
    expect(await fsp.readFile(src, 'utf8')).toBe('whole file');
    expect(await galleryEntries('video')).toEqual([]);
  });
});
