import path from 'node:path';
import mime from 'mime-types';
import { isWindowsDeviceName, LONE_SURROGATE_SOURCE, MAX_FILENAME_BYTES } from '../../src-shared/validate.js';

/**
 * File naming as browsers do it (API.md §4): Content-Disposition (RFC 6266, judged on the greenbytes
 * tc2231 suite), else the URL's last path segment, else `download`; an extension from Content-Type when
 * missing; a name from the network is cleaned, never trusted; a clash becomes `name-1.ext`, … and a
 * finished file is put in place without ever overwriting another one.
 *
 * The Content-Disposition parser is our own rather than jshttp's `content-disposition.parse`, which
 * disagrees with tc2231 where it matters for a download manager: it throws away the whole header when
 * only `filename*` is bad (tc2231 wants that one parameter ignored so `filename` still counts), it turns
 * invalid UTF-8 into U+FFFD instead of ignoring the parameter (attwithfn2231iso-bad), it accepts C1 octets
 * as ISO-8859-1 (attwithfn2231utf8-bad), knows no other charset, and has no RFC 2231 continuations.
 */

const MAX_NAME_BYTES = MAX_FILENAME_BYTES;
/** An "extension" longer than this is not one worth keeping when a name has to be shortened. */
const MAX_EXT_BYTES = 32;
const FALLBACK_NAME = 'download';

const utf8 = new TextEncoder();
const byteLength = (s: string): number => utf8.encode(s).length;

// ---------------------------------------------------------------------------------------------------
// Content-Disposition (RFC 6266 + RFC 8187/5987 ext-values + optional RFC 2231 continuations)
// ---------------------------------------------------------------------------------------------------

