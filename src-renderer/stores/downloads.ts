import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowReactive, shallowRef, toRaw, triggerRef } from 'vue';
import { toErrorData, type ErrorData } from '../../src-shared/codes.js';
import type { MediaKindOrOther, TaskProgress, TaskRecord, TaskState } from '../../src-shared/types.js';
import { validateFilename, validateHeaders, validateSha256, validateUrl } from '../../src-shared/validate.js';
import { useBridge } from '../bridge.js';
import { errorText } from '../components/downloads/failure-text.js';
import { i18n } from '../i18n/index.js';
import { useNotices } from './notices.js';
import { reportShellResult } from './shell-result.js';

/**
 * The Downloads view's state: every task the engine knows, kept for tens of thousands of entries.
 *
 * - Each task is one `shallowReactive` object in a plain Map, so a progress batch writes a few fields
 *   in place and only the rows that show those tasks re-render.
 * - The ordered, filtered list is recomputed only when membership or a field it depends on changes
 *   (`listVersion`), never per progress event; a progress sort is refreshed at most once a second.
 * - Every call into the bridge goes through here; errors become notices (code + message), never throws.
 */

export type StateFilter = 'all' | 'active' | 'queued' | 'paused' | 'completed' | 'failed';
export type TypeFilter = 'all' | 'image' | 'video' | 'audio' | 'other';
export type SortKey = 'running' | 'newest' | 'oldest' | 'name' | 'size' | 'progress';

export const STATE_FILTERS: readonly StateFilter[] = ['all', 'active', 'queued', 'paused', 'completed', 'failed'];
export const TYPE_FILTERS: readonly TypeFilter[] = ['all', 'image', 'video', 'audio', 'other'];
export const SORT_KEYS: readonly SortKey[] = ['running', 'newest', 'oldest', 'name', 'size', 'progress'];

/** A task as the list shows it: the record plus its live figures and derived display fields. */
export interface TaskView extends TaskRecord {
  /** Bytes per second while running (0 otherwise). */
  speed: number;
  /** Seconds left while running, when known. */
  eta: number | null;
  /** Running, and nothing arrived for a few seconds (the row says "Stalled" instead of a speed). */
  stalled: boolean;
  kind: MediaKindOrOther;
  /** What the row shows as its title. */
  displayName: string;
}

/** What the form hands in; `speedLimit` is in bytes per second (0 or absent = none). */
export interface StartInput {
  url: string;
  header?: Record<string, string>;
  filename?: string;
  sha256?: string;
  speedLimit?: number;
  description?: string;
}

export type CommonOptions = Omit<StartInput, 'url'>;

/** What a row's buttons ask for; the view turns each into a store action (some after a question). */
export type TaskAction = 'pause' | 'resume' | 'cancel' | 'retry' | 'retryNewUrl' | 'retryHeaders' | 'remove' | 'reveal' | 'open' | 'downloadAgain';

export type StartOutcome = { ok: true; token: string } | { ok: false; error: ErrorData };

export interface StartManyReport {
  started: string[];
  failed: { url: string; error: ErrorData }[];
}

const EXTENSIONS: Record<Exclude<MediaKindOrOther, 'other'>, ReadonlySet<string>> = {
  image: new Set(['png', 'jpg', 'jpeg', 'jfif', 'gif', 'webp', 'bmp', 'svg', 'ico', 'avif', 'heic', 'heif', 'tif', 'tiff']),
  video: new Set(['mp4', 'm4v', 'mov', 'webm', 'mkv', 'avi', '3gp', 'flv', 'wmv', 'mpeg', 'mpg', 'ogv', 'ts']),
  audio: new Set(['mp3', 'm4a', 'aac', 'wav', 'flac', 'ogg', 'oga', 'opus', 'wma', 'amr', 'mid', 'midi']),
};

function extensionOf(name: string | undefined): string {
  if (!name) return '';
  const base = name.split(/[/\\]/).pop() ?? '';
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot + 1).toLowerCase() : '';
}

function lastSegment(url: string): string {
  try {
    const segment = new URL(url).pathname.split('/').filter(Boolean).pop();
    return segment ? decodeURIComponent(segment) : '';
  } catch {
    return '';
  }
}

