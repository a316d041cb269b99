import type { PartialMeta, PartialSidecar } from './partial-files.js';
import { validatorOf } from './stream-rules.js';

/**
 * The segment map of a segmented download (segmented.ts): when a download may have one, which byte
 * ranges are written, which connection works on which range, and how work is handed out (the largest
 * free range first, else half of the range with the most time left: work stealing, so the end never
 * crawls on one slow connection). No I/O here; segmented.ts runs the connections.
 */

const KiB = 1024;
const MiB = 1024 * KiB;
/** A finishing connection steals only from a range at least this large (each half keeps ≥ 128 KiB)... */
export const MIN_STEAL = 256 * KiB;
/** ...and only if it has this much time left at its connection's speed (or at least 4 MiB). */
const STEAL_IF_LEFT_MS = 300;
const STEAL_IF_LEFT_BYTES = 4 * MiB;

/** Smaller files are not worth more connections. */
export const SEGMENTED_MIN_TOTAL = 8 * MiB;

/**
 * Whether what is known of a resource allows several connections: the server takes ranges, the size
 * is worth it, and there is a strong validator for If-Range. Judged on a first answer, and on a single
 * stream's sidecar when the setting was raised since.
 */
export function segmentable(meta: PartialMeta): boolean {
  return meta.acceptsRanges === true && meta.total !== null && meta.total >= SEGMENTED_MIN_TOTAL && validatorOf(meta) !== undefined;
}

/**
 * A single stream's bytes [0, size) as the first range of a segment map, when the resource allows
 * segments and something is left to fetch; undefined when they stay a single stream's. The caller
 * writes the map to the sidecar before segmented.ts grows the file to its full size: a single
 * stream's sidecar beside a full-size file would make its zeros pass for bytes after a crash.
 */
export function mapOfStream(meta: PartialSidecar | undefined, size: number): PartialSidecar | undefined {
  if (!meta || meta.done !== undefined || !segmentable(meta) || size <= 0 || size >= meta.total!) return undefined;
  return { ...meta, done: [[0, size]] };
}

/** A half-open byte range [start, end). */
export type ByteRange = [start: number, end: number];

/** What the map needs of a connection: its range, and its current request's bytes and start (its speed). */
export interface Worker {
  seg?: Segment;
  requestBytes: number;
  requestAt: number;
}

export interface Segment {
  start: number;
  /** Bytes taken from the socket (being paced or written): a steal splits after them. */
  taken: number;
  /** Bytes written to the file: [start, written) is done. */
  written: number;
  end: number;
  owner?: Worker;
}

export class SegmentMap {
  readonly segs: Segment[] = [];

  /** @param total the resource's size (a plain stream of unknown length: null) */
  constructor(readonly total: number | null) {}

  /** A map resumed from a sidecar's `done` ranges: those written, the gaps between them free. */
  static resume(done: readonly ByteRange[], total: number): SegmentMap {
    const map = new SegmentMap(total);
    const have = normalise(done, total);
    for (const [start, end] of have) map.segs.push({ start, taken: end, written: end, end });
    for (const [start, end] of complement(have, total)) map.segs.push({ start, taken: start, written: start, end });
    return map;
  }

  /** The ranges written, sorted and merged: what the sidecar's map says. */
  written(): ByteRange[] {
    return normalise(
      this.segs.map((s): ByteRange => [s.start, s.written]),
      this.total ?? Infinity,
    );
  }

  /** What is still missing (a map of known size only). */
  gaps(): ByteRange[] {
    return complement(this.written(), this.total!);
  }

  firstMissing(): Segment | undefined {
    return this.segs.find((s) => s.written < s.end);
  }

  /** The segment becomes the connection's work, from what is written. */
  own(worker: Worker, seg: Segment): Segment {
    if (!this.segs.includes(seg)) this.segs.push(seg);
    seg.owner = worker;
    seg.taken = seg.written;
    worker.seg = seg;
    return seg;
  }

  /** The connection stops working on its segment (done, failed or closed); what is left is free. */
  release(worker: Worker): void {
    const seg = worker.seg;
    if (seg) {
      seg.owner = undefined;
      seg.taken = seg.written;
    }
    worker.seg = undefined;
  }

  /**
   * Work for a connection: the largest range nobody owns, else (when `steal`) the second half of the
   * range with the most time left at its owner's speed, at least `minSplit` bytes. The owner stops at
   * the new end.
   */
  take(worker: Worker, minSplit: number, steal: boolean, live: Iterable<Worker>): Segment | undefined {
    let pending: Segment | undefined;
    for (const s of this.segs) {
      if (!s.owner && s.written < s.end && (!pending || s.end - s.written > pending.end - pending.written)) pending = s;
    }
    if (pending) return this.own(worker, pending);
    if (!steal) return undefined;
    const average = averageSpeed(live);
    let victim: Segment | undefined;
    let most = 0;
    for (const s of this.segs) {
      const left = s.end - s.taken;
      if (!s.owner || left < minSplit) continue;
      const ms = left / (speedOf(s.owner) ?? average ?? 1);
      if (left < STEAL_IF_LEFT_BYTES && ms < STEAL_IF_LEFT_MS) continue;
      if (ms > most) [victim, most] = [s, ms];
    }
    if (!victim) return undefined;
    const mid = victim.taken + Math.ceil((victim.end - victim.taken) / 2);
    const seg: Segment = { start: mid, taken: mid, written: mid, end: victim.end };
    victim.end = mid;
    return this.own(worker, seg);
  }
}

/** Bytes per millisecond of a connection's current request, once it has run for 100 ms. */
export function speedOf(worker: Worker): number | undefined {
  const ms = performance.now() - worker.requestAt;
  return ms >= 100 && worker.requestBytes > 0 ? worker.requestBytes / ms : undefined;
}

function averageSpeed(workers: Iterable<Worker>): number | undefined {
  let total = 0;
  let n = 0;
  for (const worker of workers) {
    const speed = speedOf(worker);
    if (speed !== undefined) [total, n] = [total + speed, n + 1];
  }
  return n > 0 ? total / n : undefined;
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

export function complement(have: readonly ByteRange[], total: number): ByteRange[] {
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
