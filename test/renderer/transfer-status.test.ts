// @vitest-environment happy-dom
import { mount, type VueWrapper } from '@vue/test-utils';
import { getActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defineComponent, h, nextTick } from 'vue';
import PauseConfirmDialog from '../../src-renderer/components/downloads/PauseConfirmDialog.vue';
import ResumeNote from '../../src-renderer/components/downloads/ResumeNote.vue';
import TaskLiveStatus from '../../src-renderer/components/downloads/TaskLiveStatus.vue';
import TaskRow from '../../src-renderer/components/downloads/TaskRow.vue';
import { pauseLosesBytes, resumeNoteOf } from '../../src-renderer/components/downloads/resume-rules.js';
import { i18n } from '../../src-renderer/i18n/index.js';
import { useDownloads, type TaskView } from '../../src-renderer/stores/downloads.js';
import NoticeList from '../../src-renderer/components/NoticeList.vue';
import DownloadsView from '../../src-renderer/views/DownloadsView.vue';
import { randomBytesSeeded, startServer, type TestServer } from '../helpers/server.js';
import { createHarness, flush, type Harness } from './harness.js';

/**
 * Issue 10, points 1 and 2, on a row: "Retrying in N s (attempt k of n)" counting down and "Stalled"
 * instead of a speed and an ETA; whether a task can resume, before and after; the question before a
 * pause that would lose the bytes (focus kept inside, Escape cancels, focus goes back).
 */

function view(patch: Partial<TaskView> = {}): TaskView {
  return {
    token: 't1',
    url: 'http://127.0.0.1:1/face.bin',
    headers: {},
    profileId: 'desktop',
    storage: 'cache',
    listenerRule: 'all',
    state: 'running',
    bytes: 17.3 * 1024 * 1024,
    total: 40 * 1024 * 1024,
    createdAt: 1,
    updatedAt: 1,
    speed: 0,
    eta: null,
    stalled: false,
    kind: 'other',
    displayName: 'face.bin',
    ...patch,
  };
}

const mountWith = <P extends object>(component: Parameters<typeof mount>[0], props: P): VueWrapper =>
  mount(component, { props, global: { plugins: [i18n] }, attachTo: document.body });

beforeEach(() => {
  i18n.global.locale.value = 'en';
});

afterEach(() => {
  vi.useRealTimers();
  document.body.innerHTML = '';
});

describe('a running row’s live figures', () => {
  it('counts down "Retrying in N s (attempt k of n)" to the engine’s retry.at, with no speed or ETA', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const w = mountWith(TaskLiveStatus, { task: view({ speed: 1, eta: 256_000_000, retry: { attempt: 3, of: 8, at: 1_000_000 + 3_000 } }) });
    expect(w.get('[data-testid="task-retrying"]').text()).toBe('Retrying in 3 s (attempt 3 of 8)');
    expect(w.find('[data-testid="task-speed"]').exists()).toBe(false);
    expect(w.find('[data-testid="task-eta"]').exists()).toBe(false);
    vi.advanceTimersByTime(1_250);
    await nextTick();
    expect(w.get('[data-testid="task-retrying"]').text()).toBe('Retrying in 2 s (attempt 3 of 8)');
    vi.advanceTimersByTime(2_000);
    await nextTick();
    expect(w.get('[data-testid="task-retrying"]').text()).toBe('Retrying now (attempt 3 of 8)');
    w.unmount();
  });

  it('says "Stalled" instead of a speed and an ETA, and shows them again once bytes arrive', async () => {
    const task = view({ stalled: true, speed: 0, eta: null });
    const w = mountWith(TaskLiveStatus, { task });
    expect(w.get('[data-testid="task-stalled"]').text()).toBe('Stalled');
    expect(w.find('[data-testid="task-speed"]').exists()).toBe(false);
    await w.setProps({ task: view({ stalled: false, speed: 2048, eta: 42 }) });
    expect(w.find('[data-testid="task-stalled"]').exists()).toBe(false);
    expect(w.get('[data-testid="task-speed"]').text()).toBe('2.0 KiB/s');
    expect(w.get('[data-testid="task-eta"]').text()).toMatch(/42s/);
  });

  it('speaks Chinese too', () => {
    i18n.global.locale.value = 'zh-CN';
    vi.useFakeTimers({ now: 5_000 });
    const w = mountWith(TaskLiveStatus, { task: view({ retry: { attempt: 2, of: 8, at: 9_000 } }) });
    expect(w.get('[data-testid="task-retrying"]').text()).toBe('4 秒后重试（第 2 次，共 8 次）');
  });
});