/** image / video / audio by MIME type, else by the extension of the file name or the URL's last segment. */
export function kindOf(task: Pick<TaskRecord, 'mime' | 'name' | 'requestedFilename' | 'suggestedName' | 'url'>): MediaKindOrOther {
  const major = task.mime?.split('/')[0]?.toLowerCase();
  if (major === 'image' || major === 'video' || major === 'audio') return major;
  const ext = extensionOf(task.name) || extensionOf(task.requestedFilename) || extensionOf(task.suggestedName) || extensionOf(lastSegment(task.url));
  for (const kind of ['image', 'video', 'audio'] as const) if (EXTENSIONS[kind].has(ext)) return kind;
  return 'other';
}

/** The row's title: the final name once there is one, before that the name the server's answer gave (`suggestedName`). */
export function displayNameOf(task: Pick<TaskRecord, 'description' | 'name' | 'requestedFilename' | 'suggestedName' | 'url'>): string {
  return task.description || task.name || task.requestedFilename || task.suggestedName || lastSegment(task.url) || task.url;
}

/**
 * The links in pasted or dropped text: one per line (a `text/uri-list` may hold `#` comments), and a
 * line that holds several http(s) links separated by spaces gives each of them.
 */
export function parseUrlList(text: string): string[] {
  const urls: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    if (/\shttps?:\/\//i.test(line)) urls.push(...line.split(/\s+/).filter(Boolean));
    else urls.push(line);
  }
  return urls;
}

/** scheme://host[:port] of an http(s) link, lower-cased as URL does it; null for anything else. */
export function originOf(url: string): string | null {
  try {
    const parsed = new URL(url.trim());
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.origin : null;
  } catch {
    return null;
  }
}

/** The one origin every link of a list shares; null when there is none, one is not a link, or they differ. */
export function sharedOriginOf(urls: readonly string[]): string | null {
  let shared: string | null = null;
  for (const url of urls) {
    const origin = originOf(url);
    if (origin === null || (shared !== null && origin !== shared)) return null;
    shared = origin;
  }
  return shared;
}

export function matchesState(state: TaskState, filter: StateFilter): boolean {
  switch (filter) {
    case 'all':
      return true;
    case 'active':
      return state === 'running';
    case 'failed':
      return state === 'failed' || state === 'cancelled';
    default:
      return state === filter;
  }
}

const progressOf = (t: TaskView): number => (t.state === 'completed' ? 1 : t.total ? t.bytes / t.total : 0);
const sizeOf = (t: TaskView): number => t.total ?? t.bytes;
const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** "Running first": what moves now, then what waits its turn, then the rest. */
const STATE_RANK: Record<TaskState, number> = { running: 0, queued: 1, paused: 2, failed: 3, cancelled: 3, completed: 4 };

const COMPARATORS: Record<SortKey, (a: TaskView, b: TaskView) => number> = {
  // Running and queued tasks in queue order (the next to start on top, pasted links as pasted), the others newest first.
  running: (a, b) =>
    STATE_RANK[a.state] - STATE_RANK[b.state] || (STATE_RANK[a.state] <= 1 ? a.createdAt - b.createdAt : b.createdAt - a.createdAt),
  newest: (a, b) => b.createdAt - a.createdAt,
  oldest: (a, b) => a.createdAt - b.createdAt,
  name: (a, b) => collator.compare(a.displayName, b.displayName) || b.createdAt - a.createdAt,
  size: (a, b) => sizeOf(b) - sizeOf(a) || b.createdAt - a.createdAt,
  progress: (a, b) => progressOf(b) - progressOf(a) || b.createdAt - a.createdAt,
};

/** Fields of a record that decide where the task sits in the filtered, sorted list. */
const LIST_FIELDS = ['state', 'mime', 'name', 'requestedFilename', 'suggestedName', 'description', 'url', 'total', 'createdAt'] as const;

const t = (key: string, named: Record<string, unknown> = {}): string => i18n.global.t(key, named);
/** A message with plural forms (`one | many`), chosen by n. */
const tn = (key: string, n: number, named: Record<string, unknown> = {}): string => i18n.global.t(key, { n, ...named }, n);

