import type { TaskRecord, TaskState } from './types.js';
import { isFinished } from './types.js';

/**
 * Which task updates announce an ending worth a notification: a task that moves from an unfinished
 * state to completed or failed while someone watches. A cancel is the user's own doing, and a task that
 * was already over when the watching began (or is first seen over) stays quiet. Used by the desktop
 * app's notifications (src-main/electron) and the browser host's page (src-renderer/stores/attention.ts).
 */

export interface Ending {
  token: string;
  state: 'completed' | 'failed';
  name: string;
  code?: number;
  message?: string;
}

/** A file's name for people: the final name, else the requested one, else the URL's last segment. */
export function displayName(task: Pick<TaskRecord, 'name' | 'requestedFilename' | 'url'>): string {
  if (task.name) return task.name.split('/').pop() ?? task.name;
  if (task.requestedFilename) return task.requestedFilename;
  try {
    const last = new URL(task.url).pathname.split('/').filter(Boolean).pop();
    if (last) return decodeURIComponent(last);
  } catch {
    // not a URL we can read: fall through
  }
  return task.url;
}

export class CompletionWatcher {
  #states = new Map<string, TaskState>();

  /** Tasks as they are when the app starts: whatever is already finished stays quiet. */
  constructor(initial: Iterable<Pick<TaskRecord, 'token' | 'state'>> = []) {
    for (const task of initial) this.#states.set(task.token, task.state);
  }

  /** Tasks as a task list shows them, for those no update has told of yet (the list arrives after the events began). */
  seed(tasks: Iterable<Pick<TaskRecord, 'token' | 'state'>>): void {
    for (const task of tasks) if (!this.#states.has(task.token)) this.#states.set(task.token, task.state);
  }

  /** Record a task update; returns the ending it announces, if any. */
  observe(task: TaskRecord): Ending | undefined {
    const before = this.#states.get(task.token);
    this.#states.set(task.token, task.state);
    // Unknown before (only tasks that started before the app can be), unchanged, or already over: quiet.
    if (before === undefined || before === task.state || isFinished(before)) return undefined;
    if (task.state !== 'completed' && task.state !== 'failed') return undefined;
    return { token: task.token, state: task.state, name: displayName(task), code: task.code, message: task.message };
  }

  forget(token: string): void {
    this.#states.delete(token);
  }
}