/** RFC 9110 tchar. */
const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
/** RFC 8187 ext-value: charset "'" [ language ] "'" value-chars. */
const EXT_VALUE = /^([A-Za-z0-9!#$%&+\-^_`{}~]+)'([A-Za-z0-9-]*)'(.*)$/;
const VALUE_CHARS = /^(?:%[0-9A-Fa-f]{2}|[A-Za-z0-9!#$&+\-.^_`|~])*$/;
/** RFC 2231 continuation: `filename*0`, `filename*1*`, … (no leading zeros). */
const CONTINUATION = /^filename\*(0|[1-9][0-9]{0,3})(\*?)$/;

interface DispositionParam {
  value: string;
  quoted: boolean;
}

/**
 * Strict RFC 6266 structure: `type *( OWS ";" OWS name OWS "=" OWS ( token / quoted-string ) ) OWS`.
 * Any deviation (missing type, stray `;`, missing `;`, broken quotes, a repeated parameter) makes the
 * whole header invalid, which RFC 6266 and tc2231 say means "ignore it".
 */
function parseDisposition(header: string): { type: string; params: Map<string, DispositionParam> } | undefined {
  const s = header.replace(/^[ \t]+|[ \t]+$/g, '');
  let i = 0;
  const skipOws = (): void => {
    while (s[i] === ' ' || s[i] === '\t') i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < s.length && TCHAR.test(s[i] as string)) i++;
    return s.slice(start, i);
  };
  const readQuoted = (): string | undefined => {
    // s[i] is the opening quote.
    let out = '';
    for (i++; i < s.length; i++) {
      const ch = s[i] as string;
      if (ch === '"') {
        i++;
        return out;
      }
      if (ch === '\\') {
        i++;
        const next = s[i];
        if (next === undefined || !isQdChar(next, true)) return undefined;
        out += next;
        continue;
      }
      if (!isQdChar(ch, false)) return undefined;
      out += ch;
    }
    return undefined; // no closing quote
  };

  const type = readToken().toLowerCase();
  if (!type) return undefined;
  const params = new Map<string, DispositionParam>();
  for (;;) {
    skipOws();
    if (i >= s.length) break;
    if (s[i] !== ';') return undefined;
    i++;
    skipOws();
    const name = readToken().toLowerCase();
    if (!name) return undefined; // `attachment; ;filename=foo`, `filename=foo.html ;`
    skipOws();
    if (s[i] !== '=') return undefined;
    i++;
    skipOws();
    let param: DispositionParam;
    if (s[i] === '"') {
      const value = readQuoted();
      if (value === undefined) return undefined;
      param = { value, quoted: true };
    } else {
      const value = readToken();
      if (!value) return undefined;
      param = { value, quoted: false };
    }
    if (params.has(name)) return undefined; // RFC 6266 §4.1: parameter names MUST NOT be repeated
    params.set(name, param);
  }
  return { type, params };
}

/** qdtext (HTAB, SP, VCHAR except `"` and `\`, obs-text), or the character after a backslash. */
function isQdChar(ch: string, escaped: boolean): boolean {
  const c = ch.codePointAt(0) as number;
  if (c === 0x09 || (c >= 0x20 && c <= 0x7e)) return escaped || (ch !== '"' && ch !== '\\');
  // obs-text; a caller that already decoded the header to Unicode may hand us code points above 0xFF.
  return c >= 0x80;
}

/** Percent-decodes value-chars to octets (already validated against VALUE_CHARS). */
function percentBytes(value: string): number[] {
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    if (value[i] === '%') {
      bytes.push(parseInt(value.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(value.charCodeAt(i));
    }
  }
  return bytes;
}

/** Decodes octets in a declared charset, strictly: undefined when they are not valid in it. */
function decodeCharset(charset: string, bytes: number[]): string | undefined {
  const label = charset.toLowerCase();
  if (label === 'iso-8859-1' || label === 'iso_8859-1' || label === 'latin1' || label === 'l1') {
    // 0x80-0x9F are not ISO-8859-1 characters (tc2231 attwithfn2231utf8-bad). Decoded by hand because
    // the WHATWG TextDecoder treats this label as windows-1252.
    if (bytes.some((b) => b >= 0x80 && b <= 0x9f)) return undefined;
    return Buffer.from(bytes).toString('latin1');
  }
  if (label === 'us-ascii' || label === 'ascii') {
    return bytes.some((b) => b >= 0x80) ? undefined : Buffer.from(bytes).toString('latin1');
  }
  try {
    // UTF-8 and, as Chrome does, whatever other charset the platform knows (GBK, Shift_JIS, EUC-KR…).
    return new TextDecoder(label, { fatal: true, ignoreBOM: true }).decode(Uint8Array.from(bytes));
  } catch {
    return undefined; // unknown label or invalid octets: ignore the parameter
  }
}

function decodeExtValue(param: DispositionParam): string | undefined {
  if (param.quoted) return undefined; // tc2231 attwithfn2231quot: an ext-value is never a quoted-string
  const m = EXT_VALUE.exec(param.value);
  if (!m || !VALUE_CHARS.test(m[3] as string)) return undefined;
  return decodeCharset(m[1] as string, percentBytes(m[3] as string));
}

/**
 * Raw 8-bit header text arrives as ISO-8859-1 (Node and fetch decode header bytes that way). When those
 * octets happen to form valid UTF-8, read them as UTF-8, as Chrome and Firefox do (deliberately differs
 * from tc2231 attwithutf8fnplain, which wants the Latin-1 mojibake; servers in the wild mean UTF-8).
 */
function sniffUtf8(value: string): string {
  if (!/[\u0080-\u00ff]/.test(value) || /[^\u0000-\u00ff]/.test(value)) return value; // eslint-disable-line no-control-regex
  const bytes = Uint8Array.from(value, (ch) => ch.charCodeAt(0));
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return value;
  }
}

/** RFC 2231 continuations (`filename*0`, `filename*1*`, …); tc2231 lists them as optional, Firefox supports them. */
function joinContinuations(params: Map<string, DispositionParam>): string | undefined {
  const parts = new Map<number, { param: DispositionParam; encoded: boolean }>();
  for (const [name, param] of params) {
    const m = CONTINUATION.exec(name);
    if (m) parts.set(Number(m[1]), { param, encoded: m[2] === '*' });
  }
  const first = parts.get(0);
  if (!first) return undefined; // tc2231 attfnconts1: must start at 0
  let charset: string | undefined;
  const bytes: number[] = [];
  // Stop at the first gap (tc2231 attfncontnc, attfncontlz).
  for (let n = 0; parts.has(n); n++) {
    const { param, encoded } = parts.get(n) as { param: DispositionParam; encoded: boolean };
    if (!encoded) {
      for (const ch of param.value) bytes.push(...(ch.charCodeAt(0) <= 0xff ? [ch.charCodeAt(0)] : utf8.encode(ch)));
      continue;
    }
    if (param.quoted) return undefined;
    let value = param.value;
    if (n === 0) {
      const m = EXT_VALUE.exec(value);
      if (!m) return undefined;
      charset = m[1];
      value = m[3] as string;
    } else if (charset === undefined) {
      return undefined; // an encoded segment needs the charset that only segment 0 can declare
    }
    if (!VALUE_CHARS.test(value)) return undefined;
    bytes.push(...percentBytes(value));
  }
  if (charset !== undefined) return decodeCharset(charset, bytes);
  return sniffUtf8(Buffer.from(bytes).toString('latin1'));
}

/**
 * RFC 6266 parse of a Content-Disposition header; prefers filename* (UTF-8 / ISO-8859-1) over filename.
 * A malformed header returns undefined (the name then comes from the URL, as RFC 6266 says), never
 * guessed from debris. Returns the raw (unsanitized) name, in Unicode composed form (NFC).
 *
 * - The disposition type is not checked: `inline` filenames are used (a "save" of inline content uses
 *   them, tc2231 inlwithasciifilename) and an unknown type counts as `attachment` (RFC 6266 §4.2, dispext).
 * - A bad `filename*` (unknown charset, invalid octets, quoted, malformed) is ignored on its own and
 *   `filename` is used instead (RFC 6266 §4.3).
 * - `filename` is taken literally: no percent-decoding (tc2231 attwithfnrawpctenca) and no RFC 2047
 *   decoding (attrfc2047quoted); only raw UTF-8 octets are read as UTF-8 (see sniffUtf8).
 */
export function filenameFromContentDisposition(header: string | undefined): string | undefined {
  if (typeof header !== 'string' || header.trim() === '') return undefined;
  const parsed = parseDisposition(header);
  if (!parsed) return undefined;
  const { params } = parsed;
  const candidates: Array<() => string | undefined> = [
    () => {
      const ext = params.get('filename*');
      return ext ? decodeExtValue(ext) : undefined;
    },
    () => joinContinuations(params),
    () => {
      const plain = params.get('filename');
      return plain ? sniffUtf8(plain.value) : undefined;
    },
  ];
  for (const candidate of candidates) {
    const name = candidate();
    if (name) return name.normalize('NFC');
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// URL
// ---------------------------------------------------------------------------------------------------

/** The URL's last non-empty path segment, percent-decoded (undefined if none or undecodable). */
export function filenameFromUrl(url: URL): string | undefined {
  const segments = url.pathname.split('/').filter((s) => s !== '');
  const last = segments[segments.length - 1];
  if (last === undefined) return undefined;
  try {
    const decoded = decodeURIComponent(last);
    return decoded === '' ? undefined : decoded.normalize('NFC');
  } catch {
    return undefined; // not valid percent-encoded UTF-8
  }
}

// ---------------------------------------------------------------------------------------------------
// Sanitizing
// ---------------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------------
// Extension from Content-Type
// ---------------------------------------------------------------------------------------------------

/** Types that say nothing about the content, so no extension can come from them. */
const OPAQUE_TYPES = new Set([
  'application/octet-stream',
  'binary/octet-stream',
  'application/binary',
  'application/unknown',
  'application/x-download',
  'application/force-download',
  'application/download',
]);
/** Where mime-db's first extension is not the one people (and browsers) use. */
const PREFERRED_EXTENSION: Readonly<Record<string, string>> = {
  'audio/mpeg': 'mp3',
  'audio/mp3': 'mp3',
  'audio/ogg': 'ogg',
  'video/quicktime': 'mov',
  'image/jpeg': 'jpg',
  'image/pjpeg': 'jpg',
};

/** True when the name already ends in something that reads as an extension (`.pdf`, `.tar.gz`, `.mp3`). */
export function hasExtension(name: string): boolean {
  const [, ext] = splitExtension(name);
  return ext.length >= 2 && ext.length <= MAX_EXT_BYTES + 1 && !/\s/u.test(ext);
}

/** Append an extension from the Content-Type (mime-types) when the name has none; keep the name if it has one or the type is unknown/application/octet-stream. */
export function ensureExtension(name: string, contentType: string | undefined): string {
  if (hasExtension(name) || !contentType) return name;
  const type = (contentType.split(';')[0] as string).trim().toLowerCase();
  if (!type || OPAQUE_TYPES.has(type)) return name;
  const ext = PREFERRED_EXTENSION[type] ?? mime.extension(type);
  if (!ext || ext === 'bin') return name;
  return `${name}.${ext}`;
}

// ---------------------------------------------------------------------------------------------------
// The whole rule
// ---------------------------------------------------------------------------------------------------

/** The whole rule of API.md §4: requested name (already validated, used as-is) > Content-Disposition > URL > 'download'; extension from Content-Type when missing; sanitized. */
export function chooseFilename(input: {
  requested?: string;
  contentDisposition?: string;
  url: URL;
  contentType?: string;
}): string {
  if (input.requested) return input.requested;
  const fromNetwork = [
    () => filenameFromContentDisposition(input.contentDisposition),
    () => filenameFromUrl(input.url),
  ];
  let base = FALLBACK_NAME;
  for (const source of fromNetwork) {
    const raw = source();
    const clean = raw === undefined ? undefined : sanitizeName(raw);
    if (clean) {
      base = clean;
      break;
    }
  }
  return sanitizeName(ensureExtension(base, input.contentType)) ?? base;
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