export const useDownloads = defineStore('downloads', () => {
  /** token → task. The Map itself is not reactive; `listVersion` says when its membership changed. */
  const byToken = markRaw(new Map<string, TaskView>());
  const listVersion = shallowRef(0);
  const bumpList = (): void => triggerRef(listVersion);

  /**
   * Events arrive in bursts (ten thousand tasks queued at once): the list is rebuilt at once for the
   * first, then at most every 100 ms while the burst lasts. Rows themselves update immediately.
   */
  let bumpTimer: ReturnType<typeof setTimeout> | undefined;
  let bumpPending = false;
  function bumpListSoon(): void {
    if (bumpTimer !== undefined) {
      bumpPending = true;
      return;
    }
    bumpList();
    const tick = (): void => {
      if (!bumpPending) {
        bumpTimer = undefined;
        return;
      }
      bumpPending = false;
      bumpList();
      bumpTimer = setTimeout(tick, 100);
    };
    bumpTimer = setTimeout(tick, 100);
  }

  const loading = ref(false);
  const loaded = ref(false);
  /** Why the last load failed (the view offers to try again); null when it worked. */
  const loadError = ref<ErrorData | null>(null);

  const stateFilter = ref<StateFilter>('all');
  const typeFilter = ref<TypeFilter>('all');
  const sortKey = ref<SortKey>('running');
  const query = ref('');

  /** While a load is in flight: tokens that events added or removed, which an older list must not undo. */
  let touchedDuringLoad: Set<string> | undefined;
  let removedDuringLoad: Set<string> | undefined;

  // ---- applying what the engine says -------------------------------------------------------------

  function toView(record: TaskRecord, previous?: TaskView): TaskView {
    // The in-memory bridge hands over the engine's own object: copy it, never keep a reference.
    const copy = { ...record, headers: { ...record.headers } };
    const running = copy.state === 'running';
    return {
      ...copy,
      speed: running ? (previous?.speed ?? 0) : 0,
      eta: running ? (previous?.eta ?? null) : null,
      stalled: running ? (previous?.stalled ?? false) : false,
      kind: kindOf(copy),
      displayName: displayNameOf(copy),
    };
  }

  /** Adds or updates one task; returns whether its place in the list may have changed. */
  function apply(record: TaskRecord): boolean {
    const existing = byToken.get(record.token);
    if (!existing) {
      byToken.set(record.token, shallowReactive(toView(record)));
      return true;
    }
    const raw = toRaw(existing);
    // An older snapshot (e.g. a list answered before an event) never overwrites a newer one.
    if (record.updatedAt < raw.updatedAt) return false;
    const next = toView(record, raw);
    const moved = LIST_FIELDS.some((field) => raw[field] !== next[field]);
    // Fields the record no longer has (a retry clears code and message) must go too.
    for (const key of Object.keys(raw) as (keyof TaskView)[]) {
      if (!(key in next)) delete (existing as Partial<TaskView>)[key];
    }
    Object.assign(existing, next);
    return moved;
  }

  function applyAll(records: readonly TaskRecord[]): boolean {
    let moved = false;
    for (const record of records) {
      touchedDuringLoad?.add(record.token);
      moved = apply(record) || moved;
    }
    return moved;
  }

  /** Adds or updates tasks (the initial list, tests filling the store); the list follows at once. */
  function upsertMany(records: readonly TaskRecord[]): void {
    if (applyAll(records)) bumpList();
  }

  function upsert(record: TaskRecord): void {
    upsertMany([record]);
  }

  function forget(token: string): void {
    removedDuringLoad?.add(token);
    if (byToken.delete(token)) bumpList();
  }

  function onUpdated(record: TaskRecord): void {
    if (applyAll([record])) bumpListSoon();
  }

  function onRemoved(token: string): void {
    removedDuringLoad?.add(token);
    if (byToken.delete(token)) bumpListSoon();
  }

  let resortTimer: ReturnType<typeof setTimeout> | undefined;
  /** A progress or size sort follows the bytes, but at most once a second, not per event. */
  function scheduleResort(): void {
    if (resortTimer !== undefined || (sortKey.value !== 'progress' && sortKey.value !== 'size')) return;
    resortTimer = setTimeout(() => {
      resortTimer = undefined;
      bumpList();
    }, 1_000);
  }

  /** A coalesced progress batch: written in place, nothing re-sorted. */
  function applyProgress(batch: readonly TaskProgress[]): void {
    let totalChanged = false;
    for (const progress of batch) {
      const task = byToken.get(progress.token);
      if (!task) continue;
      if (toRaw(task).total !== progress.total) totalChanged = true;
      task.bytes = progress.bytes;
      task.total = progress.total;
      task.speed = progress.speed;
      task.eta = progress.eta;
      task.stalled = progress.stalled === true;
    }
    if (totalChanged && sortKey.value === 'size') bumpList();
    else if (batch.length > 0) scheduleResort();
  }

  // ---- events and loading ------------------------------------------------------------------

  let unsubscribe: (() => void) | undefined;

  /** Listens to the engine's events; safe to call more than once (it subscribes once). */
  function subscribe(): void {
    if (unsubscribe) return;
    const bridge = useBridge();
    const offs = [
      bridge.on('task.updated', (record) => onUpdated(record)),
      bridge.on('task.removed', ({ token }) => onRemoved(token)),
      bridge.on('task.progress', (batch) => applyProgress(batch)),
    ];
    unsubscribe = () => offs.forEach((off) => off());
  }

  function stop(): void {
    unsubscribe?.();
    unsubscribe = undefined;
    clearTimeout(resortTimer);
    resortTimer = undefined;
    clearTimeout(bumpTimer);
    bumpTimer = undefined;
    bumpPending = false;
  }

  /** The load in flight, and whether another was asked for meanwhile (after a reconnection it must read afresh). */
  let current: Promise<void> | undefined;
  let again = false;

  /**
   * Subscribes (before asking, so no event falls between) and reads every task. Asked while a load is
   * in flight, it reads once more after that one (whose answer may predate what the caller knows).
   */
  function load(): Promise<void> {
    if (current) {
      again = true;
      return current;
    }
    current = (async () => {
      try {
        do {
          again = false;
          await loadOnce();
        } while (again);
      } finally {
        current = undefined;
      }
    })();
    return current;
  }

  async function loadOnce(): Promise<void> {
    subscribe();
    loading.value = true;
    loadError.value = null;
    touchedDuringLoad = new Set();
    removedDuringLoad = new Set();
    try {
      const removed = removedDuringLoad;
      const list = (await useBridge().invoke('tasks.list', {})).filter((task) => !removed.has(task.token));
      const listed = new Set(list.map((task) => task.token));
      // Tasks missing from a fresh list were removed while nobody listened.
      for (const token of [...byToken.keys()]) {
        if (!listed.has(token) && !touchedDuringLoad.has(token)) byToken.delete(token);
      }
      upsertMany(list);
      bumpList();
      loaded.value = true;
    } catch (error) {
      loadError.value = toErrorData(error);
      useNotices().error(error);
    } finally {
      loading.value = false;
      touchedDuringLoad = undefined;
      removedDuringLoad = undefined;
    }
  }

  // ---- the list ------------------------------------------------------------------------------

  /** Every task, in the engine's order (oldest first). Recomputed on membership changes only. */
  const all = computed<TaskView[]>(() => {
    void listVersion.value;
    return [...byToken.values()];
  });

  const counts = computed<Record<StateFilter, number>>(() => {
    const result: Record<StateFilter, number> = { all: 0, active: 0, queued: 0, paused: 0, completed: 0, failed: 0 };
    for (const task of all.value) {
      const { state } = toRaw(task);
      result.all += 1;
      for (const filter of STATE_FILTERS) if (filter !== 'all' && matchesState(state, filter)) result[filter] += 1;
    }
    return result;
  });

  /** What the list shows: filtered by state, type and text, then sorted. Reads raw fields, so progress does not re-run it. */
  const visible = computed<TaskView[]>(() => {
    const state = stateFilter.value;
    const kind = typeFilter.value;
    const text = query.value.trim().toLowerCase();
    const compare = COMPARATORS[sortKey.value];
    // Filter and sort the raw objects (reading through the proxies would make every byte a dependency).
    const rows: { raw: TaskView; task: TaskView }[] = [];
    for (const task of all.value) {
      const raw = toRaw(task);
      if (!matchesState(raw.state, state)) continue;
      if (kind !== 'all' && raw.kind !== kind) continue;
      if (text && !raw.displayName.toLowerCase().includes(text) && !raw.url.toLowerCase().includes(text)) continue;
      rows.push({ raw, task });
    }
    return rows.sort((a, b) => compare(a.raw, b.raw)).map((row) => row.task);
  });

  const isFiltered = computed(() => stateFilter.value !== 'all' || typeFilter.value !== 'all' || query.value.trim() !== '');

  function setSort(key: SortKey): void {
    sortKey.value = key;
  }

  function clearFilters(): void {
    stateFilter.value = 'all';
    typeFilter.value = 'all';
    query.value = '';
  }

  /** One task; reactive to its arrival and removal when read inside a computed or a render. */
  function get(token: string): TaskView | undefined {
    void listVersion.value;
    return byToken.get(token);
  }

  // ---- request headers kept for one origin -----------------------------------------------------

  /**
   * Request headers the user chose, with a checkbox, to keep for one exact origin (scheme + host +
   * port). They live in this store's memory for this session only and are deliberately never
   * persisted (no localStorage, no settings file): they are usually secrets (Authorization, Cookie)
   * and must not sit at rest. The form offers them only for a link of that same origin. Not returned
   * from the store either, so they stay out of `$state` and the devtools; only names are exposed.
   */
  const keptHeaders = ref<Record<string, Record<string, string>>>({});

  /** What the form shows: each origin with the names of its kept headers (never the values). */
  const keptHeaderList = computed(() =>
    Object.entries(keptHeaders.value).map(([origin, header]) => ({ origin, names: Object.keys(header) })),
  );

  /** Keeps a copy of these headers for exactly this origin; no headers forgets it. */
  function keepHeaders(origin: string, header: Record<string, string> | undefined): void {
    if (!header || Object.keys(header).length === 0) {
      forgetHeaders(origin);
      return;
    }
    keptHeaders.value = { ...keptHeaders.value, [origin]: { ...header } };
  }

  function forgetHeaders(origin: string): void {
    if (!Object.hasOwn(keptHeaders.value, origin)) return;
    keptHeaders.value = Object.fromEntries(Object.entries(keptHeaders.value).filter(([kept]) => kept !== origin));
  }

  /** The headers kept for exactly this origin (a copy), if any. */
  function headersKeptFor(origin: string | null): Record<string, string> | undefined {
    if (origin === null || !Object.hasOwn(keptHeaders.value, origin)) return undefined;
    return { ...keptHeaders.value[origin] };
  }

  // ---- actions -------------------------------------------------------------------------------

  /** Runs a bridge call; an error becomes a notice and `undefined`, never a throw. */
  async function attempt<T>(call: () => Promise<T>): Promise<T | undefined> {
    try {
      return await call();
    } catch (error) {
      useNotices().error(error);
      return undefined;
    }
  }

  /** The same checks the engine runs first, so an obvious mistake answers at once with its 202. */
  function precheck(input: StartInput): void {
    validateUrl(input.url);
    validateHeaders(input.header);
    validateFilename(input.filename);
    validateSha256(input.sha256);
  }

  async function send(input: StartInput): Promise<StartOutcome> {
    try {
      precheck(input);
      const { token } = await useBridge().invoke('download.start', {
        url: input.url.trim(),
        header: input.header && Object.keys(input.header).length > 0 ? input.header : undefined,
        filename: input.filename || undefined,
        sha256: input.sha256 || undefined,
        speedLimit: input.speedLimit && input.speedLimit > 0 ? input.speedLimit : undefined,
        description: input.description || undefined,
      });
      // The task.updated event normally arrived already; over HTTP it may trail the answer.
      if (!byToken.has(token)) {
        const record = await useBridge().invoke('tasks.get', { token }).catch(() => undefined);
        if (record) upsert(record);
      }
      return { ok: true, token };
    } catch (error) {
      return { ok: false, error: toErrorData(error) };
    }
  }

  /** Starts one download. A refusal (202, 203, ...) is shown as a notice and returned. */
  async function start(input: StartInput): Promise<StartOutcome> {
    subscribe();
    const outcome = await send(input);
    if (!outcome.ok) useNotices().error(outcome.error);
    return outcome;
  }

  /**
   * One task per link, with the same headers and speed limit. A file name and a checksum name one
   * file, so they are not applied to a list. Failures are reported together, with their reasons.
   */
  async function startMany(urls: readonly string[], common: CommonOptions = {}): Promise<StartManyReport> {
    subscribe();
    const shared: CommonOptions = { header: common.header, speedLimit: common.speedLimit };
    const report: StartManyReport = { started: [], failed: [] };
    // One at a time, in the order given: the engine records tasks in the order the requests reach it,
    // and parallel requests over the browser host's several HTTP connections reach it in any order
    // (pasted links then listed as 1, 6, 2, 7, 3…).
    const outcomes: StartOutcome[] = [];
    for (const url of urls) outcomes.push(await send({ ...shared, url }));
    outcomes.forEach((outcome, index) => {
      if (outcome.ok) report.started.push(outcome.token);
      else report.failed.push({ url: urls[index] ?? '', error: outcome.error });
    });
    const notices = useNotices();
    if (report.failed.length > 0) {
      const reasons = report.failed
        .slice(0, 3)
        .map(({ url, error }) => `${url.length > 80 ? `${url.slice(0, 80)}…` : url}: ${errorText(error)}`)
        .join('; ');
      const more = report.failed.length > 3 ? ` ${t('downloads.notices.andMore', { n: report.failed.length - 3 })}` : '';
      notices.push('error', `${t('downloads.notices.someFailed', { failed: report.failed.length, total: urls.length })} ${reasons}${more}`, report.failed[0]?.error.code ?? 500);
    }
    if (report.started.length > 0) notices.info(tn('downloads.notices.added', report.started.length));
    return report;
  }

  async function pause(token: string): Promise<boolean> {
    return (await attempt(() => useBridge().invoke('tasks.pause', { token }))) !== undefined;
  }

  async function resume(token: string): Promise<boolean> {
    return (await attempt(() => useBridge().invoke('tasks.resume', { token }))) !== undefined;
  }

  async function cancel(token: string): Promise<boolean> {
    return (await attempt(() => useBridge().invoke('tasks.cancel', { token }))) !== undefined;
  }

  /**
   * Back in the queue under the same token; a new URL replaces an expired link, headers given replace
   * the task's; `device`: under that profile, not its own.
   */
  async function retry(token: string, newUrl?: string, header?: Record<string, string>, device?: string): Promise<boolean> {
    const url = newUrl?.trim() || undefined;
    return (await attempt(() => useBridge().invoke('tasks.retry', { token, url, header, device }))) !== undefined;
  }

  async function remove(token: string, deleteFile = false): Promise<boolean> {
    const done = (await attempt(() => useBridge().invoke('tasks.remove', { token, deleteFile }))) !== undefined;
    if (done) forget(token);
    return done;
  }

  /** Where nothing could be opened or shown, the path is shown instead (and why). */
  async function showFile(channel: 'shell.reveal' | 'shell.open', token: string): Promise<string | undefined> {
    const result = await attempt(() => useBridge().invoke(channel, { token }));
    if (!result) {
      // The file may be gone since the list was read: the row then says "Deleted".
      const record = await useBridge().invoke('tasks.get', { token }).catch(() => undefined);
      if (record) upsert(record);
      return undefined;
    }
    reportShellResult(result);
    return result.path;
  }

  /** A finished download whose file is gone, fetched again: the new task takes the old row's place. */
  async function downloadAgain(token: string): Promise<string | undefined> {
    const task = await attempt(() => useBridge().invoke('tasks.downloadAgain', { token }));
    if (!task) return undefined;
    forget(token);
    upsert(task);
    return task.token;
  }

  const reveal = (token: string): Promise<string | undefined> => showFile('shell.reveal', token);
  const open = (token: string): Promise<string | undefined> => showFile('shell.open', token);

  return {
    loading,
    loaded,
    loadError,
    stateFilter,
    typeFilter,
    sortKey,
    query,
    all,
    visible,
    counts,
    isFiltered,
    load,
    subscribe,
    stop,
    get,
    upsert,
    upsertMany,
    applyProgress,
    forget,
    setSort,
    clearFilters,
    start,
    startMany,
    pause,
    resume,
    cancel,
    retry,
    remove,
    reveal,
    open,
    downloadAgain,
    keptHeaderList,
    keepHeaders,
    forgetHeaders,
    headersKeptFor,
  };
});
