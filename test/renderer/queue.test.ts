// @vitest-environment happy-dom
/* eslint-disable vue/one-component-per-file -- small test components: a page, a dialog and its host */
import fs from 'node:fs';
import { mount, type VueWrapper } from '@vue/test-utils';
import { getActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defineComponent, h, nextTick, ref } from 'vue';
import type { Bridge } from '../../src-shared/channels.js';
import { VelaError } from '../../src-shared/codes.js';
import type { Ending } from '../../src-shared/completion-watcher.js';
import type { TaskRecord, TaskState } from '../../src-shared/types.js';
import { setBridge } from '../../src-renderer/bridge.js';
import NoticeList from '../../src-renderer/components/NoticeList.vue';
import { useFocusTrap } from '../../src-renderer/composables/useFocusTrap.js';
import { i18n } from '../../src-renderer/i18n/index.js';
import { notificationFor, titleFor, useAttention } from '../../src-renderer/stores/attention.js';
import { bulkOrder, useBulk } from '../../src-renderer/stores/bulk.js';
import { useDownloads } from '../../src-renderer/stores/downloads.js';
import { useNotices } from '../../src-renderer/stores/notices.js';
import { overallOf, percentOf } from '../../src-renderer/stores/overview.js';
import { useSelection } from '../../src-renderer/stores/selection.js';
import DownloadsView from '../../src-renderer/views/DownloadsView.vue';
import { randomBytesSeeded, startServer, type TestServer } from '../helpers/server.js';
import { createHarness, flush, type Harness } from './harness.js';

/**
 * Issue 10, points 4, 5, 9 and 10 in the renderer: the sort that puts running tasks first, the
 * selection, bulk actions against the real engine, the overall figure, the tab's title and
 * notifications, the retry that asks which profile, and the focus trap of dialogs.
 */

let harness: Harness;
let server: TestServer;
let wrapper: VueWrapper | undefined;

beforeEach(async () => {
  harness = createHarness();
  server = await startServer();
});

afterEach(async () => {
  wrapper?.unmount();
  wrapper = undefined;
  useAttention().stop();
  useDownloads().stop();
  document.body.innerHTML = '';
  vi.unstubAllGlobals();
  await harness.close();
  await server.close();
});

async function waitFor(check: () => boolean, what = 'condition', timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await nextTick();
    if (check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await flush(20);
  }
}

const record = (i: number, state: TaskState, extra: Partial<TaskRecord> = {}): TaskRecord => ({
  token: `t-${String(i).padStart(3, '0')}`,
  url: `https://example.com/file-${i}.bin`,
  headers: {},
  profileId: 'desktop',
  storage: 'cache',
  listenerRule: 'all',
  state,
  bytes: 0,
  total: 1_000,
  createdAt: 1_000 + i,
  updatedAt: 1_000 + i,
  ...extra,
});

const Page = defineComponent({ render: () => h('div', [h(DownloadsView), h(NoticeList)]) });

async function mountView(): Promise<VueWrapper> {
  const pinia = getActivePinia();
  if (!pinia) throw new Error('the harness sets an active pinia');
  wrapper = mount(Page, { global: { plugins: [pinia, i18n] }, attachTo: document.body });
  await waitFor(() => useDownloads().loaded, 'the first load');
  return wrapper;
}

describe('running first (the default sort)', () => {
  it('shows running, then queued in queue order, then paused, failed, completed newest first', () => {
    const downloads = useDownloads();
    expect(downloads.sortKey).toBe('running');
    downloads.upsertMany([
      record(1, 'completed'),
      record(2, 'queued'),
      record(3, 'running'),
      record(4, 'failed'),
      record(5, 'queued'),
      record(6, 'running'),
      record(7, 'paused'),
      record(8, 'completed'),
      record(9, 'cancelled'),
    ]);
    expect(downloads.visible.map((t) => t.token)).toEqual(['t-003', 't-006', 't-002', 't-005', 't-007', 't-009', 't-004', 't-008', 't-001']);
    // A task that starts moves up at the next list update.
    downloads.upsert(record(2, 'running', { updatedAt: 5_000 }));
    expect(downloads.visible.slice(0, 3).map((t) => t.token)).toEqual(['t-002', 't-003', 't-006']);
  });
});

