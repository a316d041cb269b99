/**
 * Move to gallery (API.md §4): a finished download leaves the cache for the user's Pictures, Videos or
 * Music folder. Never overwrites, never loses the file: on one file system it is a rename into a free
 * name; across file systems a copy that is flushed and renamed into place before the source goes.
 *
 * Whether a file is media is decided from its bytes (`sniffMedia`), never from the server's
 * Content-Type or the file's name: a text file served as `image/png` and named `updater.desktop` is
 * not an image, and must not land in Pictures (or, through a bad galleryDirs setting, in autostart).
 */
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { fileTypeFromFile } from 'file-type';
import mime from 'mime-types';
import { FailCode, VelaError } from '../../src-shared/codes.js';
import type { ReasonParams } from '../../src-shared/failure-reason.js';
import { splitExtension, truncateUtf8 } from './safe-name.js';
import type { MediaKind } from './paths.js';
import { errnoCode, moveIntoFreeName } from './place-file.js';
import { makePublicFile } from './private-files.js';

const kindOfType = (type: string): MediaKind | null => {
  const major = type.split(';', 1)[0]?.trim().toLowerCase().split('/', 1)[0];
  return major === 'image' || major === 'video' || major === 'audio' ? major : null;
};

/**
 * What a name (and an optional MIME type) *claims*: 'image' | 'video' | 'audio' from the MIME type when
 * given, else from the extension via mime-types; null for anything else. Never decides a move (the
 * bytes do, `sniffMedia`); "open" uses it because the system picks the app by the name.
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

/** What a file's bytes are. `kind` 'other' for anything but image, video or audio; `mime`/`ext` null when nothing was recognised. */
export type MediaSniff = { kind: MediaKind; mime: string; ext: string } | { kind: 'other'; mime: string | null; ext: string | null };

const SVG: MediaSniff = { kind: 'image', mime: 'image/svg+xml', ext: 'svg' };
/** How much of a text file is read to find the `<svg` root behind a prolog, doctype and comments. */
const SVG_SAMPLE = 16 * 1024;

const isXmlSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

/**
 * SVG is text, so file-type (magic numbers) never reports it. Our rule: a file is SVG when its bytes, as
 * UTF-8, start with an `<svg` element, after only an optional BOM, white space, an XML declaration or
 * other processing instructions, comments, and a `<!DOCTYPE svg ...>` without an internal subset (no
 * entity definitions). No NUL byte in the sample (a binary file is not SVG text). UTF-16 SVG is not
 * recognised. A linear scan, not a regular expression, so a hostile file cannot make it backtrack.
 */
export function looksLikeSvg(head: Buffer): boolean {
  if (head.includes(0)) return false;
  const text = head.toString('utf8');
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (;;) {
    while (i < text.length && isXmlSpace(text.charCodeAt(i))) i++;
    if (text.startsWith('<?', i)) {
      const end = text.indexOf('?>', i + 2);
      if (end < 0) return false;
      i = end + 2;
    } else if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end < 0) return false;
      i = end + 3;
    } else if (text.startsWith('<!DOCTYPE', i)) {
      const end = text.indexOf('>', i);
      if (end < 0) return false;
      const doctype = text.slice(i, end + 1);
      if (!/^<!DOCTYPE[ \t\r\n]+svg[ \t\r\n>]/.test(doctype) || doctype.includes('[')) return false;
      i = end + 1;
    } else {
      return /^<svg[ \t\r\n>/]/.test(text.slice(i, i + 5));
    }
  }
}

