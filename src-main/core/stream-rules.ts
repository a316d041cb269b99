import { AttemptFailure } from './failure.js';
import type { Head } from './http-client.js';
import type { PartialMeta } from './partial-files.js';
import { parseRetryAfter } from './retry-policy.js';
import { reserveAll, SimulatedDrop, type RateLimiter } from './throttle.js';

/**
 * The rules every stream of a download follows, stated once: the task's one stream (transfer.ts) and
 * each connection of a segmented download (segmented.ts) alike. Which answer is accepted and what it
 * says about the resource; how its bytes are paced through the rate limiters; where the link
 * simulation drops them. When to try again is retry-policy.ts's (`retryWait`).
 */

// ---- answers --------------------------------------------------------------------------------------

/** A 200 or 206 whose body may be read. */
export interface Answer {
  status: 200 | 206;
  /** Where the body starts in the resource: 0 for a 200, a 206's Content-Range start (undefined: unreadable). */
  start: number | undefined;
  meta: PartialMeta;
}

/**
 * Reads a final answer's head: a 200 or 206 becomes an {@link Answer}; any other status throws its
 * failure ({@link statusFailure}). A 206 may leave out the headers the first answer had (type,
 * disposition): `previous` fills them in.
 */
export function readAnswer(head: Head, previous: PartialMeta | undefined): Answer {
  const status = head.statusCode;
  if (status !== 200 && status !== 206) throw statusFailure(head);
  let start: number | undefined = 0;
  let total = contentLength(head);
  if (status === 206) {
    const range = parseContentRange(header(head.headers['content-range']));
    start = range?.start;
    total = range ? range.total : null;
  }
  return { status, start, meta: metaOf(head, total, status === 206 ? previous : undefined) };
}

/**
 * Whether an answer carries the bytes asked for from `offset`: a 206 only when its Content-Range is
 * readable and starts exactly there, a 200 only from byte 0. Anything else is never written where
 * the asked bytes belong (curl -C - and wget -c append whatever comes, and corrupt files that way).
 */
export function startsAt(answer: Answer, offset: number): boolean {
  return answer.start === offset;
}

/**
 * Why an answer to a ranged request shows another resource than the one whose bytes are on disk
 * (`was`), or undefined when it is the same one. A 200 means If-Range did not match (or the server
 * ignores ranges); then the size, the ETag, or Last-Modified when there is no ETag.
 */
export function changeOf(was: PartialMeta, answer: Answer): string | undefined {
  const now = answer.meta;
  if (answer.status === 200) return 'the resource changed (a 200 answer to a ranged request)';
  if (now.total !== was.total) return `the resource changed size (${String(now.total)} instead of ${String(was.total)} bytes)`;
  if (was.etag !== undefined && now.etag !== undefined && now.etag !== was.etag) return 'the resource changed (another ETag)';
  if (was.etag === undefined && now.lastModified !== undefined && now.lastModified !== was.lastModified) return 'the resource changed (another Last-Modified)';
  return undefined;
}

/** The validator sent with If-Range: the ETag (only strong ones are kept, {@link strongEtag}), else Last-Modified. */
export function validatorOf(meta: PartialMeta | undefined): string | undefined {
  return meta?.etag ?? meta?.lastModified;
}

/** A response that is not a 200/206 (a single stream's 416 resume cases aside), as a failure. */
export function statusFailure(head: Head): AttemptFailure {
  const status = head.statusCode;
  if (status >= 300 && status < 400) {
    return new AttemptFailure(`HTTP status ${status}: redirect not followed (too many redirects or not http/https)`, false, undefined, status);
  }
  if (status >= 400) {
    // Retry-After is read here, for every status that may carry it; retry-policy.ts decides the wait.
    const transient = status >= 500 || status === 408 || status === 429;
    return new AttemptFailure(`HTTP status ${status}`, transient, parseRetryAfter(header(head.headers['retry-after'])), status);
  }
  return new AttemptFailure(`unexpected HTTP status ${status}`, false, undefined, status);
}

/** The full size a 416 names (`Content-Range: bytes *\/N`, or a satisfied form's total), if any. */
export function unsatisfiedTotal(head: Head): number | undefined {
  const value = header(head.headers['content-range']);
  const total = parseContentRange(value)?.total ?? /^bytes \*\/(\d+)$/.exec(value ?? '')?.[1];
  return total === undefined || total === null ? undefined : Number(total);
}

