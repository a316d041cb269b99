/**
 * Small tools for the fault-injection tests (test/integration/faults-*.test.ts): a seeded random
 * source, so every "random" offset can be replayed, and a watcher of a cache folder that records every
 * final-named file it ever sees, so a test can prove no file with wrong bytes ever carried a final name.
 */
import fs from 'node:fs';
import path from 'node:path';

/**
 * The seed of a test file: `VELA_FAULT_SEED` when set (to replay a failure), else the given default.
 * Tests put it in their titles and failure messages.
 */
export function faultSeed(fallback: number): number {
  const env = process.env.VELA_FAULT_SEED;
  if (env === undefined || env === '') return fallback;
  const n = Number(env);
  if (!Number.isSafeInteger(n)) throw new Error(`VELA_FAULT_SEED must be an integer, got ${JSON.stringify(env)}`);
  return n;
}

/** mulberry32: a tiny, well-distributed 32-bit PRNG; returns floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [min, max] (both inclusive). */
export function randomInt(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/**
 * `count` distinct sorted integers in [min, max], at least `gap` apart (rejection sampling: the same
 * seed always gives the same offsets).
 */
export function spreadOffsets(random: () => number, count: number, min: number, max: number, gap: number): number[] {
  if ((count - 1) * gap > max - min) throw new RangeError('the range is too small for that many offsets that far apart');
  for (let tries = 0; tries < 10_000; tries++) {
    const picks = Array.from({ length: count }, () => randomInt(random, min, max)).sort((a, b) => a - b);
    if (picks.every((v, i) => i === 0 || v - picks[i - 1]! >= gap)) return picks;
  }
  throw new Error('could not place the offsets');
}

export interface CacheWatcher {
  /** Every final-named entry (anything in the folder but `.partial`) seen so far, in order of first sight. */
  readonly seen: string[];
  /** Look once more (also done on a timer). */
  scan(): void;
  stop(): void;
}

/** Polls a cache folder every `everyMs` and remembers every name that appeared in it. */
export function watchCache(dir: string, everyMs = 5): CacheWatcher {
  const seen: string[] = [];
  const scan = (): void => {
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) if (name !== '.partial' && !seen.includes(name)) seen.push(name);
  };
  const timer = setInterval(scan, everyMs);
  scan();
  return {
    seen,
    scan,
    stop: () => clearInterval(timer),
  };
}

/** Names in a folder (sorted), or [] when it does not exist. */
export function listDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** Final-named files of a cache folder (everything but `.partial`), as absolute paths. */
export function finalFiles(cacheDir: string): string[] {
  return listDir(cacheDir)
    .filter((n) => n !== '.partial')
    .map((n) => path.join(cacheDir, n));
}