describe('selection', () => {
  it('ticks, Shift-ticks a range either way, ticks all shown, and forgets removed tasks', () => {
    const downloads = useDownloads();
    const selection = useSelection();
    downloads.upsertMany([1, 2, 3, 4, 5, 6].map((i) => record(i, 'queued')));
    const order = downloads.visible.map((t) => t.token);
    expect(order).toEqual(['t-001', 't-002', 't-003', 't-004', 't-005', 't-006']);

    selection.toggle('t-002');
    selection.extend('t-005', order);
    expect([...selection.tokens].sort()).toEqual(['t-002', 't-003', 't-004', 't-005']);
    // From the same anchor upwards, unticking: the range goes.
    selection.toggle('t-004', false);
    selection.extend('t-002', order, false);
    expect(selection.tokens).toEqual(['t-005']);
    // Without an anchor in the list, a Shift-tick is a tick.
    selection.clear();
    selection.extend('t-006', order);
    expect(selection.tokens).toEqual(['t-006']);

    selection.toggleAll(order);
    expect(selection.size).toBe(6);
    selection.toggleAll(order);
    expect(selection.size).toBe(0);

    selection.toggleAll(order);
    downloads.forget('t-003');
    return waitFor(() => selection.size === 5, 'the removed task to leave the selection').then(() => {
      expect(selection.has('t-003')).toBe(false);
    });
  });
});

describe('bulk actions', () => {
  it('orders them: queued before running for a pause, oldest first for a resume', () => {
    const tasks = [record(1, 'running'), record(2, 'queued'), record(3, 'paused'), record(4, 'running'), record(5, 'queued'), record(6, 'paused')];
    expect(bulkOrder('pause', tasks)).toEqual(['t-002', 't-005', 't-001', 't-004']);
    expect(bulkOrder('resume', [...tasks].reverse())).toEqual(['t-003', 't-006']);
    expect(bulkOrder('retry', tasks)).toEqual([]);
  });

  it('pauses all, resumes all and clears completed against the engine; the files of cleared tasks stay', async () => {
    for (let i = 1; i <= 6; i++) server.setFile(`/slow-${i}.bin`, { body: randomBytesSeeded(200_000, i), bytesPerSecond: 20_000 });
    server.setFile('/done.bin', { body: randomBytesSeeded(2_000, 9) });
    const w = await mountView();
    const downloads = useDownloads();
    const bulk = useBulk();
    await downloads.start({ url: server.urlFor('/done.bin') });
    await waitFor(() => downloads.counts.completed === 1, 'one completed');
    await downloads.startMany([1, 2, 3, 4, 5, 6].map((i) => server.urlFor(`/slow-${i}.bin`)));
    await waitFor(() => downloads.counts.active === 4 && downloads.counts.queued === 2, 'four running, two queued');

    await w.get('[data-testid="pause-all"]').trigger('click');
    await waitFor(() => downloads.counts.paused === 6, 'all paused');
    expect(harness.engine.list().filter((t) => t.state === 'paused')).toHaveLength(6);
    expect(w.get('[data-testid="status-paused"]').text()).toBe('6 paused');

    await bulk.resumeAll();
    await waitFor(() => downloads.counts.paused === 0 && downloads.counts.active === 4, 'resumed');

    const donePath = harness.engine.list().find((t) => t.state === 'completed')?.path ?? '';
    await w.get('[data-testid="clear-completed"]').trigger('click');
    await waitFor(() => downloads.counts.completed === 0, 'cleared');
    expect(harness.engine.list().some((t) => t.state === 'completed')).toBe(false);
    expect(fs.existsSync(donePath)).toBe(true);
  });

  it('acts on the ticked rows it applies to, and reports refusals together in one notice', async () => {
    const w = await mountView();
    const downloads = useDownloads();
    const selection = useSelection();
    for (let i = 1; i <= 3; i++) server.setFile(`/s-${i}.bin`, { body: randomBytesSeeded(200_000, i), bytesPerSecond: 20_000 });
    const report = await downloads.startMany([1, 2, 3].map((i) => server.urlFor(`/s-${i}.bin`)));
    await waitFor(() => downloads.counts.active === 3, 'three running');
    // The engine refuses one of them (as a disk that fails would).
    const [refused] = report.started;
    const real = harness.bridge;
    const failing: Bridge = {
      ...real,
      invoke: ((channel, input) =>
        channel === 'tasks.pause' && (input as { token: string }).token === refused
          ? Promise.reject(new VelaError(500, 'the disk said no'))
          : real.invoke(channel, input)) as Bridge['invoke'],
    };
    setBridge(failing);
    selection.toggleAll(report.started);
    await nextTick();
    expect(w.get('[data-testid="selected-count"]').text()).toBe('3 selected');
    expect(w.get('[data-testid="selected-pause"]').text()).toBe('Pause (3)');
    expect(w.get('[data-testid="selected-resume"]').attributes('disabled')).toBeDefined();
    await w.get('[data-testid="selected-pause"]').trigger('click');
    await waitFor(() => downloads.counts.paused === 2, 'two paused');
    await waitFor(() => useNotices().items.some((n) => n.kind === 'error'), 'the notice');
    expect(useNotices().items.filter((n) => n.kind === 'error').map((n) => n.text)).toEqual(['1 of 3 downloads could not be paused: Something went wrong inside Vela Companion (the disk said no)']);
    await nextTick();
    expect(w.get('[data-testid="selected-resume"]').text()).toBe('Resume (2)');
  });
});

