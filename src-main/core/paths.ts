/**
 * Where things live on disk: the data folder (the Electron userData folder, shared by the CLI and the
 * host), the cache inside it, and the user's gallery folders. Pure Node: no electron here, so the
 * CLI, the host and the tests compute the same folders the app does.
 */
import { lstat, realpath } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FailCode, VelaError } from '../../src-shared/codes.js';
import type { StoragePartition } from '../../src-shared/profiles.js';

export const APP_NAME = 'Vela Companion';

type PathModule = typeof path.posix;

/** The path flavour of a platform, so a Windows or macOS layout can be computed (and tested) anywhere. */
const pathFor = (platform: NodeJS.Platform): PathModule => (platform === 'win32' ? path.win32 : path.posix);

/** An absolute, normalised path in the platform's flavour (relative ones against the cwd). */
const absolute = (p: PathModule, value: string): string => (p.isAbsolute(value) ? p.normalize(value) : p.resolve(value));

/** A non-empty environment value, or undefined. */
const envValue = (env: NodeJS.ProcessEnv, name: string): string | undefined => {
  const value = env[name];
  return value !== undefined && value !== '' ? value : undefined;
};

/** The user's home: HOME (USERPROFILE on Windows) from env when set, else the OS's idea of it. */
function userHome(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string {
  const fromEnv = platform === 'win32' ? envValue(env, 'USERPROFILE') : envValue(env, 'HOME');
  return fromEnv ?? os.homedir();
}

/**
 * The folder the Electron app uses as userData (Linux: $XDG_CONFIG_HOME or ~/.config + '/Vela Companion';
 * macOS ~/Library/Application Support/Vela Companion; Windows %APPDATA%/Vela Companion).
 * VELA_DATA_DIR env overrides.
 */
export function defaultDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home?: string,
): string {
  const p = pathFor(platform);
  const override = envValue(env, 'VELA_DATA_DIR');
  if (override !== undefined) return absolute(p, override);
  const base = home ?? userHome(env, platform);
  switch (platform) {
    case 'win32':
      return p.join(envValue(env, 'APPDATA') ?? p.join(base, 'AppData', 'Roaming'), APP_NAME);
    case 'darwin':
      return p.join(base, 'Library', 'Application Support', APP_NAME);
    default:
      // Electron (Chromium's GetXDGDirectory) takes XDG_CONFIG_HOME whenever it is set and non-empty.
      return p.join(envValue(env, 'XDG_CONFIG_HOME') ?? p.join(base, '.config'), APP_NAME);
  }
}

export interface DataPaths {
  dataDir: string;
  cacheDir: string;
  massDir: string;
  partialDir: string;
  storeFile: string;
  engineFile: string;
}

/** cache = dataDir/cache, mass = dataDir/mass/download, partial = dataDir/cache/.partial, store = dataDir/config.json, engine = dataDir/engine.json */
export function dataPaths(dataDir: string): DataPaths {
  const root = path.resolve(dataDir);
  const cacheDir = path.join(root, 'cache');
  return {
    dataDir: root,
    cacheDir,
    massDir: path.join(root, 'mass', 'download'),
    partialDir: path.join(cacheDir, '.partial'),
    storeFile: path.join(root, 'config.json'),
    engineFile: path.join(root, 'engine.json'),
  };
}

/** The folder a storage partition maps to: `cache`, or `mass` (internal://mass/download/…). */
export function partitionDir(paths: Pick<DataPaths, 'cacheDir' | 'massDir'>, storage: StoragePartition): string {
  return storage === 'mass' ? paths.massDir : paths.cacheDir;
}

export type MediaKind = 'image' | 'video' | 'audio';

export const MEDIA_KINDS: readonly MediaKind[] = ['image', 'video', 'audio'];

/** The XDG user-dirs keys, and the folder used when neither the environment nor user-dirs.dirs names one. */
const XDG_KEYS: Record<MediaKind, string> = { image: 'XDG_PICTURES_DIR', video: 'XDG_VIDEOS_DIR', audio: 'XDG_MUSIC_DIR' };
const LINUX_DEFAULTS: Record<MediaKind, string> = { image: 'Pictures', video: 'Videos', audio: 'Music' };
const MAC_DEFAULTS: Record<MediaKind, string> = { image: 'Pictures', video: 'Movies', audio: 'Music' };

/**
 * A user-dirs value as xdg-user-dirs writes it: `"$HOME/Pictures"` or `"/absolute/path"` (the only two
 * forms the format allows), with shell backslash escapes. Anything else is ignored (undefined).
 */
function expandXdgValue(raw: string, home: string): string | undefined {
  const value = raw.replace(/\\(.)/g, '$1');
  if (value === '$HOME' || value === '${HOME}') return home;
  const homeForm = /^(?:\$HOME|\$\{HOME\})\/(.*)$/.exec(value);
  if (homeForm) return path.posix.join(home, homeForm[1] ?? '');
  if (value.startsWith('/')) return path.posix.normalize(value);
  return undefined;
}

/** Parse the text of user-dirs.dirs into its XDG_*_DIR values (still in raw, quoted-content form). */
export function parseUserDirs(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*(XDG_[A-Z0-9_]+_DIR)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(?:#.*)?$/.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined) values.set(match[1], match[2]);
  }
  return values;
}

