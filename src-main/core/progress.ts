import type { TaskProgress, TaskRecord } from '../../src-shared/types.js';

/** What progress reporting needs of a running transfer: its byte count and its smoothed speed. */
export interface ProgressRun {
  bytes: number;
  lastBytes: number;
  speed: number;
}

/**
 * Progress reporting: every `intervalMs` while anything runs, one coalesced batch for all running
 * tasks (bytes, smoothed speed, eta), never per chunk. The task's `bytes` is brought up to date too
 * (the store never writes progress).
 */
export class ProgressReporter {
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly running: () => Iterable<[string, ProgressRun]>,
    private readonly taskOf: (token: string) => TaskRecord | undefined,
    private readonly emit: (batch: TaskProgress[]) => void,
  ) {}

  start(): void {
    if (this.#timer) return;
    const interval = this.intervalMs;
    this.#timer = setInterval(() => {
      const batch: TaskProgress[] = [];
      for (const [token, run] of this.running()) {
        const task = this.taskOf(token);
        if (!task) continue;
        const delta = Math.max(0, run.bytes - run.lastBytes);
        run.lastBytes = run.bytes;
        const instant = (delta * 1000) / interval;
        run.speed = run.speed === 0 ? instant : run.speed * 0.7 + instant * 0.3;
        task.bytes = run.bytes;
        const eta = task.total !== null && run.speed > 0 ? Math.max(0, (task.total - run.bytes) / run.speed) : null;
        batch.push({ token, bytes: run.bytes, total: task.total, speed: Math.round(run.speed), eta });
      }
      if (batch.length > 0) this.emit(batch);
    }, interval);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
