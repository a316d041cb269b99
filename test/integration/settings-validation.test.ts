/**
 * Settings are checked at the door (issue 8, point 3): settings.set through the real router and engine,
 * with a real Conf store in a temp dir. A relative or non-normalised gallery folder, a proxy that is no
 * http(s) URL: 202 with a sentence that names the field, and nothing stored. A store written by an
 * older version that took anything: the invalid values are not used, and the engine keeps working.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FailCode } from '../../src-shared/codes.js';
import { galleryInputSchema } from '../../src-shared/schemas.js';
import { DEFAULT_SETTINGS, type Settings } from '../../src-shared/types.js';
import { Engine } from '../../src-main/core/engine.js';
import { openStore } from '../../src-main/core/store.js';
import { createRouter } from '../../src-main/router/handlers.js';
import type { Router } from '../../src-main/router/router.js';
import { createHarness, ENGINE_DEFAULTS, thrown, type EngineHarness } from '../helpers/engine.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { mediaBytes } from '../helpers/media-bytes.js';

let h: EngineHarness;
let router: Router;

beforeEach(() => {
  h = createHarness();
  router = createRouter(h.engine, () => ({ pid: process.pid, dataDir: h.dir, version: 'test' }));
});

afterEach(async () => {
  await h.close();
});

/** The settings the file on disk holds after any pending write (as the next engine would read them). */
function storedOnDisk(): Settings {
  h.store.flush();
  return openStore(h.dir).settings;
}

async function refused(patch: unknown): Promise<string> {
  const before = structuredClone(h.engine.settings);
  const reply = await router.call('settings.set', patch);
  if (reply.ok) throw new Error(`expected ${JSON.stringify(patch)} to be refused`);
  expect(reply.error.code).toBe(FailCode.IllegalArgument);
  expect(h.engine.settings).toEqual(before);
  expect((await router.call('settings.get', {})) as unknown).toEqual({ ok: true, value: before });
  return reply.error.message;
}

describe('settings.set refuses what cannot work, and stores nothing', () => {
  it('a relative gallery folder: 202 naming the field, settings unchanged', async () => {
    const message = await refused({ galleryDirs: { image: 'Pictures/mine' } });
    expect(message).toBe(
      'invalid input for settings.set: galleryDirs.image: gallery folder for images must be an absolute path, such as /home/me/Pictures or C:\\Users\\me\\Pictures',
    );
    expect(await refused({ galleryDirs: { video: './clips', audio: '/music' } })).toContain('galleryDirs.video: gallery folder for videos must be an absolute path');
    expect(storedOnDisk()).toEqual(DEFAULT_SETTINGS);
  });

  it('a folder with . or .. parts, a NUL or too long a path: 202, settings unchanged', async () => {
    expect(await refused({ galleryDirs: { audio: '/home/me/../other' } })).toMatch(/galleryDirs\.audio: gallery folder for audio must be written plainly, without "\." or "\.\." parts/);
    expect(await refused({ galleryDirs: { image: '/home/me/./Pictures' } })).toContain('galleryDirs.image');
    expect(await refused({ galleryDirs: { image: '/home//me' } })).toContain('doubled separators');
    expect(await refused({ galleryDirs: { image: '/home/me\0x' } })).toContain('must not contain a NUL character');
    expect(await refused({ galleryDirs: { image: `/${'a'.repeat(5_000)}` } })).toContain('is too long (at most 4096 characters)');
    expect(await refused({ galleryDirs: { image: 42 } })).toContain('gallery folder for images must be a string');
    expect(storedOnDisk()).toEqual(DEFAULT_SETTINGS);
  });

  it('a proxy that is not an http(s) URL: 202 naming the field, settings unchanged', async () => {
    const expected = 'invalid input for settings.set: proxy: proxy must be empty (no proxy) or an http:// or https:// URL with a host, such as http://127.0.0.1:8080';
    expect(await refused({ proxy: 'not a url' })).toBe(expected);
    expect(await refused({ proxy: 'ftp://x' })).toBe(expected);
    expect(await refused({ proxy: 'socks5://127.0.0.1:1080' })).toBe(expected);
    expect(await refused({ proxy: 'http://' })).toBe(expected);
    // One bad field refuses the whole patch: the good one beside it is not stored either.
    expect(await refused({ concurrency: 5, proxy: 'not a url' })).toBe(expected);
    expect(storedOnDisk()).toEqual(DEFAULT_SETTINGS);
  });

  it.skipIf(process.platform === 'win32')('a Windows folder on this POSIX engine: 202 (it would resolve against the working folder)', async () => {
    expect(await refused({ galleryDirs: { image: 'C:\\Users\\me\\Pictures' } })).toBe(
      'invalid settings: galleryDirs.image: gallery folder for images must be an absolute path on this computer, such as /home/me/Pictures',
    );
  });

  it('the engine itself refuses the same for in-process callers', () => {
    const before = structuredClone(h.engine.settings);
    expect(thrown(() => h.engine.updateSettings({ proxy: 'not a url' }))).toEqual({
      code: FailCode.IllegalArgument,
      message: expect.stringContaining('proxy: proxy must be empty (no proxy) or an http:// or https:// URL'),
    });
    expect(thrown(() => h.engine.updateSettings({ galleryDirs: { image: 'relative' } })).message).toContain('galleryDirs.image: gallery folder for images must be an absolute path');
    expect(h.engine.settings).toEqual(before);
  });

  it('takes an https proxy, an absolute folder (trailing slash trimmed) and empty for the defaults', async () => {
    const gallery = path.join(h.dir, 'gallery');
    const reply = await router.call('settings.set', { proxy: ' https://proxy.example:8443 ', galleryDirs: { image: `${gallery}${path.sep}`, video: gallery } });
    expect(reply).toMatchObject({ ok: true, value: { proxy: 'https://proxy.example:8443', galleryDirs: { image: gallery, video: gallery, audio: '' } } });
    expect(storedOnDisk()).toMatchObject({ proxy: 'https://proxy.example:8443', galleryDirs: { image: gallery, video: gallery, audio: '' } });

    const back = await router.call('settings.set', { proxy: '', galleryDirs: { image: '' } });
    expect(back).toMatchObject({ ok: true, value: { proxy: '', galleryDirs: { image: '', video: gallery } } });
    expect((await router.call('settings.set', { proxy: 'http://127.0.0.1:3128' })).ok).toBe(true);
  });
});

