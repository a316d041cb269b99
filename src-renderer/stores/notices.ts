import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { toErrorData } from '../../src-shared/codes.js';
import { errorText } from '../components/downloads/failure-text.js';

export interface Notice {
  id: number;
  kind: 'error' | 'info';
  text: string;
  code?: number;
  /**
   * The view it belongs to (the one showing when it came); shown only there, and its time runs only
   * there. null: the whole window's (the engine process went down), shown on every view.
   */
  view: string | null;
  /** Milliseconds of being seen left before it goes by itself; null: it stays until dismissed or replaced. */
  remainingMs: number | null;
}

export interface PushOptions {
  /** Whose notice it is; default: the view showing now. null: the whole window's. */
  view?: string | null;
  /** Stays until dismissed (a state that lasts, such as the engine being down). */
  sticky?: boolean;
}

/** How long a notice stays while it can be seen (not while hovered or focused, nor while its view is hidden). */
export const NOTICE_MS = { info: 6_000, error: 15_000 } as const;
/** The newest notices kept; older ones give way. */
const MAX_NOTICES = 5;
const TICK_MS = 250;

/**
 * Messages for the person at the window: errors as their code and message, never a stack. They go by
 * themselves (an error lasts longer than news), stay while the pointer or the keyboard is on them, and
 * belong to the view they came from: a failure in Media is not shown over Downloads, and waits there.
 * Where they are shown (the sidebar's foot, NoticeList.vue) they cover no row and no button.
 */
export const useNotices = defineStore('notices', () => {
  const items = ref<Notice[]>([]);
  /** The view the window shows, set by the shell (App.vue); null where there is none (component tests). */
  const currentView = ref<string | null>(null);
  /** Notices the pointer or the focus is on: their time stands still. */
  const held = ref<Set<number>>(new Set());
  let next = 1;

  const seen = (notice: Notice): boolean => notice.view === null || currentView.value === null || notice.view === currentView.value;
  /** What the current view shows, oldest first. */
  const visible = computed(() => items.value.filter(seen));

  let timer: ReturnType<typeof setInterval> | undefined;
  let last = 0;
  function tick(): void {
    const now = Date.now();
    const elapsed = now - last;
    last = now;
    const expired: number[] = [];
    for (const notice of items.value) {
      if (notice.remainingMs === null || !seen(notice) || held.value.has(notice.id)) continue;
      notice.remainingMs -= elapsed;
      if (notice.remainingMs <= 0) expired.push(notice.id);
    }
    for (const id of expired) dismiss(id);
  }
  function runClock(): void {
    const timed = items.value.some((n) => n.remainingMs !== null);
    if (timed && timer === undefined) {
      last = Date.now();
      timer = setInterval(tick, TICK_MS);
    } else if (!timed && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  }

  /** Show a notice; returns its id (to dismiss it when it no longer holds). */
  function push(kind: Notice['kind'], text: string, code?: number, options: PushOptions = {}): number {
    const notice: Notice = {
      id: next++,
      kind,
      text,
      code,
      view: options.view === undefined ? currentView.value : options.view,
      remainingMs: options.sticky ? null : NOTICE_MS[kind],
    };
    items.value = [...items.value.slice(-(MAX_NOTICES - 1)), notice];
    runClock();
    return notice.id;
  }

  /** An error in the window's language (failure-text.ts), never the engine's English when its reason is known. */
  function error(error: unknown, options?: PushOptions): number {
    const data = toErrorData(error);
    return push('error', errorText(data), data.code, options);
  }

  function info(text: string, options?: PushOptions): number {
    return push('info', text, undefined, options);
  }

  function dismiss(id: number): void {
    items.value = items.value.filter((n) => n.id !== id);
    if (held.value.has(id)) {
      const rest = new Set(held.value);
      rest.delete(id);
      held.value = rest;
    }
    runClock();
  }

  /** The pointer or the focus is on a notice (true) or has left it (false). */
  function hold(id: number, on: boolean): void {
    const nextHeld = new Set(held.value);
    if (on) nextHeld.add(id);
    else nextHeld.delete(id);
    held.value = nextHeld;
  }

  function setView(view: string | null): void {
    currentView.value = view;
  }

  return { items, visible, currentView, push, error, info, dismiss, hold, setView };
});
