import fs from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import type { IncomingMessage } from 'node:http';
import { VelaError } from '../../src-shared/codes.js';
import { reserveAll, SimulatedDrop, type RateLimiter } from './throttle.js';
import { isDirect } from './agents.js';
import { httpGet, type Agents, type GetResult } from './http-get.js';
import { PRIVATE_FILE_MODE } from './private-files.js';
import type { RawAnswer } from './raw-http.js';
import { parseRetryAfter } from './retry-policy.js';

/**
 * One attempt of one download: a single HTTP request whose body streams into the task's partial file.
 * Resume, restart and error classification live here; retries and scheduling live in the engine.
 * HTTP stays inside this file and http-get.ts: the engine sees our own types only.
 */

export const USER_AGENT = 'VelaCompanion/0.1 (+quick-app system.request mirror)';

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
}

export interface AttemptOptions {
  url: string;
  headers: Record<string, string>;
  partialPath: string;
  /** The validators of the bytes already on disk, from an earlier attempt or process. */
  meta: PartialMeta | undefined;
  agents: Agents;
  idleTimeoutMs: number;
  signal: AbortSignal;
  limiters: () => readonly RateLimiter[];
  dropAfterBytes?: number;
  latencyMs?: number;
  /** Called once the response is accepted, before any byte is written; may throw (e.g. quota) to stop. */
  onStart: (meta: PartialMeta, offset: number) => void;
  onBytes: (bytes: number) => void;
}

/** A failed attempt. `transient` ones are retried by the engine, resuming from the partial file. */
export class AttemptFailure extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
    readonly retryAfterMs?: number,
    /** The HTTP status that caused it, when one did. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'AttemptFailure';
  }
}

/** Largest slice paced at once, so a capped stream flows smoothly instead of in bursts. */
const SLICE = 64 * 1024;

export async function runAttempt(options: AttemptOptions): Promise<{ size: number; meta: PartialMeta }> {
  const { signal } = options;
  if (options.latencyMs) await delay(options.latencyMs, undefined, { signal });

  let offset = sizeOf(options.partialPath);
  const validator = options.meta?.etag ?? options.meta?.lastModified;
  if (offset > 0 && !validator) {
    // Bytes we cannot validate are never appended to (curl -C - and wget -c corrupt files that way).
    fs.truncateSync(options.partialPath, 0);
    offset = 0;
  }

  const range = offset > 0 && validator ? { start: offset, ifRange: validator } : undefined;
  let response: GetResult | undefined;
  try {
    // The signal ends the request only until the answer's head: after it, streamToFile ends the body
    // itself, once it has written what the body still buffers (a pause must not throw it away).
    // Plain http without a proxy takes the fast reader (raw-http.ts).
    response = await startRequest(options, range, false, isDirect(options.agents));
    const { url } = response;
    const status = response.statusCode;

    if (status >= 300 && status < 400) throw statusFailure(response);
    if (status >= 400) {
      // A crash between the last byte and the final rename leaves a partial that is already whole.
      const whole = parseContentRange(header(response.headers['content-range']))?.total ?? (/^bytes \*\/(\d+)$/.exec(header(response.headers['content-range']) ?? '')?.[1]);
      if (status === 416 && offset > 0 && options.meta?.total === offset && Number(whole) === offset) {
        response.destroy();
        return { size: offset, meta: options.meta };
      }
      if (status === 416 && offset > 0) {
        fs.truncateSync(options.partialPath, 0);
        throw new AttemptFailure('HTTP status 416: range not satisfiable, restarting from byte 0', true);
      }
      throw statusFailure(response);
    }
    if (status !== 200 && status !== 206) throw statusFailure(response);

    const previous = options.meta;
    let total: number | null;
    if (status === 206) {
      const contentRange = parseContentRange(header(response.headers['content-range']));
      if (!contentRange || contentRange.start !== offset) {
        // Accept only a range that starts exactly at our size; anything else means start over.
        fs.truncateSync(options.partialPath, 0);
        throw new AttemptFailure('the server answered a different range than asked; restarting from byte 0', true);
      }
      total = contentRange.total;
    } else {
      // A 200 to a ranged request: the resource changed or ranges are not supported. Start over, and
      // drop the old bytes before the new validators are written (onStart): a sidecar of the new
      // resource must never sit beside bytes of the old one, or a retry would append to them.
      if (offset > 0) fs.truncateSync(options.partialPath, 0);
      offset = 0;
      total = contentLength(response);
    }

    const meta = metaOf(response, url, total, status === 206 ? previous : undefined);
    options.onStart(meta, offset);

    await streamToFile(response.body, options, offset);
    if (signal.aborted) throw signal.reason;

    const size = sizeOf(options.partialPath);
    if (total !== null && size !== total) {
      throw new AttemptFailure(`the body ended early (${size} of ${total} bytes)`, true);
    }
    return { size, meta };
  } catch (error) {
    response?.destroy();
    throw classifyError(error, signal);
  }
}

