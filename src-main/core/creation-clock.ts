import type { TaskStore } from './store.js';

/**
 * When a task was created, as a number that is unique and strictly increasing per store.
 *
 * `createdAt` orders the list ("newest first", the engine's own oldest-first order, the queue after a
 * restart), so two tasks must never share it. `Date.now()` alone did: it counts milliseconds, and a
 * pasted list of links is created several tasks to the millisecond; the tied tasks then fell back to
 * whatever order the list held them in (a newest-first list of twenty links showed 18, 19, 20, 16, 17,
 * 13, …). The wall clock can also step back (NTP, a user changing the time), which would put a new task
 * behind older ones. So a creation time is the wall clock, or one millisecond after the last one given
 * out for this store when the clock has not moved past it. The first call seeds that from the newest
 * task in the store, so the order holds across restarts. A burst runs ahead of the clock by at most
 * one millisecond per task, and the clock catches up as soon as the burst ends.
 */
const last = new WeakMap<TaskStore, number>();

export function nextCreatedAt(store: TaskStore, now: number = Date.now()): number {
  let previous = last.get(store);
  if (previous === undefined) {
    previous = -Infinity;
    for (const task of store.allTasks()) if (task.createdAt > previous) previous = task.createdAt;
  }
  const stamp = now > previous ? now : previous + 1;
  last.set(store, stamp);
  return stamp;
}