/** $XDG_CONFIG_HOME/user-dirs.dirs (default ~/.config), parsed; empty when missing or unreadable. */
function readUserDirs(env: NodeJS.ProcessEnv, home: string): Map<string, string> {
  const configHome = envValue(env, 'XDG_CONFIG_HOME') ?? path.posix.join(home, '.config');
  try {
    return parseUserDirs(readFileSync(path.posix.join(configHome, 'user-dirs.dirs'), 'utf8'));
  } catch {
    return new Map();
  }
}

/**
 * The user's media folders each with a 'Vela Companion' subfolder. On Linux read XDG user dirs
 * (XDG_PICTURES_DIR etc. from env, else parse $XDG_CONFIG_HOME/user-dirs.dirs, `$HOME/...` form), else
 * ~/Pictures, ~/Videos (macOS: ~/Movies), ~/Music. `home` given (the CLI's --gallery-dir) stands in for
 * the user's home and then XDG is ignored: DIR/Pictures/Vela Companion, DIR/Videos/Vela Companion,
 * DIR/Music/Vela Companion. `overrides` (from settings; empty string = not set) win per kind, used as
 * the folder itself (no subfolder added); one that is not absolute on this platform counts as not set.
 */
export function galleryDirs(
  opts: {
    home?: string;
    overrides?: Partial<Record<MediaKind, string>>;
    env?: NodeJS.ProcessEnv;
    platform?: NodeJS.Platform;
  } = {},
): Record<MediaKind, string> {
  const env = opts.env ?? process.env;
  const platform = opts.platform ?? process.platform;
  const p = pathFor(platform);

  let bases: Record<MediaKind, string>;
  if (opts.home !== undefined && opts.home !== '') {
    const home = absolute(p, opts.home);
    bases = {
      image: p.join(home, LINUX_DEFAULTS.image),
      video: p.join(home, LINUX_DEFAULTS.video),
      audio: p.join(home, LINUX_DEFAULTS.audio),
    };
  } else {
    const home = userHome(env, platform);
    if (platform === 'win32' || platform === 'darwin') {
      const names = platform === 'darwin' ? MAC_DEFAULTS : LINUX_DEFAULTS;
      bases = { image: p.join(home, names.image), video: p.join(home, names.video), audio: p.join(home, names.audio) };
    } else {
      let fileValues: Map<string, string> | undefined;
      const lookup = (kind: MediaKind): string => {
        const key = XDG_KEYS[kind];
        const fromEnv = envValue(env, key);
        const expandedEnv = fromEnv === undefined ? undefined : expandXdgValue(fromEnv, home);
        if (expandedEnv !== undefined) return expandedEnv;
        fileValues ??= readUserDirs(env, home);
        const fromFile = fileValues.get(key);
        const expandedFile = fromFile === undefined ? undefined : expandXdgValue(fromFile, home);
        return expandedFile ?? p.join(home, LINUX_DEFAULTS[kind]);
      };
      bases = { image: lookup('image'), video: lookup('video'), audio: lookup('audio') };
    }
  }

  const result = {} as Record<MediaKind, string>;
  for (const kind of MEDIA_KINDS) {
    const override = opts.overrides?.[kind];
    // A relative override is never used (it would resolve against the engine's working folder): the
    // settings refuse one and the store drops one stored by an older version; this is the last guard.
    result[kind] = override !== undefined && override !== '' && p.isAbsolute(override) ? p.normalize(override) : p.join(bases[kind], APP_NAME);
  }
  return result;
}

const isInside = (root: string, candidate: string): boolean => {
  const rel = path.relative(root, candidate);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
};

const errorCode = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;

/**
 * Join a relative name under root and make sure the result stays inside root: reject '..', absolute
 * paths, NUL, and (when the path exists) symlinks whose realpath leaves root. Throws VelaError(202, ...)
 * when it would leave. The name must name something below root (an empty name or '.' is refused too).
 * No decoding happens here: '%2e%2e' is a literal file name. Returns the absolute (lexical) path.
 */
export async function resolveInside(root: string, relative: string): Promise<string> {
  const refuse = (why: string): never => {
    throw new VelaError(FailCode.IllegalArgument, `illegal path ${JSON.stringify(relative)}: ${why}`);
  };
  if (typeof relative !== 'string' || relative === '') refuse('empty');
  if (relative.includes('\0')) refuse('contains NUL');
  // On Windows 'C:name' is drive-relative, which leaves root just as an absolute path does.
  if (path.isAbsolute(relative) || (process.platform === 'win32' && /^[a-zA-Z]:/.test(relative))) {
    refuse('absolute path');
  }
  // Both separators on every platform: on Windows '\' separates, elsewhere a '..\' name is no loss.
  if (relative.split(/[\\/]/).includes('..')) refuse('contains ..');

  const base = path.resolve(root);
  const joined = path.resolve(base, relative);
  if (!isInside(base, joined)) refuse('leaves its folder');

  // Links: the deepest part of the path that exists (a dangling link counts) must resolve inside root.
  let realRoot: string;
  try {
    realRoot = await realpath(base);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return joined; // nothing below a missing root can exist
    throw error;
  }
  let existing = joined;
  for (;;) {
    try {
      await lstat(existing);
      break;
    } catch (error) {
      const code = errorCode(error);
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
      existing = path.dirname(existing);
      if (existing === base) return joined;
    }
  }
  let realExisting: string;
  try {
    realExisting = await realpath(existing);
  } catch {
    return refuse('a link that cannot be followed');
  }
  if (realExisting !== realRoot && !isInside(realRoot, realExisting)) refuse('a link leads out of its folder');
  if (existing === joined && realExisting === realRoot) refuse('a link leads to the folder itself');
  return joined;
}
