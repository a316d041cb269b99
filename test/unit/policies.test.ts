import { describe, expect, it } from 'vitest';
import { MAX_ATTEMPTS_WITHOUT_PROGRESS, parseRetryAfter, retryDelay } from '../../src-main/core/retry-policy.js';
import { RateLimiter, reserveAll } from '../../src-main/core/throttle.js';
import { parseContentRange } from '../../src-main/core/stream-rules.js';

describe('retry policy', () => {
  it('backs off exponentially, with jitter, up to the cap', () => {
    const low = () => 0;
    const high = () => 0.999_999;
    expect(retryDelay(1, { baseMs: 1000, maxMs: 30_000, random: low })).toBe(500);
    expect(retryDelay(1, { baseMs: 1000, maxMs: 30_000, random: high })).toBe(1000);
    expect(retryDelay(3, { baseMs: 1000, maxMs: 30_000, random: high })).toBe(4000);
    expect(retryDelay(20, { baseMs: 1000, maxMs: 30_000, random: high })).toBe(30_000);
  });

  it('stops after as many attempts as Chrome and Android', () => {
    expect(MAX_ATTEMPTS_WITHOUT_PROGRESS).toBe(5);
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
