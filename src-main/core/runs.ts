import type { DeviceProfile, StoragePartition } from '../../src-shared/profiles.js';
import type { FailureReason } from '../../src-shared/failure-reason.js';
import type { Settings, TaskProgress, TaskRecord } from '../../src-shared/types.js';
import type { Agents } from './agents.js';
import { commitDownload } from './committer.js';
import type { Journal } from './journal.js';
import { outcomeOf, type Outcome } from './listeners.js';
import type { PartialFiles, PartialMeta, PartialSidecar } from './partial-files.js';
import { ProgressReporter } from './progress.js';
import { Interrupt, runSession } from './session.js';
import { RateLimiter } from './throttle.js';

/**
 * The running transfers: a task's run from its start to its outcome (the transfer session, then the
 * commit), the rate limiters it goes through, progress while anything runs, and how a pause, resume,
 * cancel, stop or removal reaches a run still going. The engine (engine.ts) checks what a caller may
 * ask and owns the task records; this file carries the asking out on the transfers and reports each
 * run's end back through its host.
 */

/** One running transfer. */
export interface Running {
  controller: AbortController;
  /** A pause, resume or cancel asked for while an earlier pause was still being carried out; it wins. */
  wanted?: 'pause' | 'resume' | 'cancel';
  bytes: number;
  lastBytes: number;
  speed: number;
  /** The task's own speed limit. */
  limiter: RateLimiter;
  /** Settles when the run has ended and the task's state says how. */
  done: Promise<void>;
}

/** What the runs need of the engine. */
export interface RunsHost {
  partials: PartialFiles;
  journal: Journal;
  partialDir: string;
  idleTimeoutMs: number;
  retry: { baseMs: number; maxMs: number };
  progressIntervalMs: number;
  settings(): Settings;
  /** The connection pools for a URL (the proxy settings may change between attempts). */
  agents(url: string): Agents;
  /** A profile's bandwidth cap (0: none), read again when profiles change. */
  bandwidthOf(profileId: string): number;
  partitionDir(storage: StoragePartition): string;
  getTask(token: string): TaskRecord | undefined;
  progress(batch: TaskProgress[]): void;
  /** The engine's one way to change a task: patch (its state through the table), store, emit. */
  update(task: TaskRecord, patch: Partial<TaskRecord>, immediate?: boolean): void;
  /** Answers the task's listeners. */
  settle(token: string, outcome: Outcome): void;
  /** Back into the queue (a resume that arrived while the pause was being carried out). */
  enqueue(task: TaskRecord): void;
  /** Without a reason: an internal error. */
  fail(task: TaskRecord, message: string, error?: FailureReason): void;
  finishCancelled(task: TaskRecord): void;
  /** A run has ended (a slot is free). */
  ended(): void;
}

export class Runs {
  /** Running transfers by token, a run winding down included (the scheduler counts them). */
  readonly map = new Map<string, Running>();
  readonly #global = new RateLimiter(0);
  readonly #profiles = new Map<string, RateLimiter>();
  readonly #progress: ProgressReporter;
  /** Tasks created by this process that have not run yet: nothing of theirs is on disk. */
  readonly #neverRan = new Set<string>();

  constructor(private readonly host: RunsHost) {
    this.#global.bytesPerSecond = host.settings().speedLimit;
    this.#progress = new ProgressReporter(host.progressIntervalMs, () => this.map, (token) => host.getTask(token), (batch) => host.progress(batch));
  }

  get size(): number {
    return this.map.size;
  }

  has(token: string): boolean {
    return this.map.has(token);
  }

  /** The global speed limit (the `speedLimit` setting), shared by every stream. */
  set speedLimit(bytesPerSecond: number) {
    this.#global.bytesPerSecond = bytesPerSecond;
  }

  /** A task just made by this process: its first run needs no look at the disk. */
  created(token: string): void {
    this.#neverRan.add(token);
  }

  forget(token: string): void {
    this.#neverRan.delete(token);
  }