describe('the overall figure, the title and notifications', () => {
  it('adds up the unfinished downloads only', () => {
    const overall = overallOf([
      { state: 'running', bytes: 250, total: 1_000, speed: 100 },
      { state: 'running', bytes: 50, total: null, speed: 50 },
      { state: 'queued', bytes: 0, total: 1_000, speed: 0 },
      { state: 'paused', bytes: 500, total: 1_000, speed: 0 },
      { state: 'completed', bytes: 9_000, total: 9_000, speed: 0 },
    ]);
    expect(overall).toEqual({ unfinished: 4, running: 2, queued: 1, paused: 1, speed: 150, fraction: 0.25 });
    expect(percentOf(0.999)).toBe(99);
    expect(overallOf([]).fraction).toBeNull();
  });

  it('writes the title in the language of the window', () => {
    const base = { unfinished: 3, running: 2, queued: 1, paused: 0, speed: 1, fraction: 0.423 };
    expect(titleFor({ ...base, unfinished: 0 })).toBe('Vela Companion');
    expect(titleFor(base)).toBe('42% · 3 downloads — Vela Companion');
    expect(titleFor({ ...base, unfinished: 1, fraction: null })).toBe('1 download — Vela Companion');
    expect(titleFor({ ...base, unfinished: 2, running: 0, queued: 0, paused: 2 })).toBe('42% · 2 paused — Vela Companion');
    i18n.global.locale.value = 'zh-CN';
    expect(titleFor(base)).toBe('42% · 3 个下载 — Vela 助手');
    i18n.global.locale.value = 'en';
  });

  it('makes one notification of endings close together', () => {
    const ok = (name: string): Ending => ({ token: name, state: 'completed', name });
    const bad: Ending = { token: 'b', state: 'failed', name: 'b.bin', code: 1000, message: 'HTTP status 404' };
    expect(notificationFor([ok('a.bin')])).toEqual({ title: 'Download finished', body: 'a.bin' });
    expect(notificationFor([bad])).toEqual({ title: 'Download failed', body: 'b.bin\n1000: HTTP status 404' });
    expect(notificationFor([ok('a'), ok('b'), ok('c'), ok('d')])).toEqual({ title: '4 downloads finished', body: 'a, b, c, …' });
    expect(notificationFor([ok('a'), bad])?.title).toBe('1 finished, 1 failed');
    expect(notificationFor([])).toBeUndefined();
  });

  it('asks once, on first use, then notifies a download that ends while the page watches', async () => {
    const shown: { title: string; body?: string }[] = [];
    let asked = 0;
    class FakeNotification {
      static permission: NotificationPermission = 'default';
      static async requestPermission(): Promise<NotificationPermission> {
        asked += 1;
        FakeNotification.permission = 'granted';
        return 'granted';
      }
      onclick: (() => void) | null = null;
      constructor(title: string, options: { body?: string } = {}) {
        shown.push({ title, body: options.body });
      }
      close(): void {}
    }
    vi.stubGlobal('Notification', FakeNotification);
    localStorage.clear();
    server.setFile('/face.bin', { body: randomBytesSeeded(50_000, 1), bytesPerSecond: 100_000 });

    const w = await mountView();
    const attention = useAttention();
    attention.start();
    expect(asked).toBe(0);
    expect(document.title).toBe('Vela Companion');
    await w.get('[data-testid="download-url"]').setValue(server.urlFor('/face.bin'));
    await w.get('[data-testid="download-url"]').trigger('keydown', { key: 'Enter' });
    await waitFor(() => asked === 1, 'the question');
    await waitFor(() => /^\d+% · 1 download — Vela Companion$/.test(document.title), 'the title with progress');
    await waitFor(() => shown.length === 1, 'the notification', 10_000);
    expect(shown[0]).toEqual({ title: 'Download finished', body: 'face.bin' });
    expect(document.title).toBe('Vela Companion');
    // Asked once only: a second download does not ask again.
    attention.askOnFirstUse();
    expect(asked).toBe(1);
    document.title = 'Vela Companion';
  });
});

