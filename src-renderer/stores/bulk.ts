import { defineStore } from 'pinia';
import { computed, ref, toRaw } from 'vue';
import { toErrorData, type ErrorData } from '../../src-shared/codes.js';
import type { TaskState } from '../../src-shared/types.js';
import { useBridge } from '../bridge.js';
import { errorText } from '../components/downloads/failure-text.js';
import { i18n } from '../i18n/index.js';
import { useDownloads, type TaskView } from './downloads.js';
import { useNotices } from './notices.js';
import { useSelection } from './selection.js';

/**
 * Actions on many downloads at once: Pause all, Resume all, Clear completed, and pause / resume /
 * retry / remove on the ticked rows. Each calls the engine's per-task channel for every task it applies
 * to; a refusal of a task that has meanwhile moved on (finished before its pause arrived) is no error.
 * The others are reported together, in one notice.
 */

export type BulkAction = 'pause' | 'resume' | 'retry' | 'remove';

/** The states each action applies to. */
export const APPLIES_TO: Record<BulkAction, readonly TaskState[]> = {
  pause: ['running', 'queued'],
  resume: ['paused'],
  retry: ['failed', 'cancelled'],
  remove: ['queued', 'running', 'paused', 'completed', 'failed', 'cancelled'],
};

export const appliesTo = (action: BulkAction, state: TaskState): boolean => APPLIES_TO[action].includes(state);

/**
 * The order to act in. Pause: queued tasks before running ones (a paused running task frees a slot the
 * next queued task would take). Resume and retry: oldest first, so the queue keeps the list's order.
 */
export function bulkOrder(action: BulkAction, tasks: readonly Pick<TaskView, 'token' | 'state' | 'createdAt'>[]): string[] {
  const eligible = tasks.filter((task) => appliesTo(action, task.state));
  const rank = (task: Pick<TaskView, 'state'>): number => (action === 'pause' && task.state === 'running' ? 1 : 0);
  return eligible.sort((a, b) => rank(a) - rank(b) || a.createdAt - b.createdAt).map((task) => task.token);
}

const t = (key: string, named: Record<string, unknown> = {}): string => i18n.global.t(key, named);

export const useBulk = defineStore('bulk', () => {
  const downloads = useDownloads();
  const selection = useSelection();
  /** The action in progress, if any (its buttons wait). */
  const running = ref<BulkAction | 'clear' | null>(null);

  /** The ticked tasks as the list holds them (raw: reading them must not follow their bytes). */
  const selectedTasks = computed(() => selection.tokens.flatMap((token) => {
    const task = downloads.get(token);
    return task ? [toRaw(task)] : [];
  }));

  /** How many ticked tasks each action would apply to (its button says so, or is disabled). */
  const selectedCounts = computed<Record<BulkAction, number>>(() => {
    const counts: Record<BulkAction, number> = { pause: 0, resume: 0, retry: 0, remove: 0 };
    for (const task of selectedTasks.value) for (const action of Object.keys(counts) as BulkAction[]) if (appliesTo(action, task.state)) counts[action] += 1;
    return counts;
  });

  async function call(action: BulkAction, token: string, deleteFile: boolean): Promise<void> {
    const bridge = useBridge();
    switch (action) {
      case 'pause':
        await bridge.invoke('tasks.pause', { token });
        return;
      case 'resume':
        await bridge.invoke('tasks.resume', { token });
        return;
      case 'retry':
        await bridge.invoke('tasks.retry', { token });
        return;
      case 'remove':
        await bridge.invoke('tasks.remove', { token, deleteFile });
        downloads.forget(token);
        return;
    }
  }

  /**
   * Runs one action over tokens, in that order. Pause and remove go a few at a time; resume and retry
   * one at a time, in order, so the queue keeps it. Returns how many were done.
   */
  async function run(action: BulkAction, tokens: readonly string[], options: { deleteFile?: boolean; label?: 'clear' } = {}): Promise<number> {
    if (tokens.length === 0 || running.value) return 0;
    running.value = options.label ?? action;
    const failures: { token: string; error: ErrorData }[] = [];
    let done = 0;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < tokens.length) {
        const token = tokens[next++] as string;
        try {
          await call(action, token, options.deleteFile ?? false);
          done += 1;
        } catch (error) {
          const task = downloads.get(token);
          // Gone, or moved on meanwhile (finished before its pause arrived): nothing to report.
          if (task && appliesTo(action, toRaw(task).state)) failures.push({ token, error: toErrorData(error) });
        }
      }
    };
    const parallel = action === 'pause' || action === 'remove' ? 4 : 1;
    try {
      await Promise.all(Array.from({ length: Math.min(parallel, tokens.length) }, worker));
    } finally {
      running.value = null;
    }
    if (failures.length > 0) {
      const first = failures[0]!;
      // One notice for all refusals; the first one's reason in the user's words (failure-text.ts).
      const reason = errorText(first.error);
      useNotices().push('error', t(`queue.bulk.failed.${action}`, { failed: failures.length, total: tokens.length, reason }), first.error.code);
    }
    return done;
  }

  const everything = (): TaskView[] => downloads.all.map((task) => toRaw(task));

  /** Pause every running and queued download. */
  const pauseAll = (): Promise<number> => run('pause', bulkOrder('pause', everything()));
  /** Resume every paused download, oldest first. */
  const resumeAll = (): Promise<number> => run('resume', bulkOrder('resume', everything()));
  /** Remove every completed download from the list; the files stay. */
  const clearCompleted = (): Promise<number> =>
    run('remove', everything().filter((task) => task.state === 'completed').map((task) => task.token), { label: 'clear' });

  /** One action on the ticked rows it applies to; the ticks stay (but removed rows leave). */
  const onSelected = (action: BulkAction, deleteFile = false): Promise<number> =>
    run(action, bulkOrder(action, selectedTasks.value), { deleteFile });

  return { running, selectedTasks, selectedCounts, pauseAll, resumeAll, clearCompleted, onSelected, run };
});