/**
 * Writes the body into the partial file as it arrives, each chunk with one synchronous write on this
 * thread, paced by the rate limiters. Synchronous on purpose: a 64 KiB write into the page cache takes
 * tens of microseconds, while fs.WriteStream's thread-pool writes cost a hand-off between threads per
 * batch and kept a single download at about half of curl's speed on two cores (docs/performance.md,
 * case 1); a disk that cannot keep up slows the loop, and so the socket, exactly as backpressure would.
 *
 * Every byte received is written before this returns, whatever ends it: the end of the body, a
 * connection that breaks (reported after, so its bytes are kept), the profile's simulated drop, or an
 * abort (pause, stop), on which what the response still buffers is written too instead of fetched again.
 */
async function streamToFile(
  body: GetResult['body'],
  options: Pick<AttemptOptions, 'partialPath' | 'signal' | 'limiters' | 'onBytes' | 'dropAfterBytes'>,
  offset: number,
): Promise<void> {
  const dropAt = options.dropAfterBytes;
  const fd = fs.openSync(options.partialPath, offset > 0 ? 'a' : 'w', PRIVATE_FILE_MODE);
  let passed = 0;
  let broken: unknown;
  /** Writes what may be written of a chunk; false once the simulated drop point is reached. */
  const accept = (chunk: Buffer): boolean => {
    // `>`: a connection whose body ends exactly at the drop point delivered everything; no drop.
    if (dropAt !== undefined && passed + chunk.length > dropAt) {
      if (dropAt > passed) writeAll(fd, chunk.subarray(0, dropAt - passed), options.onBytes);
      passed = dropAt;
      broken = new SimulatedDrop(dropAt);
      return false;
    }
    passed += chunk.length;
    writeAll(fd, chunk, options.onBytes);
    return true;
  };
  try {
    if (body.kind === 'raw') await pumpRaw(body.raw, options, accept);
    else await pumpStream(body.stream, options, accept);
  } catch (error) {
    // On an abort the caller reports it; every byte received is on disk by now.
    if (!options.signal.aborted) {
      if (error instanceof VelaError || isWriteError(error)) throw error;
      // A broken connection: its bytes are on disk; the break is reported after.
      broken ??= error;
    }
  } finally {
    fs.closeSync(fd);
  }
  if (broken !== undefined) throw broken;
}

/**
 * The fast reader's body: each chunk is written before the reader reuses its buffer. A pause (or a
 * limiter's wait) stops reading the socket; an abort closes the connection at once, since every byte
 * it delivered is already written.
 */
async function pumpRaw(raw: RawAnswer, options: Pick<AttemptOptions, 'signal' | 'limiters'>, accept: (chunk: Buffer) => boolean): Promise<void> {
  const { signal } = options;
  const onAbort = (): void => raw.destroy();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    if (signal.aborted) return;
    await raw.pump((chunk) => {
      if (signal.aborted || !accept(chunk)) return false;
      return reserveAll(options.limiters(), chunk.length);
    });
  } finally {
    signal.removeEventListener('abort', onAbort);
    raw.destroy();
  }
}

