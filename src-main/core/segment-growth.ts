import type { Segment } from './segment-map.js';

/**
 * How many connections a segmented download (segmented.ts) runs: all of them at once when the first
 * answer qualifies, then, every {@link GROW_EVERY_MS}, fewer when the `segments` setting was lowered,
 * or one more to replace a connection that retired while that still makes the total faster.
 */

export const GROW_EVERY_MS = 250;

/** What growth needs to know of a connection. */
export interface Grown {
  /** When its first byte was written (undefined: none yet). */
  firstByteAt?: number;
  seg?: Segment;
}

/** What growth needs of the run. */
export interface GrowthHost<C extends Grown> {
  /** The connections that go on working (not closed, not ending with the run). */
  working(): C[];
  /** The `segments` setting, read on every step. */
  maxConnections(): number;
  /** Bytes written so far, by every connection. */
  bytes(): number;
  /** Starts one more connection on half of the largest range; undefined when none is worth splitting (or the run ends). */
  add(): C | undefined;
  /** Closes a connection; what it wrote stays, the rest of its range goes to the others. */
  close(conn: C): void;
}

export class Growth<C extends Grown> {
  // The last step's byte count and time, the rate before the newest connection, whether growth stopped.
  #tickBytes = 0;
  #tickAt = performance.now();
  #baseline = 0;
  #newest: C | undefined;
  #saturated = false;

  constructor(private readonly host: GrowthHost<C>) {}

  /**
   * Once the first answer shows the download can be segmented, the other connections start at once,
   * each on half of the largest range, as `aria2c -x N -s N` does: `segments` is the user's explicit
   * number. Adding them one per growth step cost about 0.4 s of a 5 s download at four capped
   * connections (docs/performance.md, case 3). Growth then only replaces connections that retired
   * (refused, failing), and stops once that no longer makes the total faster.
   */
  openAtOnce(): void {
    while (this.host.working().length < this.host.maxConnections()) if (!this.host.add()) return;
  }

  /** One step: close connections beyond a lowered setting, else perhaps grow by one. */
  tick(): void {
    const now = performance.now();
    const bytes = this.host.bytes();
    const rate = (bytes - this.#tickBytes) / Math.max(1, now - this.#tickAt);
    const windowStart = this.#tickAt;
    [this.#tickBytes, this.#tickAt] = [bytes, now];
    const working = this.host.working();
    const max = this.host.maxConnections();
    if (working.length > max) this.#shrink(working, max);
    else this.#grow(working, max, rate, windowStart);
  }

  /**
   * The setting was lowered: the connections beyond it close at once (a user who lowers it wants the
   * connections back now, not once their ranges are done), those with the least left first, so the
   * least work moves. What they wrote stays; the rest of their ranges goes to the others.
   */
  #shrink(working: C[], max: number): void {
    const left = (c: C): number => (c.seg ? c.seg.end - c.seg.taken : 0);
    for (const conn of working.sort((a, b) => left(a) - left(b)).slice(0, working.length - max)) this.host.close(conn);
  }

  /**
   * Once every connection has streamed for a whole interval, add one more if the last one made the
   * total faster (by 10 %); the first time it did not, growth stops for this run.
   */
  #grow(working: C[], max: number, rate: number, windowStart: number): void {
    if (this.#saturated || working.length === 0 || working.length >= max) return;
    for (const conn of working) if (conn.firstByteAt === undefined || conn.firstByteAt > windowStart) return;
    if (this.#newest && rate < this.#baseline * 1.1) {
      this.#saturated = true;
      return;
    }
    const conn = this.host.add();
    if (!conn) return;
    this.#baseline = rate;
    this.#newest = conn;
  }
}
