import path from 'node:path';
import { isWindowsDeviceName, LONE_SURROGATE_SOURCE, MAX_FILENAME_BYTES } from '../../src-shared/validate.js';

/**
 * A name from the network made safe to use (no path parts, no control or invisible characters, no
 * reserved Windows names, at most 255 bytes of UTF-8 with its extension kept), and the length rules
 * every name follows, numbered clash names (`name-1.ext`) included.
 */

const MAX_NAME_BYTES = MAX_FILENAME_BYTES;
/** An "extension" longer than this is not one: not kept when a name is shortened, not counted as one (filename.ts). */
export const MAX_EXT_BYTES = 32;

const utf8 = new TextEncoder();
const byteLength = (s: string): number => utf8.encode(s).length;

/** Characters a name may not hold: the set a given quick-app filename is refused for (API.md §1) plus what Windows forbids. */
const ILLEGAL_CHARS = /["'*:<>?|]/g;
const WHITESPACE_CONTROLS = /[\t\n\r\v\f]/g;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/g;
/** Invisible and bidirectional formatting characters (`invoice\u202Efdp.exe` shows as `invoiceexe.pdf`). */
const INVISIBLE_CHARS = /[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;
/** The quick-app rule's lone surrogates (src-shared/validate.ts), every one of them. */
const LONE_SURROGATES = new RegExp(LONE_SURROGATE_SOURCE, 'g');
const EDGE_JUNK = /^[\s.]+|[\s.]+$/gu;

/** Splits off the last extension (`a.tar.gz` → `a.tar` + `.gz`); a dotfile (`.env`) has none. */
export function splitExtension(name: string): [stem: string, ext: string] {
  const ext = path.extname(name);
  if (ext === '' || ext === '.' || ext === name) return [name, ''];
  return [name.slice(0, -ext.length), ext];
}

/** The longest prefix of `s` within `maxBytes` UTF-8 bytes, cut between grapheme clusters. */
export function truncateUtf8(s: string, maxBytes: number): string {
  if (byteLength(s) <= maxBytes) return s;
  let out = '';
  let used = 0;
  for (const { segment } of new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(s)) {
    const size = byteLength(segment);
    if (used + size > maxBytes) break;
    out += segment;
    used += size;
  }
  return out;
}

/** Shortens a name to `maxBytes`, keeping its extension when it has a sensible one. */
function fitName(name: string, maxBytes: number): string {
  if (byteLength(name) <= maxBytes) return name;
  const [stem, ext] = splitExtension(name);
  const extBytes = byteLength(ext);
  if (ext && extBytes <= MAX_EXT_BYTES && extBytes < maxBytes) {
    const shortStem = truncateUtf8(stem, maxBytes - extBytes).replace(/[\s.]+$/u, '');
    if (shortStem) return shortStem + ext;
  }
  return truncateUtf8(name, maxBytes);
}

/**
 * Make a name from a server/URL safe: no path parts (take the last segment after / or \), no control
 * chars, no reserved Windows names (CON, NUL, COM1...), no leading/trailing dots or spaces, no `..`, at
 * most 255 bytes UTF-8 (truncate keeping the extension), characters illegal in file names replaced by
 * `_`. Returns undefined if nothing usable is left. The result always passes `validateFilename`.
 */
export function sanitizeName(name: string): string | undefined {
  if (typeof name !== 'string') return undefined;
  const segments = name.split(/[/\\]/).filter((s) => s.trim() !== '');
  let s = segments[segments.length - 1];
  if (s === undefined) return undefined;
  s = s
    .replace(LONE_SURROGATES, '_')
    .normalize('NFC')
    .replace(WHITESPACE_CONTROLS, ' ')
    .replace(CONTROL_CHARS, '')
    .replace(INVISIBLE_CHARS, '')
    .replace(ILLEGAL_CHARS, '_')
    .replace(/\.{2,}/g, '.') // never `..`, anywhere (the quick-app rule refuses it even inside a name)
    .replace(EDGE_JUNK, '');
  if (!s) return undefined;
  s = fitName(s, MAX_NAME_BYTES).replace(EDGE_JUNK, '');
  // A Windows device name is refused when given (validate.ts) and prefixed when it comes from the network.
  if (isWindowsDeviceName(s)) s = fitName(`_${s}`, MAX_NAME_BYTES);
  // Nothing but replacement characters and dots is no name at all (`???` → `___`).
  if (!s || /^[_.\s]*$/u.test(s)) return undefined;
  return s;
}

/** `name.ext` → `name-1.ext`, `name-2.ext`, … (n=0 returns the name unchanged). Only the last extension moves (`a.tar.gz` → `a.tar-1.gz`); a dotfile has none (`.env` → `.env-1`). Stays within 255 bytes. */
export function numberedName(name: string, n: number): string {
  if (n === 0) return name;
  const suffix = `-${n}`;
  let [stem, ext] = splitExtension(name);
  if (byteLength(ext) > MAX_EXT_BYTES) [stem, ext] = [name, ''];
  const room = MAX_NAME_BYTES - byteLength(suffix) - byteLength(ext);
  return truncateUtf8(stem, room) + suffix + ext;
}
