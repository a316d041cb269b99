import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { FailCode, VelaError } from '../../src-shared/codes.js';
import type { DeviceProfile, StoragePartition } from '../../src-shared/profiles.js';
import type { SettingsPatch } from '../../src-shared/schemas.js';
import { type DownloadResult, type Settings, type TaskProgress, type TaskRecord } from '../../src-shared/types.js';
import type { FailureReason } from '../../src-shared/failure-reason.js';
import { validateHeaders, validateToken, validateUrl } from '../../src-shared/validate.js';
import { agentsFor } from './agents.js';
import { commitDownload } from './committer.js';
import { internalReason, offlineReason } from './failure-reason.js';
import { moveToGallery } from './gallery.js';
import { adjustHeapPolicy, resetHeapPolicy } from './heap-policy.js';
import { Journal } from './journal.js';
import { dataPaths, galleryDirs, type DataPaths } from './paths.js';
import { PartialFiles, type PartialSidecar } from './partial-files.js';
import { ProgressReporter } from './progress.js';
import { reconcile } from './reconciler.js';
import { PRIVATE_DIR_MODE, tightenDataDir } from './private-files.js';
import { ProfileRegistry } from './profiles.js';
import type { TaskStore } from './store.js';
import { Listeners, outcomeOf } from './listeners.js';
import { Scheduler } from './scheduler.js';
import { applySettingsPatch } from './settings-patch.js';
import { newTask, type DownloadRequest } from './new-task.js';
import { assertAction, transition } from './task-state.js';
import { RateLimiter } from './throttle.js';
import { withoutOriginBound } from './origin-bound.js';
import { Interrupt, runSession } from './session.js';
import type { PartialMeta } from './transfer.js';

/**
 * The download engine: tasks, their queue, their listeners and their lifecycle. It knows nothing of
 * Electron, HTTP hosts or windows; every front door (IPC, browser host, CLI, quick-app module) calls it.
 */

export type { DownloadRequest } from './new-task.js';

export interface EngineOptions {
  dataDir: string;
  store: TaskStore;
  /** Start downloading at once (default). false = only record tasks (the CLI without --wait, no engine running). */
  autoStart?: boolean;
  /** Socket idle timeout per attempt. */
  idleTimeoutMs?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** How often coalesced progress is emitted. */
  progressIntervalMs?: number;
  /** Stands in for the user's home when picking gallery folders (the CLI's --gallery-dir). */
  galleryHome?: string;
  env?: NodeJS.ProcessEnv;
  /**
   * The engine is its process's main job (the CLI, `serve`, the engine process of the desktop app), so
   * it may tune what is process-wide: V8's heap policy (heap-policy.ts). Off by default: an engine
   * embedded in someone else's process (quick-app code under Node or in its test runner) leaves that
   * process's V8 as it found it.
   */
  ownsProcess?: boolean;
}

export interface EngineEvents {
  task: [TaskRecord];
  progress: [TaskProgress[]];
  removed: [string];
  settings: [Settings];
}

interface Running {
  controller: AbortController;
  /** A pause, resume or cancel asked for while an earlier pause was still being carried out; it wins. */
  wanted?: 'pause' | 'resume' | 'cancel';
  bytes: number;
  lastBytes: number;
  speed: number;
  limiter: RateLimiter;
  done: Promise<void>;
}


export class Engine extends EventEmitter<EngineEvents> {
  readonly paths: DataPaths;
  readonly profiles: ProfileRegistry;
  readonly store: TaskStore;
  #running = new Map<string, Running>();
  #listeners = new Listeners(() => this.#updateKeepAlive());
  #scheduler: Scheduler;
  #progress: ProgressReporter;
  #keepAlive: NodeJS.Timeout | undefined;
  #globalLimiter = new RateLimiter(0);
  #profileLimiters = new Map<string, RateLimiter>();
  #partials: PartialFiles;
  /** Handed-out tokens, commits and removals since the store's last write (crash safety between writes). */
  #journal: Journal;
  /** Tasks created by this process that have not started yet: nothing of theirs is on disk. */
  #neverRan = new Set<string>();
  readonly #options: Required<Omit<EngineOptions, 'galleryHome' | 'store' | 'dataDir'>> & Pick<EngineOptions, 'galleryHome'>;

