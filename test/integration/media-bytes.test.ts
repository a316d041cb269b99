/**
 * Media by its bytes (issue 8, point 4), through a real loopback server, the real engine and the
 * channel table: what the server's Content-Type or the name claims never decides whether a file is
 * image, video or audio, nor which gallery folder it goes to, nor its extension there.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MediaOutcome } from '../../src-shared/channels.js';
import { FailCode } from '../../src-shared/codes.js';
import type { MediaItem } from '../../src-shared/types.js';
import { createRouter } from '../../src-main/router/handlers.js';
import type { Router } from '../../src-main/router/router.js';
import { createHarness, type EngineHarness } from '../helpers/engine.js';
import { DESKTOP_ENTRY, mediaBytes } from '../helpers/media-bytes.js';
import { sha256, sha256File, startServer, type TestServer } from '../helpers/server.js';

let h: EngineHarness;
let server: TestServer;
let router: Router;
let home: string;
/** Where a careless galleryDirs setting could point: the desktop's autostart folder. */
let autostart: string;

beforeEach(async () => {
  server = await startServer();
  h = createHarness();
  router = createRouter(h.engine, () => ({ pid: process.pid, dataDir: h.dir, version: 'test' }));
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-home-'));
  autostart = path.join(home, '.config', 'autostart');
});

afterEach(async () => {
  await h.close();
  await server.close();
  fs.rmSync(home, { recursive: true, force: true });
});

const NOT_MEDIA = /^not a media file: updater\.desktop: its bytes are not an image, video or audio file, so it stays in the cache/;
const pictures = (): string => path.join(home, 'Pictures', 'Vela Companion');

async function call<T>(channel: string, input: unknown): Promise<{ ok: true; value: T } | { ok: false; error: { code: number; message: string } }> {
  return (await router.call(channel, input)) as never;
}

async function download(urlPath: string, body: Buffer, contentType: string): Promise<{ token: string; path: string }> {
  server.setFile(urlPath, { body, contentType });
  const started = await call<{ token: string }>('download.start', { url: server.urlFor(urlPath) });
  if (!started.ok) throw new Error(started.error.message);
  const done = await h.engine.whenDone(started.value.token);
  return { token: started.value.token, path: done.path };
}

/** Every file under dir, relative, recursively; [] when dir does not exist. */
const tree = (dir: string): string[] => (fs.existsSync(dir) ? (fs.readdirSync(dir, { recursive: true }) as string[]).sort() : []);

async function mediaList(): Promise<MediaItem[]> {
  const listed = await call<MediaItem[]>('media.list', {});
  if (!listed.ok) throw new Error(listed.error.message);
  return listed.value;
}

describe('a text file served as image/png, named updater.desktop', () => {
  it('gallery.move answers 202 "not a media file"; the file stays in the cache, nothing reaches the gallery', async () => {
    const { token, path: cached } = await download('/updater.desktop', DESKTOP_ENTRY, 'image/png');
    expect(path.basename(cached)).toBe('updater.desktop');
    expect(h.engine.get(token).mime).toBe('image/png'); // what the server claimed, recorded, not trusted

    const reply = await call('gallery.move', { token, galleryHome: home });
    expect(reply).toEqual({
      ok: false,
      error: { code: FailCode.IllegalArgument, message: expect.stringMatching(NOT_MEDIA), reason: { code: 202, kind: 'not-media', params: { name: 'updater.desktop' } } },
    });
    expect(fs.readFileSync(cached)).toEqual(DESKTOP_ENTRY);
    expect(h.cacheFiles()).toEqual(['updater.desktop']);
    expect(tree(home)).toEqual([]);
    expect(h.engine.get(token)).toMatchObject({ state: 'completed', path: cached });
    expect(h.engine.get(token).galleryPath).toBeUndefined();
  });

  it('even with every gallery folder set to the autostart folder', async () => {
    h.engine.updateSettings({ galleryDirs: { image: autostart, video: autostart, audio: autostart } });
    const { token } = await download('/updater.desktop', DESKTOP_ENTRY, 'image/png');
    const reply = await call('gallery.move', { token });
    expect(reply).toMatchObject({ ok: false, error: { code: FailCode.IllegalArgument } });
    expect(fs.existsSync(autostart)).toBe(false);
    expect(h.cacheFiles()).toEqual(['updater.desktop']);
  });

  it('media.moveToGallery answers 202 for it, item by item, and leaves it in the cache', async () => {
    await download('/updater.desktop', DESKTOP_ENTRY, 'image/png');
    const reply = await call<MediaOutcome[]>('media.moveToGallery', { items: [{ partition: 'cache', name: 'updater.desktop' }], galleryHome: home });
    expect(reply).toEqual({
      ok: true,
      value: [
        {
          ref: { partition: 'cache', name: 'updater.desktop' },
          error: { code: FailCode.IllegalArgument, message: expect.stringMatching(NOT_MEDIA), reason: { code: 202, kind: 'not-media', params: { name: 'updater.desktop' } } },
        },
      ],
    });
    expect(fs.readFileSync(path.join(h.cacheDir, 'updater.desktop'))).toEqual(DESKTOP_ENTRY);
    expect(tree(home)).toEqual([]);
  });

  it('media.list reports it as other, with no media type', async () => {
    await download('/updater.desktop', DESKTOP_ENTRY, 'image/png');
    expect(await mediaList()).toEqual([expect.objectContaining({ name: 'updater.desktop', kind: 'other', mime: null })]);
  });
});

