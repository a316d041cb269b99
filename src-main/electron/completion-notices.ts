import type { Ending } from '../../src-shared/completion-watcher.js';
import type { Settings } from '../../src-shared/types.js';

/**
 * Which task changes deserve a desktop notification, and their text. A task notifies once, when it
 * moves from an unfinished state to completed or failed while the app watches. A cancel is the user's
 * own doing, and a task that was already over when the app started (or is first seen over) stays
 * quiet (the watcher lives in src-shared/completion-watcher.ts: the browser host's page uses it too).
 * Many endings close together make one notification, not a flood. Pure: notifications.ts shows what
 * this returns.
 */

export { CompletionWatcher, displayName, type Ending } from '../../src-shared/completion-watcher.js';

export type Language = Settings['language'];

export interface NoticeText {
  title: string;
  body: string;
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
