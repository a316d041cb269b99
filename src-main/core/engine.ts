import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { FailCode, VelaError } from '../../src-shared/codes.js';
import type { DeviceProfile } from '../../src-shared/profiles.js';
import type { SettingsPatch } from '../../src-shared/schemas.js';
import { type DownloadResult, type Settings, type TaskProgress, type TaskRecord } from '../../src-shared/types.js';
import type { FailureReason } from '../../src-shared/failure-reason.js';
import { validateHeaders, validateToken, validateUrl } from '../../src-shared/validate.js';
import { agentsFor } from './agents.js';
import { internalReason, offlineReason } from './failure-reason.js';
import { moveToGallery } from './gallery.js';
import { adjustHeapPolicy, resetHeapPolicy } from './heap-policy.js';
import { Journal, type JournalEntry } from './journal.js';
import { dataPaths, galleryDirs, partitionDir, type DataPaths } from './paths.js';
import { PartialFiles } from './partial-files.js';
import { reconcile } from './reconciler.js';
import { PRIVATE_DIR_MODE, tightenDataDir } from './private-files.js';
import { ProfileRegistry } from './profiles.js';
import type { TaskStore } from './store.js';
import { Listeners, outcomeOf } from './listeners.js';
import { Scheduler } from './scheduler.js';
import { applySettingsPatch } from './settings-patch.js';
import { newTask, type DownloadRequest } from './new-task.js';
import { assertAction, transition } from './task-state.js';
import { withoutOriginBound } from './origin-bound.js';
import { KeepAlive } from './keep-alive.js';
import { RETRY_BASE_MS, RETRY_MAX_MS } from './retry-policy.js';
import { Runs } from './runs.js';

/**
 * The download engine's facade: it checks every call, owns the task records (every change of one goes
 * through `#update` and the state table) and their listeners, and wires the parts together: the queue
 * (scheduler.ts), the running transfers (runs.ts), crash safety (journal.ts, reconciler.ts). It knows
 * nothing of Electron, HTTP hosts or windows; every front door (IPC, browser host, CLI, quick-app
 * module) calls it.
 */

export type { DownloadRequest } from './new-task.js';

export interface EngineOptions {
  dataDir: string;
  store: TaskStore;
  /** Start downloading at once (default). false = only record tasks (the CLI without --wait, no engine running). */
  autoStart?: boolean;
  /** Socket idle timeout per attempt. */
  idleTimeoutMs?: number;
  /** The first wait between attempts (doubling each time) and the cap of one wait: retry-policy.ts (2 s, 60 s). */
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

export class Engine extends EventEmitter<EngineEvents> {
  readonly paths: DataPaths;
  readonly profiles: ProfileRegistry;
  readonly store: TaskStore;
  #keepAlive = new KeepAlive(() => this.busy);
  #listeners = new Listeners(() => this.#keepAlive.update());
  #scheduler: Scheduler;
  /** The running transfers, their limiters and progress (runs.ts). */
  #runs: Runs;
  #partials: PartialFiles;
  /** Handed-out tokens, commits and removals since the store's last write (crash safety between writes). */
  #journal: Journal;
  readonly #options: Required<Omit<EngineOptions, 'galleryHome' | 'store' | 'dataDir'>> & Pick<EngineOptions, 'galleryHome'>;

