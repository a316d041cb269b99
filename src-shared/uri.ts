import type { StoragePartition } from './profiles.js';

/**
 * Quick-app URIs allow only `0-9 a-z A-Z _ - . / % :` and never `..` (API.md §1), so each path segment
 * is percent-encoded byte by byte, including the `! ~ * ' ( )` that encodeURIComponent leaves alone.
 */
const URI_SAFE = /[0-9A-Za-z_.-]/;

export function encodeUriSegment(segment: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(segment)) {
    const ch = String.fromCharCode(byte);
    out += byte < 0x80 && URI_SAFE.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  // A segment of only dots would read as `.`/`..`; encode its dots so a URI never holds `..`.
  return /^\.+$/.test(out) ? out.replace(/\./g, '%2E') : out;
}

export const PARTITION_PREFIX: Readonly<Record<StoragePartition, string>> = {
  cache: 'internal://cache/',
  mass: 'internal://mass/download/',
};

/** `internal://cache/<encoded name>` for a file name relative to its partition folder. */
export function toInternalUri(partition: StoragePartition, relativeName: string): string {
  return PARTITION_PREFIX[partition] + relativeName.split('/').map(encodeUriSegment).join('/');
}

/** The inverse: the partition and decoded relative name, or null if the URI is not one of ours or tries to leave. */
export function parseInternalUri(uri: string): { partition: StoragePartition; name: string } | null {
  for (const partition of Object.keys(PARTITION_PREFIX) as StoragePartition[]) {
    const prefix = PARTITION_PREFIX[partition];
    if (!uri.startsWith(prefix)) continue;
    let segments: string[];
    try {
      segments = uri.slice(prefix.length).split('/').map((s) => decodeURIComponent(s));
    } catch {
      return null;
    }
    if (segments.some((s) => s === '' || s === '.' || s === '..' || /[/\\\0]/.test(s))) return null;
    return { partition, name: segments.join('/') };
  }
  return null;
}
