/**
 * When to try again: pure functions, tested on their own. Chrome and Android's DownloadManager stop
 * after 5 attempts; we count only attempts in a row that made no progress, so a link that drops every
 * few megabytes still finishes.
 */
export const MAX_ATTEMPTS_WITHOUT_PROGRESS = 5;
const MAX_RETRY_AFTER_MS = 60_000;

/** Exponential backoff with full jitter: attempt 1 → up to base, 2 → up to 2×base, … capped. */
export function retryDelay(attempt: number, options: { baseMs: number; maxMs: number; random?: () => number }): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attempt - 1));
  const random = options.random ?? Math.random;
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
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
export function retryWait(failure: { retryAfterMs?: number }, attempt: number, options: { baseMs: number; maxMs: number }): number {
  return failure.retryAfterMs ?? retryDelay(attempt, options);
}
