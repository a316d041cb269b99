import fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import type { Agents } from './agents.js';
import { PRIVATE_FILE_MODE } from './private-files.js';
import { MAX_ATTEMPTS_WITHOUT_PROGRESS, retryDelay } from './retry-policy.js';
import { reserveAll, SimulatedDrop, sliceSize, type RateLimiter } from './throttle.js';
import { AttemptFailure, classifyError, openRange, type PartialMeta, type RangeResponse } from './transfer.js';

/**
 * A segmented download: several connections on one file, each writing its range in place, as aria2
 * and Gopeed do. The first request keeps streaming from byte 0; once its answer qualifies, the other
 * connections start at once (the `segments` setting), and one that retires is replaced while that
 * still makes the total faster; a connection that finishes takes over half of the range with the most
 * time left (work stealing), so the end never crawls on one slow connection.
 *
 * The partial file is as large as the resource from the start; which bytes are really there is the
 * segment map (`done` ranges), written to the sidecar at most once a second and when the run ends,
 * each time after the file's data was flushed (so the map never claims bytes the disk may not hold).
 *
 * A first response that does not qualify (no ranges, no strong validator, unknown or small size) is
 * simply streamed to the end as one connection, without a map: the caller then resumes it as a
 * single stream. A changed resource ends the run with {@link SegmentsInvalidated}.
 */

const KiB = 1024;
const MiB = 1024 * KiB;
/** Smaller files are not worth more connections. */
export const SEGMENTED_MIN_TOTAL = 8 * MiB;
const GROW_EVERY_MS = 250;
const SAVE_EVERY_MS = 1_000;
/** A finishing connection steals only from a range at least this large (each half keeps ≥ 128 KiB)... */
const MIN_STEAL = 256 * KiB;
/** ...and only if it has this much time left at its connection's speed (or at least 4 MiB). */
const STEAL_IF_LEFT_MS = 300;
/** A new connection added while growing needs a range at least this large to split. */
const MIN_SPLIT_TO_GROW = 2 * MiB;

/** A half-open byte range [start, end). */
export type ByteRange = [start: number, end: number];

/** The resource changed under a segmented download: its bytes are worthless; start over in one stream. */
export class SegmentsInvalidated extends AttemptFailure {
  constructor(why: string) {
    super(`${why}; restarting from byte 0`, true);
    this.name = 'SegmentsInvalidated';
  }
}

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
  /** Most connections at once (read on every growth step). */
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

/** Whether a first response allows more connections. */
export function segmentable(response: RangeResponse): boolean {
  const { total, etag, lastModified } = response.meta;
  return response.acceptsRanges && response.start === 0 && total !== null && total >= SEGMENTED_MIN_TOTAL && (etag ?? lastModified) !== undefined;
}

export function runSegmented(options: SegmentedOptions): Promise<{ size: number; meta: PartialMeta }> {
  return new SegmentedDownload(options).run();
}

interface Segment {
  start: number;
  /** Bytes taken from the socket (being paced or written): a steal splits after them. */
  taken: number;
  /** Bytes written to the file: [start, written) is done. */
  written: number;
  end: number;
  owner?: Connection;
}

interface Connection {
  seg?: Segment;
  failures: number;
  firstByteAt?: number;
  /** Bytes and start of its current request, for its speed. */
  requestBytes: number;
  requestAt: number;
}

/** Ends the whole run (a write error, a changed resource), unlike a network failure of one connection. */
class Fatal {
  constructor(readonly reason: unknown) {}
}