describe('whether a task can resume, on its row', () => {
  it('warns before a pause, after a pause and after a restart; says nothing when it can resume', () => {
    expect(resumeNoteOf(view({ resumable: true }))).toBeNull();
    expect(resumeNoteOf(view({ resumable: undefined }))).toBeNull();
    expect(resumeNoteOf(view({ resumable: false }))).toBe('not-resumable');
    expect(resumeNoteOf(view({ resumable: false, state: 'paused' }))).toBe('not-resumable-paused');
    expect(resumeNoteOf(view({ resumable: false, state: 'paused', bytes: 0 }))).toBeNull();
    expect(resumeNoteOf(view({ resumable: false, state: 'queued' }))).toBe('not-resumable-paused');
    expect(resumeNoteOf(view({ resumable: false, restarted: { from: 5, at: 1 } }))).toBe('restarted');
    expect(resumeNoteOf(view({ resumable: false, state: 'completed' }))).toBeNull();
    const running = mountWith(ResumeNote, { task: view({ resumable: false }) });
    expect(running.text()).toBe('This server does not support resuming: pausing restarts it');
    const restarted = mountWith(ResumeNote, { task: view({ resumable: false, restarted: { from: 121 * 1024 * 1024, at: 1 } }) });
    expect(restarted.text()).toBe('Restarted from the beginning (121.0 MiB lost): this server does not support resuming');
  });

  it('asks before a pause only when the pause would lose bytes', () => {
    expect(pauseLosesBytes(view({ resumable: false }))).toBe(true);
    expect(pauseLosesBytes(view({ resumable: true }))).toBe(false);
    expect(pauseLosesBytes(view({ resumable: undefined }))).toBe(false);
    expect(pauseLosesBytes(view({ resumable: false, bytes: 0 }))).toBe(false);
    expect(pauseLosesBytes(view({ resumable: false, state: 'paused' }))).toBe(false);
    expect(pauseLosesBytes(view({ resumable: false, state: 'queued' }))).toBe(false);
  });

  it('a failed row keeps showing the bytes it has', () => {
    const w = mountWith(TaskRow, { task: view({ state: 'failed', code: 1000, message: 'network error (gave up after 8 attempts)' }) });
    expect(w.get('[data-testid="task-bytes"]').text()).toBe('17.3 MiB of 40.0 MiB kept');
    expect(w.get('[data-testid="task-code"]').text()).toBe('1000');
  });
});

describe('the question before a pause that loses the bytes', () => {
  it('starts on "Keep downloading", keeps focus inside, cancels on Escape and gives focus back', async () => {
    const opener = document.createElement('button');
    opener.textContent = 'Pause';
    document.body.append(opener);
    opener.focus();
    const w = mountWith(PauseConfirmDialog, { name: 'face.bin', bytes: 121 * 1024 * 1024 });
    const dialog = w.get('[data-testid="pause-confirm-dialog"]');
    expect(dialog.attributes('role')).toBe('alertdialog');
    expect(dialog.attributes('aria-modal')).toBe('true');
    expect(dialog.text()).toContain('“face.bin”');
    expect(dialog.text()).toContain('121.0 MiB');
    const keep = w.get('[data-testid="pause-confirm-keep"]').element as HTMLElement;
    const pause = w.get('[data-testid="pause-confirm-pause"]').element as HTMLElement;
    await nextTick(); // the dialog moves focus in once it is rendered (useFocusTrap)
    expect(document.activeElement).toBe(keep);
    const key = (init: KeyboardEventInit): KeyboardEvent => {
      const event = new KeyboardEvent('keydown', { bubbles: true, cancelable: true, ...init });
      (document.activeElement ?? document.body).dispatchEvent(event);
      return event;
    };
    // Shift+Tab from the first wraps to the last; Tab from the last wraps to the first.
    expect(key({ key: 'Tab', shiftKey: true }).defaultPrevented).toBe(true);
    expect(document.activeElement).toBe(pause);
    expect(key({ key: 'Tab' }).defaultPrevented).toBe(true);
    expect(document.activeElement).toBe(keep);
    // Focus that escapes (a click behind) comes back.
    opener.focus();
    expect(document.activeElement).toBe(keep);
    key({ key: 'Escape' });
    expect(w.emitted('close')).toHaveLength(1);
    expect(w.emitted('confirm')).toBeUndefined();
    w.unmount();
    await nextTick();
    expect(document.activeElement).toBe(opener);
  });
});

