/**
 * Move to gallery (API.md §4): a finished download leaves the cache for the user's Pictures, Videos or
 * Music folder. Never overwrites, never loses the file: on one file system it is a rename into a free
 * name; across file systems a copy that is flushed and renamed into place before the source goes.
 */
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import mime from 'mime-types';
import { FailCode, VelaError } from '../../src-shared/codes.js';
import type { MediaKind } from './paths.js';
import { errnoCode, moveIntoFreeName } from './place-file.js';
import { makePublicFile } from './private-files.js';

/** How many numbered names (name-1.ext ... name-N.ext) are tried before giving up. */

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

const reasonOf = (error: unknown): string => {
  const code = errnoCode(error);
  const message = error instanceof Error ? error.message : String(error);
  return code !== undefined && !message.includes(code) ? `${code}: ${message}` : message;
};

const fail = (reason: string): VelaError => new VelaError(FailCode.DownloadFailed, `cannot move to gallery: ${reason}`);

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
    throw fail(errnoCode(error) === 'ENOENT' ? `no such file: ${name}` : reasonOf(error));
  }

  try {
    await fsp.mkdir(dir, { recursive: true });
  } catch (error) {
    throw fail(`cannot create ${dir}: ${reasonOf(error)}`);
  }

  let moved: string;
  try {
    moved = await moveIntoFreeName(source, dir, name);
  } catch (error) {
    if (error instanceof VelaError) throw error;
    throw fail(reasonOf(error));
  }
  // Out of the private cache by the user's choice: the gallery folder's usual mode, not the cache's 0600
  // that the link (or the copy) carried along.
  makePublicFile(moved);
  return moved;
}