  constructor(options: EngineOptions) {
    super();
    this.paths = dataPaths(options.dataDir);
    this.store = options.store;
    this.profiles = new ProfileRegistry(options.store);
    this.#options = {
      autoStart: options.autoStart ?? true,
      idleTimeoutMs: options.idleTimeoutMs ?? 30_000,
      retryBaseMs: options.retryBaseMs ?? RETRY_BASE_MS,
      retryMaxMs: options.retryMaxMs ?? RETRY_MAX_MS,
      progressIntervalMs: options.progressIntervalMs ?? 250,
      galleryHome: options.galleryHome,
      env: options.env ?? process.env,
      ownsProcess: options.ownsProcess ?? false,
    };
    // Before anything is opened: a data dir from an older version (0755, files 0644) becomes the user's alone.
    tightenDataDir(this.paths.dataDir);
    this.#partials = new PartialFiles(this.paths.partialDir);
    this.#journal = new Journal(path.join(options.dataDir, 'journal.jsonl'));
    this.#runs = new Runs({
      partials: this.#partials,
      journal: this.#journal,
      partialDir: this.paths.partialDir,
      idleTimeoutMs: this.#options.idleTimeoutMs,
      retry: { baseMs: this.#options.retryBaseMs, maxMs: this.#options.retryMaxMs },
      progressIntervalMs: this.#options.progressIntervalMs,
      settings: () => this.settings,
      agents: (url) => agentsFor(url, this.settings.proxy, this.#options.env),
      bandwidthOf: (id) => this.profiles.find(id)?.link.bandwidth ?? 0,
      partitionDir: (storage) => partitionDir(this.paths, storage),
      getTask: (token) => this.store.getTask(token),
      progress: (batch) => this.emit('progress', batch),
      update: (task, patch, immediate) => this.#update(task, patch, immediate),
      settle: (token, outcome) => this.#listeners.settle(token, outcome),
      // A resume that arrived while its pause was being carried out: it has run, so it goes ahead.
      enqueue: (task) => this.#enqueue(task, true),
      fail: (task, message, error) => this.#fail(task, message, error),
      finishCancelled: (task) => this.#finishCancelled(task),
      ended: () => this.#scheduler.schedule(),
    });
    this.#scheduler = new Scheduler({
      running: this.#runs.map,
      getTask: (token) => this.store.getTask(token),
      concurrency: () => this.settings.concurrency,
      profileOf: (task) => this.#profileOf(task),
      startTask: (task, profile) => this.#runs.start(task, profile),
      waiting: (task) => this.#update(task, { message: 'waiting for the network' }),
      offlineTimedOut: (task, message) => this.#fail(task, message, offlineReason(this.#profileOf(task))),
      changed: () => this.#keepAlive.update(),
    });
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
      partitionDir: (storage) => partitionDir(this.paths, storage),
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
        // What was running, or stopped with bytes kept, has run before: it goes ahead of what never started.
        const ran = task.state === 'running' || task.bytes > 0;
        if (task.state === 'running') this.#update(task, { state: 'queued' });
        this.#scheduler.add(task, ran);
      }
    }
    this.#scheduler.schedule();
  }

  /** Stop every running transfer (they go back to queued, bytes kept) and write the store. */
  async stop(): Promise<void> {
    this.#scheduler.started = false;
    await this.#runs.stopAll();
    this.#scheduler.clearTimers();
    this.#keepAlive.update();
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
    // The store writes in batches; until the next write, the journal keeps the token alive through a
    // crash (a token handed out must never turn into 1001).
    if (this.#scheduler.started) this.#journalOrFlush({ kind: 'task', task });
    this.#runs.created(task.token);
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
    if (task.state === 'running') this.#runs.interrupt(task.token, 'pause');
    else if (task.state === 'queued') {
      this.#scheduler.delete(task.token);
      this.#update(task, { state: 'paused', message: undefined });
    }
    return snapshot(task);
  }

  /** A resumed task takes the next free slot, ahead of queued tasks that never started (scheduler.ts). */
  resume(token: unknown): TaskRecord {
    const task = this.#task(token);
    assertAction(task.state, 'resume');
    if (task.state !== 'paused') {
      // Paused a moment ago and not stopped yet: resume instead of ending paused (the resume would be lost).
      if (task.state === 'running') this.#runs.interrupt(task.token, 'resume');
      return snapshot(task);
    }
    this.#enqueue(task, true);
    return snapshot(task);
  }

  cancel(token: unknown): TaskRecord {
    const task = this.#task(token);
    assertAction(task.state, 'cancel');
    if (this.#runs.has(task.token)) this.#runs.interrupt(task.token, 'cancel');
    else this.#finishCancelled(task);
    return snapshot(task);
  }

  /**
   * A failed or cancelled task goes back in the queue under its token, ahead of tasks that never
   * started; a new URL replaces an expired link, and headers given replace the task's (the window's
   * retry dialog shows them to be edited). A failed task's bytes are resumed when the validators still
   * match.
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
    this.#enqueue(task, true);
    return snapshot(task);
  }

  /** Forget a task; with deleteFile its downloaded file goes too. Waiting listeners get 1001. */
  async remove(token: unknown, deleteFile = false): Promise<void> {
    const task = this.#task(token);
    await this.#runs.remove(task.token);
    this.#scheduler.delete(task.token);
    this.#runs.forget(task.token);
    this.#partials.remove(task.token);
    if (deleteFile && task.state === 'completed' && task.path) fs.rmSync(task.path, { force: true });
    this.store.deleteTask(task.token);
    // Or a crash before the store's next write would bring the task back from its journal entry.
    this.#journalOrFlush({ kind: 'removed', token: task.token });
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
    this.#runs.speedLimit = next.speedLimit;
    this.#scheduler.schedule();
    this.emit('settings', next);
    return next;
  }

  /** A profile changed (e.g. back online): apply its bandwidth and let waiting tasks go. */
  profileChanged(): void {
    this.#runs.profilesChanged();
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
    return this.#runs.size > 0 || (this.#scheduler.started && (this.#listeners.size > 0 || this.#scheduler.size > 0));
  }

  // ---- scheduling ----------------------------------------------------------------------------

  /** Into the queue; `ahead`: the task has run before (resumed, retried), so it goes before never-started ones. */
  #enqueue(task: TaskRecord, ahead = false): void {
    this.#update(task, { state: 'queued' });
    if (this.#scheduler.started) {
      this.#scheduler.add(task, ahead);
      this.#scheduler.schedule();
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

  // ---- listeners, progress, bookkeeping ------------------------------------------------------

  #update(task: TaskRecord, patch: Partial<TaskRecord>, immediate = false): void {
    if (patch.state !== undefined) transition(task.state, patch.state);
    Object.assign(task, patch, { updatedAt: Date.now() });
    // A wait for the next attempt belongs to one run: any change of state ends it.
    if (patch.state !== undefined && !('retry' in patch)) delete task.retry;
    this.store.putTask(task, { immediate });
    this.emit('task', snapshot(task));
  }

  /** What must survive a crash until the store's next write; with no room for the entry (disk full), the store is written now instead (its own errors are handled there). */
  #journalOrFlush(entry: JournalEntry): void {
    try {
      this.#journal.append(entry);
    } catch {
      this.store.flush();
    }
  }

  #sortedTasks(): TaskRecord[] {
    return this.store.allTasks().sort((a, b) => a.createdAt - b.createdAt);
  }
}

/** A copy of a task for anyone outside the engine (its headers too: the only nested object). */
function snapshot(task: TaskRecord): TaskRecord {
  return { ...task, headers: { ...task.headers } };
}
