import { afterEach, describe, expect, it, vi } from 'vitest';
import { nextCreatedAt } from '../../src-main/core/creation-clock.js';
import type { TaskStore } from '../../src-main/core/store.js';
import type { TaskRecord } from '../../src-shared/types.js';
import { createHarness, type EngineHarness } from '../helpers/engine.js';

/**
 * Issue 10, point 5: twenty pasted links showed, newest first, as 18, 19, 20, 16, 17, 13… Tasks created
 * in the same millisecond shared their `createdAt`, so the order among them was lost. Creation times are
 * now unique and increasing per store, also across a restart and when the wall clock steps back.
 */
describe('creation order of tasks', () => {
  let harness: EngineHarness | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await harness?.close();
    harness = undefined;
  });

  // Nothing is fetched: the engine only records the tasks (port 9 is never contacted).
  const links = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `http://127.0.0.1:9/file-${from + i + 1}.bin`);

  it('gives every task of a burst its own, increasing creation time, and lists them in the order they came', () => {
    harness = createHarness({ autoStart: false });
    const engine = harness.engine;
    const urls = links(300);
    // A fast machine creates several tasks per millisecond; here all of them fall in the same one.
    const frozen = Date.now();
    vi.spyOn(Date, 'now').mockReturnValue(frozen);
    const tokens = urls.map((url) => engine.download({ url }).token);
    const created = tokens.map((token) => engine.get(token).createdAt);
    for (let i = 1; i < created.length; i++) expect(created[i]!, `task ${i + 1}`).toBeGreaterThan(created[i - 1]!);
    expect(engine.list().map((t) => t.url)).toEqual(urls);
    // Newest first, as the window sorts: exactly the reverse of the paste order.
    const newestFirst = [...engine.list()].sort((a, b) => b.createdAt - a.createdAt).map((t) => t.url);
    expect(newestFirst).toEqual([...urls].reverse());
    // A creation time never runs far ahead of the clock: one millisecond per task of a burst at most.
    expect(created.at(-1)! - frozen).toBe(299);
  });

  it('keeps the order across a restart, even when the clock has stepped back', async () => {
    harness = createHarness({ autoStart: false });
    const first = links(20).map((url) => harness!.engine.download({ url }).token);
    const newestBefore = harness.engine.get(first.at(-1)!).createdAt;
    const engine = await harness.reopen({ autoStart: false });
    // The wall clock is now an hour behind (NTP, a user changing the time).
    const realNow = Date.now.bind(Date);
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() - 3_600_000);
    const second = links(20, 20).map((url) => engine.download({ url }).token);
    expect(engine.get(second[0]!).createdAt).toBeGreaterThan(newestBefore);
    expect(engine.list().map((t) => t.token)).toEqual([...first, ...second]);
  });

  it('nextCreatedAt: the wall clock when it moved on, else one past the last; seeded from the store', () => {
    const tasks = [{ createdAt: 5_000 }, { createdAt: 7_000 }, { createdAt: 6_000 }] as TaskRecord[];
    const store = { allTasks: () => tasks } as unknown as TaskStore;
    expect(nextCreatedAt(store, 1_000)).toBe(7_001);
    expect(nextCreatedAt(store, 7_001)).toBe(7_002);
    expect(nextCreatedAt(store, 9_000)).toBe(9_000);
    expect(nextCreatedAt(store, 9_000)).toBe(9_001);
    expect(nextCreatedAt(store, 8_000)).toBe(9_002);
    // Another store has its own sequence.
    const empty = { allTasks: () => [] } as unknown as TaskStore;
    expect(nextCreatedAt(empty, 100)).toBe(100);
  });
});
