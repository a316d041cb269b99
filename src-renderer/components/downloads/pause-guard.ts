import { computed, nextTick, ref, watch } from 'vue';
import type { useDownloads } from '../../stores/downloads.js';
import { pauseLosesBytes } from './resume-rules.js';

/**
 * Pause, asking first when the pause would throw the bytes away (the server cannot resume: issue 10,
 * point 1). The view shows PauseConfirmDialog for `asking`. After a confirmed pause, focus moves to the
 * row's Resume button (its Pause button, which opened the dialog, is gone by then).
 */
export function usePauseGuard(downloads: ReturnType<typeof useDownloads>) {
  const token = ref<string | null>(null);
  /** The task the question is open for, while it is still worth asking about. */
  const asking = computed(() => (token.value ? downloads.get(token.value) : undefined));

  // Finished, failed or paused elsewhere meanwhile: nothing to ask any more.
  watch(
    () => asking.value?.state,
    (state) => {
      if (token.value && state !== 'running') token.value = null;
    },
  );

  function pause(which: string): void {
    const task = downloads.get(which);
    if (task && pauseLosesBytes(task)) token.value = which;
    else void downloads.pause(which);
  }

  function confirm(): void {
    const which = token.value;
    token.value = null;
    if (!which) return;
    const stop = watch(
      () => downloads.get(which)?.state,
      (state) => {
        if (state === 'running' || state === 'queued') return;
        stop();
        clearTimeout(timer);
        void nextTick(() => focusResume(which));
      },
    );
    const timer = setTimeout(stop, 10_000);
    void downloads.pause(which);
  }

  function cancel(): void {
    token.value = null;
  }

  return { asking, pause, confirm, cancel };
}

function focusResume(token: string): void {
  const row = [...document.querySelectorAll<HTMLElement>('[data-testid="task-row"]')].find((el) => el.dataset.token === token);
  row?.querySelector<HTMLElement>('[data-testid="task-resume"]')?.focus();
}
