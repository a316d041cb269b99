import v8 from 'node:v8';

/**
 * How V8 sizes the heap of the process that runs the engine. V8 lets the old generation grow to a
 * multiple (up to about four times) of what is live after a full collection before it collects again.
 * With a few tasks the live heap is ~13 MB and that costs little; a big task table makes the live
 * heap large (10,000 tasks: 25-35 MB) and the same policy then let a run peak at ~180 MiB of RSS.
 *
 * So from FAVOUR_MEMORY_FROM tasks on, the engine asks V8 to favour memory (`--optimize-for-size`,
 * which V8 reads whenever it sizes the heap, so it can be set and cleared at run time): the 10,000-task
 * run then peaks at ~115 MiB for about 5 % more CPU. Below that the default stays, because with the
 * flag a single fast download ran at about three quarters of its speed (docs/performance.md, cases 1
 * and 4): V8 then collects the stream's read buffers far more often. From 5,000 tasks the task table holds about as much
 * as the rest of the engine; the flag is cleared again below 4,000, so a count near the line does not
 * flip it back and forth.
 *
 * Not in Electron: its V8 may freeze flags after start-up (a change would abort the process); flags
 * for its main process are given on the command line (`--js-flags`) instead.
 */
export const FAVOUR_MEMORY_FROM = 5_000;
const BACK_TO_SPEED_BELOW = 4_000;

let favouringMemory = false;

export function adjustHeapPolicy(taskCount: number): void {
  if (process.versions.electron !== undefined) return;
  if (!favouringMemory && taskCount >= FAVOUR_MEMORY_FROM) {
    v8.setFlagsFromString('--optimize-for-size');
    favouringMemory = true;
  } else if (favouringMemory && taskCount < BACK_TO_SPEED_BELOW) {
    v8.setFlagsFromString('--no-optimize-for-size');
    favouringMemory = false;
  }
}

/** Back to V8's default, if this module changed it (an engine that owned its process stopped). */
export function resetHeapPolicy(): void {
  if (!favouringMemory) return;
  v8.setFlagsFromString('--no-optimize-for-size');
  favouringMemory = false;
}

/** Whether the process currently favours memory. */
export function favoursMemory(): boolean {
  return favouringMemory;
}
