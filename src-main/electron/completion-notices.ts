import type { Settings, TaskRecord, TaskState } from '../../src-shared/types.js';
import { isFinished } from '../../src-shared/types.js';

/**
 * Which task changes deserve a desktop notification, and their text. A task notifies once, when it
 * moves from an unfinished state to completed or failed while the app watches. A cancel is the user's
 * own doing, and a task that was already over when the app started (or is first seen over) stays
 * quiet. Many endings close together make one notification, not a flood. Pure: notifications.ts shows
 * what this returns.
 */

export type Language = Settings['language'];

export interface Ending {
  token: string;
  state: 'completed' | 'failed';
  name: string;
  code?: number;
  message?: string;
}

export interface NoticeText {
  title: string;
  body: string;
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

const TEXT = {
  en: {
    completed: 'Download finished',
    failed: 'Download failed',
    many: (done: number, failed: number) =>
      failed === 0 ? `${done} downloads finished` : done === 0 ? `${failed} downloads failed` : `${done} downloads finished, ${failed} failed`,
  },
  'zh-CN': {
    completed: '下载完成',
    failed: '下载失败',
    many: (done: number, failed: number) =>
      failed === 0 ? `${done} 个下载已完成` : done === 0 ? `${failed} 个下载失败` : `${done} 个下载已完成，${failed} 个失败`,
  },
} as const;

/** One notification for a batch of endings (one or many). */
export function noticeFor(endings: readonly Ending[], language: Language): NoticeText | undefined {
  const text = TEXT[language] ?? TEXT.en;
  const [first] = endings;
  if (!first) return undefined;
  if (endings.length === 1) {
    const code = first.code !== undefined ? `${first.code}: ` : '';
    const reason = first.state === 'failed' && first.message ? `\n${code}${first.message}` : '';
    return { title: text[first.state], body: `${first.name}${reason}`.slice(0, 400) };
  }
  const failed = endings.filter((e) => e.state === 'failed').length;
  const names = endings.slice(0, 3).map((e) => e.name).join(', ');
  const more = endings.length > 3 ? ', …' : '';
  return { title: text.many(endings.length - failed, failed), body: `${names}${more}`.slice(0, 400) };
}
