import { describe, expect, it } from 'vitest';
import { MAX_ATTEMPTS_WITHOUT_PROGRESS, parseRetryAfter, RETRY_BASE_MS, RETRY_MAX_MS, retryDelay, retryTimingFromEnv } from '../../src-main/core/retry-policy.js';
import { RateLimiter, reserveAll } from '../../src-main/core/throttle.js';
import { parseContentRange } from '../../src-main/core/stream-rules.js';

describe('retry policy', () => {
  it('backs off exponentially from 2 s to a 60 s cap, each wait up to a fifth shorter (jitter)', () => {
    const low = () => 0;
    const high = () => 0.999_999;
    const timing = { baseMs: RETRY_BASE_MS, maxMs: RETRY_MAX_MS };
    const schedule = Array.from({ length: MAX_ATTEMPTS_WITHOUT_PROGRESS - 1 }, (_, i) => retryDelay(i + 1, { ...timing, random: low }));
    expect(schedule).toEqual([2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000]);
    // Minutes in all before a download that never gets anywhere fails (issue 10, point 2), not ~10 s.
    const fastest = Array.from({ length: MAX_ATTEMPTS_WITHOUT_PROGRESS - 1 }, (_, i) => retryDelay(i + 1, { ...timing, random: high }));
    expect(fastest.reduce((a, b) => a + b, 0)).toBeGreaterThan(140_000);
    expect(retryDelay(1, { ...timing, random: high })).toBe(1_600);
    expect(retryDelay(20, { baseMs: 1000, maxMs: 30_000, random: low })).toBe(30_000);
    // The tests' tiny timings keep working.
    expect(retryDelay(3, { baseMs: 20, maxMs: 100, random: low })).toBe(80);
  });

  it('bounds the attempts in a row without progress', () => {
    expect(MAX_ATTEMPTS_WITHOUT_PROGRESS).toBe(8);
  });

  it('reads shorter timings from VELA_RETRY_BASE_MS and VELA_RETRY_MAX_MS, and ignores anything else', () => {
    expect(retryTimingFromEnv({ VELA_RETRY_BASE_MS: '500', VELA_RETRY_MAX_MS: '2000' })).toEqual({ retryBaseMs: 500, retryMaxMs: 2000 });
    expect(retryTimingFromEnv({ VELA_RETRY_BASE_MS: '0', VELA_RETRY_MAX_MS: '-5' })).toEqual({});
    expect(retryTimingFromEnv({ VELA_RETRY_BASE_MS: '1e3', VELA_RETRY_MAX_MS: 'soon' })).toEqual({});
    expect(retryTimingFromEnv({})).toEqual({});
  });

  it('reads Retry-After as seconds or a date, capped at a minute', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter('100000')).toBe(60_000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});

describe('rate limiter', () => {
  it('is free when unlimited', () => {
    const limiter = new RateLimiter(0);
    expect(limiter.reserve(10_000_000)).toBe(0);
  });

  it('spaces reservations at the rate, shared by every caller', () => {
    let now = 0;
    const limiter = new RateLimiter(1000, 0, () => now);
    expect(limiter.reserve(500)).toBe(500);
    // A second stream on the same limiter queues behind the first.
    expect(limiter.reserve(500)).toBe(1000);
    now = 2000;
    expect(limiter.reserve(1000)).toBe(1000);
  });

  it('takes a new rate at once', () => {
    let now = 0;
    const limiter = new RateLimiter(1000, 0, () => now);
    limiter.reserve(1000);
    now = 1000;
    limiter.bytesPerSecond = 2000;
    expect(limiter.reserve(1000)).toBe(500);
  });
});

describe('several limiters on one stream', () => {
  it('wait for the strictest; an unlimited one costs nothing and a slower one decides', () => {
    const now = () => 0;
    const global = new RateLimiter(0, 0, now);
    const profile = new RateLimiter(1000, 0, now);
    const task = new RateLimiter(500, 0, now);
    expect(reserveAll([global], 1000)).toBe(0);
    expect(reserveAll([global, profile, task], 500)).toBe(1000); // 500 bytes at 500 B/s
    expect(reserveAll([], 1)).toBe(0);
  });
});

describe('Content-Range', () => {
  it('accepts only a well-formed byte range', () => {
    expect(parseContentRange('bytes 100-199/1000')).toEqual({ start: 100, end: 199, total: 1000 });
    expect(parseContentRange('bytes 0-9/*')).toEqual({ start: 0, end: 9, total: null });
    expect(parseContentRange('bytes */1000')).toBeNull();
    expect(parseContentRange('items 0-1/2')).toBeNull();
    expect(parseContentRange(undefined)).toBeNull();
  });
});
