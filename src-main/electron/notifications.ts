import { Notification } from 'electron';
import type { TaskRecord } from '../../src-shared/types.js';
import type { Engine } from '../core/engine.js';
import type { Router } from '../router/router.js';
import { CompletionWatcher, noticeFor, type Ending } from './completion-notices.js';

/** Endings this close together share one notification. */
const BATCH_MS = 1_500;

/**
 * A desktop notification when downloads finish or fail (completion-notices.ts decides which and what
 * it says). Clicking one brings the window to the front. Returns a function that stops it.
 */
export function notifyEndings(router: Router, engine: Engine, onClick: () => void): () => void {
  if (!Notification.isSupported()) return () => {};
  const watcher = new CompletionWatcher(engine.list());
  // Held until closed: a notification that is garbage-collected loses its click handler.
  const shown = new Set<Notification>();
  let pending: Ending[] = [];
  let timer: NodeJS.Timeout | undefined;

  const flush = (): void => {
    timer = undefined;
    const text = noticeFor(pending, engine.settings.language);
    pending = [];
    if (!text) return;
    const notification = new Notification({ title: text.title, body: text.body });
    shown.add(notification);
    notification.on('click', () => {
      shown.delete(notification);
      onClick();
    });
    notification.on('close', () => shown.delete(notification));
    notification.show();
  };

  const unsubscribe = router.subscribe((name, payload) => {
    if (name === 'task.removed') watcher.forget((payload as { token: string }).token);
    if (name !== 'task.updated') return;
    const ending = watcher.observe(payload as TaskRecord);
    if (!ending) return;
    pending.push(ending);
    timer ??= setTimeout(flush, BATCH_MS);
  });

  return () => {
    unsubscribe();
    if (timer) clearTimeout(timer);
    for (const notification of shown) notification.close();
    shown.clear();
  };
}
