import { nextTick, onBeforeUnmount, onMounted, type Ref } from 'vue';

/**
 * What a modal dialog owes the keyboard (WAI-ARIA's dialog pattern): focus moves into it when it opens,
 * Tab and Shift+Tab stay inside it, Escape closes it, and when it closes focus goes back to what opened
 * it. When that element is gone meanwhile (a row's Retry button disappears once the task is queued
 * again), `fallback` names where focus goes instead.
 */
export interface FocusTrapOptions {
  /** The element to focus first; default: the first focusable one inside. */
  initial?: Ref<HTMLElement | null>;
  /** Where focus goes on close when the opener is no longer in the page. */
  fallback?: () => HTMLElement | null | undefined;
}

const FOCUSABLE = [
  'a[href]',
  'button:not([disabled])',
  'input:not([disabled]):not([type="hidden"])',
  'select:not([disabled])',
  'textarea:not([disabled])',
  '[tabindex]:not([tabindex="-1"])',
].join(',');

/** The elements Tab reaches inside `root`, in order (hidden ones left out). */
export function focusablesIn(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => !el.closest('[hidden], [inert]'));
}

export function useFocusTrap(container: Ref<HTMLElement | null>, onEscape: () => void, options: FocusTrapOptions = {}): void {
  let opener: HTMLElement | null = null;

  function onKeydown(event: KeyboardEvent): void {
    const root = container.value;
    if (!root) return;
    if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      onEscape();
      return;
    }
    if (event.key !== 'Tab') return;
    const items = focusablesIn(root);
    const first = items[0];
    const last = items.at(-1);
    if (!first || !last) {
      event.preventDefault();
      root.focus();
      return;
    }
    const active = document.activeElement;
    if (event.shiftKey && (active === first || !root.contains(active))) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (active === last || !root.contains(active))) {
      event.preventDefault();
      first.focus();
    }
  }

  /** Focus that lands outside (a click on the backdrop's page, a screen reader's jump) comes back in. */
  function onFocusIn(event: FocusEvent): void {
    const root = container.value;
    if (root && event.target instanceof Node && !root.contains(event.target)) (focusablesIn(root)[0] ?? root).focus();
  }

  onMounted(async () => {
    opener = document.activeElement instanceof HTMLElement && document.activeElement !== document.body ? document.activeElement : null;
    document.addEventListener('keydown', onKeydown, true);
    document.addEventListener('focusin', onFocusIn);
    await nextTick();
    const root = container.value;
    if (!root) return;
    const target = options.initial?.value ?? focusablesIn(root)[0] ?? root;
    target.focus();
  });

  onBeforeUnmount(() => {
    document.removeEventListener('keydown', onKeydown, true);
    document.removeEventListener('focusin', onFocusIn);
    const back = opener?.isConnected ? opener : options.fallback?.();
    // After this render: the element to return to may be re-rendered by the same update.
    void nextTick(() => (back?.isConnected ? back : options.fallback?.())?.focus());
  });
}
