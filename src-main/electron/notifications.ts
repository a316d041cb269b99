import { Notification } from 'electron';
import type { TaskRecord } from '../../src-shared/types.js';
import { CompletionWatcher, noticeFor, type Ending } from './completion-notices.js';
import { whenRunning, type ShellEngine } from './engine-link.js';

/** Endings this close together share one notification. */
const BATCH_MS = 1_500;

/**
 * A desktop notification when downloads finish or fail (completion-notices.ts decides which and what
 * it says). Clicking one brings the window to the front. Returns a function that stops it.
 */
export function notifyEndings(engine: ShellEngine, onClick: () => void): () => void {
  if (!Notification.isSupported()) return () => {};
  const watcher = new CompletionWatcher();
  // Tasks already over when the engine (re)starts stay quiet; the events began before the list came.
  const seed = (): void => void engine.bridge.invoke('tasks.list', {}).then((tasks) => watcher.seed(tasks), () => {});
  const stopSeeding = whenRunning(engine.events, seed);
  seed();
  // Held until closed: a notification that is garbage-collected loses its click handler.
  const shown = new Set<Notification>();
  let pending: Ending[] = [];
  let timer: NodeJS.Timeout | undefined;

  const flush = (): void => {
    timer = undefined;
    const text = noticeFor(pending, engine.language());
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

  const unsubscribe = engine.events.subscribe((name, payload) => {
    if (name === 'task.removed') watcher.forget((payload as { token: string }).token);
    if (name !== 'task.updated') return;
    const ending = watcher.observe(payload as TaskRecord);
    if (!ending) return;
    pending.push(ending);
    timer ??= setTimeout(flush, BATCH_MS);
  });

  return () => {
    unsubscribe();
    stopSeeding();
    if (timer) clearTimeout(timer);
    for (const notification of shown) notification.close();
    shown.clear();
  };
}
