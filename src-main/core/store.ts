import fs from 'node:fs';
import path from 'node:path';
import Conf from 'conf';
import type { DeviceProfile } from '../../src-shared/profiles.js';
import { DEFAULT_SETTINGS, type Settings, type TaskRecord } from '../../src-shared/types.js';

/**
 * Persistence. Core takes a `Conf` (electron-store is a Conf subclass, so the Electron shell passes one
 * and the host, CLI and tests pass `new Conf({ cwd })`: one file format, no adapter).
 *
 * Conf re-reads the file on every `get` and rewrites it on every `set`, so the store keeps its own copy
 * in memory and writes the whole object back in batches: state changes are coalesced over a short delay
 * (2,000 small downloads make a handful of writes, not 4,000), and progress is never written at all:
 * the partial file on disk is the truth for how far a task got.
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

/** Migrations from version N to N+1, applied in order. None yet: version 1 is the first schema. */
const MIGRATIONS: Record<number, (data: StoreData) => StoreData> = {};

export class TaskStore {
  readonly recovery: StoreRecovery | undefined;
  #data: StoreData;
  #timer: NodeJS.Timeout | undefined;
  #dirty = false;
  #writes = 0;
  #afterFlush: Array<() => void> = [];

  constructor(
    private readonly conf: StoreConf,
    options: { recovery?: StoreRecovery; flushDelayMs?: number } = {},
  ) {
    this.recovery = options.recovery;
    this.flushDelayMs = options.flushDelayMs ?? 250;
    this.#data = normalise(conf.store as Partial<StoreData>);
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
    return this.#data.tasks[token];
  }

  allTasks(): TaskRecord[] {
    return Object.values(this.#data.tasks);
  }

  putTask(task: TaskRecord, options: { immediate?: boolean } = {}): void {
    this.#data.tasks[task.token] = task;
    this.#markDirty(options.immediate);
  }

  deleteTask(token: string): void {
    delete this.#data.tasks[token];
    this.#markDirty();
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
    this.#dirty = false;
    this.conf.store = this.#data;
    this.#writes += 1;
    for (const callback of this.#afterFlush) callback();
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
    this.#timer = setTimeout(() => this.flush(), this.flushDelayMs);
    // A pending write must not keep a finished CLI or quick-app process alive; exit handlers flush it.
    this.#timer.unref();
  }
}

function normalise(raw: Partial<StoreData>): StoreData {
  const base = emptyData();
  if (!raw || typeof raw !== 'object' || raw.version === undefined) {
    return { ...base, ...raw, version: STORE_VERSION, settings: { ...base.settings, ...(raw?.settings ?? {}) } };
  }
  let data = raw as StoreData;
  for (let v = data.version; v < STORE_VERSION; v += 1) {
    const migrate = MIGRATIONS[v];
    if (migrate) data = migrate(data);
    data.version = v + 1;
  }
  return {
    version: STORE_VERSION,
    tasks: data.tasks ?? {},
    profiles: Array.isArray(data.profiles) ? data.profiles : [],
    settings: { ...base.settings, ...(data.settings ?? {}), galleryDirs: { ...base.settings.galleryDirs, ...(data.settings?.galleryDirs ?? {}) } },
  };
}

/** Checks a parsed store beyond JSON syntax: a future version or a wrong shape is not ours to guess at. */
export function storeProblem(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'the store is not a JSON object';
  const data = raw as Partial<StoreData>;
  if (data.version !== undefined && (typeof data.version !== 'number' || data.version > STORE_VERSION)) {
    return `the store was written by a newer version (schema ${String(data.version)}, this app knows ${STORE_VERSION})`;
  }
  if (data.tasks !== undefined && (typeof data.tasks !== 'object' || data.tasks === null || Array.isArray(data.tasks))) {
    return 'the store has no valid task table';
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
        configFileMode: 0o600,
        // Compact JSON: the file is rewritten whole on each flush.
        serialize: (value) => JSON.stringify(value),
      }));
  fs.mkdirSync(dataDir, { recursive: true });
  let recovery: StoreRecovery | undefined;
  let conf: StoreConf;
  try {
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