class SegmentedDownload {
  readonly #o: SegmentedOptions;
  readonly #controller = new AbortController();
  #fatal: unknown;
  #segs: Segment[] = [];
  #fh: FileHandle | undefined;
  #meta!: PartialMeta;
  #validator = '';
  /** Whether the segment map is in use (false: one plain stream). */
  #mapped = false;
  #live = new Set<Connection>();
  #loops: Promise<void>[] = [];
  #timers: NodeJS.Timeout[] = [];
  #closing = false;
  #saving: Promise<void> | undefined;
  // Growth: bytes so far, the last tick, the rate before the newest connection, whether growth stopped.
  #bytes = 0;
  #tickBytes = 0;
  #tickAt = performance.now();
  #baseline = 0;
  #newest: Connection | undefined;
  #saturated = false;

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
        this.#openAtOnce();
        this.#timers.push(setInterval(() => this.#grow(), GROW_EVERY_MS), setInterval(() => void this.#save(), SAVE_EVERY_MS));
      }
      for (let seen = -1; seen < this.#loops.length; ) {
        seen = this.#loops.length;
        await Promise.allSettled(this.#loops);
      }
      if (outer.aborted) throw outer.reason;
      if (this.#fatal !== undefined) throw this.#fatal;
      const size = this.#mapped ? this.#meta.total! : (this.#segs[0]?.written ?? 0);
      if (this.#mapped && this.#gaps().length > 0) throw new AttemptFailure('segments were left unfinished', true);
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
    const response = await openRange(this.#request());
    try {
      if (response.start !== 0) throw new AttemptFailure('the server answered a different range than asked', true);
      this.#meta = response.meta;
      this.#mapped = segmentable(response);
      this.#o.onStart(response.meta, 0, this.#mapped ? [] : undefined);
      this.#fh = await fs.promises.open(this.#o.partialPath, 'w', PRIVATE_FILE_MODE);
      if (this.#mapped) {
        this.#validator = (response.meta.etag ?? response.meta.lastModified)!;
        await this.#fh.truncate(response.meta.total!);
      }
    } catch (error) {
      response.close();
      throw classifyError(error, this.#controller.signal);
    }
    this.#own(conn, { start: 0, taken: 0, written: 0, end: response.meta.total ?? Infinity });
    this.#spawn(conn, response);
  }

  async #startResume(done: ByteRange[]): Promise<void> {
    const meta = this.#o.meta;
    const validator = meta?.etag ?? meta?.lastModified;
    if (!meta || meta.total === null || validator === undefined) throw new SegmentsInvalidated('the segment map has no validator or size');
    this.#meta = meta;
    this.#validator = validator;
    this.#mapped = true;
    const total = meta.total;
    const have = normalise(done, total);
    for (const [start, end] of have) this.#segs.push({ start, taken: end, written: end, end });
    for (const [start, end] of complement(have, total)) this.#segs.push({ start, taken: start, written: start, end });
    const first = this.#segs.find((s) => s.written < s.end);
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
    this.#own(conn, first);
    let response: RangeResponse;
    try {
      response = await this.#open(conn, first);
      this.#meta = response.meta;
      this.#o.onStart(response.meta, sum(have), have);
    } catch (error) {
      first.owner = undefined;
      conn.seg = undefined;
      throw error instanceof Fatal ? error.reason : classifyError(error, this.#controller.signal);
    }
    this.#spawn(conn, response);
  }

  #request(range?: { start: number; end: number }) {
    return {
      url: this.#o.url,
      headers: this.#o.headers,
      agents: this.#o.agents,
      idleTimeoutMs: this.#o.idleTimeoutMs,
      signal: this.#controller.signal,
      latencyMs: this.#o.latencyMs,
      range: range && { ...range, ifRange: this.#validator },
      previous: this.#meta,
    };
  }

  /** A ranged request for the rest of a segment; anything that shows another resource invalidates the map. */
  async #open(conn: Connection, seg: Segment): Promise<RangeResponse> {
    const response = await openRange(this.#request({ start: seg.written, end: seg.end }));
    conn.requestBytes = 0;
    conn.requestAt = performance.now();
    const was = this.#meta;
    const now = response.meta;
    let changed: string | undefined;
    if (response.status === 200) changed = 'the resource changed (a 200 answer to a ranged request)';
    else if (now.total !== was.total) changed = `the resource changed size (${String(now.total)} instead of ${String(was.total)} bytes)`;
    else if (was.etag !== undefined && now.etag !== undefined && now.etag !== was.etag) changed = 'the resource changed (another ETag)';
    else if (was.etag === undefined && now.lastModified !== undefined && now.lastModified !== was.lastModified) changed = 'the resource changed (another Last-Modified)';
    if (changed !== undefined) {
      response.close();
      throw new Fatal(new SegmentsInvalidated(changed));
    }
    if (response.start !== seg.written) {
      response.close();
      throw new AttemptFailure('the server answered a different range than asked', true);
    }
    return response;
  }

  #connection(): Connection {
    return { failures: 0, requestBytes: 0, requestAt: performance.now() };
  }

  #own(conn: Connection, seg: Segment): Segment {
    if (!this.#segs.includes(seg)) this.#segs.push(seg);
    seg.owner = conn;
    seg.taken = seg.written;
    conn.seg = seg;
    return seg;
  }

  #spawn(conn: Connection, response?: RangeResponse): void {
    this.#live.add(conn);
    this.#loops.push(this.#work(conn, response).finally(() => this.#live.delete(conn)));
  }

  /** One connection: fetch its segment, then take more work, until none is left or the run ends. */
  async #work(conn: Connection, first?: RangeResponse): Promise<void> {
    const { signal } = this.#controller;
    let response = first;
    for (;;) {
      const seg = signal.aborted ? undefined : (conn.seg ?? this.#take(conn, MIN_STEAL));
      if (!seg) {
        response?.close();
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
        seg.owner = undefined;
        conn.seg = undefined;
        conn.failures = 0;
      } catch (error) {
        response?.close();
        response = undefined;
        seg.owner = undefined;
        seg.taken = seg.written;
        conn.seg = undefined;
        if (signal.aborted) return;
        const failure = failureOf(error, signal);
        if (!(failure instanceof AttemptFailure) || failure instanceof SegmentsInvalidated) return this.#abort(failure);
        // One plain stream hands its failure to the engine, which resumes it as a single stream.
        if (!this.#mapped) return this.#abort(failure);
        conn.failures = seg.written > before ? 1 : conn.failures + 1;
        if (!failure.transient || conn.failures >= MAX_ATTEMPTS_WITHOUT_PROGRESS) {
          // Refused (e.g. a server's connection cap) or failing again and again: the connection retires,
          // and its range goes to the others. The last one hands the failure to the engine.
          if (this.#live.size <= 1) this.#abort(failure);
          return;
        }
        try {
          await delay(failure.retryAfterMs ?? retryDelay(conn.failures, this.#o.retry), undefined, { signal });
        } catch {
          return;
        }
      }
    }
  }

  /** Streams a response into its segment, stopping at the segment's end (which a steal may move). */
  async #pump(conn: Connection, seg: Segment, response: RangeResponse): Promise<void> {
    const dropAt = this.#o.dropAfterBytes();
    let passed = 0;
    let broken: unknown;
    let finished = false;
    try {
      for await (const received of response.body) {
        let chunk = received;
        // `>`: a body ending exactly at the drop point delivered everything.
        if (dropAt !== undefined && passed + chunk.length > dropAt) {
          chunk = chunk.subarray(0, Math.max(0, dropAt - passed));
          broken = new SimulatedDrop(dropAt);
        }
        passed += chunk.length;
        chunk = chunk.subarray(0, Math.max(0, seg.end - seg.taken));
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
    const { signal } = this.#controller;
    const limiters = this.#o.limiters().filter((l) => l.bytesPerSecond > 0);
    const size = sliceSize(limiters);
    for (let offset = 0; offset < chunk.length; ) {
      const slice = limiters.length > 0 ? chunk.subarray(offset, offset + size) : chunk.subarray(offset);
      const wait = reserveAll(limiters, slice.length);
      if (wait > 0) await delay(wait, undefined, { signal });
      try {
        await this.#fh!.write(slice, 0, slice.length, seg.written);
      } catch (error) {
        throw new Fatal(classifyError(error, signal));
      }
      seg.written += slice.length;
      offset += slice.length;
      conn.firstByteAt ??= performance.now();
      conn.requestBytes += slice.length;
      this.#bytes += slice.length;
      this.#o.onBytes(slice.length);
    }
  }

  /** Work for a connection: the largest unowned range, else half of the range with the most time left. */
  #take(conn: Connection, minSplit: number): Segment | undefined {
    let pending: Segment | undefined;
    for (const s of this.#segs) {
      if (!s.owner && s.written < s.end && (!pending || s.end - s.written > pending.end - pending.written)) pending = s;
    }
    if (pending) return this.#own(conn, pending);
    if (!this.#mapped) return undefined;
    const average = this.#averageSpeed();
    let victim: Segment | undefined;
    let most = 0;
    for (const s of this.#segs) {
      const left = s.end - s.taken;
      if (!s.owner || left < minSplit) continue;
      const ms = left / (speedOf(s.owner) ?? average ?? 1);
      if (left < 4 * MiB && ms < STEAL_IF_LEFT_MS) continue;
      if (ms > most) [victim, most] = [s, ms];
    }
    if (!victim) return undefined;
    const mid = victim.taken + Math.ceil((victim.end - victim.taken) / 2);
    const seg: Segment = { start: mid, taken: mid, written: mid, end: victim.end };
    victim.end = mid;
    return this.#own(conn, seg);
  }

  #averageSpeed(): number | undefined {
    let total = 0;
    let n = 0;
    for (const conn of this.#live) {
      const speed = speedOf(conn);
      if (speed !== undefined) [total, n] = [total + speed, n + 1];
    }
    return n > 0 ? total / n : undefined;
  }

  /**
   * Once the first answer shows the download can be segmented, the other connections start at once,
   * each on half of the largest range, as `aria2c -x N -s N` does: `segments` is the user's explicit
   * number. Adding them one per growth step cost about 0.4 s of a 5 s download at four capped
   * connections (docs/performance.md, case 3). Growth below then only replaces connections that
   * retired (refused, failing), and stops once that no longer makes the total faster.
   */
  #openAtOnce(): void {
    while (!this.#controller.signal.aborted && this.#live.size < this.#o.maxConnections()) {
      const conn = this.#connection();
      if (!this.#take(conn, MIN_SPLIT_TO_GROW)) return;
      this.#spawn(conn);
    }
  }

  /**
   * Every 250 ms: once every connection has streamed for a whole interval, add one more if the last
   * one made the total faster (by 10 %); the first time it did not, growth stops for this run.
   */
  #grow(): void {
    const now = performance.now();
    const rate = (this.#bytes - this.#tickBytes) / Math.max(1, now - this.#tickAt);
    const windowStart = this.#tickAt;
    [this.#tickBytes, this.#tickAt] = [this.#bytes, now];
    if (this.#closing || this.#saturated || this.#controller.signal.aborted) return;
    if (this.#live.size === 0 || this.#live.size >= this.#o.maxConnections()) return;
    for (const conn of this.#live) if (conn.firstByteAt === undefined || conn.firstByteAt > windowStart) return;
    if (this.#newest && rate < this.#baseline * 1.1) {
      this.#saturated = true;
      return;
    }
    const conn = this.#connection();
    if (!this.#take(conn, MIN_SPLIT_TO_GROW)) return;
    this.#baseline = rate;
    this.#newest = conn;
    this.#spawn(conn);
  }

  /** Writes the map, after flushing the data it describes. Never two at once. */
  #save(): Promise<void> {
    if (!this.#mapped || !this.#fh || this.#saving) return this.#saving ?? Promise.resolve();
    const fh = this.#fh;
    const map = normalise(
      this.#segs.map((s): ByteRange => [s.start, s.written]),
      this.#meta.total!,
    );
    this.#saving = fh
      .datasync()
      .then(() => this.#o.saveMap(map))
      .catch(() => {}) // a failed save leaves the previous map, which is still true
      .finally(() => (this.#saving = undefined));
    return this.#saving;
  }

  #gaps(): ByteRange[] {
    const total = this.#meta.total!;
    return complement(normalise(this.#segs.map((s): ByteRange => [s.start, s.written]), total), total);
  }

  #abort(reason: unknown): void {
    this.#fatal ??= reason;
    this.#controller.abort(reason);
  }

  /** Waits for every connection (their last writes), writes the final map and closes the file. */
  async #close(): Promise<void> {
    this.#closing = true;
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

/** Bytes per millisecond of a connection's current request, once it has run for 100 ms. */
function speedOf(conn: Connection): number | undefined {
  const ms = performance.now() - conn.requestAt;
  return ms >= 100 && conn.requestBytes > 0 ? conn.requestBytes / ms : undefined;
}

/** Sorted, merged, clipped to [0, total), empty ranges dropped. */
export function normalise(ranges: readonly ByteRange[], total: number): ByteRange[] {
  const sorted = ranges
    .map(([a, b]): ByteRange => [Math.max(0, a), Math.min(total, b)])
    .filter(([a, b]) => Number.isSafeInteger(a) && Number.isSafeInteger(b) && b > a)
    .sort((x, y) => x[0] - y[0]);
  const out: ByteRange[] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

function complement(have: readonly ByteRange[], total: number): ByteRange[] {
  const gaps: ByteRange[] = [];
  let at = 0;
  for (const [a, b] of have) {
    if (a > at) gaps.push([at, a]);
    at = Math.max(at, b);
  }
  if (at < total) gaps.push([at, total]);
  return gaps;
}

export function sum(ranges: readonly ByteRange[]): number {
  return ranges.reduce((n, [a, b]) => n + (b - a), 0);
}