describe('real media bytes under any name and Content-Type', () => {
  it('a PNG served as application/octet-stream, named photo.bin, moves into Pictures as photo.png', async () => {
    const png = mediaBytes('png', 3000, 21);
    const { token, path: cached } = await download('/photo.bin', png, 'application/octet-stream');
    expect(path.basename(cached)).toBe('photo.bin');
    const reply = await call<{ token: string; path: string }>('gallery.move', { token, galleryHome: home });
    const target = path.join(pictures(), 'photo.png');
    expect(reply).toEqual({ ok: true, value: { token, path: target } });
    expect(await sha256File(target)).toBe(sha256(png));
    expect(fs.existsSync(cached)).toBe(false);
    expect(h.engine.get(token)).toMatchObject({ galleryPath: target, path: target });
  });

  it('a WAV served as image/png goes to Music, a WebM served as text/plain to Videos (media.moveToGallery)', async () => {
    const wav = mediaBytes('wav', 5000, 22);
    const webm = mediaBytes('webm', 7000, 23);
    await download('/sound.png', wav, 'image/png');
    await download('/clip.txt', webm, 'text/plain');
    const reply = await call<MediaOutcome[]>('media.moveToGallery', {
      items: [
        { partition: 'cache', name: 'sound.png' },
        { partition: 'cache', name: 'clip.txt' },
      ],
      galleryHome: home,
    });
    const music = path.join(home, 'Music', 'Vela Companion', 'sound.wav');
    const videos = path.join(home, 'Videos', 'Vela Companion', 'clip.webm');
    expect(reply).toEqual({
      ok: true,
      value: [
        { ref: { partition: 'cache', name: 'sound.png' }, path: music },
        { ref: { partition: 'cache', name: 'clip.txt' }, path: videos },
      ],
    });
    expect(await sha256File(music)).toBe(sha256(wav));
    expect(await sha256File(videos)).toBe(sha256(webm));
    expect(tree(pictures())).toEqual([]);
    expect(h.cacheFiles()).toEqual([]);
  });

  it('image bytes named x.desktop take the .png extension in Pictures, never .desktop', async () => {
    h.engine.updateSettings({ galleryDirs: { image: autostart } });
    const { token } = await download('/x.desktop', mediaBytes('png', 500, 24), 'application/x-desktop');
    const reply = await call<{ path: string }>('gallery.move', { token });
    expect(reply).toEqual({ ok: true, value: { token, path: path.join(autostart, 'x.png') } });
    expect(tree(autostart)).toEqual(['x.png']);
  });

  it('media.list reports each verdict from the bytes', async () => {
    await download('/photo.bin', mediaBytes('png', 3000, 25), 'application/octet-stream');
    await download('/sound.png', mediaBytes('wav', 3000, 26), 'image/png');
    await download('/clip.txt', mediaBytes('webm', 3000, 27), 'text/plain');
    await download('/song.mp3', mediaBytes('mp3', 3000, 28), 'audio/mpeg');
    await download('/updater.desktop', DESKTOP_ENTRY, 'image/png');
    fs.writeFileSync(path.join(h.cacheDir, 'logo.txt'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    const verdicts = Object.fromEntries((await mediaList()).map((i) => [i.name, [i.kind, i.mime]]));
    expect(verdicts).toEqual({
      'photo.bin': ['image', 'image/png'],
      'sound.png': ['audio', 'audio/wav'],
      'clip.txt': ['video', 'video/webm'],
      'song.mp3': ['audio', 'audio/mpeg'],
      'updater.desktop': ['other', null],
      'logo.txt': ['image', 'image/svg+xml'],
    });
  });

  it('media.list sees a file whose bytes change (new size or mtime) anew', async () => {
    await download('/photo.bin', mediaBytes('png', 3000, 29), 'application/octet-stream');
    expect((await mediaList())[0]).toMatchObject({ kind: 'image' });
    const file = path.join(h.cacheDir, 'photo.bin');
    fs.writeFileSync(file, DESKTOP_ENTRY);
    fs.utimesSync(file, new Date(), new Date(Date.now() + 5000));
    expect((await mediaList())[0]).toMatchObject({ kind: 'other', mime: null });
  });
});