  /** Profiles changed: each profile's limiter takes its bandwidth again. */
  profilesChanged(): void {
    for (const [id, limiter] of this.#profiles) limiter.bytesPerSecond = this.host.bandwidthOf(id);
  }

  start(task: TaskRecord, profile: DeviceProfile): void {
    const controller = new AbortController();
    // A task handed out by this process that never ran has nothing on disk: no reads needed (they
    // were a good part of a small download's cost).
    const fresh = this.#neverRan.delete(task.token);
    const { partials } = this.host;
    const meta = fresh ? undefined : partials.readMeta(task.token);
    const bytes = fresh ? 0 : partials.bytes(task.token, meta);
    const run: Running = { controller, bytes, lastBytes: bytes, speed: 0, limiter: new RateLimiter(task.speedLimit ?? 0), done: Promise.resolve() };
    this.map.set(task.token, run);
    this.host.update(task, { state: 'running', message: undefined, bytes });
    this.#progress.start();
    run.done = this.#drive(task, profile, run, meta)
      .catch((error: unknown) => this.#internalError(task, error))
      .finally(() => {
        this.map.delete(task.token);
        if (this.map.size === 0) this.#progress.stop();
        this.host.ended();
      });
  }

  /**
   * Ask a running task to stop for a pause or a cancel. A request that arrives while an earlier pause
   * is still being carried out replaces it (pause then resume at once must not end paused; pause then
   * cancel must cancel); nothing undoes a pending cancel, stop or remove. A plain abort could not do
   * this: aborting an aborted controller keeps the first reason.
   */
  interrupt(token: string, kind: 'pause' | 'resume' | 'cancel'): void {
    const run = this.map.get(token);
    if (!run) return;
    const { signal } = run.controller;
    if (!signal.aborted) {
      if (kind !== 'resume') run.controller.abort(new Interrupt(kind));
      return;
    }
    const pending = run.wanted ?? (signal.reason instanceof Interrupt ? signal.reason.kind : undefined);
    if (pending === 'pause' || pending === 'resume') run.wanted = kind;
  }

  /** Ends one task's run for its removal; resolves once it is over (its last writes done). */
  async remove(token: string): Promise<void> {
    const run = this.map.get(token);
    if (!run) return;
    run.controller.abort(new Interrupt('remove'));
    await run.done;
  }

  /** Stops every run (their tasks go back to queued, bytes kept); resolves once they are over. */
  async stopAll(): Promise<void> {
    const running = [...this.map.values()];
    for (const run of running) run.controller.abort(new Interrupt('stop'));
    await Promise.allSettled(running.map((r) => r.done));
    this.#progress.stop();
  }

  /** One task's run: the transfer session, then the commit; the outcome decides the task's state. */
  async #drive(task: TaskRecord, profile: DeviceProfile, run: Running, sidecar: PartialSidecar | undefined): Promise<void> {
    const { host } = this;
    const outcome = await runSession({
      task,
      profile,
      run,
      sidecar,
      partials: host.partials,
      agents: () => host.agents(task.url),
      limiters: () => [this.#global, this.#profileLimiter(profile), run.limiter],
      maxSegments: () => maxSegments(host.settings()),
      idleTimeoutMs: host.idleTimeoutMs,
      retry: host.retry,
      partitionDir: host.partitionDir(task.storage),
      partialDir: host.partialDir,
      update: (patch) => host.update(task, patch),
    });
    if (outcome.kind === 'interrupted') return this.#interrupted(task, outcome.interrupt);
    if (outcome.kind === 'failed') return host.fail(task, outcome.message, outcome.error);
    await this.#complete(task, outcome.meta, outcome.sidecarOnDisk);
  }

  async #complete(task: TaskRecord, meta: PartialMeta | undefined, sidecarOnDisk: boolean): Promise<void> {
    const run = this.map.get(task.token);
    const wanted = (): Interrupt | undefined => {
      const reason = run?.controller.signal.reason;
      const kind = run?.wanted ?? (reason instanceof Interrupt ? reason.kind : undefined);
      return kind === 'cancel' || kind === 'remove' ? new Interrupt(kind) : undefined;
    };
    const { host } = this;
    const outcome = await commitDownload({
      task, meta, sidecarOnDisk, dir: host.partitionDir(task.storage), partials: host.partials, journal: host.journal,
      cancelled: () => wanted() !== undefined,
    });
    if (!outcome.ok) return 'cancelled' in outcome ? this.#interrupted(task, wanted() ?? new Interrupt('cancel')) : host.fail(task, outcome.message, outcome.error);
    host.update(task, outcome.patch, !outcome.noted);
    host.settle(task.token, outcomeOf(task)!);
  }

  #interrupted(task: TaskRecord, interrupt: Interrupt): void {
    const { host } = this;
    const kind = this.map.get(task.token)?.wanted ?? interrupt.kind;
    switch (kind) {
      case 'resume':
        host.update(task, { bytes: host.partials.bytes(task.token) });
        host.enqueue(task);
        return;
      case 'pause':
        host.update(task, { state: 'paused', message: undefined, bytes: host.partials.bytes(task.token) });
        return;
      case 'stop':
        host.update(task, { state: 'queued', bytes: host.partials.bytes(task.token) });
        return;
      case 'cancel':
        host.finishCancelled(task);
        return;
      case 'remove':
        return;
    }
  }

  /**
   * A bug ended the run, or something the engine calls threw (a listener of its events, say) after
   * the task's state had already moved. A task that has finished keeps its state: a completed file is
   * never relabelled failed (the state table refuses that move, and its error thrown here would
   * escape the run as an unhandled rejection and end the process). Anything else fails with 1000.
   * Either way its listeners get its outcome, and nothing is thrown from here.
   */
  #internalError(task: TaskRecord, error: unknown): void {
    const why = error instanceof Error ? error.message : String(error);
    try {
      if (!outcomeOf(task)) this.host.fail(task, `internal error: ${why}`);
      else process.emitWarning(`internal error after download task ${task.token} ended ${task.state}: ${why}`, { code: 'VELA_INTERNAL' });
    } catch {
      // The same listener throwing again: the state moved before the event, the listeners are answered below.
    }
    const outcome = outcomeOf(task);
    try {
      if (outcome) this.host.settle(task.token, outcome);
    } catch {
      // Nothing more to do; the run must still end.
    }
  }

  #profileLimiter(profile: DeviceProfile): RateLimiter {
    let limiter = this.#profiles.get(profile.id);
    if (!limiter) {
      limiter = new RateLimiter(profile.link.bandwidth ?? 0);
      this.#profiles.set(profile.id, limiter);
    }
    return limiter;
  }
}

/** Most connections per download (the `segments` setting, 1..16). */
function maxSegments(settings: Settings): number {
  return Math.max(1, Math.min(16, Math.floor(settings.segments ?? 1)));
}
