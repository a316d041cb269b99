/**
 * A token bucket kept as "virtual time": each reservation moves `nextFree` forward by the time its bytes
 * take at the rate. One limiter can be shared by many streams (the global limit, a profile's bandwidth),
 * so they split the rate between them. A rate of 0 means unlimited and costs nothing.
 */
export class RateLimiter {
  #nextFree = 0;
  constructor(
    public bytesPerSecond: number,
    private readonly burstMs = 50,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Milliseconds the caller must wait before sending `bytes`; the bytes are counted as sent. */
  reserve(bytes: number): number {
    if (!(this.bytesPerSecond > 0)) return 0;
    const now = this.now();
    const start = Math.max(this.#nextFree, now - this.burstMs);
    this.#nextFree = start + (bytes * 1000) / this.bytesPerSecond;
    return Math.max(0, this.#nextFree - now - this.burstMs);
  }
}

/** The largest slice paced at once: a stream never passes more than 64 KiB in one step. */
const MAX_SLICE = 64 * 1024;
/** Nor more than this much of the slowest limiter's time, so a slow cap flows evenly, not in bursts. */
const SLICE_MS = 50;

/**
 * How many bytes a capped stream passes per pacing step. 64 KiB at 100 KiB/s would be one step every
 * 0.64 s, which reads as a stutter (and as 0 or 256 KiB/s to a 250 ms sample); 50 ms worth is 5 KiB.
 * Not below 1 KiB, whose per-step cost (a timer, a write) would then dominate.
 */
export function sliceSize(limiters: readonly RateLimiter[]): number {
  let slowest = Infinity;
  for (const limiter of limiters) if (limiter.bytesPerSecond > 0) slowest = Math.min(slowest, limiter.bytesPerSecond);
  if (slowest === Infinity) return MAX_SLICE;
  return Math.max(1024, Math.min(MAX_SLICE, Math.floor((slowest * SLICE_MS) / 1000)));
}

/** Reserves `bytes` on every limiter; the wait before sending them is the strictest one's. */
export function reserveAll(limiters: readonly RateLimiter[], bytes: number): number {
  let wait = 0;
  for (const limiter of limiters) wait = Math.max(wait, limiter.reserve(bytes));
  return wait;
}

/** Reported by an attempt (transfer.ts) when a simulated link drops the connection. Transient: the engine resumes. */
export class SimulatedDrop extends Error {
  readonly code = 'ESIMDROP';
  constructor(at: number) {
    super(`connection dropped by the device profile's link simulation after ${at} bytes`);
  }
}
