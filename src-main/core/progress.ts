import type { TaskProgress, TaskRecord } from '../../src-shared/types.js';

/** What progress reporting needs of a running transfer: its byte count and its smoothed speed. */
export interface ProgressRun {
  bytes: number;
  /** The byte count at the last report (a restart from 0 lowers it: see session.ts). */
  lastBytes: number;
  speed: number;
}

/**
 * How far back the speed looks. Bytes arrive in bursts: a capped stream passes one slice per pacing
 * step, a slow server sends a TCP window at a time, so a 250 ms sample holds a burst or nothing. A
 * rate over the last few seconds, as Chrome, Firefox and aria2 show, reads the link and not the
 * bursts (an exponential average per sample read 91→64→45→31→22→15 KiB/s on a 48.8 KiB/s link, and
 * 143 KiB/s under a 100 KiB/s cap); it still follows a real change within the window.
 */
export const SPEED_WINDOW_MS = 5_000;
/**
 * The window's rate still steps by one burst per window as bursts enter and leave it (±13 % for 64 KiB
 * every 1.3 s); an exponential average with this time constant on top irons that out for ~1 s of lag.
 */
const SMOOTHING_MS = 1_000;

interface Sample {
  at: number;
  bytes: number;
}

/**
 * Progress reporting: every `intervalMs` while anything runs, one coalesced batch for all running
 * tasks (bytes, speed over {@link SPEED_WINDOW_MS}, eta), never per chunk. The task's `bytes` is
 * brought up to date too (the store never writes progress).
 */
export class ProgressReporter {
  #timer: NodeJS.Timeout | undefined;
  /** Per run (a new run starts a new window): the samples of the last window, oldest first. */
  #windows = new WeakMap<ProgressRun, Sample[]>();

  constructor(
    private readonly intervalMs: number,
    private readonly running: () => Iterable<[string, ProgressRun]>,
    private readonly taskOf: (token: string) => TaskRecord | undefined,
    private readonly emit: (batch: TaskProgress[]) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.report(), this.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** One batch (the timer's tick; tests call it directly). */
  report(): void {
    const batch: TaskProgress[] = [];
    const now = this.now();
    for (const [token, run] of this.running()) {
      const task = this.taskOf(token);
      if (!task) continue;
      const windowRate = this.#speedOf(run, now);
      // Nothing in the whole window is a stall: 0 at once, not a slow decay.
      const alpha = 1 - Math.exp(-this.intervalMs / SMOOTHING_MS);
      run.speed = windowRate === 0 || run.speed === 0 ? windowRate : run.speed + alpha * (windowRate - run.speed);
      run.lastBytes = run.bytes;
      task.bytes = run.bytes;
      const eta = task.total !== null && run.speed > 0 ? Math.max(0, (task.total - run.bytes) / run.speed) : null;
      batch.push({ token, bytes: run.bytes, total: task.total, speed: Math.round(run.speed), eta });
    }
    if (batch.length > 0) this.emit(batch);
  }

  /** Bytes per second over the window, from this run's samples. */
  #speedOf(run: ProgressRun, now: number): number {
    let samples = this.#windows.get(run);
    const last = samples?.at(-1);
    if (!samples || last === undefined || run.lastBytes < last.bytes) {
      // A new run, or one that started over from fewer bytes: the window starts at the last report
      // (where `lastBytes` stands), one interval ago.
      samples = [{ at: now - this.intervalMs, bytes: run.lastBytes }];
      this.#windows.set(run, samples);
      run.speed = 0;
    }
    samples.push({ at: now, bytes: run.bytes });
    // Keep one sample at or beyond the window's start, so the span is always the full window.
    while (samples.length > 2 && samples[1]!.at <= now - SPEED_WINDOW_MS) samples.shift();
    const first = samples[0]!;
    const span = now - first.at;
    return span > 0 ? (Math.max(0, run.bytes - first.bytes) * 1000) / span : 0;
  }
}
