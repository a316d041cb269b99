import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FailCode, VelaError } from '../../src-shared/codes.js';
import { APP_NAME, dataPaths, defaultDataDir, galleryDirs, resolveInside } from '../../src-main/core/paths.js';

let tmp: string;

beforeEach(async () => {
  tmp = await realpath(await mkdtemp(path.join(os.tmpdir(), 'vela-paths-')));
});

afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function expectRefused(promise: Promise<unknown>): Promise<void> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(VelaError);
  expect((error as VelaError).code).toBe(FailCode.IllegalArgument);
}

describe('defaultDataDir', () => {
  it('is the Electron userData folder on Linux: $XDG_CONFIG_HOME/Vela Companion', () => {
    expect(defaultDataDir({ XDG_CONFIG_HOME: '/x/config' }, 'linux', '/home/u')).toBe('/x/config/Vela Companion');
  });

  it('falls back to ~/.config on Linux when XDG_CONFIG_HOME is unset or empty', () => {
    expect(defaultDataDir({}, 'linux', '/home/u')).toBe('/home/u/.config/Vela Companion');
    expect(defaultDataDir({ XDG_CONFIG_HOME: '' }, 'linux', '/home/u')).toBe('/home/u/.config/Vela Companion');
    expect(defaultDataDir({ HOME: '/home/env' }, 'linux')).toBe('/home/env/.config/Vela Companion');
  });

  it('is ~/Library/Application Support/Vela Companion on macOS', () => {
    expect(defaultDataDir({ XDG_CONFIG_HOME: '/ignored' }, 'darwin', '/Users/u')).toBe(
      '/Users/u/Library/Application Support/Vela Companion',
    );
  });

  it('is %APPDATA%\\Vela Companion on Windows', () => {
    expect(defaultDataDir({ APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32', 'C:\\Users\\u')).toBe(
      'C:\\Users\\u\\AppData\\Roaming\\Vela Companion',
    );
    expect(defaultDataDir({}, 'win32', 'C:\\Users\\u')).toBe('C:\\Users\\u\\AppData\\Roaming\\Vela Companion');
  });

  it('lets VELA_DATA_DIR override on every platform', () => {
    for (const platform of ['linux', 'darwin'] as const) {
      expect(defaultDataDir({ VELA_DATA_DIR: '/data/vela', XDG_CONFIG_HOME: '/x' }, platform, '/home/u')).toBe('/data/vela');
    }
    expect(defaultDataDir({ VELA_DATA_DIR: 'D:\\vela' }, 'win32', 'C:\\Users\\u')).toBe('D:\\vela');
    expect(defaultDataDir({ VELA_DATA_DIR: 'rel/dir' }, 'linux', '/home/u')).toBe(path.resolve('rel/dir'));
    expect(defaultDataDir({ VELA_DATA_DIR: '' }, 'linux', '/home/u')).toBe('/home/u/.config/Vela Companion');
  });
});

describe('dataPaths', () => {
  it('lays out the data folder', () => {
    expect(dataPaths('/d')).toEqual({
      dataDir: '/d',
      cacheDir: '/d/cache',
      massDir: '/d/mass/download',
      partialDir: '/d/cache/.partial',
      storeFile: '/d/config.json',
      engineFile: '/d/engine.json',
    });
  });

  it('makes a relative data dir absolute', () => {
    expect(dataPaths('rel').cacheDir).toBe(path.resolve('rel', 'cache'));
  });
});

describe('galleryDirs', () => {
  it('defaults to ~/Pictures, ~/Videos, ~/Music on Linux without user-dirs', () => {
    const env = { HOME: tmp, XDG_CONFIG_HOME: path.join(tmp, 'no-such-config') };
    expect(galleryDirs({ env, platform: 'linux' })).toEqual({
      image: path.join(tmp, 'Pictures', APP_NAME),
      video: path.join(tmp, 'Videos', APP_NAME),
      audio: path.join(tmp, 'Music', APP_NAME),
    });
  });

  it('reads $XDG_CONFIG_HOME/user-dirs.dirs ($HOME/... and absolute forms, comments, missing keys)', async () => {
    const config = path.join(tmp, 'xdg-config');
    await mkdir(config);
    await writeFile(
      path.join(config, 'user-dirs.dirs'),
      [
        '# This file is written by xdg-user-dirs-update',
        '# If you want to change or add directories, just edit the line you are interested in.',
        'XDG_DESKTOP_DIR="$HOME/Schreibtisch"',
        'XDG_PICTURES_DIR="$HOME/Bilder"',
        'XDG_VIDEOS_DIR="/srv/media/My \\"Videos\\""',
        '#XDG_MUSIC_DIR="$HOME/Musik"',
        'XDG_DOCUMENTS_DIR=relative/ignored',
        '',
      ].join('\n'),
    );
    expect(galleryDirs({ env: { HOME: tmp, XDG_CONFIG_HOME: config }, platform: 'linux' })).toEqual({
      image: path.join(tmp, 'Bilder', APP_NAME),
      video: path.join('/srv/media/My "Videos"', APP_NAME),
      audio: path.join(tmp, 'Music', APP_NAME),
    });
  });

  it('reads ~/.config/user-dirs.dirs when XDG_CONFIG_HOME is unset', async () => {
    await mkdir(path.join(tmp, '.config'));
    await writeFile(path.join(tmp, '.config', 'user-dirs.dirs'), 'XDG_MUSIC_DIR="$HOME/Musique"\n');
    expect(galleryDirs({ env: { HOME: tmp }, platform: 'linux' }).audio).toBe(path.join(tmp, 'Musique', APP_NAME));
  });

  it('prefers XDG_*_DIR from the environment over user-dirs.dirs', async () => {
    const config = path.join(tmp, 'xdg-config');
    await mkdir(config);
    await writeFile(path.join(config, 'user-dirs.dirs'), 'XDG_PICTURES_DIR="$HOME/Bilder"\nXDG_MUSIC_DIR="$HOME/Musik"\n');
    const env = { HOME: tmp, XDG_CONFIG_HOME: config, XDG_PICTURES_DIR: '/mnt/photos', XDG_VIDEOS_DIR: '$HOME/Filme' };
    expect(galleryDirs({ env, platform: 'linux' })).toEqual({
      image: path.join('/mnt/photos', APP_NAME),
      video: path.join(tmp, 'Filme', APP_NAME),
      audio: path.join(tmp, 'Musik', APP_NAME),
    });
  });

  it('uses ~/Movies for video on macOS and ignores XDG there', () => {
    const env = { HOME: '/Users/u', XDG_PICTURES_DIR: '/ignored' };
    expect(galleryDirs({ env, platform: 'darwin' })).toEqual({
      image: '/Users/u/Pictures/Vela Companion',
      video: '/Users/u/Movies/Vela Companion',
      audio: '/Users/u/Music/Vela Companion',
    });
  });

  it('uses the profile folders on Windows', () => {
    expect(galleryDirs({ env: { USERPROFILE: 'C:\\Users\\u' }, platform: 'win32' })).toEqual({
      image: 'C:\\Users\\u\\Pictures\\Vela Companion',
      video: 'C:\\Users\\u\\Videos\\Vela Companion',
      audio: 'C:\\Users\\u\\Music\\Vela Companion',
    });
  });

  it('--gallery-dir stands in for home and ignores XDG (and macOS Movies)', async () => {
    const config = path.join(tmp, 'xdg-config');
    await mkdir(config);
    await writeFile(path.join(config, 'user-dirs.dirs'), 'XDG_PICTURES_DIR="$HOME/Bilder"\n');
    const dir = path.join(tmp, 'gallery');
    const expected = {
      image: path.join(dir, 'Pictures', APP_NAME),
      video: path.join(dir, 'Videos', APP_NAME),
      audio: path.join(dir, 'Music', APP_NAME),
    };
    const env = { HOME: tmp, XDG_CONFIG_HOME: config, XDG_MUSIC_DIR: '/mnt/music' };
    expect(galleryDirs({ home: dir, env, platform: 'linux' })).toEqual(expected);
    expect(galleryDirs({ home: dir, env, platform: 'darwin' })).toEqual(expected);
  });

  it('makes a relative --gallery-dir absolute', () => {
    expect(galleryDirs({ home: 'g', env: {}, platform: 'linux' }).image).toBe(path.resolve('g', 'Pictures', APP_NAME));
  });

  it('lets settings override each kind; an empty string is not set', () => {
    const dirs = galleryDirs({
      home: '/g',
      overrides: { image: '/photos/mine', video: '', audio: undefined },
      env: {},
      platform: 'linux',
    });
    expect(dirs).toEqual({
      image: '/photos/mine',
      video: '/g/Videos/Vela Companion',
      audio: '/g/Music/Vela Companion',
    });
    const linux = galleryDirs({ overrides: { audio: '/a' }, env: { HOME: tmp, XDG_MUSIC_DIR: '/m' }, platform: 'linux' });
    expect(linux.audio).toBe('/a');
  });
});

describe('resolveInside', () => {
  let root: string;
  let outside: string;

  beforeEach(async () => {
    root = path.join(tmp, 'cache');
    outside = path.join(tmp, 'outside');
    await mkdir(root);
    await mkdir(outside);
    await writeFile(path.join(outside, 'secret.txt'), 'secret');
  });

  it('joins plain and nested names', async () => {
    expect(await resolveInside(root, 'a.png')).toBe(path.join(root, 'a.png'));
    expect(await resolveInside(root, 'sub/dir/b.mp4')).toBe(path.join(root, 'sub', 'dir', 'b.mp4'));
    expect(await resolveInside(root, './c.txt')).toBe(path.join(root, 'c.txt'));
    expect(await resolveInside(path.relative(process.cwd(), root), 'd')).toBe(path.join(root, 'd'));
  });

  it('refuses ..', async () => {
    await expectRefused(resolveInside(root, '..'));
    await expectRefused(resolveInside(root, '../outside/secret.txt'));
    await expectRefused(resolveInside(root, 'a/../../outside'));
    await expectRefused(resolveInside(root, 'a/..'));
    await expectRefused(resolveInside(root, 'a\\..\\..\\x'));
  });

  it('does not decode %2e%2e: it is a literal name', async () => {
    expect(await resolveInside(root, '%2e%2e')).toBe(path.join(root, '%2e%2e'));
    expect(await resolveInside(root, '%2e%2e/%2e%2e/x')).toBe(path.join(root, '%2e%2e', '%2e%2e', 'x'));
    expect(await resolveInside(root, '...')).toBe(path.join(root, '...'));
  });

  it('refuses absolute paths, NUL and names that are the root itself', async () => {
    await expectRefused(resolveInside(root, '/etc/passwd'));
    await expectRefused(resolveInside(root, path.join(root, 'a.png')));
    await expectRefused(resolveInside(root, 'a\0.png'));
    await expectRefused(resolveInside(root, ''));
    await expectRefused(resolveInside(root, '.'));
  });

  it('refuses a symlink that leads outside, whether the target name exists or not', async () => {
    await symlink(outside, path.join(root, 'out'));
    await symlink(path.join(outside, 'secret.txt'), path.join(root, 'secret-link.txt'));
    await symlink(path.join(outside, 'nothing-yet.txt'), path.join(root, 'dangling.txt'));
    await expectRefused(resolveInside(root, 'out'));
    await expectRefused(resolveInside(root, 'out/secret.txt'));
    await expectRefused(resolveInside(root, 'out/new-file.txt'));
    await expectRefused(resolveInside(root, 'out/new/deeper.txt'));
    await expectRefused(resolveInside(root, 'secret-link.txt'));
    await expectRefused(resolveInside(root, 'dangling.txt'));
  });

  it('accepts a symlink that stays inside, and a root that is itself a link', async () => {
    await mkdir(path.join(root, 'real'));
    await writeFile(path.join(root, 'real', 'x.png'), 'x');
    await symlink(path.join(root, 'real'), path.join(root, 'alias'));
    expect(await resolveInside(root, 'alias/x.png')).toBe(path.join(root, 'alias', 'x.png'));

    const linkedRoot = path.join(tmp, 'linked-cache');
    await symlink(root, linkedRoot);
    expect(await resolveInside(linkedRoot, 'real/x.png')).toBe(path.join(linkedRoot, 'real', 'x.png'));
    await expectRefused(resolveInside(linkedRoot, '../outside/secret.txt'));
  });

  it('works when the root does not exist yet', async () => {
    const missing = path.join(tmp, 'not-created');
    expect(await resolveInside(missing, 'a/b.png')).toBe(path.join(missing, 'a', 'b.png'));
  });

  it('names the problem without leaking a stack', async () => {
    const error = await resolveInside(root, '../x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VelaError);
    expect((error as VelaError).toData()).toEqual({ code: 202, message: expect.stringContaining('..') });
  });
});
