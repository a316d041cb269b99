import mime from 'mime-types';
import { filenameFromContentDisposition } from './content-disposition.js';
import { MAX_EXT_BYTES, sanitizeName, splitExtension } from './safe-name.js';

/**
 * File naming as browsers do it (API.md §4): the caller's name, else Content-Disposition
 * (content-disposition.ts), else the URL's last path segment, else `download`; an extension from
 * Content-Type when missing; a name from the network is cleaned, never trusted (safe-name.ts). A
 * clash becomes `name-1.ext`, … when the file is put in place (place-file.ts).
 */

const FALLBACK_NAME = 'download';

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
