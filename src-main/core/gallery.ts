/**
 * Move to gallery (API.md §4): a finished download leaves the cache for the user's Pictures, Videos or
 * Music folder. Never overwrites, never loses the file: on one file system it is a rename into a free
 * name; across file systems a copy that is flushed and renamed into place before the source goes.
 */
import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import path from 'node:path';
import mime from 'mime-types';
import { FailCode, VelaError } from '../../src-shared/codes.js';
import type { MediaKind } from './paths.js';

/** How many numbered names (name-1.ext ... name-N.ext) are tried before giving up. */
const MAX_NUMBERED = 10_000;

const kindOfType = (type: string): MediaKind | null => {
  const major = type.split(';', 1)[0]?.trim().toLowerCase().split('/', 1)[0];
  return major === 'image' || major === 'video' || major === 'audio' ? major : null;
};

/**
 * 'image' | 'video' | 'audio' from the MIME type when given (image/*, video/*, audio/*), else from the
 * file extension via mime-types; null for anything else. A MIME type that is not a media type (often
 * `application/octet-stream` from a careless server) does not decide: the extension still does.
 */
export function mediaKind(fileName: string, mimeType?: string): MediaKind | null {
  if (mimeType !== undefined && mimeType !== '') {
    const fromMime = kindOfType(mimeType);
    if (fromMime !== null) return fromMime;
  }
  // Only a real extension counts: mime-types would read a bare 'png' (or '.png') as the extension itself.
  const ext = path.extname(path.basename(fileName));
  if (ext === '' || ext === '.') return null;
  const looked = mime.lookup(ext);
  return looked === false ? null : kindOfType(looked);
}

/** `name.ext` → `name-N.ext` (N = 0 gives the name itself). */
function numberedName(name: string, n: number): string {
  if (n === 0) return name;
  const ext = path.extname(name);
  return `${ext === '' ? name : name.slice(0, -ext.length)}-${n}${ext}`;
}

const errorCode = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;

const reasonOf = (error: unknown): string => {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  return code !== undefined && !message.includes(code) ? `${code}: ${message}` : message;
};

const fail = (reason: string): VelaError => new VelaError(FailCode.DownloadFailed, `cannot move to gallery: ${reason}`);

/** Errors from link() that mean "this file system cannot hard-link", so a rename must do. */
const NO_LINK = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK', 'EACCES', 'EINVAL']);

class CrossDevice extends Error {}

/**
 * Give `from` (a file on the same file system as dir) a free name in dir without ever overwriting:
 * hard-link it to the first free numbered name (link fails on an existing name), then unlink the
 * original. Where links are not supported, reserve the name with an exclusive create and rename over
 * that placeholder. Throws CrossDevice on EXDEV.
 */
async function placeUnderFreeName(from: string, dir: string, name: string): Promise<string> {
  let canLink = true;
  for (let n = 0; n <= MAX_NUMBERED; n++) {
    const target = path.join(dir, numberedName(name, n));
    if (canLink) {
      try {
        await fsp.link(from, target);
      } catch (error) {
        const code = errorCode(error);
        if (code === 'EEXIST') continue;
        if (code === 'EXDEV') throw new CrossDevice();
        if (code === undefined || !NO_LINK.has(code)) throw error;
        canLink = false;
      }
      if (canLink) {
        try {
          await fsp.unlink(from);
        } catch (error) {
          // The file now has two names; drop the new one so nothing moved, and report.
          await fsp.rm(target, { force: true }).catch(() => undefined);
          throw error;
        }
        return target;
      }
    }
    // Without links: reserve the name, then rename onto the (still empty) placeholder.
    let placeholder: fsp.FileHandle;
    try {
      placeholder = await fsp.open(target, 'wx');
    } catch (error) {
      if (errorCode(error) === 'EEXIST') continue;
      throw error;
    }
    await placeholder.close();
    try {
      await fsp.rename(from, target);
    } catch (error) {
      await fsp.rm(target, { force: true }).catch(() => undefined);
      if (errorCode(error) === 'EXDEV') throw new CrossDevice();
      throw error;
    }
    return target;
  }
  throw new Error(`no free name for ${name} in ${dir}`);
}

/** Flush a directory's entries to disk where the platform allows it (best effort). */
async function syncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  try {
    const handle = await fsp.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some file systems refuse fsync on a directory; the data itself is already flushed.
  }
}

/** Across file systems: copy into a temp file in dir, flush it, rename it to a free name, then drop the source. */
async function copyAcross(srcPath: string, dir: string, name: string): Promise<string> {
  const temp = path.join(dir, `.${name}.${randomBytes(6).toString('hex')}.vela-tmp`);
  let placed: string | undefined;
  try {
    await fsp.copyFile(srcPath, temp, fsConstants.COPYFILE_EXCL);
    const srcStat = await fsp.stat(srcPath);
    const handle = await fsp.open(temp, 'r+');
    try {
      await handle.sync();
      const tempStat = await handle.stat();
      if (tempStat.size !== srcStat.size) {
        throw new Error(`copy is ${tempStat.size} bytes, source ${srcStat.size}`);
      }
      await handle.utimes(srcStat.atime, srcStat.mtime).catch(() => undefined);
    } finally {
      await handle.close();
    }
    placed = await placeUnderFreeName(temp, dir, name);
    await syncDir(dir);
    try {
      await fsp.unlink(srcPath);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
    }
    return placed;
  } catch (error) {
    await fsp.rm(temp, { force: true }).catch(() => undefined);
    // Source still there: the gallery copy would be a duplicate, so remove it and leave things as they were.
    if (placed !== undefined) await fsp.rm(placed, { force: true }).catch(() => undefined);
    throw error;
  }
}

/**
 * Move srcPath into dirs[kind] (created if missing) under its own name, or name-1.ext, name-2.ext...
 * if taken (never overwrite). Refuse non-media with VelaError(202, 'not a media file: <name>') and leave
 * the file where it was. Same file system: a rename into a free name without overwriting (the name is
 * reserved with a hard link, or an exclusive create where links are unsupported). Across file systems
 * (EXDEV): copy to a temp file inside the destination folder, fsync it, rename it to the free name, then
 * unlink the source; if any step fails, remove the temp copy and leave the source untouched, throwing
 * VelaError(1000, 'cannot move to gallery: <reason>'). Returns the absolute new path.
 */
export async function moveToGallery(srcPath: string, dirs: Record<MediaKind, string>, mimeType?: string): Promise<string> {
  const source = path.resolve(srcPath);
  const name = path.basename(source);
  const kind = mediaKind(name, mimeType);
  if (kind === null) throw new VelaError(FailCode.IllegalArgument, `not a media file: ${name}`);
  const dir = path.resolve(dirs[kind]);

  try {
    const stat = await fsp.lstat(source);
    if (!stat.isFile()) throw new Error(`not a regular file: ${name}`);
  } catch (error) {
    throw fail(errorCode(error) === 'ENOENT' ? `no such file: ${name}` : reasonOf(error));
  }

  try {
    await fsp.mkdir(dir, { recursive: true });
  } catch (error) {
    throw fail(`cannot create ${dir}: ${reasonOf(error)}`);
  }

  try {
    try {
      return await placeUnderFreeName(source, dir, name);
    } catch (error) {
      if (!(error instanceof CrossDevice)) throw error;
    }
    return await copyAcross(source, dir, name);
  } catch (error) {
    if (error instanceof VelaError) throw error;
    throw fail(reasonOf(error));
  }
}
