import fs from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as delay } from 'node:timers/promises';
import type { Agents } from './agents.js';
import { AttemptFailure, classifyError } from './failure.js';
import { headOf, holdIdleTimer, startGet, type Body } from './http-client.js';
import type { PartialMeta } from './partial-files.js';
import { PRIVATE_FILE_MODE } from './private-files.js';
import { activeLimiters, DropPoint, nextSlice, readAnswer, SLICE, startsAt, unsatisfiedTotal, validatorOf, type Answer } from './stream-rules.js';
import type { RateLimiter } from './throttle.js';

/**
 * One attempt of one download: a single HTTP request (got, http-client.ts) whose body streams into the
 * task's partial file; and {@link openRange}, the same request for one connection of a segmented
 * download. What an answer must be and how bytes are paced and dropped are stream-rules.ts's, shared
 * with segmented.ts; what a failure is, failure.ts's. Retries and scheduling live in the session.
 */

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

export async function runAttempt(options: AttemptOptions): Promise<{ size: number; meta: PartialMeta }> {
  const { signal } = options;
  if (options.latencyMs) await delay(options.latencyMs, undefined, { signal });

  let offset = sizeOf(options.partialPath);
  const validator = validatorOf(options.meta);
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

    if (response.statusCode === 416 && offset > 0) {
      // A crash between the last byte and the final rename leaves a partial that is already whole.
      if (options.meta?.total === offset && unsatisfiedTotal(response) === offset) {
        body.destroy();
        return { size: offset, meta: options.meta };
      }
      fs.truncateSync(options.partialPath, 0);
      throw new AttemptFailure('HTTP status 416: range not satisfiable, restarting from byte 0', true);
    }
    const answer: Answer = readAnswer(response, options.meta);
    if (answer.status === 206 && !startsAt(answer, offset)) {
      // Not the bytes asked for: never appended; the next attempt starts over.
      fs.truncateSync(options.partialPath, 0);
      throw new AttemptFailure('the server answered a different range than asked; restarting from byte 0', true);
    }
    if (answer.status === 200) {
      // A 200 to a ranged request: the resource changed or ranges are not supported. Start over, and
      // drop the old bytes before the new validators are written (onStart): a sidecar of the new
      // resource must never sit beside bytes of the old one, or a retry would append to them.
      if (offset > 0) fs.truncateSync(options.partialPath, 0);
      offset = 0;
    }
    const { meta } = answer;
    const total = meta.total;
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
  readonly #o: Pick<AttemptOptions, 'limiters' | 'onBytes' | 'idleTimeoutMs'>;
  readonly #drop: DropPoint;
  #stopping = false;
  /** A chunk waiting for the limiters: its next slice (already reserved) starts at `offset`. */
  #held: { chunk: Buffer; offset: number; done: (error?: Error | null) => void; timer: NodeJS.Timeout; resumeIdle: () => void } | undefined;

  constructor(fd: number, body: Body, options: Pick<AttemptOptions, 'limiters' | 'onBytes' | 'dropAfterBytes' | 'idleTimeoutMs'>) {
    // Chunks are written as they come; the buffer only fills while a speed limit holds one back.
    super({ highWaterMark: 4 * SLICE, decodeStrings: false });
    this.#fd = fd;
    this.#body = body;
    this.#o = options;
    this.#drop = new DropPoint(options.dropAfterBytes);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.#pace(chunk, 0, this.#stopping ? [] : activeLimiters(this.#o.limiters()), done);
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

  /** Feeds a chunk in slices, each once the limiters allow it (no limiters: all of it at once). */
  #pace(chunk: Buffer, from: number, limiters: readonly RateLimiter[], done: (error?: Error | null) => void): void {
    for (let offset = from; offset < chunk.length; ) {
      const { slice, wait } = nextSlice(chunk, offset, limiters);
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

  /** Writes bytes to the file (up to the simulated drop point); false after reporting an error to `done`. */
  #write(bytes: Buffer, done: (error?: Error | null) => void): boolean {
    try {
      const cut = this.#drop.cut(bytes);
      if (cut.bytes.length > 0) this.#writeAll(cut.bytes);
      if (!cut.drop) return true;
      done(cut.drop);
      return false;
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
      this.#pace(held.chunk, held.offset, [], held.done);
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
    const answer = readAnswer(await headOf(opened), options.previous);
    if (answer.start === undefined) throw new AttemptFailure('the server answered a range without a readable Content-Range', true);
    // got's stream is not destroyed at its end (autoDestroy is off), so both.
    const forget = (): void => signal.removeEventListener('abort', onAbort);
    opened.once('end', forget).once('close', forget);
    return { ...answer, start: answer.start, body: opened, close: () => opened.destroy() };
  } catch (error) {
    signal.removeEventListener('abort', onAbort);
    body?.destroy();
    throw classifyError(error, signal);
  }
}

function sizeOf(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}
