import type { StoragePartition } from '../../src-shared/profiles.js';
import type { MediaRef } from '../../src-shared/types.js';

/**
 * The URLs of the window: the page lives at `app://vela/…` (never file://) and media previews at
 * `vela-media://<partition>/<name>`. Pure: no electron here, so the rules are tested in plain Node
 * and the sandboxed preload can bundle them.
 */

export const APP_SCHEME = 'app';
export const APP_HOST = 'vela';
/** The page's origin; Chromium gives `app://vela` for a standard scheme (Node's URL says 'null'). */
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;
export const MEDIA_SCHEME = 'vela-media';

const PARTITIONS: readonly StoragePartition[] = ['cache', 'mass'];

const parse = (value: unknown): URL | null => {
  if (typeof value !== 'string' || value === '') return null;
  try {
    return new URL(value);
  } catch {
    return null;
  }
};

/** A URL on the app's own origin: scheme app:, host vela, no credentials, no port. */
export function isAppUrl(value: unknown): boolean {
  const url = parse(value);
  return (
    url !== null &&
    url.protocol === `${APP_SCHEME}:` &&
    url.hostname === APP_HOST &&
    url.port === '' &&
    url.username === '' &&
    url.password === ''
  );
}

/**
 * The decoded segments of a URL path, or null when one would name something other than a plain file
 * name: empty, `.`, `..` (also as `%2e%2e`), a `/` or `\` hidden as `%2F`/`%5C`, NUL, bad escapes.
 * `/` alone is the empty list.
 */
export function pathSegments(pathname: string): string[] | null {
  const raw = pathname.replace(/^\//, '');
  if (raw === '') return [];
  const segments: string[] = [];
  for (const part of raw.split('/')) {
    let segment: string;
    try {
      segment = decodeURIComponent(part);
    } catch {
      return null;
    }
    if (segment === '' || segment === '.' || segment === '..' || /[/\\\0]/.test(segment)) return null;
    segments.push(segment);
  }
  return segments;
}

/** `vela-media://cache/<name>`, each path segment percent-encoded. */
export function mediaUrl(ref: MediaRef): string {
  if (!PARTITIONS.includes(ref.partition) || typeof ref.name !== 'string') {
    throw new TypeError('mediaUrl: a media reference is { partition: "cache" | "mass", name }');
  }
  return `${MEDIA_SCHEME}://${ref.partition}/${ref.name.split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * The media reference a `vela-media:` URL names, or null. Only the name is taken from the URL; whether
 * it stays inside its partition (links, `.partial`) is for MediaLibrary.resolve to decide.
 */
export function mediaRefFromUrl(value: string): MediaRef | null {
  const url = parse(value);
  if (!url || url.protocol !== `${MEDIA_SCHEME}:` || url.port !== '' || url.username !== '' || url.password !== '') return null;
  const partition = PARTITIONS.find((p) => p === url.hostname);
  if (!partition) return null;
  const segments = pathSegments(url.pathname);
  if (!segments || segments.length === 0) return null;
  return { partition, name: segments.join('/') };
}