async function readHead(file: string, size: number): Promise<Buffer> {
  const handle = await fsp.open(file, 'r');
  try {
    const buffer = Buffer.alloc(size);
    const { bytesRead } = await handle.read(buffer, 0, size, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * What a file is, from its bytes: file-type's magic numbers (it reads the first few KiB, seeking only
 * where a format says so, e.g. past an ID3 tag), and for text our SVG rule above. Image, video and
 * audio are file-type's image/*, video/* and audio/* results (camera RAW, PSD and ICO are images, as
 * file-type says). SVG counts as an image although it is active content (it may hold script): the
 * gallery is where a user keeps pictures, browsers and image viewers show SVG as an image without
 * running its script (<img>), and the app previews it only that way, under `CSP: sandbox`.
 * Throws what reading the file throws.
 */
export async function sniffMedia(file: string): Promise<MediaSniff> {
  const found = await fileTypeFromFile(file);
  if (found) {
    const kind = kindOfType(found.mime);
    if (kind !== null) return { kind, mime: found.mime, ext: found.ext };
    // file-type calls any file that opens with `<?xml` XML; an SVG may open that way.
    if (found.mime !== 'application/xml') return { kind: 'other', mime: found.mime, ext: found.ext };
  }
  if (looksLikeSvg(await readHead(file, SVG_SAMPLE))) return SVG;
  return found ? { kind: 'other', mime: found.mime, ext: found.ext } : { kind: 'other', mime: null, ext: null };
}

/**
 * The name a media file takes in the gallery. Its own name when the extension agrees with the bytes
 * (it is file-type's extension for them, or mime-types maps it to the very type found: `a.jpeg` with
 * JPEG bytes); otherwise the stem with the detected type's extension (`x.desktop` with PNG bytes →
 * `x.png`, `download` → `download.png`). Same kind is not enough: `.svg`, `.m3u`, `.wax` and `.wvx` are
 * image, video and audio types by mime-types, but text the system would read as a drawing with script
 * or a playlist of URLs. So the file system and every app see the type the bytes have.
 */
export function galleryName(name: string, sniff: { mime: string; ext: string }): string {
  const [stem, ext] = splitExtension(name);
  const own = ext.slice(1).toLowerCase();
  const detected = sniff.mime.split(';', 1)[0]!.trim().toLowerCase();
  if (own !== '' && (own === sniff.ext.toLowerCase() || mime.lookup(own) === detected)) return name;
  const suffix = `.${sniff.ext}`;
  return truncateUtf8(stem, 255 - Buffer.byteLength(suffix)) + suffix;
}

/**
 * Why a step failed, for the message. Node's system errors (those with a `syscall`) already open with
 * their code (`ENOSPC: no space left on device, copyfile …`); any other error with a code gets it in
 * front. Decided by the error's fields, never by looking for the code in its text.
 */
const reasonOf = (error: unknown): string => {
  const code = errnoCode(error);
  const message = error instanceof Error ? error.message : String(error);
  const system = typeof (error as NodeJS.ErrnoException | undefined)?.syscall === 'string';
  return code !== undefined && !system ? `${code}: ${message}` : message;
};

/** `step`: which part of the move failed (the reason's detail); `params`: the file or folder, and the error code. */
const fail = (reason: string, step: 'missing' | 'read' | 'folder' | 'move', params: ReasonParams, error?: unknown): VelaError => {
  const errno = errnoCode(error);
  return new VelaError(FailCode.DownloadFailed, `cannot move to gallery: ${reason}`, { kind: 'gallery', detail: step, params: errno ? { ...params, errno } : params });
};

/** The 202 for a file whose bytes are not media; the file has not been touched. */
export const notMedia = (name: string): VelaError =>
  new VelaError(
    FailCode.IllegalArgument,
    `not a media file: ${name}: its bytes are not an image, video or audio file, so it stays in the cache (reveal it in its folder, or delete it)`,
    { kind: 'not-media', params: { name } },
  );

/**
 * Move srcPath into dirs[kind] (created if missing), kind and extension decided by the file's bytes
 * (`sniffMedia`, `galleryName`), under that name or name-1.ext, name-2.ext... if taken (never
 * overwrite). Refuse non-media with VelaError(202, 'not a media file: <name>: ...') and leave the file
 * where it was. Same file system: a rename into a free name without overwriting (the name is reserved
 * with a hard link, or an exclusive create where links are unsupported). Across file systems (EXDEV):
 * copy to a temp file inside the destination folder, fsync it, rename it to the free name, then unlink
 * the source; if any step fails, remove the temp copy and leave the source untouched, throwing
 * VelaError(1000, 'cannot move to gallery: <reason>'). Returns the absolute new path.
 */
export async function moveToGallery(srcPath: string, dirs: Record<MediaKind, string>): Promise<string> {
  const source = path.resolve(srcPath);
  const name = path.basename(source);

  try {
    const stat = await fsp.lstat(source);
    if (!stat.isFile()) throw new Error(`not a regular file: ${name}`);
  } catch (error) {
    throw errnoCode(error) === 'ENOENT' ? fail(`no such file: ${name}`, 'missing', { name }) : fail(reasonOf(error), 'read', { name }, error);
  }

  let sniff: MediaSniff;
  try {
    sniff = await sniffMedia(source);
  } catch (error) {
    throw fail(`cannot read ${name}: ${reasonOf(error)}`, 'read', { name }, error);
  }
  if (sniff.kind === 'other') throw notMedia(name);
  const dir = path.resolve(dirs[sniff.kind]);
  const target = galleryName(name, sniff);

  try {
    await fsp.mkdir(dir, { recursive: true });
  } catch (error) {
    throw fail(`cannot create ${dir}: ${reasonOf(error)}`, 'folder', { folder: dir }, error);
  }

  let moved: string;
  try {
    moved = await moveIntoFreeName(source, dir, target);
  } catch (error) {
    if (error instanceof VelaError) throw error;
    throw fail(reasonOf(error), 'move', { name, folder: dir }, error);
  }
  // Out of the private cache by the user's choice: the gallery folder's usual mode, not the cache's 0600
  // that the link (or the copy) carried along.
  makePublicFile(moved);
  return moved;
}
