import { defineStore } from 'pinia';
import { ref } from 'vue';
import { toErrorData } from '../../src-shared/codes.js';
import { errorText } from '../components/downloads/failure-text.js';

export interface Notice {
  id: number;
  kind: 'error' | 'info';
  text: string;
  code?: number;
}

/** Messages for the person at the window: errors as their code and message, never a stack. */
export const useNotices = defineStore('notices', () => {
  const items = ref<Notice[]>([]);
  let next = 1;

  /** Show a notice; returns its id (to dismiss it when it no longer holds). */
  function push(kind: Notice['kind'], text: string, code?: number): number {
    const notice = { id: next++, kind, text, code };
    items.value = [...items.value.slice(-4), notice];
    if (kind === 'info') setTimeout(() => dismiss(notice.id), 5_000);
    return notice.id;
  }

  /** An error in the window's language (failure-text.ts), never the engine's English when its reason is known. */
  function error(error: unknown): void {
    const data = toErrorData(error);
    push('error', errorText(data), data.code);
  }

  function info(text: string): void {
    push('info', text);
  }

  function dismiss(id: number): void {
    items.value = items.value.filter((n) => n.id !== id);
  }

  return { items, push, error, info, dismiss };
});
