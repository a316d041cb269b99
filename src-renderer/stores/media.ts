import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { MediaOutcome } from '../../src-shared/channels.js';
import type { MediaItem, MediaKindOrOther, MediaRef } from '../../src-shared/types.js';
import { useBridge } from '../bridge.js';
import { i18n } from '../i18n/index.js';
import { useNotices } from './notices.js';
import { reportShellResult } from './shell-result.js';

/** What this store says belongs to the Media view, whichever view shows when an answer comes back. */
const MEDIA_VIEW = { view: 'media' } as const;

/** One selection key per file: the partition and the name never collide together. */
export const mediaKey = (ref: MediaRef): string => `${ref.partition}:${ref.name}`;

/** A file that move-to-gallery placed, and where it went. */
export interface MovedFile {
  name: string;
  kind: MediaKindOrOther;
  path: string;
  at: number;
}

export type MediaFilter = MediaKindOrOther | 'all';
export type MediaSort = 'newest' | 'oldest' | 'name' | 'size';
export const MEDIA_SORTS: readonly MediaSort[] = ['newest', 'oldest', 'name', 'size'];

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
const byName = (a: MediaItem, b: MediaItem): number => collator.compare(a.name, b.name) || a.partition.localeCompare(b.partition);
const COMPARATORS: Record<MediaSort, (a: MediaItem, b: MediaItem) => number> = {
  newest: (a, b) => b.modifiedAt - a.modifiedAt || byName(a, b),
  oldest: (a, b) => a.modifiedAt - b.modifiedAt || byName(a, b),
  name: byName,
  size: (a, b) => b.size - a.size || byName(a, b),
};

/**
 * The media library of the cache (and the mass partition): the list (filtered by type and name, sorted),
 * the selection, the viewer, and the actions open, reveal, delete and move to gallery. A task that
 * completes (or is removed) refreshes the list.
 */
