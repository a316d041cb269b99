import { STALL_AFTER_MS, type TaskProgress, type TaskRecord } from '../../src-shared/types.js';

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
/** The shortest span a speed is given for (a run's first second shows none). */
const MIN_SPAN_MS = 1_000;
/**
 * The window's rate still steps by one burst per window as bursts enter and leave it (±13 % for 64 KiB
 * every 1.3 s); an exponential average with this time constant on top irons that out for ~1 s of lag.
 */
const SMOOTHING_MS = 1_000;

interface Sample {
  at: number;
  bytes: number;
}

/** One run's speed window, and when its byte count last moved. */
interface Window {
  samples: Sample[];
  movedAt: number;
}

/**
 * Progress reporting: every `intervalMs` while anything runs, one coalesced batch for all running
 * tasks (bytes, speed over {@link SPEED_WINDOW_MS}, eta, stalled), never per chunk. The task's `bytes`
 * is brought up to date too (the store never writes progress).
 *
 * A run that received nothing for {@link STALL_AFTER_MS} (a server that holds the connection open and
 * sends nothing, a connection still being made, a wait between attempts) is `stalled`: speed 0 and no
 * eta, never a dwindling rate and an ETA of years ("1 B/s, 71329h12m left", issue 10, point 2).
 */
export class ProgressReporter {
  #timer: NodeJS.Timeout | undefined;
  /** Per run (a new run starts a new window): the samples of the last window, oldest first. */
  #windows = new WeakMap<ProgressRun, Window>();

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
      const { rate: windowRate, quietMs } = this.#speedOf(run, now);
      const stalled = quietMs >= STALL_AFTER_MS;
      // Nothing in the whole window is a stall: 0 at once, not a slow decay.
      const alpha = 1 - Math.exp(-this.intervalMs / SMOOTHING_MS);
      // (A stall of a whole window has no bytes in it either: its rate is 0.)
      run.speed = windowRate === 0 || run.speed === 0 ? windowRate : run.speed + alpha * (windowRate - run.speed);
      run.lastBytes = run.bytes;
      task.bytes = run.bytes;
      // The figure shown, and the ETA from it: below 1 B/s there is no speed to speak of (and an ETA of years).
      const speed = Math.round(run.speed);
      const eta = task.total !== null && speed > 0 ? Math.max(0, (task.total - run.bytes) / run.speed) : null;
      batch.push({ token, bytes: run.bytes, total: task.total, speed, eta, stalled });
    }
    if (batch.length > 0) this.emit(batch);
  }

  /** Bytes per second over the window, from this run's samples, and how long its byte count has not moved. */
  #speedOf(run: ProgressRun, now: number): { rate: number; quietMs: number } {
    let window = this.#windows.get(run);
    const last = window?.samples.at(-1);
    if (!window || last === undefined || run.lastBytes < last.bytes) {
      // A new run, or one that started over from fewer bytes: the window starts now. Not "one interval
      // ago": a run starts anywhere between two reports, and a report may come late on a busy machine,
      // so the bytes so far may have taken far longer or shorter than an interval (a 100 KiB/s cap read
      // 120 KiB/s that way). Its first report says no speed yet.
      // (Quiet time, for "Stalled", does count from about when the run began: one interval ago.)
      window = { samples: [{ at: now, bytes: run.bytes }], movedAt: now - this.intervalMs };
      this.#windows.set(run, window);
      run.speed = 0;
      return { rate: 0, quietMs: this.intervalMs };
    }
    const { samples } = window;
    if (run.bytes !== samples.at(-1)!.bytes) window.movedAt = now;
    samples.push({ at: now, bytes: run.bytes });
    // Keep one sample at or beyond the window's start, so the span is always the full window.
    while (samples.length > 2 && samples[1]!.at <= now - SPEED_WINDOW_MS) samples.shift();
    const first = samples[0]!;
    const span = now - first.at;
    // Over a shorter span a limiter's 50 ms burst and one pacing slice are a large part of the bytes (a
    // 100 KiB/s cap read 120 KiB/s after 250 ms): no figure until a second has been measured.
    if (span < MIN_SPAN_MS) return { rate: 0, quietMs: now - window.movedAt };
    return { rate: (Math.max(0, run.bytes - first.bytes) * 1000) / span, quietMs: now - window.movedAt };
  }
}