  constructor(options: EngineOptions) {
    super();
    this.paths = dataPaths(options.dataDir);
    this.store = options.store;
    this.profiles = new ProfileRegistry(options.store);
    this.#options = {
      autoStart: options.autoStart ?? true,
      idleTimeoutMs: options.idleTimeoutMs ?? 30_000,
      retryBaseMs: options.retryBaseMs ?? 1_000,
      retryMaxMs: options.retryMaxMs ?? 30_000,
      progressIntervalMs: options.progressIntervalMs ?? 250,
      galleryHome: options.galleryHome,
      env: options.env ?? process.env,
      ownsProcess: options.ownsProcess ?? false,
    };
    // Before anything is opened: a data dir from an older version (0755, files 0644) becomes the user's alone.
    tightenDataDir(this.paths.dataDir);
    this.#partials = new PartialFiles(this.paths.partialDir);
    this.#scheduler = new Scheduler({
      running: this.#running,
      getTask: (token) => this.store.getTask(token),
      concurrency: () => this.settings.concurrency,
      profileOf: (task) => this.#profileOf(task),
      startTask: (task, profile) => this.#startTask(task, profile),
      waiting: (task) => {
        if (task.message !== WAITING_FOR_NETWORK) this.#update(task, { message: WAITING_FOR_NETWORK });
      },
      offlineTimedOut: (task, message) => this.#fail(task, message, offlineReason(this.#profileOf(task))),
      changed: () => this.#updateKeepAlive(),
    });
    this.#progress = new ProgressReporter(
      this.#options.progressIntervalMs,
      () => this.#running,
      (token) => this.store.getTask(token),
      (batch) => this.emit('progress', batch),
    );
    this.#journal = new Journal(path.join(options.dataDir, 'journal.jsonl'));
    this.#globalLimiter.bytesPerSecond = this.settings.speedLimit;
    fs.mkdirSync(this.paths.partialDir, { recursive: true, mode: PRIVATE_DIR_MODE });
    // The store file now holds everything the journal said (writes are synchronous, so nothing slips in between).
    this.store.onFlush(() => {
      try {
        this.#journal.clear();
      } catch {
        // Kept: replaying entries the store already has changes nothing.
      }
    });
    reconcile({
      store: this.store,
      journal: this.#journal,
      partials: this.#partials,
      partitionDir: (storage) => this.#partitionDir(storage),
      update: (task, patch) => this.#update(task, patch),
    });
    this.#adjustHeap();
    if (this.#options.autoStart) this.start();
  }

  get settings(): Settings {
    return this.store.settings;
  }

  /** Begin driving tasks: whatever an earlier process left unfinished goes back in the queue. */
  start(): void {
    if (this.#scheduler.started) return;
    this.#scheduler.started = true;
    for (const task of this.#sortedTasks()) {
      if (task.state === 'queued' || task.state === 'running') {
        if (task.state === 'running') this.#update(task, { state: 'queued' });
        this.#scheduler.add(task);
      }
    }
    this.#scheduler.schedule();
  }

  /** Stop every running transfer (they go back to queued, bytes kept) and write the store. */
  async stop(): Promise<void> {
    this.#scheduler.started = false;
    const running = [...this.#running.values()];
    for (const run of running) run.controller.abort(new Interrupt('stop'));
    await Promise.allSettled(running.map((r) => r.done));
    this.#scheduler.clearTimers();
    this.#progress.stop();
    this.#updateKeepAlive();
    this.store.flush();
    this.#journal.close();
    if (this.#options.ownsProcess) resetHeapPolicy();
  }

  #adjustHeap(): void {
    if (this.#options.ownsProcess) adjustHeapPolicy(this.store.taskCount);
  }

  // ---- the quick-app surface ------------------------------------------------------------------

  /** Validates and records a task; answers at once (202/203 before any byte moves). */
  download(request: DownloadRequest): TaskRecord {
    const { task, earlier } = newTask(request, this.store, this.profiles);
    // The same request again (its answer was lost on the way): the task it made, and nothing new.
    if (earlier) return snapshot(task);
    // A task recorded for another process to run must be on disk before its token is handed out.
    this.store.putTask(task, { immediate: !this.#scheduler.started });
    if (this.#scheduler.started) {
      // The store writes in batches; until the next write, the journal keeps the token alive through
      // a crash (a token handed out must never turn into 1001).
      try {
        this.#journal.append({ kind: 'task', task });
      } catch {
        // No room for the entry (disk full): write the store now instead; its own errors are handled there.
        this.store.flush();
      }
    }
    this.#neverRan.add(task.token);
    this.#adjustHeap();
    this.emit('task', snapshot(task));
    if (this.#scheduler.started) {
      this.#scheduler.add(task);
      this.#scheduler.schedule();
    }
    return snapshot(task);
  }

  /** A copy of the task: callers never hold the engine's live record. */
  get(token: unknown): TaskRecord {
    return snapshot(this.#task(token));
  }

  /** Copies of every task, oldest first. */
  list(): TaskRecord[] {
    return this.#sortedTasks().map(snapshot);
  }

  /** The live record (the engine's own), or 1001. */
  #task(token: unknown): TaskRecord {
    const id = validateToken(token);
    const task = this.store.getTask(id);
    if (!task) throw new VelaError(FailCode.TaskNotFound, `download task does not exist: ${id.length > 120 ? `${id.slice(0, 120)}…` : id}`);
    return task;
  }


  /** Resolves when the task completes; rejects with 1000 (failed/cancelled) or 1001 (unknown/removed). */
  whenDone(token: unknown): Promise<DownloadResult> {
    let task: TaskRecord;
    try {
      task = this.#task(token);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#listeners.wait(task);
  }

  // ---- desktop controls --------------------------------------------------------------------

  pause(token: unknown): TaskRecord {
    const task = this.#task(token);
    assertAction(task.state, 'pause');
    if (task.state === 'running') this.#interruptRun(task.token, 'pause');
    else if (task.state === 'queued') {
      this.#scheduler.delete(task.token);
      this.#update(task, { state: 'paused', message: undefined });
    }
    return snapshot(task);
  }

  resume(token: unknown): TaskRecord {
    const task = this.#task(token);
    assertAction(task.state, 'resume');
    if (task.state !== 'paused') {
      // Paused a moment ago and not stopped yet: resume instead of ending paused (the resume would be lost).
      if (task.state === 'running') this.#interruptRun(task.token, 'resume');
      return snapshot(task);
    }
    this.#enqueue(task);
    return snapshot(task);
  }

  cancel(token: unknown): TaskRecord {
    const task = this.#task(token);
    assertAction(task.state, 'cancel');
    if (this.#running.has(task.token)) this.#interruptRun(task.token, 'cancel');
    else this.#finishCancelled(task);
    return snapshot(task);
  }

  /**
   * A failed or cancelled task goes back in the queue under its token; a new URL replaces an expired
   * link, and headers given replace the task's (the window's retry dialog shows them to be edited).
   */
  retry(token: unknown, newUrl?: string, header?: unknown): TaskRecord {
    const task = this.#task(token);
    assertAction(task.state, 'retry');
    const url = newUrl === undefined ? task.url : validateUrl(newUrl).href;
    const headers = header === undefined ? task.headers : validateHeaders(header);
    // A new link to another origin never carries the old one's credentials (the user gave them for that host).
    task.headers = header === undefined && new URL(url).origin !== new URL(task.url).origin ? withoutOriginBound(headers) : headers;
    task.url = url;
    task.code = undefined;
    task.message = undefined;
    task.error = undefined;
    task.completedAt = undefined;
    this.#enqueue(task);
    return snapshot(task);
  }

  /** Forget a task; with deleteFile its downloaded file goes too. Waiting listeners get 1001. */
  async remove(token: unknown, deleteFile = false): Promise<void> {
    const task = this.#task(token);
    const run = this.#running.get(task.token);
    if (run) {
      run.controller.abort(new Interrupt('remove'));
      await run.done;
    }
    this.#scheduler.delete(task.token);
    this.#neverRan.delete(task.token);
    this.#partials.remove(task.token);
    if (deleteFile && task.state === 'completed' && task.path) fs.rmSync(task.path, { force: true });
    this.store.deleteTask(task.token);
    try {
      // Or a crash before the store's next write would bring the task back from its journal entry.
      this.#journal.append({ kind: 'removed', token: task.token });
    } catch {
      this.store.flush();
    }
    this.#adjustHeap();
    this.emit('removed', task.token);
    this.#listeners.settle(task.token, { ok: false, error: new VelaError(FailCode.TaskNotFound, `download task does not exist: ${task.token} (removed)`) });
  }

  /** Move a completed image, video or audio file (by its bytes, not task.mime: gallery.ts) from the cache to the gallery folders. */
  async moveToGallery(token: unknown, galleryHome?: string): Promise<{ token: string; path: string }> {
    const task = this.#task(token);
    if (task.state !== 'completed' || !task.path) throw new VelaError(FailCode.IllegalArgument, `the task has not completed (state ${task.state})`);
    if (task.galleryPath) throw new VelaError(FailCode.IllegalArgument, `already moved to the gallery: ${task.galleryPath}`);
    if (!fs.existsSync(task.path)) throw new VelaError(FailCode.DownloadFailed, `the file is no longer in the cache: ${task.path}`);
    const dirs = galleryDirs({ home: galleryHome ?? this.#options.galleryHome, overrides: this.settings.galleryDirs, env: this.#options.env });
    const moved = await moveToGallery(task.path, dirs);
    this.#update(task, { galleryPath: moved, path: moved }, true);
    return { token: task.token, path: moved };
  }

  /** Checked again here with the contract's schema, whoever asks (settings-patch.ts). */
  updateSettings(input: SettingsPatch): Settings {
    const next = applySettingsPatch(this.settings, input, this.profiles);
    this.store.setSettings(next);
    this.#globalLimiter.bytesPerSecond = next.speedLimit;
    this.#scheduler.schedule();
    this.emit('settings', next);
    return next;
  }

  /** A profile changed (e.g. back online): apply its bandwidth and let waiting tasks go. */
  profileChanged(): void {
    for (const [id, limiter] of this.#profileLimiters) limiter.bytesPerSecond = this.profiles.find(id)?.link.bandwidth ?? 0;
    // A profile that just went offline: its queued tasks start counting their offline timeout now.
    this.#scheduler.rearm();
    this.#scheduler.schedule();
  }

  /** A finished file was deleted from the media library: its task says so instead of pointing at nothing. */
  fileDeleted(file: string): void {
    for (const task of this.store.allTasks()) {
      if (task.state === 'completed' && task.path === file) this.#update(task, { message: 'the file was deleted' });
    }
  }

  /** Whether the engine has anything that will still happen: running or runnable tasks, or listeners. */
  get busy(): boolean {
    // A stopped engine keeps nothing alive: its listeners can no longer be answered by it.
    return this.#running.size > 0 || (this.#scheduler.started && (this.#listeners.size > 0 || this.#scheduler.size > 0));
  }

  /**
   * Ask a running task to stop for a pause or a cancel. A request that arrives while an earlier pause
   * is still being carried out replaces it (pause then resume at once must not end paused; pause then
   * cancel must cancel); nothing undoes a pending cancel, stop or remove. A plain abort could not do
   * this: aborting an aborted controller keeps the first reason.
   */
  #interruptRun(token: string, kind: 'pause' | 'resume' | 'cancel'): void {
    const run = this.#running.get(token);
    if (!run) return;
    const { signal } = run.controller;
    if (!signal.aborted) {
      if (kind !== 'resume') run.controller.abort(new Interrupt(kind));
      return;
    }
    const pending = run.wanted ?? (signal.reason instanceof Interrupt ? signal.reason.kind : undefined);
    if (pending === 'pause' || pending === 'resume') run.wanted = kind;
  }

  // ---- scheduling ----------------------------------------------------------------------------

  #enqueue(task: TaskRecord): void {
    this.#update(task, { state: 'queued' });
    if (this.#scheduler.started) {
      this.#scheduler.add(task);
      this.#scheduler.schedule();
    }
  }

  #startTask(task: TaskRecord, profile: DeviceProfile): void {
    const controller = new AbortController();
    // A task handed out by this process that never ran has nothing on disk: no reads needed (they
    // were a good part of a small download's cost).
    const fresh = this.#neverRan.delete(task.token);
    const meta = fresh ? undefined : this.#partials.readMeta(task.token);
    const run: Running = {
      controller,
      bytes: fresh ? 0 : this.#partials.bytes(task.token, meta),
      lastBytes: 0,
      speed: 0,
      limiter: new RateLimiter(task.speedLimit ?? 0),
      done: Promise.resolve(),
    };
    run.lastBytes = run.bytes;
    this.#running.set(task.token, run);
    this.#update(task, { state: 'running', message: undefined, bytes: run.bytes });
    this.#progress.start();
    run.done = this.#drive(task, profile, run, meta)
      .catch((error: unknown) => this.#fail(task, `internal error: ${(error as Error).message}`))
      .finally(() => {
        this.#running.delete(task.token);
        if (this.#running.size === 0) this.#progress.stop();
        this.#scheduler.schedule();
      });
  }

  /** One task's run: the transfer session, then the commit; the outcome decides the task's state. */
  async #drive(task: TaskRecord, profile: DeviceProfile, run: Running, sidecar: PartialSidecar | undefined): Promise<void> {
    const outcome = await runSession({
      task,
      profile,
      run,
      sidecar,
      partials: this.#partials,
      agents: () => agentsFor(task.url, this.settings.proxy, this.#options.env),
      limiters: () => [this.#globalLimiter, this.#profileLimiter(profile), run.limiter],
      maxSegments: () => this.#maxSegments(),
      idleTimeoutMs: this.#options.idleTimeoutMs,
      retry: { baseMs: this.#options.retryBaseMs, maxMs: this.#options.retryMaxMs },
      partitionDir: this.#partitionDir(task.storage),
      partialDir: this.paths.partialDir,
      update: (patch) => this.#update(task, patch),
    });
    if (outcome.kind === 'interrupted') return this.#interrupted(task, outcome.interrupt);
    if (outcome.kind === 'failed') return this.#fail(task, outcome.message, outcome.error);
    await this.#complete(task, outcome.meta, outcome.sidecarOnDisk);
  }

  /** Most connections per download (the `segments` setting). */
  #maxSegments(): number {
    return Math.max(1, Math.min(16, Math.floor(this.settings.segments ?? 1)));
  }

  async #complete(task: TaskRecord, meta: PartialMeta | undefined, sidecarOnDisk: boolean): Promise<void> {
    const dir = this.#partitionDir(task.storage);
    const run = this.#running.get(task.token);
    const wanted = (): Interrupt | undefined => {
      const reason = run?.controller.signal.reason;
      const kind = run?.wanted ?? (reason instanceof Interrupt ? reason.kind : undefined);
      return kind === 'cancel' || kind === 'remove' ? new Interrupt(kind) : undefined;
    };
    const outcome = await commitDownload({
      task, meta, sidecarOnDisk, dir, partials: this.#partials, journal: this.#journal,
      cancelled: () => wanted() !== undefined,
    });
    if (!outcome.ok) return 'cancelled' in outcome ? this.#interrupted(task, wanted() ?? new Interrupt('cancel')) : this.#fail(task, outcome.message, outcome.error);
    this.#update(task, outcome.patch, !outcome.noted);
    this.#listeners.settle(task.token, outcomeOf(task)!);
  }

  #interrupted(task: TaskRecord, interrupt: Interrupt): void {
    const kind = this.#running.get(task.token)?.wanted ?? interrupt.kind;
    switch (kind) {
      case 'resume':
        this.#update(task, { bytes: this.#partials.bytes(task.token) });
        this.#enqueue(task);
        return;
      case 'pause':
        this.#update(task, { state: 'paused', message: undefined, bytes: this.#partials.bytes(task.token) });
        return;
      case 'stop':
        this.#update(task, { state: 'queued', bytes: this.#partials.bytes(task.token) });
        return;
      case 'cancel':
        this.#finishCancelled(task);
        return;
      case 'remove':
        return;
    }
  }

  #finishCancelled(task: TaskRecord): void {
    this.#scheduler.delete(task.token);
    this.#partials.remove(task.token);
    this.#update(task, { state: 'cancelled', code: FailCode.DownloadFailed, message: 'cancelled', bytes: 0, completedAt: Date.now() });
    this.#listeners.settle(task.token, outcomeOf(task)!);
  }

  /** `error`: why, as data (failure-reason.ts); when nobody said, something broke inside. */
  #fail(task: TaskRecord, message: string, error: FailureReason = internalReason()): void {
    this.#update(task, { state: 'failed', code: FailCode.DownloadFailed, message, error, bytes: this.#partials.bytes(task.token), completedAt: Date.now() });
    this.#listeners.settle(task.token, outcomeOf(task)!);
  }

  // ---- simulation and quota ------------------------------------------------------------------

  #profileOf(task: TaskRecord): DeviceProfile {
    return this.profiles.find(task.profileId) ?? this.profiles.require('desktop');
  }

  #profileLimiter(profile: DeviceProfile): RateLimiter {
    let limiter = this.#profileLimiters.get(profile.id);
    if (!limiter) {
      limiter = new RateLimiter(profile.link.bandwidth ?? 0);
      this.#profileLimiters.set(profile.id, limiter);
    }
    return limiter;
  }

  #partitionDir(storage: StoragePartition): string {
    return storage === 'mass' ? this.paths.massDir : this.paths.cacheDir;
  }

  // ---- listeners, progress, bookkeeping ------------------------------------------------------

  #update(task: TaskRecord, patch: Partial<TaskRecord>, immediate = false): void {
    if (patch.state !== undefined) transition(task.state, patch.state);
    Object.assign(task, patch, { updatedAt: Date.now() });
    this.store.putTask(task, { immediate });
    this.emit('task', snapshot(task));
  }

  #sortedTasks(): TaskRecord[] {
    return this.store.allTasks().sort((a, b) => a.createdAt - b.createdAt);
  }

  /** Keep the process alive exactly while something will still happen (quick-app code exits by itself). */
  #updateKeepAlive(): void {
    if (this.busy && !this.#keepAlive) this.#keepAlive = setInterval(() => {}, 1 << 30);
    else if (!this.busy && this.#keepAlive) {
      clearInterval(this.#keepAlive);
      this.#keepAlive = undefined;
    }
  }
}

const WAITING_FOR_NETWORK = 'waiting for the network';

/** A copy of a task for anyone outside the engine (its headers too: the only nested object). */
function snapshot(task: TaskRecord): TaskRecord {
  return { ...task, headers: { ...task.headers } };
}