export function parseContentRange(value: string | undefined): { start: number; end: number; total: number | null } | null {
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(value?.trim() ?? '');
  if (!match) return null;
  return { start: Number(match[1]), end: Number(match[2]), total: match[3] === '*' ? null : Number(match[3]) };
}

function contentLength(head: Head): number | null {
  const value = header(head.headers['content-length']);
  const length = Number(value);
  return value !== undefined && Number.isFinite(length) ? length : null;
}

/** `url` is where the bytes really come from (after redirects): the file is named after it, as browsers do. */
function metaOf(head: Head, total: number | null, previous: PartialMeta | undefined): PartialMeta {
  return {
    url: head.url,
    etag: strongEtag(header(head.headers.etag)),
    lastModified: header(head.headers['last-modified']),
    total,
    contentType: header(head.headers['content-type']) ?? previous?.contentType,
    contentDisposition: header(head.headers['content-disposition']) ?? previous?.contentDisposition,
    acceptsRanges: head.statusCode === 206 || /\bbytes\b/i.test(header(head.headers['accept-ranges']) ?? ''),
  };
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** If-Range needs a strong validator; a weak ETag is useless for it (RFC 9110 §13.1.5). */
function strongEtag(etag: string | undefined): string | undefined {
  return etag && !etag.startsWith('W/') ? etag : undefined;
}

// ---- pacing -------------------------------------------------------------------------------------

/** Largest slice paced at once, so a capped stream flows smoothly instead of in bursts. */
export const SLICE = 64 * 1024;

/** Nor more than this much of the slowest limiter's time, so a slow cap flows evenly, not in bursts. */
const SLICE_MS = 50;

/**
 * How many bytes a capped stream passes per pacing step: {@link SLICE}, or 50 ms of the slowest
 * limiter's rate when that is less. 64 KiB at 100 KiB/s would be one step every 0.64 s, which reads as
 * a stutter (and as 0 or 256 KiB/s to a 250 ms progress sample); 50 ms worth is 5 KiB. Not below
 * 1 KiB, whose per-step cost (a timer, a write) would then dominate.
 */
export function sliceSize(limiters: readonly RateLimiter[]): number {
  let slowest = Infinity;
  for (const limiter of limiters) if (limiter.bytesPerSecond > 0) slowest = Math.min(slowest, limiter.bytesPerSecond);
  if (slowest === Infinity) return SLICE;
  return Math.max(1024, Math.min(SLICE, Math.floor((slowest * SLICE_MS) / 1000)));
}

/** The limiters that hold anything back (a rate of 0 is unlimited and costs nothing). */
export function activeLimiters(limiters: readonly RateLimiter[]): RateLimiter[] {
  return limiters.filter((l) => l.bytesPerSecond > 0);
}

/**
 * The next piece of a chunk to write, from `from`, and how long to hold it back first. Without an
 * active limiter, the rest of the chunk at once; with one, at most {@link sliceSize}, reserved on every
 * limiter (the global, the profile's and the task's are shared by every stream that uses them, so
 * streams split the rate), the wait being the strictest one's.
 */
export function nextSlice(chunk: Buffer, from: number, limiters: readonly RateLimiter[]): { slice: Buffer; wait: number } {
  if (limiters.length === 0) return { slice: chunk.subarray(from), wait: 0 };
  const slice = chunk.subarray(from, from + sliceSize(limiters));
  return { slice, wait: reserveAll(limiters, slice.length) };
}

// ---- the link simulation --------------------------------------------------------------------------

/** Where the device profile's simulated link drops one request's body (undefined: it does not). */
export class DropPoint {
  /** Body bytes seen so far. */
  #passed = 0;

  constructor(readonly at: number | undefined) {}

  /**
   * The part of `bytes` that arrives before the drop, and the drop when it falls within them. `>`: a
   * body that ends exactly at the drop point delivered everything; no drop.
   */
  cut(bytes: Buffer): { bytes: Buffer; drop?: SimulatedDrop } {
    const at = this.at;
    if (at === undefined || this.#passed + bytes.length <= at) {
      this.#passed += bytes.length;
      return { bytes };
    }
    const kept = bytes.subarray(0, Math.max(0, at - this.#passed));
    this.#passed = at;
    return { bytes: kept, drop: new SimulatedDrop(at) };
  }
}
