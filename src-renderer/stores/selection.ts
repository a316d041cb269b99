import { defineStore } from 'pinia';
import { computed, shallowRef, watch } from 'vue';
import { useDownloads } from './downloads.js';

/**
 * Which downloads are ticked for a bulk action. A new Set replaces the old on every change (one update
 * for ten thousand ticks at once); only the few rendered rows read it. Tasks that leave the list leave
 * the selection too. Shift-ticking selects the range from the last ticked row, in the order shown.
 */
export const useSelection = defineStore('selection', () => {
  const selected = shallowRef<ReadonlySet<string>>(new Set());
  /** The row a Shift-tick extends from. */
  let anchor: string | null = null;

  const size = computed(() => selected.value.size);
  const tokens = computed(() => [...selected.value]);

  const has = (token: string): boolean => selected.value.has(token);

  function replace(next: Set<string>): void {
    selected.value = next;
  }

  /** Tick or untick one row (the opposite of its state when `on` is not given). */
  function toggle(token: string, on = !selected.value.has(token)): void {
    const next = new Set(selected.value);
    if (on) next.add(token);
    else next.delete(token);
    anchor = token;
    replace(next);
  }

  /**
   * Shift-tick: every row from the anchor to this one, in `order` (the list as shown), takes this
   * row's new state. Without an anchor in the list it is a plain tick.
   */
  function extend(token: string, order: readonly string[], on = !selected.value.has(token)): void {
    const from = anchor === null ? -1 : order.indexOf(anchor);
    const to = order.indexOf(token);
    if (from < 0 || to < 0) {
      toggle(token, on);
      return;
    }
    const next = new Set(selected.value);
    for (let i = Math.min(from, to); i <= Math.max(from, to); i++) {
      const t = order[i];
      if (t === undefined) continue;
      if (on) next.add(t);
      else next.delete(t);
    }
    replace(next);
  }

  /** Tick every one of these (the rows shown), or untick them all when every one already is. */
  function toggleAll(shown: readonly string[]): void {
    const all = shown.length > 0 && shown.every((t) => selected.value.has(t));
    const next = new Set(selected.value);
    for (const t of shown) {
      if (all) next.delete(t);
      else next.add(t);
    }
    replace(next);
  }

  function clear(): void {
    anchor = null;
    if (selected.value.size > 0) replace(new Set());
  }

  /** Drop tokens that are no longer in the list (removed here, elsewhere or by the CLI). */
  function prune(exists: (token: string) => boolean): void {
    if ([...selected.value].every(exists)) return;
    replace(new Set([...selected.value].filter(exists)));
    if (anchor !== null && !exists(anchor)) anchor = null;
  }

  const downloads = useDownloads();
  watch(
    () => downloads.all,
    () => prune((token) => downloads.get(token) !== undefined),
  );

  return { selected, size, tokens, has, toggle, extend, toggleAll, clear, prune };
});
