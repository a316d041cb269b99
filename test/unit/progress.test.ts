import { describe, expect, it } from 'vitest';
import { STALL_AFTER_MS, type TaskProgress, type TaskRecord } from '../../src-shared/types.js';
import { ProgressReporter, SPEED_WINDOW_MS, type ProgressRun } from '../../src-main/core/progress.js';
import { sliceSize } from '../../src-main/core/stream-rules.js';
import { RateLimiter } from '../../src-main/core/throttle.js';

/** A reporter on a clock the test moves, for one task whose bytes the test feeds. */
function rig(total: number) {
  let now = 0;
  const run: ProgressRun = { bytes: 0, lastBytes: 0, speed: 0 };
  const task = { token: 't', total, bytes: 0 } as TaskRecord;
  const batches: TaskProgress[] = [];
  const reporter = new ProgressReporter(250, () => [['t', run]], () => task, (b) => batches.push(...b), () => now);
  return {
    run,
    batches,
    tick(ms: number, bytes: number) {
      now += ms;
      run.bytes += bytes;
      reporter.report();
      return batches.at(-1)!;
    },
  };
}

describe('the speed and ETA a running task reports', () => {
  it('reads a bursty 48.8 KiB/s link as about 48.8 KiB/s, not 91→15 and back (issue 10, point 3)', () => {
    const r = rig(10 * 1024 * 1024);
    const rate = 48.8 * 1024;
    // A 64 KiB burst every 1.31 s (what a slow server's TCP window looks like), sampled every 250 ms.
    let next = 0;
    const speeds: number[] = [];
    for (let t = 250; t <= 30_000; t += 250) {
      let bytes = 0;
      while (next <= t) {
        bytes += 64 * 1024;
        next += (64 * 1024 * 1000) / rate;
      }
      const p = r.tick(250, bytes);
      if (t > SPEED_WINDOW_MS) speeds.push(p.speed);
    }
    expect(Math.min(...speeds)).toBeGreaterThan(rate * 0.8);
    expect(Math.max(...speeds)).toBeLessThan(rate * 1.2);
  });

  it('follows a real change within a few seconds, and reads 0 once a whole window passed without bytes', () => {
    const r = rig(100 * 1024 * 1024);
    for (let i = 0; i < 40; i++) r.tick(250, 25_000); // 100 kB/s for 10 s
    expect(r.batches.at(-1)!.speed).toBe(100_000);
    for (let i = 0; i < 28; i++) r.tick(250, 50_000); // 200 kB/s for 7 s
    expect(r.batches.at(-1)!.speed).toBeGreaterThan(195_000);
    expect(r.batches.at(-1)!.speed).toBeLessThanOrEqual(200_000);
    for (let i = 0; i < 20; i++) r.tick(250, 0);
    const last = r.batches.at(-1)!;
    expect(last.speed).toBe(0);
    expect(last.eta).toBeNull();
  });

  it('starts over when a run restarts from fewer bytes (a restart from 0)', () => {
    const r = rig(10_000_000);
    for (let i = 0; i < 8; i++) r.tick(250, 100_000);
    r.run.bytes = 0;
    r.run.lastBytes = 0; // what session.ts does when an answer restarts the file
    // The first report after the restart has no speed yet (the old run's rate is not carried over)...
    const first = r.tick(250, 10_000);
    expect(first.speed).toBe(0);
    expect(first.eta).toBeNull();
    // ...nor in its first second; then it measures from the restart.
    for (let i = 0; i < 3; i++) expect(r.tick(250, 10_000).speed).toBe(0);
    const p = r.tick(250, 10_000);
    expect(p.speed).toBe(40_000);
    expect(p.eta).toBeCloseTo((10_000_000 - 50_000) / 40_000);
  });
});

describe('a run whose first report comes late (a busy machine)', () => {
  it('does not read the bytes before its first report as one interval\'s worth', () => {
    const r = rig(10_000_000);
    // 100 kB/s, but the first report comes 600 ms after the run started (not 250 ms).
    const first = r.tick(600, 60_000);
    expect(first.speed).toBe(0);
    for (let i = 0; i < 12; i++) {
      const p = r.tick(250, 25_000);
      expect(p.speed).toBeLessThanOrEqual(100_000);
    }
    expect(r.batches.at(-1)!.speed).toBe(100_000);
  });
});

describe('a stalled run (issue 10, point 2)', () => {
  it('is stalled once nothing arrived for 5 s: speed 0, no ETA; a byte ends the stall', () => {
    const r = rig(100 * 1024 * 1024);
    for (let i = 0; i < 20; i++) r.tick(250, 17_000);
    expect(r.batches.at(-1)).toMatchObject({ stalled: false });
    // Quiet: still a speed (the window holds the last bytes) and not yet stalled for a while...
    let p = r.tick(250, 0);
    expect(p.stalled).toBe(false);
    for (let t = 500; t < STALL_AFTER_MS; t += 250) p = r.tick(250, 0);
    expect(p.stalled).toBe(false);
    // ...then stalled: never "1 B/s, 71329h12m left".
    p = r.tick(250, 0);
    expect(p).toMatchObject({ stalled: true, speed: 0, eta: null });
    for (let i = 0; i < 40; i++) p = r.tick(250, 0);
    expect(p).toMatchObject({ stalled: true, speed: 0, eta: null });
    p = r.tick(250, 1);
    expect(p.stalled).toBe(false);
  });

  it('is stalled when a run gets no byte at all for 5 s (a server that never answers)', () => {
    const r = rig(1_000);
    let p = r.tick(250, 0);
    expect(p.stalled).toBe(false);
    for (let t = 250; t < STALL_AFTER_MS; t += 250) p = r.tick(250, 0);
    expect(p).toMatchObject({ stalled: true, speed: 0, eta: null });
  });

  it('never reports an ETA from a speed that rounds to 0', () => {
    const r = rig(100 * 1024 * 1024);
    // One byte every 4.75 s: about 0.2 B/s, never quiet for 5 s, so not stalled either.
    let p = r.tick(250, 1);
    for (let i = 1; i < 240; i++) p = r.tick(250, i % 19 === 0 ? 1 : 0);
    expect(p.stalled).toBe(false);
    expect(p.speed).toBe(0);
    expect(p.eta).toBeNull();
  });
});

describe('sliceSize: how much a capped stream passes per step', () => {
  it('is 64 KiB uncapped or fast, 50 ms of the slowest cap when slow, never under 1 KiB', () => {
    expect(sliceSize([])).toBe(64 * 1024);
    expect(sliceSize([new RateLimiter(0)])).toBe(64 * 1024);
    expect(sliceSize([new RateLimiter(100 * 1024 * 1024)])).toBe(64 * 1024);
    expect(sliceSize([new RateLimiter(10 * 1024 * 1024), new RateLimiter(100 * 1024)])).toBe(5120);
    expect(sliceSize([new RateLimiter(1024)])).toBe(1024);
  });
});
