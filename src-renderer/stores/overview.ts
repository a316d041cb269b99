import { defineStore } from 'pinia';
import { computed, toRaw } from 'vue';
import type { TaskState } from '../../src-shared/types.js';
import { useDownloads, type TaskView } from './downloads.js';

/**
 * The figures the status bar and the tab's title show: how many downloads are in each state, how fast
 * they go together, and how far the unfinished ones are together (as the desktop app's taskbar does,
 * src-main/electron/overall-progress.ts).
 */

export interface Overall {
  /** Queued, running and paused downloads. */
  unfinished: number;
  running: number;
  queued: number;
  paused: number;
  /** Bytes per second over the running downloads. */
  speed: number;
  /** 0..1 over the unfinished downloads whose size is known; null when none is. */
  fraction: number | null;
}

const UNFINISHED: ReadonlySet<TaskState> = new Set(['queued', 'running', 'paused']);

/** Reads `state`, `bytes`, `total` and `speed` of each task given (through reactive proxies, they are followed). */
export function overallOf(tasks: Iterable<Pick<TaskView, 'state' | 'bytes' | 'total' | 'speed'>>): Overall {
  const sum: Overall = { unfinished: 0, running: 0, queued: 0, paused: 0, speed: 0, fraction: null };
  let knownBytes = 0;
  let knownTotal = 0;
  for (const task of tasks) {
    const state = task.state;
    if (!UNFINISHED.has(state)) continue;
    sum.unfinished += 1;
    if (state === 'running') {
      sum.running += 1;
      sum.speed += task.speed;
    } else if (state === 'queued') sum.queued += 1;
    else sum.paused += 1;
    const total = task.total;
    if (total !== null && total > 0) {
      knownBytes += Math.min(task.bytes, total);
      knownTotal += total;
    }
  }
  sum.fraction = knownTotal > 0 ? knownBytes / knownTotal : null;
  return sum;
}

/** Whole percent, never 100 before the end (a download at 99.7% is not done). */
export function percentOf(fraction: number): number {
  return Math.min(99, Math.floor(fraction * 100));
}

export const useOverview = defineStore('overview', () => {
  const downloads = useDownloads();
  /** Membership follows the list (rebuilt when tasks come, go or change state), not every byte. */
  const unfinished = computed(() => downloads.all.filter((task) => UNFINISHED.has(toRaw(task).state)));
  /** Follows the bytes and speed of the unfinished downloads only. */
  const overall = computed(() => overallOf(unfinished.value));
  return { overall };
});