describe('gallery home over the contract', () => {
  it('follows the same folder rule as the settings', () => {
    expect(galleryInputSchema.safeParse({ token: 't', galleryHome: '/home/me/gallery/' }).data?.galleryHome).toBe('/home/me/gallery');
    for (const bad of ['/a/../b', '/a//b', '']) {
      expect(galleryInputSchema.safeParse({ token: 't', galleryHome: bad }).success, bad).toBe(false);
    }
  });
});

describe('a store written by an older version that took anything', () => {
  let dir: string;
  let engine: Engine | undefined;
  let server: TestServer;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-old-settings-'));
    server = await startServer();
  });

  afterEach(async () => {
    await engine?.stop();
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('does not use invalid settings: they fall back to the defaults, the rest stay, downloads and moves work', async () => {
    const home = path.join(dir, 'home');
    const audio = path.join(dir, 'sounds');
    const old = {
      version: 1,
      tasks: {},
      profiles: [],
      settings: { ...DEFAULT_SETTINGS, concurrency: 5, proxy: 'not a url', galleryDirs: { image: 'Pictures/Vela', video: '/v/../w', audio } },
    };
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(old));

    const store = openStore(dir);
    expect(store.droppedSettings).toEqual([
      expect.stringContaining('proxy: proxy must be empty'),
      expect.stringContaining('galleryDirs.image: gallery folder for images must be an absolute path'),
      expect.stringContaining('galleryDirs.video: gallery folder for videos must be written plainly'),
    ]);
    engine = new Engine({ dataDir: dir, store, ...ENGINE_DEFAULTS, galleryHome: home });
    expect(engine.settings).toEqual({ ...DEFAULT_SETTINGS, concurrency: 5, galleryDirs: { image: '', video: '', audio } });

    // The engine keeps working, and the image goes to the default folder, not to Pictures/Vela beside
    // wherever the engine was started.
    server.setFile('/face.png', { body: mediaBytes('png'), contentType: 'image/png' });
    const done = await engine.whenDone(engine.download({ url: server.urlFor('/face.png') }).token);
    const moved = await engine.moveToGallery(engine.list()[0]!.token);
    expect(moved.path).toBe(path.join(home, 'Pictures', 'Vela Companion', path.basename(done.path)));
    expect(fs.existsSync(path.join(process.cwd(), 'Pictures', 'Vela'))).toBe(false);

    // And the file no longer holds them.
    store.flush();
    const onDisk = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as { settings: Settings };
    expect(onDisk.settings).toMatchObject({ proxy: '', concurrency: 5, galleryDirs: { image: '', video: '', audio } });
  });

  it('a store with valid settings reports nothing dropped', () => {
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ version: 1, tasks: {}, profiles: [], settings: { proxy: 'http://127.0.0.1:8080' } }));
    const store = openStore(dir);
    expect(store.droppedSettings).toEqual([]);
    expect(store.settings).toEqual({ ...DEFAULT_SETTINGS, proxy: 'http://127.0.0.1:8080' });
  });
});
