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

/** Reserves `bytes` on every limiter; the wait before sending them is the strictest one's. */
export function reserveAll(limiters: readonly RateLimiter[], bytes: number): number {
  let wait = 0;
  for (const limiter of limiters) wait = Math.max(wait, limiter.reserve(bytes));
  return wait;
}

/** Reported by a stream (stream-rules.ts, DropPoint) when a simulated link drops the connection. Transient: the engine resumes. */
export class SimulatedDrop extends Error {
  readonly code = 'ESIMDROP';
  constructor(at: number) {
    super(`connection dropped by the device profile's link simulation after ${at} bytes`);
  }
}
