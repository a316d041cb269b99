/**
 * A real Engine on a real temp data dir, for the engine integration tests (test/integration/engine-*.test.ts).
 * Short retry delays and timeouts keep the suite fast; everything else is the production code path.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Engine, type EngineOptions } from '../../src-main/core/engine.js';
import { openStore, type TaskStore } from '../../src-main/core/store.js';
import type { DeviceProfile } from '../../src-shared/profiles.js';
import type { TaskRecord } from '../../src-shared/types.js';

export const KiB = 1024;
export const MiB = 1024 * 1024;

export interface EngineHarness {
  dir: string;
  store: TaskStore;
  engine: Engine;
  cacheDir: string;
  partialDir: string;
  /** Stop the current engine (if running) and open a new store + engine on the same dir. */
  reopen(options?: Partial<EngineOptions>): Promise<Engine>;
  /** Names in the cache folder, without `.partial`. */
  cacheFiles(): string[];
  /** Names in `cache/.partial` (bytes and sidecars). */
  partialFiles(): string[];
  /** Save a custom profile (supported unless said otherwise). */
  profile(id: string, link?: DeviceProfile['link'], device?: DeviceProfile['device'], supported?: boolean): DeviceProfile;
  close(): Promise<void>;
}

export const ENGINE_DEFAULTS = { retryBaseMs: 20, retryMaxMs: 100, idleTimeoutMs: 1000, progressIntervalMs: 50 } as const;

export function createHarness(options: Partial<EngineOptions> = {}): EngineHarness {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-engine-'));
  const open = (extra: Partial<EngineOptions>): { store: TaskStore; engine: Engine } => {
    const store = openStore(dir);
    const engine = new Engine({ dataDir: dir, store, ...ENGINE_DEFAULTS, ...options, ...extra });
    return { store, engine };
  };
  let current = open({});
  const cacheDir = path.join(dir, 'cache');
  const partialDir = path.join(cacheDir, '.partial');
  const list = (folder: string): string[] => {
    try {
      return fs.readdirSync(folder).sort();
    } catch {
      return [];
    }
  };
  const harness: EngineHarness = {
    dir,
    get store() {
      return current.store;
    },
    get engine() {
      return current.engine;
    },
    cacheDir,
    partialDir,
    async reopen(extra = {}) {
      await current.engine.stop();
      current = open(extra);
      return current.engine;
    },
    cacheFiles: () => list(cacheDir).filter((n) => n !== '.partial'),
    partialFiles: () => list(partialDir),
    profile(id, link = {}, device = {}, supported = true) {
      return current.engine.profiles.save({ id, name: `Test ${id}`, supported, link, device });
    },
    async close() {
      await current.engine.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return harness;
}

/** Poll until check() holds; fail with `what` after timeoutMs. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await delay(5);
  }
}

/** The error a synchronous call throws, as { code, message }; fails if it does not throw. */
export function thrown(fn: () => unknown): { code: number; message: string } {
  try {
    fn();
  } catch (error) {
    const e = error as { code: number; message: string };
    return { code: e.code, message: e.message };
  }
  throw new Error('expected the call to throw');
}

/** The rejection of a promise, as { code, message }; fails if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { code: number; message: string };
    return { code: e.code, message: e.message };
  }
  throw new Error('expected the promise to reject');
}

export function stateOf(engine: Engine, token: string): TaskRecord['state'] {
  return engine.get(token).state;
}

export function sizeOf(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return -1;
  }
}
