import { Transform, type TransformCallback } from 'node:stream';

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

/** Reported by an attempt (transfer.ts) when a simulated link drops the connection. Transient: the engine resumes. */
export class SimulatedDrop extends Error {
  readonly code = 'ESIMDROP';
  constructor(at: number) {
    super(`connection dropped by the device profile's link simulation after ${at} bytes`);
  }
}

export interface ShaperOptions {
  /** Limiters that apply to this stream; read on every chunk so a changed limit takes effect at once. */
  limiters: () => readonly RateLimiter[];
  /** Called with each chunk's length after it passed; the only per-chunk work besides pacing. */
  onBytes: (bytes: number) => void;
}

/** Largest slice paced at once, so a capped stream flows smoothly instead of in big bursts. */
const SLICE = 64 * 1024;

/**
 * The engine's stream shaper: counts bytes and applies every rate limiter. With no limit it only
 * counts. (The simulated drop lives in transfer.ts, where the bytes before it can still be saved.)
 */
export class StreamShaper extends Transform {
  constructor(private readonly options: ShaperOptions) {
    // One slice each way, not megabytes: the file stream after the shaper already batches its writes
    // (1 MiB), and whatever waits in here when an attempt is aborted (pause, stop) is never written and
    // must be fetched again. With 1 MiB each way a pause lost ~2.1 MB; with 64 KiB, ~1.1 MB
    // (docs/performance.md, case 5). Throughput is the same: chunks pass one at a time either way.
    super({ highWaterMark: SLICE });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#send(chunk, callback);
  }

  #send(chunk: Buffer, callback: (error?: Error | null) => void): void {
    const limiters = this.options.limiters().filter((l) => l.bytesPerSecond > 0);
    if (limiters.length === 0 || chunk.length === 0) {
      this.#pass(chunk);
      callback();
      return;
    }
    let offset = 0;
    const next = (): void => {
      if (this.destroyed) return;
      if (offset >= chunk.length) {
        callback();
        return;
      }
      const slice = chunk.subarray(offset, offset + SLICE);
      offset += slice.length;
      let wait = 0;
      for (const limiter of limiters) wait = Math.max(wait, limiter.reserve(slice.length));
      if (wait <= 0) {
        this.#pass(slice);
        next();
      } else {
        setTimeout(() => {
          this.#pass(slice);
          next();
        }, wait);
      }
    };
    next();
  }

  #pass(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.options.onBytes(chunk.length);
    this.push(chunk);
  }
}