describe('Pause in the Downloads view, against a server that cannot resume', () => {
  let harness: Harness;
  let server: TestServer;
  let wrapper: VueWrapper | undefined;

  beforeEach(async () => {
    harness = createHarness();
    server = await startServer({
      '/novalid.bin': { body: randomBytesSeeded(4 * 1024 * 1024, 9), etag: null, lastModified: null, bytesPerSecond: 256 * 1024 },
    });
  });

  afterEach(async () => {
    wrapper?.unmount();
    wrapper = undefined;
    useDownloads().stop();
    await harness.close();
    await server.close();
  });

  const waitFor = async (check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> => {
    const end = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await flush(20);
    }
  };

  it('says so on the row, asks first, and pauses only when told to; focus moves to Resume', async () => {
    const pinia = getActivePinia()!;
    const Page = defineComponent({ render: () => h('div', [h(DownloadsView), h(NoticeList)]) });
    wrapper = mount(Page, { global: { plugins: [pinia, i18n] }, attachTo: document.body });
    const w = wrapper;
    const started = await useDownloads().start({ url: server.urlFor('/novalid.bin') });
    if (!started.ok) throw new Error(started.error.message);
    const { token } = started;
    const row = () => w.get(`[data-testid="task-row"][data-token="${token}"]`);
    await waitFor(() => harness.engine.get(token).resumable === false && harness.engine.get(token).bytes > 0, 'the verdict');
    await waitFor(() => row().find('[data-testid="task-resume-note"]').exists(), 'the note');
    expect(row().get('[data-testid="task-resume-note"]').text()).toBe('This server does not support resuming: pausing restarts it');

    const pauseButton = row().get('[data-testid="task-pause"]');
    (pauseButton.element as HTMLElement).focus();
    await pauseButton.trigger('click');
    await nextTick();
    expect(w.find('[data-testid="pause-confirm-dialog"]').exists()).toBe(true);
    await w.get('[data-testid="pause-confirm-keep"]').trigger('click');
    await nextTick();
    expect(w.find('[data-testid="pause-confirm-dialog"]').exists()).toBe(false);
    expect(document.activeElement).toBe(row().get('[data-testid="task-pause"]').element);
    await flush(100);
    expect(harness.engine.get(token).state).toBe('running');

    await row().get('[data-testid="task-pause"]').trigger('click');
    await nextTick();
    await w.get('[data-testid="pause-confirm-pause"]').trigger('click');
    await waitFor(() => row().attributes('data-state') === 'paused', 'paused');
    expect(row().get('[data-testid="task-resume-note"]').text()).toBe('This server does not support resuming: resuming starts over from the beginning');
    await waitFor(() => document.activeElement === row().find('[data-testid="task-resume"]').element, 'focus on Resume');

    await row().get('[data-testid="task-resume"]').trigger('click');
    await waitFor(() => row().find('[data-testid="task-resume-note"][data-kind="restarted"]').exists(), 'the restart said');
    expect(row().get('[data-testid="task-resume-note"]').text()).toMatch(/^Restarted from the beginning \(\d+(\.\d)? (KiB|MiB) lost\)/);
  });
});
