import fs from 'node:fs';
import path from 'node:path';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from './private-files.js';
import type { ByteRange } from './segment-map.js';

/** What the engine remembers about the bytes in a partial file, kept beside it as `<token>.json`. */
export interface PartialMeta {
  /** The URL the bytes came from, after redirects. */
  url: string;
  etag?: string;
  lastModified?: string;
  /** Full size of the resource, when known. */
  total: number | null;
  contentType?: string;
  contentDisposition?: string;
  /** The server said it takes byte ranges (a 206, or `Accept-Ranges: bytes`); absent in older sidecars. */
  acceptsRanges?: boolean;
}

/** The sidecar beside a partial file: the validators of its bytes, and a segmented download's map. */
export interface PartialSidecar extends PartialMeta {
  /** A segmented download's map: the byte ranges known to be on disk. Absent for a single stream. */
  done?: ByteRange[];
}

/**
 * The `.partial/` folder of the cache: `<token>` holds the bytes so far and `<token>.json` what is
 * needed to resume them safely after a crash. For a single stream the file's size is the truth for how
 * far a task got; a segmented download's file has its full size from the start, and its map says.
 */
export class PartialFiles {
  /** @param dir the cache's `.partial/` folder */
  constructor(readonly dir: string) {}

  dataPath(token: string): string {
    return path.join(this.dir, token);
  }

  metaPath(token: string): string {
    return path.join(this.dir, `${token}.json`);
  }

  size(token: string): number {
    try {
      return fs.statSync(this.dataPath(token)).size;
    } catch {
      return 0;
    }
  }

  /** How many bytes of the download are really there: the segment map's, else the file's size. */
  bytes(token: string, meta: PartialSidecar | undefined = this.readMeta(token)): number {
    const done = meta?.done;
    return Array.isArray(done) ? done.reduce((n, [a, b]) => n + Math.max(0, b - a), 0) : this.size(token);
  }

  readMeta(token: string): PartialSidecar | undefined {
    try {
      return JSON.parse(fs.readFileSync(this.metaPath(token), 'utf8')) as PartialSidecar;
    } catch {
      return undefined;
    }
  }

  /**
   * Written synchronously, always before the bytes it describes could be trusted: a partial file
   * without a sidecar is never appended to (transfer.ts truncates it), so a missing sidecar costs at
   * most a refetch, never a wrong byte. The engine writes it once a single stream is worth resuming.
   */
  writeMeta(token: string, meta: PartialSidecar): void {
    fs.mkdirSync(this.dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    const tmp = `${this.metaPath(token)}.tmp`;
    try {
      // 0600: the sidecar holds the request's URL (and so any credentials in it).
      fs.writeFileSync(tmp, JSON.stringify(meta), { mode: PRIVATE_FILE_MODE });
      fs.renameSync(tmp, this.metaPath(token));
    } catch (error) {
      fs.rmSync(tmp, { force: true });
      throw error;
    }
  }

  /** Drop the sidecar only (its file was committed, or never had bytes worth keeping). */
  removeMeta(token: string): void {
    fs.rmSync(this.metaPath(token), { force: true });
  }

  remove(token: string): void {
    fs.rmSync(this.dataPath(token), { force: true });
    fs.rmSync(this.metaPath(token), { force: true });
    fs.rmSync(`${this.metaPath(token)}.tmp`, { force: true });
  }
}