describe('retry under which profile', () => {
  it('asks when the task ran under another profile than the active one, and retries under the one chosen', async () => {
    await harness.engine.updateSettings({ activeProfile: 'watch-s4' });
    const { token } = harness.engine.download({ url: server.urlFor('/not-yet.bin') });
    await waitFor(() => harness.engine.get(token).state === 'failed', 'the failure');
    await harness.engine.updateSettings({ activeProfile: 'desktop' });
    const w = await mountView();
    await waitFor(() => w.find(`[data-token="${token}"] [data-testid="task-profile"]`).text() === 'Xiaomi Watch S4', 'the profile name');

    const retry = w.get(`[data-token="${token}"] [data-testid="task-retry"]`);
    expect(retry.text()).toBe('Retry…');
    expect(retry.attributes('aria-haspopup')).toBe('dialog');
    await retry.trigger('click');
    const dialog = w.get('[data-testid="retry-profile-dialog"]');
    expect(dialog.get('[data-testid="retry-profile-own"]').text()).toBe('Retry under Xiaomi Watch S4');
    expect(dialog.get('[data-testid="retry-profile-active"]').text()).toBe('Retry under Desktop (active)');
    server.setFile('/not-yet.bin', { body: randomBytesSeeded(1_000, 2) });
    await dialog.get('[data-testid="retry-profile-active"]').trigger('click');
    await waitFor(() => harness.engine.get(token).state === 'completed', 'completed');
    expect(harness.engine.get(token).profileId).toBe('desktop');
    expect(w.find('[data-testid="retry-profile-dialog"]').exists()).toBe(false);
  });
});

describe('useFocusTrap', () => {
  const Dialog = defineComponent({
    emits: ['close'],
    setup(_, { emit }) {
      const root = ref<HTMLElement | null>(null);
      const second = ref<HTMLElement | null>(null);
      useFocusTrap(root, () => emit('close'), { initial: second, fallback: () => document.getElementById('fallback') });
      return () =>
        h('div', { ref: root, role: 'dialog' }, [
          h('button', { id: 'first' }, 'first'),
          h('button', { id: 'second', ref: second }, 'second'),
          h('button', { id: 'disabled', disabled: true }, 'disabled'),
          h('button', { id: 'last' }, 'last'),
        ]);
    },
  });

  const Host = defineComponent({
    props: { open: Boolean, withOpener: { type: Boolean, default: true } },
    emits: ['close'],
    setup(props, { emit }) {
      return () =>
        h('div', [
          props.withOpener ? h('button', { id: 'opener' }, 'open') : null,
          h('button', { id: 'fallback' }, 'fallback'),
          props.open ? h(Dialog, { onClose: () => emit('close') }) : null,
        ]);
    },
  });

  const key = (k: string, shiftKey = false) => document.activeElement?.dispatchEvent(new KeyboardEvent('keydown', { key: k, shiftKey, bubbles: true }));
  const active = () => document.activeElement?.id;

  it('focuses the chosen element, wraps Tab both ways, closes on Escape and returns focus to the opener', async () => {
    const onClose = vi.fn();
    wrapper = mount(Host, { props: { open: false, onClose }, attachTo: document.body });
    (document.getElementById('opener') as HTMLButtonElement).focus();
    await wrapper.setProps({ open: true });
    await flush();
    expect(active()).toBe('second');
    (document.getElementById('last') as HTMLButtonElement).focus();
    key('Tab');
    expect(active()).toBe('first');
    key('Tab', true);
    expect(active()).toBe('last');
    key('Escape');
    expect(onClose).toHaveBeenCalledTimes(1);
    await wrapper.setProps({ open: false });
    await flush();
    expect(active()).toBe('opener');
  });

  it('gives focus to the fallback when the opener is gone', async () => {
    wrapper = mount(Host, { props: { open: false }, attachTo: document.body });
    (document.getElementById('opener') as HTMLButtonElement).focus();
    await wrapper.setProps({ open: true });
    await flush();
    await wrapper.setProps({ open: false, withOpener: false });
    await flush();
    expect(active()).toBe('fallback');
  });
});
