import type { EventMap, EventName } from '../../src-shared/channels.js';
import type { Settings, TaskProgress, TaskRecord } from '../../src-shared/types.js';
import { formatBytes } from '../../src-shared/format.js';

/**
 * The one figure the tray and the taskbar show: how far all unfinished downloads are, together. Fed by
 * the router's events (already coalesced to a few a second). Pure: progress.ts draws what this says.
 */

export interface Overall {
  /** Queued, running and paused tasks. */
  active: number;
  running: number;
  paused: number;
  bytes: number;
  /** Sum of the sizes that are known. */
  total: number;
  /** 0..1 over the tasks whose size is known; null when none is (or nothing is active). */
  fraction: number | null;
  /** Bytes per second over the running tasks. */
  speed: number;
}

const ACTIVE = new Set(['queued', 'running', 'paused']);

export class ProgressTracker {
  #tasks = new Map<string, TaskRecord>();
  #live = new Map<string, TaskProgress>();

  constructor(initial: Iterable<TaskRecord> = []) {
    this.reset(initial);
  }

  /** Start over from a fresh task list (the engine process started, or is back after a crash). */
  reset(tasks: Iterable<TaskRecord>): void {
    this.#tasks.clear();
    this.#live.clear();
    for (const task of tasks) this.#tasks.set(task.token, task);
  }

  /** Feed a router event; true when the overall figure may have changed. */
  update(event: EventName, payload: EventMap[EventName]): boolean {
    switch (event) {
      case 'task.updated': {
        const task = payload as TaskRecord;
        this.#tasks.set(task.token, task);
        if (task.state !== 'running') this.#live.delete(task.token);
        return true;
      }
      case 'task.removed': {
        const { token } = payload as EventMap['task.removed'];
        this.#tasks.delete(token);
        this.#live.delete(token);
        return true;
      }
      case 'task.progress':
        for (const progress of payload as TaskProgress[]) this.#live.set(progress.token, progress);
        return true;
      default:
        return false;
    }
  }

  overall(): Overall {
    const sum: Overall = { active: 0, running: 0, paused: 0, bytes: 0, total: 0, fraction: null, speed: 0 };
    let knownBytes = 0;
    let knownTotal = 0;
    for (const task of this.#tasks.values()) {
      if (!ACTIVE.has(task.state)) continue;
      sum.active += 1;
      if (task.state === 'running') sum.running += 1;
      if (task.state === 'paused') sum.paused += 1;
      const live = task.state === 'running' ? this.#live.get(task.token) : undefined;
      const bytes = live?.bytes ?? task.bytes;
      const size = live?.total ?? task.total;
      sum.bytes += bytes;
      sum.speed += live?.speed ?? 0;
      if (size !== null && size > 0) {
        knownBytes += Math.min(bytes, size);
        knownTotal += size;
      }
    }
    sum.total = knownTotal;
    // Over the tasks whose size is known, as browsers do; unknown only when no size is known at all.
    sum.fraction = knownTotal > 0 ? knownBytes / knownTotal : null;
    return sum;
  }
}

export type TaskbarProgress = { value: number; mode: 'none' | 'normal' | 'indeterminate' | 'paused' };

/** win.setProgressBar's arguments: removed when idle, paused when nothing runs, indeterminate when sizes are unknown. */
export function taskbarProgress(overall: Overall): TaskbarProgress {
  if (overall.active === 0) return { value: -1, mode: 'none' };
  if (overall.running === 0 && overall.paused > 0) return { value: overall.fraction ?? 0, mode: 'paused' };
  if (overall.fraction === null) return { value: 2, mode: 'indeterminate' };
  return { value: overall.fraction, mode: 'normal' };
}

const LABELS = {
  en: {
    idle: 'No downloads',
    active: (n: number) => (n === 1 ? '1 download' : `${n} downloads`),
    paused: 'paused',
  },
  'zh-CN': {
    idle: '没有下载',
    active: (n: number) => `${n} 个下载`,
    paused: '已暂停',
  },
} as const;

/** The tray's tooltip and first menu line, e.g. "3 downloads · 42% · 1.2 MB/s". */
export function progressLabel(overall: Overall, language: Settings['language']): string {
  const text = LABELS[language] ?? LABELS.en;
  if (overall.active === 0) return text.idle;
  const parts: string[] = [text.active(overall.active)];
  if (overall.fraction !== null) parts.push(`${Math.floor(overall.fraction * 100)}%`);
  else parts.push(formatBytes(overall.bytes));
  if (overall.running === 0 && overall.paused > 0) parts.push(text.paused);
  else if (overall.speed > 0) parts.push(`${formatBytes(overall.speed)}/s`);
  return parts.join(' · ');
}
