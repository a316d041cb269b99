import fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import type { Agents } from './agents.js';
import { AttemptFailure, classifyError, SegmentsInvalidated } from './failure.js';
import type { PartialMeta } from './partial-files.js';
import { PRIVATE_FILE_MODE } from './private-files.js';
import { MAX_ATTEMPTS_WITHOUT_PROGRESS, retryWait } from './retry-policy.js';
import { GROW_EVERY_MS, Growth } from './segment-growth.js';
import { MIN_STEAL, SegmentMap, segmentable, sum, type ByteRange, type Segment, type Worker } from './segment-map.js';
import { activeLimiters, changeOf, DropPoint, nextSlice, startsAt, validatorOf } from './stream-rules.js';
import type { RateLimiter } from './throttle.js';
import { openRange, type RangeResponse } from './transfer.js';

/**
 * A segmented download: several connections on one file, each writing its range in place, as aria2
 * and Gopeed do. The first request keeps streaming from byte 0; once its answer qualifies, the other
 * connections start at once (the `segments` setting; how many, segment-growth.ts). Which connection
 * works on which range, and work stealing, are the segment map's (segment-map.ts); what an answer
 * must be, pacing and the simulated drops, stream-rules.ts's.
 *
 * The partial file is as large as the resource from the start; which bytes are really there is the
 * segment map (`done` ranges), written to the sidecar at most once a second and when the run ends,
 * each time after the file's data was flushed (so the map never claims bytes the disk may not hold).
 *
 * A first response that does not qualify (no ranges, no strong validator, unknown or small size) is
 * simply streamed to the end as one connection, without a map: the caller then resumes it as a
 * single stream. A changed resource ends the run with {@link SegmentsInvalidated}.
 */

/** A new connection added while growing needs a range at least this large to split. */
const MIN_SPLIT_TO_GROW = 2 * 1024 * 1024;
const SAVE_EVERY_MS = 1_000;

export type { ByteRange } from './segment-map.js';

export interface SegmentedOptions {
  url: string;
  headers: Record<string, string>;
  partialPath: string;
  /** The sidecar's metadata (validators, size) when resuming. */
  meta: PartialMeta | undefined;
  /** The sidecar's segment map: resume these ranges; undefined = a fresh start from byte 0. */
  done: ByteRange[] | undefined;
  agents: Agents;
  idleTimeoutMs: number;
  signal: AbortSignal;
  limiters: () => readonly RateLimiter[];
  /** Most connections at once (read on every growth step: lowering it closes connections). */
  maxConnections: () => number;
  /** The simulated drop point of each request. */
  dropAfterBytes: () => number | undefined;
  latencyMs?: number;
  retry: { baseMs: number; maxMs: number };
  /**
   * The first response was accepted, before any byte is written: persist `meta` (with `done` when the
   * map is in use); may throw (quota). `bytes` = what is already on disk.
   */
  onStart: (meta: PartialMeta, bytes: number, done: ByteRange[] | undefined) => void;
  /** Persist the map (the data behind it is flushed). */
  saveMap: (done: ByteRange[]) => void;
  onBytes: (bytes: number) => void;
}

export function runSegmented(options: SegmentedOptions): Promise<{ size: number; meta: PartialMeta }> {
  return new SegmentedDownload(options).run();
}

interface Connection extends Worker {
  failures: number;
  /** While it waits before trying again: ends the wait early (nothing is left to wait for). */
  wake?: () => void;
  firstByteAt?: number;
  /** Ends this connection's request and waits: aborted with the run, or alone when it is closed (fewer segments). */
  controller: AbortController;
  /** Stops following the run's controller (the connection is gone). */
  detach: () => void;
}

/** Ends the whole run (a write error, a changed resource), unlike a network failure of one connection. */
class Fatal {
  constructor(readonly reason: unknown) {}
}

/** Why a connection was closed while the run goes on: the `segments` setting was lowered. */
class Closed extends Error {
  constructor() {
    super('connection closed: fewer segments');
  }
}