/** A node:http body: read chunk by chunk, paced in slices by the limiters. */
async function pumpStream(request: IncomingMessage, options: Pick<AttemptOptions, 'signal' | 'limiters'>, accept: (chunk: Buffer) => boolean): Promise<void> {
  const { signal } = options;
  /** Keeps what already arrived when paused or stopped, then lets the connection go. */
  const drain = (): void => {
    try {
      for (let rest = request.read() as Buffer | null; rest !== null && accept(rest); rest = request.read() as Buffer | null);
    } catch {
      // A write error while stopping anyway: the bytes not written are fetched again.
    }
    request.destroy();
  };
  const chunks = (request as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  /** True while waiting for the next chunk: an abort then has to wake the loop itself. */
  let waiting = false;
  /** The whole body arrived: the connection goes back to the agent's pool, not destroyed. */
  let ended = false;
  const onAbort = (): void => {
    if (waiting) drain();
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      if (signal.aborted) {
        drain();
        break;
      }
      waiting = true;
      let next: IteratorResult<Buffer>;
      try {
        next = await chunks.next();
      } finally {
        waiting = false;
      }
      if (next.done) {
        ended = true;
        break;
      }
      const limiters = options.limiters().filter((l) => l.bytesPerSecond > 0);
      if (limiters.length === 0 || signal.aborted) {
        if (!accept(next.value)) break;
      } else if (!(await paced(next.value, limiters, signal, accept))) break;
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    if (!ended) request.destroy();
  }
}

/** Feeds a chunk to `accept` in slices, each after the limiters allow it; on an abort the rest at once. */
async function paced(chunk: Buffer, limiters: readonly RateLimiter[], signal: AbortSignal, accept: (slice: Buffer) => boolean): Promise<boolean> {
  for (let offset = 0; offset < chunk.length; offset += SLICE) {
    const slice = chunk.subarray(offset, offset + SLICE);
    const wait = reserveAll(limiters, slice.length);
    if (wait > 0 && !signal.aborted) await delay(wait, undefined, { signal }).catch(() => undefined);
    if (!accept(slice)) return false;
  }
  return true;
}

/** An error of the file, not of the connection (those are classified as disk errors by the caller). */
function isWriteError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'syscall' in error && (error as NodeJS.ErrnoException).syscall === 'write';
}

/** One chunk to the file: write() may take less than all of it (a disk filling up), so loop. */
function writeAll(fd: number, chunk: Buffer, onBytes: (bytes: number) => void): void {
  for (let done = 0; done < chunk.length; ) done += fs.writeSync(fd, chunk, done, chunk.length - done);
  onBytes(chunk.length);
}

/** The bytes a segment connection asks for: [start, end) with If-Range; no range = the whole resource. */
export interface RangeRequest {
  url: string;
  headers: Record<string, string>;
  agents: Agents;
  idleTimeoutMs: number;
  signal: AbortSignal;
  latencyMs?: number;
  range?: { start: number; end: number; ifRange: string };
  /** The sidecar's metadata, for the headers a 206 may leave out. */
  previous?: PartialMeta;
}

/** An accepted 200 or 206 whose body has not been read yet. The caller reads it or closes it. */
export interface RangeResponse {
  status: 200 | 206;
  meta: PartialMeta;
  /** Where the body starts in the resource: the Content-Range start of a 206, 0 for a 200. */
  start: number;
  acceptsRanges: boolean;
  body: AsyncIterable<Buffer>;
  close(): void;
}

/**
 * One request of a segmented download (segmented.ts): the same got setup as an attempt, but the body
 * is handed back to be written in place. Statuses other than 200/206 throw an AttemptFailure (with the
 * status); a 206 without a readable Content-Range is a transient failure. Errors are classified.
 */
export async function openRange(options: RangeRequest): Promise<RangeResponse> {
  const { signal } = options;
  let response: GetResult | undefined;
  try {
    if (options.latencyMs) await delay(options.latencyMs, undefined, { signal });
    // Always node:http (no fast reader): segments are written asynchronously, in place.
    response = await startRequest(options, options.range, true);
    const { url } = response;
    const status = response.statusCode;
    if (response.body.kind !== 'stream') throw new Error('a segment needs a stream body');
    const stream = response.body.stream;
    if (status !== 200 && status !== 206) throw statusFailure(response);
    let start = 0;
    let total = contentLength(response);
    if (status === 206) {
      const range = parseContentRange(header(response.headers['content-range']));
      if (!range) throw new AttemptFailure('the server answered a range without a readable Content-Range', true);
      start = range.start;
      total = range.total;
    }
    return {
      status,
      meta: metaOf(response, url, total, status === 206 ? options.previous : undefined),
      start,
      acceptsRanges: status === 206 || /\bbytes\b/i.test(header(response.headers['accept-ranges']) ?? ''),
      body: stream as AsyncIterable<Buffer>,
      close: () => stream.destroy(),
    };
  } catch (error) {
    response?.destroy();
    throw classifyError(error, signal);
  }
}

