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
import { galleryName, looksLikeSvg, mediaKind, moveToGallery, sniffMedia } from '../../src-main/core/gallery.js';
import type { MediaKind } from '../../src-main/core/paths.js';
import { DESKTOP_ENTRY, MEDIA_HEADS, MEDIA_MIME, mediaBytes, type MediaBytesType } from '../helpers/media-bytes.js';

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

/** Real bytes for the media names the tests use (the bytes decide, not the name). */
const BYTES_FOR: Record<string, MediaBytesType> = { '.png': 'png', '.mp4': 'mp4', '.mp3': 'mp3' };
const bytesFor = (name: string, size = 4096, seed = 1): Buffer => {
  const type = BYTES_FOR[path.extname(name)];
  return type ? mediaBytes(type, size, seed) : randomBytes(size);
};

async function cacheFile(name: string, content: Buffer | string = bytesFor(name), dir = path.join(tmp, 'cache')) {
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

describe('mediaKind (what a name claims; never decides a move)', () => {
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

describe('sniffMedia: the bytes decide', () => {
  it.each(Object.keys(MEDIA_HEADS) as MediaBytesType[])('the test helper\'s %s head is recognised alone and padded', async (type) => {
    for (const [size, seed] of [[0, 1], [4096, 2], [100_000, 3]] as const) {
      const file = await cacheFile(`x-${type}-${size}`, mediaBytes(type, size, seed));
      expect((await sniffMedia(file)).mime, `${type} ${size}`).toBe(MEDIA_MIME[type]);
    }
  });

  it.each([
    ['photo.bin', mediaBytes('png', 2000), { kind: 'image', mime: 'image/png', ext: 'png' }],
    ['clip', mediaBytes('webm', 2000), { kind: 'video', mime: 'video/webm', ext: 'webm' }],
    ['sound.txt', mediaBytes('wav', 2000), { kind: 'audio', mime: 'audio/wav', ext: 'wav' }],
    ['updater.png', DESKTOP_ENTRY, { kind: 'other', mime: null, ext: null }],
    ['empty.png', Buffer.alloc(0), { kind: 'other', mime: null, ext: null }],
    ['random.mp4', randomBytes(8192), { kind: 'other', mime: null, ext: null }],
    ['doc.jpg', Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj\n', 'latin1'), { kind: 'other', mime: 'application/pdf', ext: 'pdf' }],
    ['face.png', Buffer.from('89504e470d0a1a0a', 'hex'), { kind: 'other', mime: null, ext: null }],
  ] as const)('%s → %j', async (name, bytes, verdict) => {
    expect(await sniffMedia(await cacheFile(name, bytes))).toEqual(verdict);
  });

  it('SVG is an image only when its text starts with an <svg> root', async () => {
    const svg = { kind: 'image', mime: 'image/svg+xml', ext: 'svg' };
    const root = '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>';
    expect(await sniffMedia(await cacheFile('a.svg', root))).toEqual(svg);
    expect(await sniffMedia(await cacheFile('b.txt', `\uFEFF<?xml version="1.0"?>\n<!-- drawn by hand -->\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x.dtd">\n${root}`))).toEqual(svg);
    expect(await sniffMedia(await cacheFile('c.svg', '<html><svg></svg></html>'))).toEqual({ kind: 'other', mime: null, ext: null });
    expect(await sniffMedia(await cacheFile('d.svg', `<?xml version="1.0"?><note>${root}</note>`))).toEqual({ kind: 'other', mime: 'application/xml', ext: 'xml' });
  });

  it.each([
    ['<svg>', true],
    ['<svg/>', true],
    ['  \r\n\t<svg\nviewBox="0 0 1 1">', true],
    ['<?xml version="1.0"?><?xml-stylesheet href="a.css"?><svg>', true],
    ['<!-- a -- comment --><!----><svg>', true],
    ['<!DOCTYPE svg><svg>', true],
    ['<svgx>', false],
    ['<SVG>', false],
    ['svg', false],
    ['', false],
    ['<!-- never closed <svg>', false],
    ['<?xml never closed <svg>', false],
    ['<!DOCTYPE svg [<!ENTITY x "y">]><svg>', false],
    ['<!DOCTYPE html><svg>', false],
    ['<html><svg>', false],
    ['x<svg>', false],
    ['<svg>\u0000binary', false],
  ] as const)('looksLikeSvg(%j) = %s', (text, expected) => {
    expect(looksLikeSvg(Buffer.from(text, 'utf8'))).toBe(expected);
  });

  it('stays linear on a hostile prolog', () => {
    const hostile = Buffer.from('<!--'.repeat(4000) + '<?'.repeat(4000), 'utf8');
    const started = performance.now();
    expect(looksLikeSvg(hostile)).toBe(false);
    expect(performance.now() - started).toBeLessThan(200);
  });
});

describe('galleryName: the extension follows the bytes', () => {
  it.each([
    ['photo.png', 'image/png', 'png', 'photo.png'],
    ['PHOTO.PNG', 'image/png', 'png', 'PHOTO.PNG'],
    ['a.jpeg', 'image/jpeg', 'jpg', 'a.jpeg'],
    ['song.m4a', 'audio/x-m4a', 'm4a', 'song.m4a'],
    ['x.desktop', 'image/png', 'png', 'x.png'],
    ['photo.bin', 'image/png', 'png', 'photo.png'],
    ['download', 'image/png', 'png', 'download.png'],
    ['clip.mp4', 'video/webm', 'webm', 'clip.webm'],
    ['a.svg', 'image/png', 'png', 'a.png'],
    ['list.m3u', 'audio/mpeg', 'mp3', 'list.mp3'],
    ['a.tar.gz', 'image/gif', 'gif', 'a.tar.gif'],
  ] as const)('%s with %s bytes → %s', (name, mime, ext, expected) => {
    expect(galleryName(name, { mime, ext })).toBe(expected);
  });

  it('stays within 255 bytes', () => {
    const name = `${'é'.repeat(127)}.desktop`;
    const renamed = galleryName(name, { mime: 'image/png', ext: 'png' });
    expect(renamed.endsWith('.png')).toBe(true);
    expect(Buffer.byteLength(renamed)).toBeLessThanOrEqual(255);
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

  it('picks the folder and the extension from the bytes, not the name', async () => {
    expect(await moveToGallery(await cacheFile('download', mediaBytes('mp4', 3000)), dirs)).toBe(path.join(dirs.video, 'download.mp4'));
    expect(await moveToGallery(await cacheFile('song.png', mediaBytes('wav', 3000)), dirs)).toBe(path.join(dirs.audio, 'song.wav'));
    expect(await moveToGallery(await cacheFile('x.desktop', mediaBytes('png', 3000)), dirs)).toBe(path.join(dirs.image, 'x.png'));
    expect(await moveToGallery(await cacheFile('movie.mp3', mediaBytes('webm', 3000)), dirs)).toBe(path.join(dirs.video, 'movie.webm'));
    expect(await fsp.readdir(path.join(tmp, 'cache'))).toEqual([]);
  });

  it('moves an SVG drawing into Pictures as an image', async () => {
    const svg = '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>\n';
    expect(await moveToGallery(await cacheFile('logo.svg', svg), dirs)).toBe(path.join(dirs.image, 'logo.svg'));
  });

  it('never overwrites: a clash becomes name-1.ext, then name-2.ext', async () => {
    await fsp.mkdir(dirs.image, { recursive: true });
    await fsp.writeFile(path.join(dirs.image, 'a.png'), 'original');
    const [one, two] = [bytesFor('a.png', 100, 1), bytesFor('a.png', 100, 2)];
    const first = await moveToGallery(await cacheFile('a.png', one), dirs);
    const second = await moveToGallery(await cacheFile('a.png', two), dirs);
    expect(first).toBe(path.join(dirs.image, 'a-1.png'));
    expect(second).toBe(path.join(dirs.image, 'a-2.png'));
    expect(await fsp.readFile(path.join(dirs.image, 'a.png'), 'utf8')).toBe('original');
    expect(await fsp.readFile(first)).toEqual(one);
    expect(await fsp.readFile(second)).toEqual(two);
  });

  it('numbers a name that took the detected extension as name-1.ext', async () => {
    await fsp.mkdir(dirs.image, { recursive: true });
    await fsp.writeFile(path.join(dirs.image, 'snap.gif'), 'x');
    expect(await moveToGallery(await cacheFile('snap', mediaBytes('gif', 50)), dirs)).toBe(path.join(dirs.image, 'snap-1.gif'));
  });

  it.each([
    ['notes.txt', Buffer.from('content')],
    ['bundle.zip', Buffer.from('content')],
    // What the server or the name claims does not count: text named as media, random bytes, a PNG signature alone.
    ['updater.desktop', DESKTOP_ENTRY],
    ['photo.png', DESKTOP_ENTRY],
    ['clip.mp4', randomBytes(10_000)],
    ['song.mp3', Buffer.alloc(0)],
    ['face.png', Buffer.from('89504e470d0a1a0a', 'hex')],
    ['page.svg', Buffer.from('<html><body><svg></svg><script>alert(1)</script></body></html>')],
    ['doc.png', Buffer.from('%PDF-1.7\n1 0 obj\n', 'latin1')],
  ])('refuses %s with 202 and leaves it in place', async (name, content) => {
    const src = await cacheFile(name, content);
    const error = await caught(moveToGallery(src, dirs));
    expect(error.code).toBe(FailCode.IllegalArgument);
    expect(error.message).toMatch(new RegExp(`^not a media file: ${name.replace('.', '\\.')}: its bytes are not an image, video or audio file, so it stays in the cache`));
    expect(await fsp.readFile(src)).toEqual(content);
    expect(existsSync(path.join(tmp, 'home'))).toBe(false);
  });

  it('fails with 1000 when the source is missing', async () => {
    const error = await caught(moveToGallery(path.join(tmp, 'cache', 'gone.png'), dirs));
    expect(error.code).toBe(FailCode.DownloadFailed);
    expect(error.message).toMatch(/^cannot move to gallery: /);
    // Why, as data, for the window's own words (failure-reason.ts).
    expect(error.reason).toEqual({ code: 1000, kind: 'gallery', detail: 'missing', params: { name: 'gone.png' } });
  });

  it('fails with 1000 and keeps the source when the gallery folder cannot be made', async () => {
    await fsp.mkdir(path.join(tmp, 'home', 'Pictures'), { recursive: true });
    await fsp.writeFile(dirs.image, 'a file where the folder should be');
    const keep = bytesFor('a.png', 64);
    const src = await cacheFile('a.png', keep);
    const error = await caught(moveToGallery(src, dirs));
    expect(error.code).toBe(FailCode.DownloadFailed);
    expect(error.message).toMatch(/^cannot move to gallery: /);
    expect(await fsp.readFile(src)).toEqual(keep);
  });

  it('still moves without overwriting where hard links are not supported', async () => {
    linkMock.mockImplementation(() => {
      throw Object.assign(new Error('EPERM: operation not permitted, link'), { code: 'EPERM', syscall: 'link' });
    });
    await fsp.mkdir(dirs.image, { recursive: true });
    await fsp.writeFile(path.join(dirs.image, 'a.png'), 'original');
    const fresh = bytesFor('a.png', 64);
    const src = await cacheFile('a.png', fresh);
    expect(await moveToGallery(src, dirs)).toBe(path.join(dirs.image, 'a-1.png'));
    expect(await fsp.readFile(path.join(dirs.image, 'a.png'), 'utf8')).toBe('original');
    expect(await fsp.readFile(path.join(dirs.image, 'a-1.png'))).toEqual(fresh);
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
  const WHOLE = mediaBytes('mp4', 5000, 9);

  it('copies byte for byte, flushes, renames into place and removes the source', async () => {
    const content = mediaBytes('mp4', 3 * 1024 * 1024 + 17, 5);
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
    const moved = await moveToGallery(await cacheFile('song.mp3', undefined, shm), dirs);
    expect(moved).toBe(path.join(dirs.audio, 'song-1.mp3'));
    expect(await fsp.readFile(path.join(dirs.audio, 'song.mp3'), 'utf8')).toBe('original');
    expect(await galleryEntries('audio')).toEqual(['song-1.mp3', 'song.mp3']);
  });

  it('leaves the source and no temp file when the destination is a file, not a folder', async () => {
    await fsp.mkdir(path.join(tmp, 'home', 'Pictures'), { recursive: true });
    await fsp.writeFile(dirs.image, 'in the way');
    const keep = bytesFor('pic.png', 64);
    const src = await cacheFile('pic.png', keep, shm);
    const error = await caught(moveToGallery(src, dirs));
    expect(error.code).toBe(FailCode.DownloadFailed);
    expect(await fsp.readFile(src)).toEqual(keep);
    expect(await fsp.readFile(dirs.image, 'utf8')).toBe('in the way');
    expect(await fsp.readdir(path.join(tmp, 'home', 'Pictures'))).toEqual(['Vela Companion']);
  });

  it('removes the temp copy and keeps the source when the copy fails half way', async () => {
    copyFileMock.mockImplementation(async (from, to) => {
      await fsp.writeFile(to as string, 'half');
      throw Object.assign(new Error('ENOSPC: no space left on device, copyfile'), { code: 'ENOSPC', syscall: 'copyfile' });
    });
    const src = await cacheFile('clip.mp4', WHOLE, shm);
    const error = await caught(moveToGallery(src, dirs));
    expect(error.code).toBe(FailCode.DownloadFailed);
    expect(error.message).toMatch(/^cannot move to gallery: .*ENOSPC/);
    expect(error.reason).toMatchObject({ kind: 'gallery', detail: 'move', params: { name: 'clip.mp4', errno: 'ENOSPC' } });
    expect(await fsp.readFile(src)).toEqual(WHOLE);
    expect(await galleryEntries('video')).toEqual([]);
  });

  it('removes the flushed temp copy and keeps the source when naming it fails', async () => {
    linkMock.mockImplementation((from, to) => {
      if (String(from).startsWith(dirs.video)) {
        throw Object.assign(new Error('EIO: i/o error, link'), { code: 'EIO', syscall: 'link' });
      }
      return actualFs.linkSync(from, to);
    });
    const src = await cacheFile('clip.mp4', WHOLE, shm);
    const error = await caught(moveToGallery(src, dirs));
    expect(error.code).toBe(FailCode.DownloadFailed);
    expect(error.message).toMatch(/EIO/);
    expect(await fsp.readFile(src)).toEqual(WHOLE);
    expect(await galleryEntries('video')).toEqual([]);
  });

  it('removes the gallery copy and keeps the source when the source cannot be removed', async () => {
    const src = await cacheFile('clip.mp4', WHOLE, shm);
    unlinkMock.mockImplementation(async (file) => {
      if (String(file) === src) throw Object.assign(new Error('EBUSY: resource busy or locked, unlink'), { code: 'EBUSY', syscall: 'unlink' });
      return actual.unlink(file);
    });
    const error = await caught(moveToGallery(src, dirs));
    expect(error.code).toBe(FailCode.DownloadFailed);
    expect(error.message).toMatch(/EBUSY/);
    expect(await fsp.readFile(src)).toEqual(WHOLE);
    expect(await galleryEntries('video')).toEqual([]);
  });
});
