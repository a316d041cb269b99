import type { DeviceProfile } from '../../src-shared/profiles.js';
import type { TaskRecord } from '../../src-shared/types.js';

/** What the scheduler needs of the engine. */
export interface SchedulerHost {
  /** Tokens with a transfer in progress (including one still winding down). */
  readonly running: ReadonlyMap<string, unknown>;
  getTask(token: string): TaskRecord | undefined;
  /** The global cap (the `concurrency` setting). */
  concurrency(): number;
  profileOf(task: TaskRecord): DeviceProfile;
  /** Start this task's transfer now (a slot is free). */
  startTask(task: TaskRecord, profile: DeviceProfile): void;
  /** The task waits for its profile to come back online (say so on the task); once per stay in the queue. */
  waiting(task: TaskRecord): void;
  /** The profile stayed offline past its timeout: the task fails with this message. */
  offlineTimedOut(task: TaskRecord, message: string): void;
  /** The queue changed (keep-alive bookkeeping). */
  changed(): void;
}

/**
 * The scheduler: the queue, the global concurrency cap, each profile's cap and its offline state, and
 * the offline timeouts. It decides what starts when; the transfer is the host's.
 *
 * The queue has two parts, each first in, first out: tasks that have run before (resumed, retried,
 * interrupted by a stop or a crash) and tasks that never started. A free slot goes to the first of the
 * former before any of the latter: a user who resumes a paused download expects it to go on now, not
 * behind twenty links pasted meanwhile (issue 10, point 1).
 */
export class Scheduler {
  started = false;
  /** Tasks that have run before: they take the next free slot. */
  readonly #ahead = new Set<string>();
  /** Tasks that never started, oldest first. */
  readonly #queue = new Set<string>();
  readonly #offlineTimers = new Map<string, NodeJS.Timeout>();
  /**
   * Queued tasks already told they wait for the network. Kept here rather than read back from the
   * task's message: nothing branches on message text, and every scheduling pass would otherwise say it
   * again (a store write and an event each time).
   */
  readonly #toldWaiting = new Set<string>();

  constructor(private readonly host: SchedulerHost) {}

  get size(): number {
    return this.#ahead.size + this.#queue.size;
  }

  /** Queued tokens in the order they will start (profiles' caps and offline state aside). */
  *tokens(): IterableIterator<string> {
    yield* this.#ahead;
    yield* this.#queue;
  }

  /**
   * Into the queue; an offline profile's timeout starts counting now. Call schedule() after. `ahead`:
   * the task has run before, so it goes before every task that never started.
   */
  add(task: TaskRecord, ahead = false): void {
    if (ahead) {
      this.#queue.delete(task.token);
      this.#ahead.add(task.token);
    } else if (!this.#ahead.has(task.token)) this.#queue.add(task.token);
    this.armOfflineTimer(task);
  }

  /** Out of the queue, its offline timer cleared. */
  delete(token: string): void {
    this.#ahead.delete(token);
    this.#queue.delete(token);
    this.#toldWaiting.delete(token);
    this.#clearOfflineTimer(token);
  }

  /**
   * An offline profile's timeout counts from when the task was asked for, not from when a slot frees
   * (schedule() stops looking at the queue once every slot is busy, so it alone would arm it late).
   */
  armOfflineTimer(task: TaskRecord): void {
    const profile = this.host.profileOf(task);
    if (profile.link.offline) this.#waitForNetwork(task, profile);
  }

  /** A profile changed (e.g. went offline): its queued tasks start counting their offline timeout now. */
  rearm(): void {
    for (const token of this.tokens()) {
      const task = this.host.getTask(token);
      if (task?.state === 'queued') this.armOfflineTimer(task);
    }
  }

  /** Stop: no offline timer fires any more (the queue itself stays for the next start). */
  clearTimers(): void {
    for (const timer of this.#offlineTimers.values()) clearTimeout(timer);
    this.#offlineTimers.clear();
  }

  /** Start queued tasks, those that ran before first, then the oldest, within the global cap and each profile's cap. */
  schedule(): void {
    if (!this.started) return;
    const { running } = this.host;
    const perProfile = new Map<string, number>();
    for (const token of running.keys()) {
      const id = this.host.getTask(token)?.profileId ?? '';
      perProfile.set(id, (perProfile.get(id) ?? 0) + 1);
    }
    for (const token of this.tokens()) {
      if (running.size >= this.host.concurrency()) break;
      const task = this.host.getTask(token);
      if (!task || task.state !== 'queued') {
        this.delete(token);
        continue;
      }
      // Resumed while its interrupted run is still winding down: it starts once that run is gone.
      if (running.has(token)) continue;
      const profile = this.host.profileOf(task);
      if (profile.link.offline) {
        this.#waitForNetwork(task, profile);
        continue;
      }
      const cap = profile.device.maxConcurrent;
      const count = perProfile.get(profile.id) ?? 0;
      if (cap !== undefined && count >= cap) continue;
      perProfile.set(profile.id, count + 1);
      this.delete(token);
      this.host.startTask(task, profile);
    }
    this.host.changed();
  }

  #waitForNetwork(task: TaskRecord, profile: DeviceProfile): void {
    if (!this.#toldWaiting.has(task.token)) {
      this.#toldWaiting.add(task.token);
      this.host.waiting(task);
    }
    const timeout = profile.link.offlineTimeoutMs;
    if (timeout === undefined || this.#offlineTimers.has(task.token)) return;
    const timer = setTimeout(() => {
      this.#offlineTimers.delete(task.token);
      // Paused meanwhile, or back online and only waiting for a free slot: not an offline failure.
      if (task.state !== 'queued' || !this.host.profileOf(task).link.offline) return;
      this.delete(task.token);
      this.host.offlineTimedOut(task, `network error: offline for more than ${timeout} ms`);
    }, timeout);
    this.#offlineTimers.set(task.token, timer);
  }

  #clearOfflineTimer(token: string): void {
    const timer = this.#offlineTimers.get(token);
    if (timer) clearTimeout(timer);
    this.#offlineTimers.delete(token);
  }
}
