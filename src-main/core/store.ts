import fs from 'node:fs';
import path from 'node:path';
import Conf from 'conf';
import type { DeviceProfile } from '../../src-shared/profiles.js';
import { issuesMessage, settingsPatchSchema } from '../../src-shared/schemas.js';
import { DEFAULT_SETTINGS, type Settings, type TaskRecord } from '../../src-shared/types.js';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from './private-files.js';

/**
 * Persistence. Core takes a `Conf` (electron-store is a Conf subclass, so the Electron shell passes one
 * and the host, CLI and tests pass `new Conf({ cwd })`: one file format, no adapter).
 *
 * Conf re-reads the file on every `get` and rewrites it on every `set`, so the store keeps its own copy
 * in memory and writes the whole object back in batches: state changes are coalesced over a short delay
 * (2,000 small downloads make a handful of writes, not 4,000), and progress is never written at all:
 * the partial file on disk is the truth for how far a task got.
 *
 * A write costs in proportion to the number of tasks (10,000 tasks are a 5 MB file), so the delay
 * between batched writes grows with what the last write cost: writing never takes more than about a
 * twentieth of the process's time, however many tasks the store holds (see docs/performance.md).
 */

export const STORE_VERSION = 1;

export interface StoreData {
  version: number;
  tasks: Record<string, TaskRecord>;
  /** Custom profiles only; the built-in ones come from src-shared. */
  profiles: DeviceProfile[];
  settings: Settings;
}

export type StoreConf = Conf<StoreData>;

/** Why a store file could not be used, and where it was kept. Shown to the user, never swallowed. */
export interface StoreRecovery {
  keptAs: string;
  reason: string;
}

const emptyData = (): StoreData => ({
  version: STORE_VERSION,
  tasks: {},
  profiles: [],
  settings: structuredClone(DEFAULT_SETTINGS),
});

/** A batched write waits at least this many times as long as the previous write took (CPU ≤ ~1/20). */
const WRITE_COST_FACTOR = 20;
/** …but never longer than this: the state on disk is at most this old. */
const MAX_FLUSH_DELAY_MS = 5_000;
/** After a failed write (disk full), try again this often. */
const WRITE_RETRY_MS = 5_000;

/**
 * Conf keeps its own bookkeeping under this key. When the value given to `conf.store = …` lacks it, Conf
 * reads and parses the whole file back on every write to carry it over: for 10,000 tasks that is a
 * 5 MB read and parse per write, and a third of the store's cost. The store carries the key itself.
 */
const CONF_INTERNAL_KEY = '__internal__';

/** Migrations from version N to N+1, applied in order. None yet: version 1 is the first schema. */
const MIGRATIONS: Record<number, (data: StoreData) => StoreData> = {};

export class TaskStore {
  readonly recovery: StoreRecovery | undefined;
  /** Stored settings that failed the contract's schema when the file was read, and were reset to their defaults (see checkedSettings). */
  readonly droppedSettings: readonly string[];
  #data: StoreData;
  #taskCount: number | undefined;
  /** requestId → token of the tasks that have one; built on first use, kept up to date by put/delete. */
  #byRequestId: Map<string, string> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #dirty = false;
  #writes = 0;
  /** How long the last write took; the next batched write waits in proportion. */
  #lastWriteMs = 0;
  #afterFlush: Array<() => void> = [];
  #writeError: string | undefined;

