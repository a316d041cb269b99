import { randomBytes } from 'node:crypto';
import fs, { constants as fsConstants } from 'node:fs';
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { numberedName } from './safe-name.js';
import { PRIVATE_DIR_MODE } from './private-files.js';

/**
 * Putting a file under a free name in a folder without ever overwriting one, and without ever losing
 * it: used for a finished download (partial file → cache) and for move to gallery (cache → media
 * folder). On one file system the name is claimed and the file placed in one atomic step (a hard link
 * fails on an existing name); across file systems the file is copied beside its destination, flushed,
 * checked, placed, and only then is the source removed. If any step fails the source stays as it was.
 */

const errorCode = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;

/** Errors from link() that mean "this file system cannot hard-link", so a rename must do. */
// EISDIR: libuv's mapping of the error Windows reports for hard links on FAT/exFAT volumes.
const NO_LINK = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK', 'EACCES', 'EINVAL', 'EISDIR']);

class CrossDevice extends Error {}

const MAX_NUMBERED = 10_000;
/**
 * Clashes tried one by one before the folder is listed once: a folder with thousands of `name-N.ext`
 * would otherwise cost one failed link per taken number (~15 µs each, 150 ms for 10,000), all on the
 * event loop. One listing is a few getdents calls, and then only free-looking names are tried.
 */
const PROBES_BEFORE_LISTING = 16;

function namesIn(dir: string): Set<string> {
  try {
    return new Set(fs.readdirSync(dir));
  } catch {
    return new Set();
  }
}

/**
 * Give `from` (a file on the same file system as dir) a free name in dir without ever overwriting:
 * hard-link it to the first free numbered name (link fails on an existing name), then unlink the
 * original. Where links are not supported, reserve the name with an exclusive create and rename over
 * that placeholder. Throws CrossDevice on EXDEV.
 */
function placeUnderFreeName(from: string, dir: string, name: string): string {
  // Synchronous: each step is one metadata operation (~15 µs here), where the thread pool's hand-off
  // cost ~100 µs of CPU per file and was a tenth of a small download's cost (docs/performance.md).
  let canLink = true;
  let taken: Set<string> | undefined;
  for (let n = 0; n <= MAX_NUMBERED; n++) {
    const candidate = numberedName(name, n);
    if (n === PROBES_BEFORE_LISTING) taken = namesIn(dir);
    // A name listed as taken is skipped; one taken since the listing still fails its link (EEXIST) below.
    if (taken?.has(candidate)) continue;
    const target = path.join(dir, candidate);
    if (canLink) {
      try {
        fs.linkSync(from, target);
      } catch (error) {
        const code = errorCode(error);
        if (code === 'EEXIST') continue;
        if (code === 'EXDEV') throw new CrossDevice();
        if (code === undefined || !NO_LINK.has(code)) throw error;
        canLink = false;
      }
      if (canLink) {
        try {
          fs.unlinkSync(from);
        } catch (error) {
          // The file now has two names; drop the new one so nothing moved, and report.
          try {
            fs.rmSync(target, { force: true });
          } catch {
            // Reported below: the unlink's error is the one that matters.
          }
          throw error;
        }
        return target;
      }
    }
    // Without links: reserve the name, then rename onto the (still empty) placeholder.
    let placeholder: number;
    try {
      placeholder = fs.openSync(target, 'wx');
    } catch (error) {
      if (errorCode(error) === 'EEXIST') continue;
      throw error;
    }
    fs.closeSync(placeholder);
    try {
      fs.renameSync(from, target);
    } catch (error) {
      try {
        fs.rmSync(target, { force: true });
      } catch {
        // An empty placeholder left behind is harmless; the error that matters is the rename's.
      }
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
    placed = placeUnderFreeName(temp, dir, name);
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
 * Move `source` to `dir/name`, or the first free `name-1.ext`, `name-2.ext`, …; creates `dir` (and
 * its missing parents) with `dirMode` (default 0o777, less the umask). The file keeps its own mode.
 * Returns the absolute new path. Throws (with the source untouched) when it cannot.
 */
export async function moveIntoFreeName(source: string, dir: string, name: string, options: { dirMode?: number } = {}): Promise<string> {
  try {
    return placeUnderFreeName(source, dir, name);
  } catch (error) {
    if (error instanceof CrossDevice) return copyAcross(source, dir, name);
    if (errorCode(error) !== 'ENOENT') throw error;
  }
  // The folder is created only when missing: a mkdir per finished file was a tenth of a small
  // download's cost (docs/performance.md, case 2). (ENOENT for a missing source fails again below.)
  await fsp.mkdir(dir, { recursive: true, mode: options.dirMode });
  try {
    return placeUnderFreeName(source, dir, name);
  } catch (error) {
    if (!(error instanceof CrossDevice)) throw error;
  }
  return copyAcross(source, dir, name);
}

export const errnoCode = errorCode;

/**
 * Move a finished partial file to `dir/name`, or the first free `name-N.ext`, without ever overwriting
 * an existing file, even when two callers race. Returns the chosen name. Creates `dir` if missing, 0700
 * (the cache and `mass/download` are the user's alone; the file keeps the partial file's 0600).
 */
export async function commitFile(partialPath: string, dir: string, name: string): Promise<string> {
  return path.basename(await moveIntoFreeName(partialPath, dir, name, { dirMode: PRIVATE_DIR_MODE }));
}