export const useMedia = defineStore('media', () => {
  const items = ref<MediaItem[]>([]);
  const loading = ref(false);
  const loaded = ref(false);
  const busy = ref(false);
  const selected = ref<Set<string>>(new Set());
  const filter = ref<MediaFilter>('all');
  const query = ref('');
  const sortKey = ref<MediaSort>('newest');
  /** Files moved to the gallery in this session, newest first. */
  const moved = ref<MovedFile[]>([]);
  /** The file the viewer shows (its key), or null when it is closed. */
  const viewing = ref<string | null>(null);

  /** What the grid shows: of the chosen type, whose name holds the search text, in the chosen order. */
  const visible = computed(() => {
    const kind = filter.value;
    const text = query.value.trim().toLowerCase();
    const shown = items.value.filter((i) => (kind === 'all' || i.kind === kind) && (!text || i.name.toLowerCase().includes(text)));
    return shown.sort(COMPARATORS[sortKey.value]);
  });
  /** Where the viewed file is in `visible`; -1 when the viewer is closed or the file is gone (then it closes). */
  const viewIndex = computed(() => (viewing.value === null ? -1 : visible.value.findIndex((i) => mediaKey(i) === viewing.value)));
  const viewed = computed<MediaItem | undefined>(() => visible.value[viewIndex.value]);
  const selectedItems = computed(() => items.value.filter((i) => selected.value.has(mediaKey(i))));
  /** Selected files whose bytes are not image, video or audio (the engine's verdict): move to gallery would refuse them. */
  const selectedNotMedia = computed(() => selectedItems.value.filter((i) => i.kind === 'other'));
  const allVisibleSelected = computed(() => visible.value.length > 0 && visible.value.every((i) => selected.value.has(mediaKey(i))));
  const totalSize = computed(() => items.value.reduce((sum, i) => sum + i.size, 0));

  async function load(): Promise<void> {
    loading.value = true;
    try {
      items.value = await useBridge().invoke('media.list', {});
      // Forget selections of files that are gone.
      const present = new Set(items.value.map(mediaKey));
      selected.value = new Set([...selected.value].filter((k) => present.has(k)));
    } catch (error) {
      useNotices().error(error, MEDIA_VIEW);
    } finally {
      loading.value = false;
      loaded.value = true;
    }
  }

  // Refresh on task events, coalesced: a burst of completions reloads the list once.
  let watchers = 0;
  let unsubscribe: Array<() => void> = [];
  let reloadTimer: ReturnType<typeof setTimeout> | undefined;
  const scheduleReload = (): void => {
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(() => void load(), 150);
  };

  /** Follow task events while a view shows the library; returns the function that stops following. */
  function watch(): () => void {
    watchers += 1;
    if (watchers === 1) {
      const bridge = useBridge();
      unsubscribe = [
        bridge.on('task.updated', (task) => {
          if (task.state === 'completed') scheduleReload();
        }),
        bridge.on('task.removed', () => scheduleReload()),
      ];
    }
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      watchers -= 1;
      if (watchers === 0) {
        for (const off of unsubscribe) off();
        unsubscribe = [];
        clearTimeout(reloadTimer);
      }
    };
  }

  function isSelected(item: MediaRef): boolean {
    return selected.value.has(mediaKey(item));
  }

  function toggle(item: MediaRef, on?: boolean): void {
    const key = mediaKey(item);
    const next = new Set(selected.value);
    if (on ?? !next.has(key)) next.add(key);
    else next.delete(key);
    selected.value = next;
  }

  /** Select every visible file, or clear the selection when they all are. */
  function toggleAll(): void {
    if (allVisibleSelected.value) {
      selected.value = new Set();
      return;
    }
    selected.value = new Set([...selected.value, ...visible.value.map(mediaKey)]);
  }

  function clearSelection(): void {
    selected.value = new Set();
  }

  /**
   * Signed URLs by file, made again every few minutes: signing (an HMAC in the browser host) is not free,
   * and a scrolling grid asks for the same cards' URLs on every frame. The URL itself only changes when
   * its expiry moves to the next hour (media-signature.ts), so a preview keeps its URL while shown.
   */
  const urls = new Map<string, string>();
  let urlsMadeIn = -1;
  const URL_CACHE_MS = 5 * 60_000;

  /** The URL that loads a file into <img>, <video> or <audio>; undefined where the bridge has none. */
  function urlOf(item: MediaRef): string | undefined {
    const period = Math.floor(Date.now() / URL_CACHE_MS);
    if (period !== urlsMadeIn) {
      urls.clear();
      urlsMadeIn = period;
    }
    const key = mediaKey(item);
    let url = urls.get(key);
    if (url === undefined) {
      url = useBridge().mediaUrl?.({ partition: item.partition, name: item.name });
      if (url !== undefined) urls.set(key, url);
    }
    return url;
  }

  const refsOf = (list: MediaRef[]): MediaRef[] => list.map(({ partition, name }) => ({ partition, name }));

  /** Report the failures one by one; returns the refs that worked. */
  function report(outcomes: MediaOutcome[]): MediaOutcome[] {
    const notices = useNotices();
    const ok: MediaOutcome[] = [];
    for (const outcome of outcomes) {
      if (outcome.error) notices.error(outcome.error, MEDIA_VIEW);
      else ok.push(outcome);
    }
    return ok;
  }

  async function run(action: (refs: MediaRef[]) => Promise<void>, list: MediaRef[]): Promise<void> {
    if (list.length === 0 || busy.value) return;
    busy.value = true;
    try {
      await action(refsOf(list));
    } catch (error) {
      useNotices().error(error, MEDIA_VIEW);
    } finally {
      busy.value = false;
      await load();
    }
  }

  /** Delete files from the cache (the selection by default). */
  async function remove(list: MediaRef[] = selectedItems.value): Promise<number> {
    let removed = 0;
    await run(async (refs) => {
      const done = report(await useBridge().invoke('media.remove', { items: refs }));
      removed = done.length;
      const gone = new Set(done.map((o) => mediaKey(o.ref)));
      selected.value = new Set([...selected.value].filter((k) => !gone.has(k)));
    }, list);
    if (removed > 0) useNotices().info(i18n.global.t('media.deleted', { n: removed }, removed), MEDIA_VIEW);
    return removed;
  }

  /** Move files to the gallery folders (the selection by default); remembers where each one went. */
  async function moveToGallery(list: MediaRef[] = selectedItems.value): Promise<MovedFile[]> {
    const kinds = new Map(items.value.map((i) => [mediaKey(i), i.kind]));
    let placed: MovedFile[] = [];
    await run(async (refs) => {
      const done = report(await useBridge().invoke('media.moveToGallery', { items: refs }));
      const at = Date.now();
      placed = done.map((o) => ({ name: o.ref.name, kind: kinds.get(mediaKey(o.ref)) ?? 'other', path: o.path ?? '', at }));
      moved.value = [...placed, ...moved.value].slice(0, 50);
      const gone = new Set(done.map((o) => mediaKey(o.ref)));
      selected.value = new Set([...selected.value].filter((k) => !gone.has(k)));
    }, list);
    return placed;
  }

  function forgetMoved(): void {
    moved.value = [];
  }

  async function showFile(channel: 'shell.reveal' | 'shell.open', item: MediaRef): Promise<string | undefined> {
    try {
      const result = await useBridge().invoke(channel, { partition: item.partition, name: item.name });
      reportShellResult(result, MEDIA_VIEW);
      return result.path;
    } catch (error) {
      useNotices().error(error, MEDIA_VIEW);
      return undefined;
    }
  }

  /** Show the file in the file manager of the machine the engine runs on (else its path is shown). */
  const reveal = (item: MediaRef): Promise<string | undefined> => showFile('shell.reveal', item);
  /** Open it with that machine's default app: images, video and audio only (else its path is shown). */
  const open = (item: MediaRef): Promise<string | undefined> => showFile('shell.open', item);

  /** Opens the viewer on a file. */
  function view(item: MediaRef): void {
    viewing.value = mediaKey(item);
  }

  function closeViewer(): void {
    viewing.value = null;
  }

  /** The viewer shows the next (1) or previous (-1) file of the grid; it stops at either end. */
  function step(delta: number): void {
    const index = viewIndex.value;
    if (index < 0) return;
    const target = visible.value[Math.min(visible.value.length - 1, Math.max(0, index + delta))];
    if (target) viewing.value = mediaKey(target);
  }

  return {
    items,
    loading,
    loaded,
    busy,
    selected,
    filter,
    query,
    sortKey,
    moved,
    viewing,
    viewIndex,
    viewed,
    visible,
    selectedItems,
    selectedNotMedia,
    allVisibleSelected,
    totalSize,
    load,
    watch,
    isSelected,
    toggle,
    toggleAll,
    clearSelection,
    urlOf,
    remove,
    moveToGallery,
    forgetMoved,
    reveal,
    open,
    view,
    closeViewer,
    step,
  };
});