class SegmentedDownload {
  readonly #o: SegmentedOptions;
  readonly #controller = new AbortController();
  #fatal: unknown;
  #map = new SegmentMap(null);
  #fh: FileHandle | undefined;
  #meta!: PartialMeta;
  #validator = '';
  /** Whether the segment map is in use (false: one plain stream). */
  #mapped = false;
  #live = new Set<Connection>();
  #loops: Promise<void>[] = [];
  #timers: NodeJS.Timeout[] = [];
  #saving: Promise<void> | undefined;
  /** Bytes written by every connection (growth compares rates). */
  #bytes = 0;
  readonly #growth = new Growth<Connection>({
    working: () => this.#working(),
    maxConnections: () => this.#o.maxConnections(),
    bytes: () => this.#bytes,
    add: () => {
      if (this.#controller.signal.aborted) return undefined;
      const conn = this.#connection();
      if (!this.#map.take(conn, MIN_SPLIT_TO_GROW, true, this.#live)) return void conn.detach();
      this.#spawn(conn);
      return conn;
    },
    close: (conn) => conn.controller.abort(new Closed()),
  });

  constructor(options: SegmentedOptions) {
    this.#o = options;
  }

  async run(): Promise<{ size: number; meta: PartialMeta }> {
    const outer = this.#o.signal;
    if (outer.aborted) throw outer.reason;
    const onAbort = (): void => this.#controller.abort(outer.reason);
    outer.addEventListener('abort', onAbort, { once: true });
    try {
      if (this.#o.done) await this.#startResume(this.#o.done);
      else await this.#startFresh();
      if (this.#mapped) {
        this.#growth.openAtOnce();
        this.#timers.push(setInterval(() => this.#growth.tick(), GROW_EVERY_MS), setInterval(() => void this.#save(), SAVE_EVERY_MS));
      }
      for (let seen = -1; seen < this.#loops.length; ) {
        seen = this.#loops.length;
        await Promise.allSettled(this.#loops);
      }
      if (outer.aborted) throw outer.reason;
      if (this.#fatal !== undefined) throw this.#fatal;
      const size = this.#mapped ? this.#meta.total! : (this.#map.segs[0]?.written ?? 0);
      if (this.#mapped && this.#map.gaps().length > 0) throw new AttemptFailure('segments were left unfinished', true);
      const onDisk = (await this.#fh!.stat()).size;
      if (onDisk !== size) throw new AttemptFailure(`the partial file has ${onDisk} bytes, not ${size}`, true);
      return { size, meta: this.#meta };
    } catch (error) {
      throw outer.aborted ? outer.reason : error;
    } finally {
      outer.removeEventListener('abort', onAbort);
      await this.#close();
    }
  }

  async #startFresh(): Promise<void> {
    const conn = this.#connection();
    const response = await openRange(this.#request(conn));
    try {
      if (!startsAt(response, 0)) throw new AttemptFailure('the server answered a different range than asked', true);
      this.#meta = response.meta;
      this.#mapped = segmentable(response.meta);
      this.#o.onStart(response.meta, 0, this.#mapped ? [] : undefined);
      this.#fh = await fs.promises.open(this.#o.partialPath, 'w', PRIVATE_FILE_MODE);
      if (this.#mapped) {
        this.#validator = validatorOf(response.meta)!;
        await this.#fh.truncate(response.meta.total!);
      }
    } catch (error) {
      response.close();
      throw classifyError(error, this.#controller.signal);
    }
    this.#map = new SegmentMap(response.meta.total);
    this.#map.own(conn, { start: 0, taken: 0, written: 0, end: response.meta.total ?? Infinity });
    this.#spawn(conn, response);
  }

  async #startResume(done: ByteRange[]): Promise<void> {
    const meta = this.#o.meta;
    const validator = validatorOf(meta);
    if (!meta || meta.total === null || validator === undefined) throw new SegmentsInvalidated('the segment map has no validator or size');
    this.#meta = meta;
    this.#validator = validator;
    this.#mapped = true;
    const total = meta.total;
    this.#map = SegmentMap.resume(done, total);
    const first = this.#map.firstMissing();
    try {
      this.#fh = await fs.promises.open(this.#o.partialPath, 'r+');
    } catch {
      throw new SegmentsInvalidated('the partial file is gone');
    }
    const size = (await this.#fh.stat()).size;
    // Every byte is there (stopped between the last write and the commit): nothing to ask.
    if (!first && size === total) return;
    if (!first || size > total) throw new SegmentsInvalidated(`the partial file has ${size} bytes, not ${total}`);
    if (size < total) await this.#fh.truncate(total);
    const conn = this.#connection();
    this.#map.own(conn, first);
    let response: RangeResponse;
    try {
      response = await this.#open(conn, first);
      this.#meta = response.meta;
      const have = this.#map.written();
      this.#o.onStart(response.meta, sum(have), have);
    } catch (error) {
      this.#map.release(conn);
      throw error instanceof Fatal ? error.reason : classifyError(error, this.#controller.signal);
    }
    this.#spawn(conn, response);
  }

  #request(conn: Connection, range?: { start: number; end: number }) {
    return {
      url: this.#o.url,
      headers: this.#o.headers,
      agents: this.#o.agents,
      idleTimeoutMs: this.#o.idleTimeoutMs,
      signal: conn.controller.signal,
      latencyMs: this.#o.latencyMs,
      range: range && { ...range, ifRange: this.#validator },
      previous: this.#meta,
    };
  }

  /** A ranged request for the rest of a segment; anything that shows another resource invalidates the map. */
  async #open(conn: Connection, seg: Segment): Promise<RangeResponse> {
    const response = await openRange(this.#request(conn, { start: seg.written, end: seg.end }));
    conn.requestBytes = 0;
    conn.requestAt = performance.now();
    const changed = changeOf(this.#meta, response);
    if (changed !== undefined) {
      response.close();
      throw new Fatal(new SegmentsInvalidated(changed));
    }
    if (!startsAt(response, seg.written)) {
      response.close();
      throw new AttemptFailure('the server answered a different range than asked', true);
    }
    return response;
  }

  /** A new connection; it ends with the run (its controller follows the run's until it is gone). */
  #connection(): Connection {
    const controller = new AbortController();
    const run = this.#controller.signal;
    const follow = (): void => controller.abort(run.reason);
    if (run.aborted) follow();
    else run.addEventListener('abort', follow, { once: true });
    return { failures: 0, requestBytes: 0, requestAt: performance.now(), controller, detach: () => run.removeEventListener('abort', follow) };
  }

  #spawn(conn: Connection, response?: RangeResponse): void {
    this.#live.add(conn);
    this.#loops.push(
      this.#work(conn, response).finally(() => {
        this.#live.delete(conn);
        conn.detach();
      }),
    );
  }

  /** Connections that go on working (not closed, not ending with the run). */
  #working(): Connection[] {
    return [...this.#live].filter((c) => !c.controller.signal.aborted);
  }

  /** One connection: fetch its segment, then take more work, until none is left or it is closed. */
  async #work(conn: Connection, first?: RangeResponse): Promise<void> {
    const { signal } = conn.controller;
    let response = first;
    for (;;) {
      const seg = signal.aborted ? undefined : (conn.seg ?? this.#map.take(conn, MIN_STEAL, this.#mapped, this.#live));
      if (!seg) {
        response?.close();
        // Nothing left to take: connections waiting to try again would only find the same, and the
        // run would wait for their backoff (up to a minute) before it could end.
        for (const other of this.#live) other.wake?.();
        return;
      }
      const before = seg.written;
      try {
        response ??= await this.#open(conn, seg);
        const opened = response;
        response = undefined;
        await this.#pump(conn, seg, opened);
        if (seg.end === Infinity) seg.end = seg.written; // a body of unknown length ended
        if (seg.written < seg.end) throw new AttemptFailure(`the body ended early (${seg.written - seg.start} of ${seg.end - seg.start} bytes)`, true);
        this.#map.release(conn);
        conn.failures = 0;
      } catch (error) {
        response?.close();
        response = undefined;
        // Its range, from what is written, goes back to the map for the others (or for itself, below).
        this.#map.release(conn);
        if (signal.aborted) return;
        const failure = failureOf(error, signal);
        if (!(failure instanceof AttemptFailure) || failure instanceof SegmentsInvalidated) return this.#abort(failure);
        // One plain stream hands its failure to the engine, which resumes it as a single stream.
        if (!this.#mapped) return this.#abort(failure);
        conn.failures = seg.written > before ? 1 : conn.failures + 1;
        // The last connection hands its failure to the engine at once: the engine's wait is the one
        // the task shows ("Retrying in N s"), and it resumes from the map.
        if (this.#working().length <= 1) return this.#abort(failure);
        // Refused (e.g. a server's connection cap) or failing again and again: the connection retires,
        // and its range goes to the others.
        if (!failure.transient || conn.failures >= MAX_ATTEMPTS_WITHOUT_PROGRESS) return;
        const woken = new AbortController();
        conn.wake = () => woken.abort();
        try {
          await delay(retryWait(failure, conn.failures, this.#o.retry), undefined, { signal: AbortSignal.any([signal, woken.signal]) });
        } catch {
          if (signal.aborted) return;
        } finally {
          conn.wake = undefined;
        }
      }
    }
  }

  /** Streams a response into its segment, stopping at the segment's end (which a steal may move). */
  async #pump(conn: Connection, seg: Segment, response: RangeResponse): Promise<void> {
    const drop = new DropPoint(this.#o.dropAfterBytes());
    let broken: unknown;
    let finished = false;
    try {
      for await (const received of response.body) {
        const cut = drop.cut(received);
        if (cut.drop) broken = cut.drop;
        const chunk = cut.bytes.subarray(0, Math.max(0, seg.end - seg.taken));
        seg.taken += chunk.length;
        await this.#write(conn, seg, chunk);
        if (broken !== undefined || seg.written >= seg.end) break;
      }
      finished = broken === undefined;
    } catch (error) {
      // Bytes before a break are already written; only the break is reported.
      if (error instanceof Fatal || this.#controller.signal.aborted) throw error;
      broken = error;
    } finally {
      if (!finished) response.close();
    }
    if (broken !== undefined) throw broken;
  }

  async #write(conn: Connection, seg: Segment, chunk: Buffer): Promise<void> {
    const { signal } = conn.controller;
    const limiters = activeLimiters(this.#o.limiters());
    for (let offset = 0; offset < chunk.length; ) {
      const { slice, wait } = nextSlice(chunk, offset, limiters);
      if (wait > 0) await delay(wait, undefined, { signal });
      try {
        await this.#fh!.write(slice, 0, slice.length, seg.written);
      } catch (error) {
        throw new Fatal(classifyError(error, this.#controller.signal));
      }
      seg.written += slice.length;
      offset += slice.length;
      conn.firstByteAt ??= performance.now();
      conn.requestBytes += slice.length;
      this.#bytes += slice.length;
      this.#o.onBytes(slice.length);
    }
  }

  /** Writes the map, after flushing the data it describes. Never two at once. */
  #save(): Promise<void> {
    if (!this.#mapped || !this.#fh || this.#saving) return this.#saving ?? Promise.resolve();
    const fh = this.#fh;
    const map = this.#map.written();
    this.#saving = fh
      .datasync()
      .then(() => this.#o.saveMap(map))
      .catch(() => {}) // a failed save leaves the previous map, which is still true
      .finally(() => (this.#saving = undefined));
    return this.#saving;
  }

  #abort(reason: unknown): void {
    this.#fatal ??= reason;
    this.#controller.abort(reason);
  }

  /** Waits for every connection (their last writes), writes the final map and closes the file. */
  async #close(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    if (!this.#controller.signal.aborted && this.#live.size > 0) this.#controller.abort(new Error('segmented run ended'));
    await Promise.allSettled(this.#loops);
    await this.#saving;
    await this.#save();
    await this.#fh?.close().catch(() => {});
  }
}

function failureOf(error: unknown, signal: AbortSignal): unknown {
  if (error instanceof Fatal) return error.reason;
  const failure = classifyError(error, signal);
  if (failure instanceof AttemptFailure && failure.status === 416) return new SegmentsInvalidated('HTTP status 416 for a segment');
  return failure;
}