  constructor(
    private readonly conf: StoreConf,
    options: { recovery?: StoreRecovery; flushDelayMs?: number } = {},
  ) {
    this.recovery = options.recovery;
    this.flushDelayMs = options.flushDelayMs ?? 250;
    const raw = conf.store as Partial<StoreData> & { [CONF_INTERNAL_KEY]?: unknown };
    const { data, droppedSettings } = normalise(raw);
    this.#data = data;
    this.droppedSettings = droppedSettings;
    // Conf's bookkeeping as the file holds it (written back as it was), or, when the file has none, an
    // empty one that is not enumerable: JSON.stringify leaves it out, so the file does not change, but
    // Conf's `key in value` check finds it and skips re-reading the file.
    const internal = raw && typeof raw === 'object' ? raw[CONF_INTERNAL_KEY] : undefined;
    Object.defineProperty(this.#data, CONF_INTERNAL_KEY, {
      value: internal ?? {},
      enumerable: internal !== undefined,
      writable: true,
      configurable: true,
    });
    // The file still holds the refused values: the next write (soon, batched) replaces them.
    if (droppedSettings.length > 0) this.#markDirty();
  }

  private readonly flushDelayMs: number;

  /** How many times the file was written; tests use it to prove batching. */
  get writeCount(): number {
    return this.#writes;
  }

  get path(): string {
    return this.conf.path;
  }

  getTask(token: string): TaskRecord | undefined {
    // Own keys only: a token such as "toString" or "__proto__" must not find Object.prototype's members.
    return Object.hasOwn(this.#data.tasks, token) ? this.#data.tasks[token] : undefined;
  }

  /** How many tasks the store holds (without building a list). */
  get taskCount(): number {
    this.#taskCount ??= Object.keys(this.#data.tasks).length;
    return this.#taskCount;
  }

  allTasks(): TaskRecord[] {
    return Object.values(this.#data.tasks);
  }

  putTask(task: TaskRecord, options: { immediate?: boolean } = {}): void {
    if (this.#taskCount !== undefined && !Object.hasOwn(this.#data.tasks, task.token)) this.#taskCount += 1;
    this.#data.tasks[task.token] = task;
    if (task.requestId !== undefined) this.#byRequestId?.set(task.requestId, task.token);
    this.#markDirty(options.immediate);
  }

  deleteTask(token: string): void {
    const task = this.getTask(token);
    if (this.#taskCount !== undefined && task) this.#taskCount -= 1;
    if (task?.requestId !== undefined && this.#byRequestId?.get(task.requestId) === token) this.#byRequestId.delete(task.requestId);
    delete this.#data.tasks[token];
    this.#markDirty();
  }

  /**
   * The task a `download.start` with this request id made, while it exists (the index holds only the
   * stored tasks' ids, so it is bounded by the store; a removed task frees its id).
   */
  taskByRequestId(requestId: string): TaskRecord | undefined {
    if (!this.#byRequestId) {
      this.#byRequestId = new Map();
      for (const task of Object.values(this.#data.tasks)) {
        if (typeof task.requestId === 'string') this.#byRequestId.set(task.requestId, task.token);
      }
    }
    const token = this.#byRequestId.get(requestId);
    return token === undefined ? undefined : this.getTask(token);
  }

  get customProfiles(): DeviceProfile[] {
    return this.#data.profiles;
  }

  setCustomProfiles(profiles: DeviceProfile[]): void {
    this.#data.profiles = profiles;
    this.#markDirty(true);
  }

  get settings(): Settings {
    return this.#data.settings;
  }

  setSettings(settings: Settings): void {
    this.#data.settings = settings;
    this.#markDirty(true);
  }

  /** Write now if anything changed. Synchronous, so it is safe in `exit` handlers. */
  flush(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (!this.#dirty) return;
    const started = performance.now();
    try {
      this.conf.store = this.#data;
    } catch (error) {
      // A full or read-only disk must not kill the process: the file keeps its last good content (Conf
      // writes atomically), the change stays pending and is tried again, and the user is told once.
      this.#reportWriteError(error);
      this.#timer = setTimeout(() => this.flush(), WRITE_RETRY_MS);
      this.#timer.unref();
      return;
    }
    this.#dirty = false;
    this.#writeError = undefined;
    this.#lastWriteMs = performance.now() - started;
    this.#writes += 1;
    for (const callback of this.#afterFlush) callback();
  }

  /** The last failed write's reason, until a write succeeds again. */
  get writeError(): string | undefined {
    return this.#writeError;
  }

  #reportWriteError(error: unknown): void {
    const err = error as NodeJS.ErrnoException;
    const reason = err.code === 'ENOSPC' || err.code === 'EDQUOT' ? 'the disk is full' : `${err.code ?? err.message}`;
    if (this.#writeError !== reason) process.emitWarning(`the store could not be written (${reason}); it will be tried again`);
    this.#writeError = reason;
  }

  /** Run after every write of the file (the engine drops crash-recovery sidecars the file now covers). */
  onFlush(callback: () => void): void {
    this.#afterFlush.push(callback);
  }

  #markDirty(immediate = false): void {
    this.#dirty = true;
    if (immediate) {
      this.flush();
      return;
    }
    if (this.#timer) return;
    const delay = Math.max(this.flushDelayMs, Math.min(MAX_FLUSH_DELAY_MS, this.#lastWriteMs * WRITE_COST_FACTOR));
    this.#timer = setTimeout(() => this.flush(), delay);
    // A pending write must not keep a finished CLI or quick-app process alive; exit handlers flush it.
    this.#timer.unref();
  }
}

function normalise(raw: Partial<StoreData>): { data: StoreData; droppedSettings: string[] } {
  const base = emptyData();
  if (!raw || typeof raw !== 'object' || raw.version === undefined) {
    const { settings, dropped } = checkedSettings(raw?.settings);
    return { data: { ...base, ...raw, version: STORE_VERSION, settings }, droppedSettings: dropped };
  }
  let data = raw as StoreData;
  for (let v = data.version; v < STORE_VERSION; v += 1) {
    const migrate = MIGRATIONS[v];
    if (migrate) data = migrate(data);
    data.version = v + 1;
  }
  const { settings, dropped } = checkedSettings(data.settings);
  return {
    data: { version: STORE_VERSION, tasks: data.tasks ?? {}, profiles: Array.isArray(data.profiles) ? data.profiles : [], settings },
    droppedSettings: dropped,
  };
}

/**
 * The stored settings over the defaults, each value checked by the contract's own schema
 * (settingsPatchSchema), one at a time. Older versions stored anything: a relative gallery folder (which
 * would land moved files beside wherever the engine was started), a proxy of "not a url" (which failed
 * every proxied download). Such a value is never used: it falls back to its default (an empty gallery
 * folder is the default folder; an empty proxy is the environment's, else none) and the engine keeps
 * working; the rest of the settings stay as they were. What was dropped is reported (`droppedSettings`,
 * a warning from the front door) rather than silently forgotten, and the next write leaves it out of the
 * file. Keys this version does not know are kept as they are.
 */
function checkedSettings(stored: unknown): { settings: Settings; dropped: string[] } {
  const base = structuredClone(DEFAULT_SETTINGS);
  if (typeof stored !== 'object' || stored === null || Array.isArray(stored)) {
    return { settings: base, dropped: stored === undefined ? [] : ['settings: not an object'] };
  }
  const raw = stored as Record<string, unknown>;
  const settings = { ...base, ...raw } as Settings & Record<string, unknown>;
  const dropped: string[] = [];
  const check = (patch: Record<string, unknown>): Record<string, unknown> | undefined => {
    const parsed = settingsPatchSchema.safeParse(patch);
    if (parsed.success) return parsed.data;
    // The value goes with it, so the user can set it again correctly.
    dropped.push(`${issuesMessage(parsed.error.issues)} (it was ${JSON.stringify(patch).slice(0, 300)})`);
    return undefined;
  };
  for (const key of Object.keys(base) as Array<keyof Settings>) {
    if (key === 'galleryDirs') continue;
    const value = raw[key];
    (settings as Record<string, unknown>)[key] = value === undefined ? base[key] : (check({ [key]: value })?.[key] ?? base[key]);
  }
  const dirs = raw.galleryDirs;
  if (typeof dirs === 'object' && dirs !== null && !Array.isArray(dirs)) {
    settings.galleryDirs = { ...base.galleryDirs, ...dirs };
    for (const kind of Object.keys(base.galleryDirs) as Array<keyof Settings['galleryDirs']>) {
      const value = (dirs as Record<string, unknown>)[kind];
      if (value === undefined) continue;
      const checked = check({ galleryDirs: { [kind]: value } })?.galleryDirs as Partial<Settings['galleryDirs']> | undefined;
      settings.galleryDirs[kind] = checked?.[kind] ?? base.galleryDirs[kind];
    }
  } else {
    settings.galleryDirs = base.galleryDirs;
    if (dirs !== undefined) dropped.push('galleryDirs: not an object');
  }
  return { settings, dropped };
}

/** Checks a parsed store beyond JSON syntax: a future version or a wrong shape is not ours to guess at. */
const TASK_STATES = new Set(['queued', 'running', 'paused', 'completed', 'failed', 'cancelled']);

/** The file as JSON, read by us: Conf turns an array or a string into an object, hiding that it is not a store. */
function rawStoreFile(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined; // missing, or not JSON: Conf itself reports the latter
  }
}

export function storeProblem(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'the store is not a JSON object';
  const data = raw as Partial<StoreData>;
  if (data.version !== undefined && (typeof data.version !== 'number' || data.version > STORE_VERSION)) {
    return `the store was written by a newer version (schema ${String(data.version)}, this app knows ${STORE_VERSION})`;
  }
  if (data.tasks !== undefined && (typeof data.tasks !== 'object' || data.tasks === null || Array.isArray(data.tasks))) {
    return 'the store has no valid task table';
  }
  for (const [token, task] of Object.entries(data.tasks ?? {})) {
    const t = task as Partial<TaskRecord> | null;
    if (typeof t !== 'object' || t === null || t.token !== token || typeof t.url !== 'string' || !TASK_STATES.has(t.state as string)) {
      return `the store has a malformed task entry (${token.slice(0, 40)})`;
    }
  }
  return undefined;
}

/**
 * Opens the store of a data dir with `makeConf` (plain Conf here, electron-store in the shell). A file
 * that cannot be read (bad JSON, wrong shape, a future version) is renamed aside with a timestamp and
 * reported through `recovery`; the app then starts with an empty store.
 */
export function openStore(
  dataDir: string,
  options: { makeConf?: (cwd: string) => StoreConf; flushDelayMs?: number; now?: () => Date } = {},
): TaskStore {
  const makeConf =
    options.makeConf ??
    ((cwd: string) =>
      new Conf<StoreData>({
        cwd,
        configName: 'config',
        accessPropertiesByDotNotation: false,
        clearInvalidConfig: false,
        // The store holds request headers and URLs with credentials (conf chmods each new file to it).
        configFileMode: PRIVATE_FILE_MODE,
        // Compact JSON: the file is rewritten whole on each flush.
        serialize: (value) => JSON.stringify(value),
      }));
  ensurePrivateDir(dataDir);
  let recovery: StoreRecovery | undefined;
  let conf: StoreConf;
  try {
    const onDisk = rawStoreFile(path.join(dataDir, 'config.json'));
    if (onDisk !== undefined && storeProblem(onDisk)) throw new StoreUnreadable(storeProblem(onDisk)!);
    conf = makeConf(dataDir);
    const problem = storeProblem(conf.store);
    if (problem) throw new StoreUnreadable(problem);
  } catch (error) {
    const file = path.join(dataDir, 'config.json');
    const stamp = (options.now?.() ?? new Date()).toISOString().replace(/[:.]/g, '-');
    const keptAs = `${file}.corrupt-${stamp}`;
    fs.renameSync(file, keptAs);
    const reason = error instanceof StoreUnreadable ? error.message : `the store file could not be read (${(error as Error).message})`;
    recovery = { keptAs, reason };
    conf = makeConf(dataDir);
  }
  return new TaskStore(conf, { recovery, flushDelayMs: options.flushDelayMs });
}

class StoreUnreadable extends Error {}
