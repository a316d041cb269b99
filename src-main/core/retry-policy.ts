/**
 * When to try again: pure functions, tested on their own.
 *
 * The schedule: 2, 4, 8, 16, 32, 60, 60 s (each up to a fifth shorter, jitter), about three minutes in
 * all before a download that never gets anywhere fails with 1000. Only attempts in a row that made no
 * progress count, and an attempt that got further than any before starts the count again (as Chrome
 * and aria2 reset theirs): a link that drops every few megabytes still finishes, and a server that is
 * down for a minute or two (a restart, a flaky Wi-Fi) is waited for rather than given up on after ~10 s.
 * Chrome and Android stop after 5 automatic resumptions; their waits are longer than ours at first,
 * so we take a few more, shorter ones.
 */
export const MAX_ATTEMPTS_WITHOUT_PROGRESS = 8;
/** The first wait, and the cap of any one wait (the engine's `retryBaseMs`/`retryMaxMs` defaults). */
export const RETRY_BASE_MS = 2_000;
export const RETRY_MAX_MS = 60_000;
/** A server's Retry-After is honoured up to this long. */
const MAX_RETRY_AFTER_MS = 60_000;
/** Each wait is shortened by up to this share, at random, so many tasks refused at once do not come back at once. */
const JITTER = 0.2;

export interface RetryTiming {
  baseMs: number;
  maxMs: number;
}

/**
 * The wait after the `failures`-th failure in a row without progress: base × 2^(failures−1), capped at
 * maxMs, less up to {@link JITTER} of it.
 */
export function retryDelay(failures: number, options: RetryTiming & { random?: () => number }): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, failures - 1));
  const random = options.random ?? Math.random;
  return Math.round(ceiling * (1 - JITTER * random()));
}

/** Retry-After as seconds or an HTTP date, in milliseconds, capped; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  let ms: number;
  if (/^\d+$/.test(trimmed)) ms = Number(trimmed) * 1000;
  else {
    const date = Date.parse(trimmed);
    if (Number.isNaN(date)) return undefined;
    ms = date - now;
  }
  return Math.min(Math.max(0, ms), MAX_RETRY_AFTER_MS);
}

/**
 * The wait before the next attempt, for the task's stream and a segment's connection alike: the
 * server's Retry-After when it sent one (capped by {@link parseRetryAfter}), else backoff.
 */
export function retryWait(failure: { retryAfterMs?: number }, failures: number, options: RetryTiming): number {
  return failure.retryAfterMs ?? retryDelay(failures, options);
}

/**
 * The engine's retry timing from the environment, for tests and scripts that cannot wait minutes for a
 * failure: `VELA_RETRY_BASE_MS` and `VELA_RETRY_MAX_MS` (whole milliseconds, at least 1). Anything else
 * is ignored (the defaults stay).
 */
export function retryTimingFromEnv(env: NodeJS.ProcessEnv): { retryBaseMs?: number; retryMaxMs?: number } {
  const read = (name: string): number | undefined => {
    const value = env[name]?.trim();
    if (!value || !/^\d{1,9}$/.test(value)) return undefined;
    const ms = Number(value);
    return ms >= 1 ? ms : undefined;
  };
  const timing: { retryBaseMs?: number; retryMaxMs?: number } = {};
  const base = read('VELA_RETRY_BASE_MS');
  const max = read('VELA_RETRY_MAX_MS');
  if (base !== undefined) timing.retryBaseMs = base;
  if (max !== undefined) timing.retryMaxMs = max;
  return timing;
}