/** The GET of an attempt or a segment: identity bodies, the range asked with If-Range, idle timeouts only. */
function startRequest(
  options: Pick<RangeRequest, 'url' | 'headers' | 'agents' | 'idleTimeoutMs' | 'signal'>,
  range: { start: number; end?: number; ifRange: string } | undefined,
  signalEndsBody: boolean,
  fastPlainHttp = false,
): Promise<GetResult> {
  const headers: Record<string, string> = { 'user-agent': USER_AGENT, ...lowerKeys(options.headers) };
  // A compressed body hides the length and its offsets cannot be resumed.
  headers['accept-encoding'] = 'identity';
  delete headers.range;
  delete headers['if-range'];
  if (range) {
    headers.range = `bytes=${range.start}-${range.end === undefined ? '' : range.end - 1}`;
    headers['if-range'] = range.ifRange;
  }
  // Idle timeouts only: a total timeout would kill large downloads.
  return httpGet({ url: options.url, headers, agents: options.agents, idleTimeoutMs: options.idleTimeoutMs, signal: options.signal, signalEndsBody, fastPlainHttp });
}

/** What the helpers below read of an answer. */
type Head = Pick<GetResult, 'statusCode' | 'headers'>;

/** A response that is not a 200/206 (the 416 resume cases aside), as a failure. */
function statusFailure(response: Head): AttemptFailure {
  const status = response.statusCode;
  if (status >= 300 && status < 400) {
    return new AttemptFailure(`HTTP status ${status}: redirect not followed (too many redirects or not http/https)`, false, undefined, status);
  }
  if (status >= 400) {
    const transient = status >= 500 || status === 408 || status === 429;
    return new AttemptFailure(`HTTP status ${status}`, transient, parseRetryAfter(header(response.headers['retry-after'])), status);
  }
  return new AttemptFailure(`unexpected HTTP status ${status}`, false, undefined, status);
}

function contentLength(response: Head): number | null {
  const value = header(response.headers['content-length']);
  const length = Number(value);
  return value !== undefined && Number.isFinite(length) ? length : null;
}

/** @param url where the bytes really come from (after redirects): the file is named after it, as browsers do */
function metaOf(response: Head, url: string, total: number | null, previous: PartialMeta | undefined): PartialMeta {
  return {
    url,
    etag: strongEtag(header(response.headers.etag)),
    lastModified: header(response.headers['last-modified']),
    total,
    contentType: header(response.headers['content-type']) ?? previous?.contentType,
    contentDisposition: header(response.headers['content-disposition']) ?? previous?.contentDisposition,
  };
}

/** Turns anything thrown by node:http, fs or the engine's checks into an AttemptFailure; an abort stays an abort. */
export function classifyError(error: unknown, signal: AbortSignal): unknown {
  if (signal.aborted) return signal.reason ?? error;
  if (error instanceof AttemptFailure) return error;
  // Thrown by the engine's own onStart (the quota check): final as it is, not a network error to retry.
  if (error instanceof VelaError) return error;
  const err = error as NodeJS.ErrnoException & { name?: string };
  const code = err?.code ?? '';
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new AttemptFailure('insufficient space: the disk is full', false);
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new AttemptFailure(`cannot write the file (${code})`, false);
    case 'ECONNRESET':
      // node:http's word for a connection that closed inside a body.
      if (err.message === 'aborted') return new AttemptFailure('the body ended early (the connection closed before every byte arrived)', true);
      break;
    case 'ESIMDROP':
      return new AttemptFailure(err.message, true);
    case 'ETIMEDOUT':
      return new AttemptFailure(err.message.startsWith('timeout:') ? err.message : 'timeout: no data from the server', true);
    case 'ENOTFOUND':
      return new AttemptFailure('network error: host not found', false);
    case 'ERR_TOO_MANY_REDIRECTS':
      return new AttemptFailure('too many redirects', false);
    default:
      break;
  }
  // Resets, refused connections, premature closes: the network's fault, worth another try.
  return new AttemptFailure(`network error: ${err?.message ?? String(error)}${code ? ` (${code})` : ''}`, true);
}

function sizeOf(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** If-Range needs a strong validator; a weak ETag is useless for it (RFC 9110 §13.1.5). */
function strongEtag(etag: string | undefined): string | undefined {
  return etag && !etag.startsWith('W/') ? etag : undefined;
}

function lowerKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

export function parseContentRange(value: string | undefined): { start: number; end: number; total: number | null } | null {
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(value?.trim() ?? '');
  if (!match) return null;
  return { start: Number(match[1]), end: Number(match[2]), total: match[3] === '*' ? null : Number(match[3]) };
}
