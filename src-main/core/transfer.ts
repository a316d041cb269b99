import fs from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { ReadError, TimeoutError } from 'got';
import { VelaError } from '../../src-shared/codes.js';
import type { Agents } from './agents.js';
import { headOf, holdIdleTimer, startGet, type Body, type Head } from './http-client.js';
import { FailureKind } from './failure.js';
import { PRIVATE_FILE_MODE } from './private-files.js';
import { parseRetryAfter } from './retry-policy.js';
import { reserveAll, SimulatedDrop, type RateLimiter } from './throttle.js';

export { USER_AGENT } from './http-client.js';
export { FailureKind } from './failure.js';

/**
 * One attempt of one download: a single HTTP request (got, http-client.ts) whose body streams into the
 * task's partial file. Resume, restart and error classification live here; retries and scheduling
 * live in the engine, which sees our own types only.
 */

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
    /** What went wrong, for callers to branch on (never the message). */
    readonly kind: FailureKind = status === undefined ? FailureKind.Network : FailureKind.Http,
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
  let body: Body | undefined;
  // Until the head: an abort ends the request. After it, streamToFile ends the body itself, once it
  // has written what the body still buffers (a pause must not throw it away).
  let receiving = false;
  const onAbort = (): void => {
    if (!receiving) body?.destroy(reasonOf(signal));
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    if (signal.aborted) throw signal.reason;
    body = startGet({ ...options, range });
    const response = await headOf(body);
    const status = response.statusCode;

    if (status >= 300 && status < 400) throw statusFailure(response);
    if (status >= 400) {
      // A crash between the last byte and the final rename leaves a partial that is already whole.
      const whole = parseContentRange(header(response.headers['content-range']))?.total ?? (/^bytes \*\/(\d+)$/.exec(header(response.headers['content-range']) ?? '')?.[1]);
      if (status === 416 && offset > 0 && options.meta?.total === offset && Number(whole) === offset) {
        body.destroy();
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

    const meta = metaOf(response, total, status === 206 ? previous : undefined);
    options.onStart(meta, offset);

    receiving = true;
    await streamToFile(body, options, offset);
    if (signal.aborted) throw signal.reason;

    const size = sizeOf(options.partialPath);
    if (total !== null && size !== total) {
      throw new AttemptFailure(`the body ended early (${size} of ${total} bytes)`, true);
    }
    return { size, meta };
  } catch (error) {
    body?.destroy();
    throw classifyError(error, signal);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * Writes the body into the partial file as it arrives: `pipeline(body, sink)`, the sink writing each
 * chunk with one synchronous write on this thread, paced by the rate limiters. Synchronous on purpose:
 * a 64 KiB write into the page cache takes tens of microseconds, while fs.WriteStream's thread-pool
 * writes cost a hand-off between threads per batch (docs/performance.md, case 1); a disk that cannot
 * keep up slows the loop, and so the socket, exactly as backpressure would. The file is opened once
 * per attempt, and nothing else touches the disk per chunk.
 *
 * A pause or stop (the signal) writes what already arrived, the slice being paced and whatever got
 * and the connection still buffer, and only then closes the connection: a resume fetches only what
 * never arrived. A broken connection is reported after the bytes before the break were written.
 */
async function streamToFile(body: Body, options: Pick<AttemptOptions, 'partialPath' | 'signal' | 'limiters' | 'onBytes' | 'dropAfterBytes' | 'idleTimeoutMs'>, offset: number): Promise<void> {
  const { signal } = options;
  const fd = fs.openSync(options.partialPath, offset > 0 ? 'a' : 'w', PRIVATE_FILE_MODE);
  const sink = new FileSink(fd, body, options);
  const onAbort = (): void => sink.stop();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    if (signal.aborted) sink.stop();
    await pipeline(body, sink);
  } catch (error) {
    // On an abort the caller reports it; every byte received is on disk by now.
    if (!signal.aborted) throw error;
  } finally {
    signal.removeEventListener('abort', onAbort);
    fs.closeSync(fd);
  }
}

/** The end of {@link streamToFile}'s pipeline: synchronous writes into the partial file, paced. */
class FileSink extends Writable {
  readonly #fd: number;
  readonly #body: Body;
  readonly #o: Pick<AttemptOptions, 'limiters' | 'onBytes' | 'dropAfterBytes' | 'idleTimeoutMs'>;
  /** Body bytes seen, for the simulated drop. */
  #passed = 0;
  #stopping = false;
  /** A chunk waiting for the limiters: its next slice (already reserved) starts at `offset`. */
  #held: { chunk: Buffer; offset: number; done: (error?: Error | null) => void; timer: NodeJS.Timeout; resumeIdle: () => void } | undefined;

  constructor(fd: number, body: Body, options: Pick<AttemptOptions, 'limiters' | 'onBytes' | 'dropAfterBytes' | 'idleTimeoutMs'>) {
    // Chunks are written as they come; the buffer only fills while a speed limit holds one back.
    super({ highWaterMark: 4 * SLICE, decodeStrings: false });
    this.#fd = fd;
    this.#body = body;
    this.#o = options;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    const limiters = this.#stopping ? [] : this.#o.limiters().filter((l) => l.bytesPerSecond > 0);
    if (limiters.length === 0) this.#finish(chunk, 0, done);
    else this.#pace(chunk, 0, limiters, done);
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    const held = this.#held;
    this.#held = undefined;
    if (held) {
      clearTimeout(held.timer);
      held.resumeIdle();
    }
    done(error);
  }

  /** Feeds a chunk in slices, each once the limiters allow it. */
  #pace(chunk: Buffer, from: number, limiters: readonly RateLimiter[], done: (error?: Error | null) => void): void {
    for (let offset = from; offset < chunk.length; ) {
      const slice = chunk.subarray(offset, offset + SLICE);
      const wait = reserveAll(limiters, slice.length);
      if (wait > 0) {
        // Our own wait is not the server's silence.
        const resumeIdle = holdIdleTimer(this.#body, this.#o.idleTimeoutMs);
        const timer = setTimeout(() => {
          this.#held = undefined;
          resumeIdle();
          if (!this.#write(slice, done)) return;
          this.#pace(chunk, offset + slice.length, limiters, done);
        }, wait);
        this.#held = { chunk, offset, done, timer, resumeIdle };
        return;
      }
      if (!this.#write(slice, done)) return;
      offset += slice.length;
    }
    done();
  }

  /** Writes the rest of a chunk at once and reports the chunk done. */
  #finish(chunk: Buffer, from: number, done: (error?: Error | null) => void): void {
    if (this.#write(chunk.subarray(from), done)) done();
  }

  /** Writes bytes to the file (up to the simulated drop point); false after reporting an error to `done`. */
  #write(bytes: Buffer, done: (error?: Error | null) => void): boolean {
    try {
      const drop = this.#o.dropAfterBytes;
      // `>`: a connection whose body ends exactly at the drop point delivered everything; no drop.
      if (drop !== undefined && this.#passed + bytes.length > drop) {
        if (drop > this.#passed) this.#writeAll(bytes.subarray(0, drop - this.#passed));
        this.#passed = drop;
        done(new SimulatedDrop(drop));
        return false;
      }
      this.#passed += bytes.length;
      this.#writeAll(bytes);
      return true;
    } catch (error) {
      done(error as Error);
      return false;
    }
  }

  /** write() may take less than all of it (a disk filling up), so loop. */
  #writeAll(bytes: Buffer): void {
    for (let done = 0; done < bytes.length; ) done += fs.writeSync(this.#fd, bytes, done, bytes.length - done);
    this.#o.onBytes(bytes.length);
  }

  /**
   * Pause or stop: writes the slice being paced and what got and the connection already buffer, then
   * closes the connection (the pipeline then ends; the caller reports the abort).
   */
  stop(): void {
    if (this.#stopping) return;
    this.#stopping = true;
    const held = this.#held;
    if (held) {
      this.#held = undefined;
      clearTimeout(held.timer);
      held.resumeIdle();
      // Chunks the sink buffered meanwhile follow at once (unpaced, now that it is stopping).
      this.#finish(held.chunk, held.offset, held.done);
    }
    const body = this.#body;
    body.unpipe(this);
    try {
      for (let rest = body.read() as Buffer | null; rest !== null && this.#write(rest, () => undefined); rest = body.read() as Buffer | null);
    } catch {
      // A stream already broken: what it held is fetched again.
    }
    body.destroy();
  }
}

function reasonOf(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted');
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
 * status); a 206 without a readable Content-Range is a transient failure. Errors are classified. The
 * signal ends the request, head or body.
 */
export async function openRange(options: RangeRequest): Promise<RangeResponse> {
  const { signal } = options;
  let body: Body | undefined;
  const onAbort = (): void => {
    body?.destroy(reasonOf(signal));
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    if (options.latencyMs) await delay(options.latencyMs, undefined, { signal });
    if (signal.aborted) throw signal.reason;
    const opened = startGet(options);
    body = opened;
    const response = await headOf(opened);
    const status = response.statusCode;
    if (status !== 200 && status !== 206) throw statusFailure(response);
    let start = 0;
    let total = contentLength(response);
    if (status === 206) {
      const range = parseContentRange(header(response.headers['content-range']));
      if (!range) throw new AttemptFailure('the server answered a range without a readable Content-Range', true);
      start = range.start;
      total = range.total;
    }
    // got's stream is not destroyed at its end (autoDestroy is off), so both.
    const forget = (): void => signal.removeEventListener('abort', onAbort);
    opened.once('end', forget).once('close', forget);
    return {
      status,
      meta: metaOf(response, total, status === 206 ? options.previous : undefined),
      start,
      acceptsRanges: status === 206 || /\bbytes\b/i.test(header(response.headers['accept-ranges']) ?? ''),
      body: opened,
      close: () => opened.destroy(),
    };
  } catch (error) {
    signal.removeEventListener('abort', onAbort);
    body?.destroy();
    throw classifyError(error, signal);
  }
}

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

/** `url` is where the bytes really come from (after redirects): the file is named after it, as browsers do. */
function metaOf(response: Head, total: number | null, previous: PartialMeta | undefined): PartialMeta {
  return {
    url: response.url,
    etag: strongEtag(header(response.headers.etag)),
    lastModified: header(response.headers['last-modified']),
    total,
    contentType: header(response.headers['content-type']) ?? previous?.contentType,
    contentDisposition: header(response.headers['content-disposition']) ?? previous?.contentDisposition,
  };
}

/**
 * Turns anything thrown by got, fs or the engine's checks into an AttemptFailure; an abort stays an
 * abort. By error class and `code`, never by message text.
 */
export function classifyError(error: unknown, signal: AbortSignal): unknown {
  const failure = classify(error, signal);
  // Kept as the cause, so the task's failure reason can name it (failure-reason.ts: refused, DNS, …).
  if (failure instanceof AttemptFailure && failure !== error && failure.cause === undefined) failure.cause = error;
  return failure;
}

function classify(error: unknown, signal: AbortSignal): unknown {
  if (signal.aborted) return signal.reason ?? error;
  if (error instanceof AttemptFailure) return error;
  // Thrown by the engine's own onStart (the quota check): final as it is, not a network error to retry.
  if (error instanceof VelaError) return error;
  const err = error as NodeJS.ErrnoException;
  const code = err?.code ?? '';
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new AttemptFailure('insufficient space: the disk is full', false, undefined, undefined, FailureKind.NoSpace);
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new AttemptFailure(`cannot write the file (${code})`, false, undefined, undefined, FailureKind.Write);
    case 'ESIMDROP':
      return new AttemptFailure(err.message, true);
    case 'ERR_HTTP_CONTENT_LENGTH_MISMATCH':
      // got's strictContentLength: the connection ended inside a Content-Length body.
      return new AttemptFailure('the body ended early (the connection closed before every byte arrived)', true, undefined, undefined, FailureKind.Body);
    case 'ECONNRESET':
      // A reset inside the body (got reports it as a read error; a cut chunked body is one too).
      if (error instanceof ReadError) return new AttemptFailure('the body ended early (the connection closed before every byte arrived)', true, undefined, undefined, FailureKind.Body);
      break;
    case 'ETIMEDOUT': {
      const phase = error instanceof TimeoutError ? error.event : undefined;
      if (phase === 'lookup' || phase === 'connect' || phase === 'secureConnect') return new AttemptFailure('timeout: could not connect to the server', true, undefined, undefined, FailureKind.Timeout);
      return new AttemptFailure('timeout: no data from the server', true, undefined, undefined, FailureKind.Timeout);
    }
    case 'ENOTFOUND':
      return new AttemptFailure('network error: host not found', false);
    case 'ERR_TOO_MANY_REDIRECTS':
      return new AttemptFailure('too many redirects', false, undefined, undefined, FailureKind.Request);
    case 'ERR_INVALID_URL':
    case 'ERR_UNSUPPORTED_PROTOCOL':
    case 'ERR_INVALID_CHAR':
    case 'ERR_INVALID_HTTP_TOKEN':
    case 'ERR_HTTP_INVALID_HEADER_VALUE':
      // The request cannot be made at all: another attempt would fail the same way.
      return new AttemptFailure(`the request cannot be sent: ${err.message} (${code})`, false, undefined, undefined, FailureKind.Request);
    default:
      break;
  }
  // Resets, refused connections, malformed answers, premature closes: the network's fault, worth another try.
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

export function parseContentRange(value: string | undefined): { start: number; end: number; total: number | null } | null {
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(value?.trim() ?? '');
  if (!match) return null;
  return { start: Number(match[1]), end: Number(match[2]), total: match[3] === '*' ? null : Number(match[3]) };
}
