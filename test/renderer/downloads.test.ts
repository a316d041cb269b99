// @vitest-environment happy-dom
import fs from 'node:fs';
import { mount, type VueWrapper } from '@vue/test-utils';
import { getActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineComponent, h, nextTick } from 'vue';
import type { TaskProgress, TaskRecord } from '../../src-shared/types.js';
import { httpBridge } from '../../src-shared/http-bridge.js';
import { setBridge } from '../../src-renderer/bridge.js';
import NoticeList from '../../src-renderer/components/NoticeList.vue';
import { i18n } from '../../src-renderer/i18n/index.js';
import { kindOf, parseUrlList, useDownloads } from '../../src-renderer/stores/downloads.js';
import { useNotices } from '../../src-renderer/stores/notices.js';
import DownloadsView from '../../src-renderer/views/DownloadsView.vue';
import { randomBytesSeeded, sha256, startServer, type TestServer } from '../helpers/server.js';
import { createHarness, flush, type Harness } from './harness.js';

/**
 * The Downloads view as a user meets it: the real engine and router behind the in-memory bridge, a
 * real HTTP server on 127.0.0.1, and assertions on what the page shows.
 */

let harness: Harness;
let server: TestServer;
let wrapper: VueWrapper | undefined;

const SMALL = randomBytesSeeded(64 * 1024, 1);
const SLOW = randomBytesSeeded(2 * 1024 * 1024, 2);

beforeEach(async () => {
  harness = createHarness();
  server = await startServer({
    '/small.bin': { body: SMALL },
    '/one.bin': { body: randomBytesSeeded(10_000, 3) },
    '/two.bin': { body: randomBytesSeeded(20_000, 4) },
    '/three.bin': { body: randomBytesSeeded(30_000, 5) },
    '/photo.png': { body: randomBytesSeeded(5_000, 6), contentType: 'image/png' },
    '/song': { body: randomBytesSeeded(6_000, 7), contentType: 'audio/mpeg' },
    '/slow.bin': { body: SLOW, bytesPerSecond: 256 * 1024 },
  });
});

afterEach(async () => {
  wrapper?.unmount();
  wrapper = undefined;
  useDownloads().stop();
  document.body.innerHTML = '';
  await harness.close();
  await server.close();
});

/** The view and the notice list, as the shell shows them. */
const Page = defineComponent({ render: () => h('div', [h(DownloadsView), h(NoticeList)]) });

function mountPage(): VueWrapper {
  const pinia = getActivePinia();
  if (!pinia) throw new Error('the harness sets an active pinia');
  wrapper = mount(Page, { global: { plugins: [pinia, i18n] }, attachTo: document.body });
  return wrapper;
}

async function mountView(): Promise<VueWrapper> {
  const w = mountPage();
  await waitFor(() => !useDownloads().loading && useDownloads().loaded, 'the first load');
  await nextTick();
  return w;
}

async function waitFor(check: () => boolean, what = 'condition', timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await nextTick();
    if (check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await flush(20);
  }
}

const rows = (w: VueWrapper) => w.findAll('[data-testid="task-row"]');
const row = (w: VueWrapper, token: string) => w.find(`[data-testid="task-row"][data-token="${token}"]`);
const stateOf = (w: VueWrapper, token: string) => row(w, token).attributes('data-state');
const noticeTexts = (w: VueWrapper) => w.findAll('[data-testid="notice"]').map((n) => n.text());

async function submitWithEnter(w: VueWrapper, text: string): Promise<void> {
  const field = w.get('[data-testid="download-url"]');
  await field.setValue(text);
  await field.trigger('keydown', { key: 'Enter' });
}

async function addHeader(w: VueWrapper, name: string, value: string): Promise<void> {
  await w.get('[data-testid="header-add"]').trigger('click');
  await w.findAll('[data-testid="header-name"]').at(-1)?.setValue(name);
  await w.findAll('[data-testid="header-value"]').at(-1)?.setValue(value);
}

/** What the new-download form holds right now. */
function formValues(w: VueWrapper) {
  const value = (id: string) => (w.get(`[data-testid="${id}"]`).element as HTMLInputElement).value;
  const keep = w.find('[data-testid="header-keep"]');
  return {
    url: value('download-url'),
    filename: value('download-filename'),
    sha256: value('download-sha256'),
    speedLimit: value('download-speed-limit'),
    headerRows: w.findAll('[data-testid="header-row"]').length,
    keep: keep.exists() ? (keep.element as HTMLInputElement).checked : null,
  };
}

/** The token of the only task, once the engine has it. */
async function onlyToken(): Promise<string> {
  await waitFor(() => harness.engine.list().length === 1, 'one task');
  return harness.engine.list()[0]?.token ?? '';
}

function dropEvent(type: 'dragover' | 'drop', data: Record<string, string>): Event {
  const event = new Event(type, { bubbles: true, cancelable: true });
  const transfer = new window.DataTransfer();
  for (const [format, value] of Object.entries(data)) transfer.setData(format, value);
  Object.defineProperty(event, 'dataTransfer', { value: transfer });
  return event;
}

describe('Downloads view', () => {
  it('shows the empty state, then a download submitted with Enter that reaches completed', async () => {
    const w = await mountView();
    expect(w.get('[data-testid="downloads-empty"]').text()).toContain('No downloads yet — paste a URL above');

    await submitWithEnter(w, server.urlFor('/small.bin'));
    const token = await onlyToken();
    await waitFor(() => row(w, token).exists(), 'the row');
    await waitFor(() => stateOf(w, token) === 'completed', 'completed');

    const done = row(w, token);
    expect(done.get('[data-testid="task-name"]').text()).toBe('small.bin');
    expect(done.get('[data-testid="task-state"]').text()).toBe('Completed');
    expect(done.get('[data-testid="task-bytes"]').text()).toBe('64.0 KiB of 64.0 KiB');
    expect(done.get('[data-testid="task-progress"]').attributes('aria-valuenow')).toBe('100');
    expect(done.find('[data-testid="task-open"]').exists()).toBe(true);
    expect(done.find('[data-testid="task-pause"]').exists()).toBe(false);
    // The field is cleared for the next link; the file on disk is the served one.
    expect((w.get('[data-testid="download-url"]').element as HTMLTextAreaElement).value).toBe('');
    const path = harness.engine.get(token).path ?? '';
    expect(sha256(fs.readFileSync(path))).toBe(sha256(SMALL));
  });

  it('makes one task per link when several are pasted at once', async () => {
    const w = await mountView();
    const urls = ['/one.bin', '/two.bin', '/three.bin'].map((p) => server.urlFor(p));
    await w.get('[data-testid="download-url"]').setValue(urls.join('\n'));
    expect(w.get('[data-testid="download-submit"]').text()).toBe('Download 3 links');
    expect(w.get('[data-testid="download-hint"]').text()).toContain('3 links');

    await w.get('[data-testid="download-url"]').trigger('keydown', { key: 'Enter' });
    await waitFor(() => rows(w).length === 3, 'three rows');
    expect(new Set(harness.engine.list().map((t) => t.url))).toEqual(new Set(urls));
    await waitFor(() => rows(w).every((r) => r.attributes('data-state') === 'completed'), 'all completed');
    expect(useNotices().items.filter((n) => n.kind === 'info').map((n) => n.text)).toEqual(['Added 3 downloads']);
  });

  it('reports the links of a list that were refused, with their reasons, and keeps only those', async () => {
    const w = await mountView();
    const good = server.urlFor('/one.bin');
    await submitWithEnter(w, `${good}\nftp://example.com/x.bin`);
    await waitFor(() => noticeTexts(w).some((text) => text.includes('1 of 2 links were not added')), 'the failure notice');
    const notice = noticeTexts(w).find((text) => text.includes('1 of 2')) ?? '';
    expect(notice).toContain('Error 202');
    expect(notice).toContain('ftp://example.com/x.bin: url scheme must be http or https, got ftp');
    expect(harness.engine.list()).toHaveLength(1);
    expect((w.get('[data-testid="download-url"]').element as HTMLTextAreaElement).value).toBe('ftp://example.com/x.bin');
  });

  it('sends the header rows that are left after adding and removing', async () => {
    const w = await mountView();
    for (let i = 0; i < 3; i++) await w.get('[data-testid="header-add"]').trigger('click');
    const names = w.findAll('[data-testid="header-name"]');
    const values = w.findAll('[data-testid="header-value"]');
    await names[0]?.setValue('X-Token');
    await values[0]?.setValue('abc 123');
    await names[1]?.setValue('X-Dropped');
    await values[1]?.setValue('nope');
    await names[2]?.setValue('Referer');
    await values[2]?.setValue('https://example.com/page');
    await w.findAll('[data-testid="header-remove"]')[1]?.trigger('click');
    expect(w.findAll('[data-testid="header-row"]')).toHaveLength(2);

    await submitWithEnter(w, server.urlFor('/small.bin'));
    const token = await onlyToken();
    await waitFor(() => stateOf(w, token) === 'completed', 'completed');
    const request = server.requestsFor('/small.bin').find((r) => r.method === 'GET');
    expect(request?.headers['x-token']).toBe('abc 123');
    expect(request?.headers.referer).toBe('https://example.com/page');
    expect(request?.headers['x-dropped']).toBeUndefined();
    // Headers were for that download only.
    expect(w.findAll('[data-testid="header-row"]')).toHaveLength(0);
  });

  it('applies the file name, the checksum and the speed limit from the form', async () => {
    const w = await mountView();
    await w.get('[data-testid="download-filename"]').setValue('renamed.bin');
    await w.get('[data-testid="download-sha256"]').setValue(sha256(SMALL).toUpperCase());
    await w.get('[data-testid="download-speed-limit"]').setValue('512');
    await w.get('[data-testid="download-url"]').setValue(server.urlFor('/small.bin'));
    await w.get('[data-testid="download-submit"]').trigger('click');
    const token = await onlyToken();
    await waitFor(() => stateOf(w, token) === 'completed', 'completed');
    const task = harness.engine.get(token);
    expect(task.name).toBe('renamed.bin');
    expect(task.sha256).toBe(sha256(SMALL));
    expect(task.speedLimit).toBe(512 * 1024);
    expect(row(w, token).get('[data-testid="task-name"]').text()).toBe('renamed.bin');
  });

  it('clears the headers, file name, checksum and speed limit after a download; the next one sends none of them', async () => {
    const w = await mountView();
    await addHeader(w, 'Authorization', 'Bearer s3cret');
    await w.get('[data-testid="download-filename"]').setValue('renamed.bin');
    await w.get('[data-testid="download-sha256"]').setValue(sha256(SMALL));
    await w.get('[data-testid="download-speed-limit"]').setValue('512');
    await submitWithEnter(w, server.urlFor('/small.bin'));
    const first = await onlyToken();
    await waitFor(() => stateOf(w, first) === 'completed', 'the first download');
    expect(server.requestsFor('/small.bin').find((r) => r.method === 'GET')?.headers.authorization).toBe('Bearer s3cret');
    expect(harness.engine.get(first).speedLimit).toBe(512 * 1024);

    await waitFor(() => formValues(w).url === '', 'the form cleared');
    expect(formValues(w)).toEqual({ url: '', filename: '', sha256: '', speedLimit: '', headerRows: 0, keep: null });
    expect(w.find('[data-testid="kept-headers"]').exists()).toBe(false);

    await submitWithEnter(w, server.urlFor('/one.bin'));
    await waitFor(() => harness.engine.list().length === 2, 'the second task');
    const second = harness.engine.list().find((task) => task.token !== first)!;
    await waitFor(() => row(w, second.token).exists() && stateOf(w, second.token) === 'completed', 'the second download');
    expect(server.requestsFor('/one.bin').every((r) => r.headers.authorization === undefined)).toBe(true);
    expect(second.headers).toEqual({});
    expect(second.speedLimit ?? 0).toBe(0);
    // list() hands out copies taken when it was called: the name is read again now that it is done.
    expect(harness.engine.get(second.token).name).toBe('one.bin');
  });

  it('gives every pasted link the options of that submission, then clears them all', async () => {
    const w = await mountView();
    await addHeader(w, 'X-Token', 'abc');
    await w.get('[data-testid="download-speed-limit"]').setValue('2048');
    const urls = ['/one.bin', '/two.bin', '/three.bin'].map((p) => server.urlFor(p));
    await submitWithEnter(w, urls.join('\n'));
    await waitFor(() => harness.engine.list().length === 3, 'three tasks');
    for (const task of harness.engine.list()) {
      expect(task.headers).toEqual({ 'X-Token': 'abc' });
      expect(task.speedLimit).toBe(2048 * 1024);
    }
    await waitFor(() => formValues(w).url === '', 'the form cleared');
    expect(formValues(w)).toMatchObject({ speedLimit: '', headerRows: 0 });
  });

  it('keeps headers for one origin only when asked, shows them, and never offers them to another origin', async () => {
    const other = await startServer({ '/other.bin': { body: randomBytesSeeded(4_000, 9) } });
    try {
      const w = await mountView();
      const origin = server.url;
      await addHeader(w, 'Authorization', 'Bearer s3cret');
      expect(w.find('[data-testid="header-keep"]').exists()).toBe(false); // no link yet, so no origin to name
      await w.get('[data-testid="download-url"]').setValue(server.urlFor('/small.bin'));
      expect(w.get('[data-testid="header-keep-label"]').text()).toContain(`Keep these headers for ${origin}`);
      expect(formValues(w).keep).toBe(false);
      await w.get('[data-testid="header-keep"]').setValue(true);
      await w.get('[data-testid="download-submit"]').trigger('click');
      await waitFor(() => harness.engine.list().length === 1 && formValues(w).url === '', 'the first download');

      // Cleared, but a visible note says what is kept, by name only.
      expect(formValues(w).headerRows).toBe(0);
      const note = w.get('[data-testid="kept-header-note"]');
      expect(note.text()).toContain(`Headers kept for ${origin}: Authorization`);
      expect(note.text()).not.toContain('s3cret');
      expect(note.get('[data-testid="kept-header-forget"]').attributes('aria-label')).toBe(`Forget the headers kept for ${origin}`);

      // Another origin (another port): nothing filled in, nothing sent.
      await w.get('[data-testid="download-url"]').setValue(other.urlFor('/other.bin'));
      expect(formValues(w).headerRows).toBe(0);
      await w.get('[data-testid="download-submit"]').trigger('click');
      await waitFor(() => harness.engine.list().length === 2 && formValues(w).url === '', 'the download to the other origin');
      const toOther = harness.engine.list().find((task) => task.url === other.urlFor('/other.bin'))!;
      expect(toOther.headers).toEqual({});
      await waitFor(() => row(w, toOther.token).exists() && stateOf(w, toOther.token) === 'completed', 'the other download');
      expect(other.requests.every((r) => r.headers.authorization === undefined)).toBe(true);

      // The same origin: filled in and ticked, and sent.
      await w.get('[data-testid="download-url"]').setValue(server.urlFor('/one.bin'));
      expect(formValues(w)).toMatchObject({ headerRows: 1, keep: true });
      expect((w.get('[data-testid="header-value"]').element as HTMLInputElement).value).toBe('Bearer s3cret');
      // ...and taken away again the moment the link points elsewhere.
      await w.get('[data-testid="download-url"]').setValue(other.urlFor('/other.bin'));
      expect(formValues(w).headerRows).toBe(0);
      await w.get('[data-testid="download-url"]').setValue(server.urlFor('/one.bin'));
      expect(formValues(w).headerRows).toBe(1);
      await w.get('[data-testid="download-submit"]').trigger('click');
      await waitFor(() => harness.engine.list().length === 3 && formValues(w).url === '', 'the download to the same origin');
      const same = harness.engine.list().find((task) => task.url === server.urlFor('/one.bin'))!;
      await waitFor(() => row(w, same.token).exists() && stateOf(w, same.token) === 'completed', 'the same-origin download');
      expect(server.requestsFor('/one.bin').find((r) => r.method === 'GET')?.headers.authorization).toBe('Bearer s3cret');

      // Forget: the note goes, and so do the rows it filled in.
      await w.get('[data-testid="download-url"]').setValue(server.urlFor('/two.bin'));
      expect(formValues(w).headerRows).toBe(1);
      await w.get('[data-testid="kept-header-forget"]').trigger('click');
      expect(w.find('[data-testid="kept-headers"]').exists()).toBe(false);
      expect(formValues(w).headerRows).toBe(0);
      expect(useDownloads().headersKeptFor(origin)).toBeUndefined();
    } finally {
      await other.close();
    }
  });

  it('forgets the kept headers when "keep" is unticked on a download to that origin', async () => {
    const w = await mountView();
    await addHeader(w, 'Authorization', 'Bearer s3cret');
    await w.get('[data-testid="download-url"]').setValue(server.urlFor('/one.bin'));
    await w.get('[data-testid="header-keep"]').setValue(true);
    await w.get('[data-testid="download-submit"]').trigger('click');
    await waitFor(() => harness.engine.list().length === 1 && formValues(w).url === '', 'the first download');
    await w.get('[data-testid="download-url"]').setValue(server.urlFor('/two.bin'));
    expect(formValues(w)).toMatchObject({ headerRows: 1, keep: true });
    await w.get('[data-testid="header-keep"]').setValue(false);
    await w.get('[data-testid="download-submit"]').trigger('click');
    await waitFor(() => harness.engine.list().length === 2 && formValues(w).url === '', 'the second download');
    // This one still went with the header the form showed; the next one will not.
    expect(harness.engine.list().find((task) => task.url === server.urlFor('/two.bin'))?.headers).toEqual({ Authorization: 'Bearer s3cret' });
    expect(w.find('[data-testid="kept-headers"]').exists()).toBe(false);
    await w.get('[data-testid="download-url"]').setValue(server.urlFor('/three.bin'));
    expect(formValues(w).headerRows).toBe(0);
  });

  it('shows code 1000 and the message on a row that failed with 404', async () => {
    const w = await mountView();
    await submitWithEnter(w, server.urlFor('/missing.bin'));
    const token = await onlyToken();
    await waitFor(() => stateOf(w, token) === 'failed', 'failed');
    const failed = row(w, token);
    expect(failed.get('[data-testid="task-state"]').text()).toBe('Failed');
    expect(failed.get('[data-testid="task-code"]').text()).toBe('1000');
    expect(failed.get('[data-testid="task-message"]').text()).toContain('404');
    expect(failed.find('[data-testid="task-retry"]').exists()).toBe(true);
    expect(failed.find('[data-testid="task-cancel"]').exists()).toBe(false);
  });

  it('retries a failed task with a new link (an expired one) under the same token', async () => {
    const w = await mountView();
    await submitWithEnter(w, server.urlFor('/expired.bin'));
    const token = await onlyToken();
    await waitFor(() => stateOf(w, token) === 'failed', 'failed');

    await row(w, token).get('[data-testid="task-retry-new-url"]').trigger('click');
    const dialog = w.get('[data-testid="retry-dialog"]');
    expect((dialog.get('[data-testid="retry-url"]').element as HTMLInputElement).value).toBe(server.urlFor('/expired.bin'));
    await dialog.get('[data-testid="retry-url"]').setValue(server.urlFor('/small.bin'));
    await dialog.trigger('submit');
    await waitFor(() => stateOf(w, token) === 'completed', 'completed after the new link');
    expect(w.find('[data-testid="retry-dialog"]').exists()).toBe(false);
    expect(row(w, token).find('[data-testid="task-code"]').exists()).toBe(false);
    expect(harness.engine.get(token).url).toBe(server.urlFor('/small.bin'));
  });

  it('pauses and resumes a throttled download, shows speed and time left, then cancels and retries it', async () => {
    const w = await mountView();
    await submitWithEnter(w, server.urlFor('/slow.bin'));
    const token = await onlyToken();
    await waitFor(() => stateOf(w, token) === 'running' && harness.engine.get(token).bytes > 0, 'running with bytes');
    await waitFor(() => row(w, token).find('[data-testid="task-speed"]').exists(), 'the speed');
    expect(row(w, token).get('[data-testid="task-speed"]').text()).toMatch(/\/s$/);
    expect(row(w, token).get('[data-testid="task-bytes"]').text()).toMatch(/ of 2\.0 MiB$/);
    await waitFor(() => /left$/.test(row(w, token).find('[data-testid="task-eta"]').text()), 'the time left');

    await row(w, token).get('[data-testid="task-pause"]').trigger('click');
    await waitFor(() => stateOf(w, token) === 'paused', 'paused');
    expect(row(w, token).find('[data-testid="task-speed"]').exists()).toBe(false);
    const pausedAt = harness.engine.get(token).bytes;
    expect(pausedAt).toBeGreaterThan(0);
    expect(pausedAt).toBeLessThan(SLOW.length);

    await row(w, token).get('[data-testid="task-resume"]').trigger('click');
    await waitFor(() => stateOf(w, token) === 'running', 'running again');
    await waitFor(() => harness.engine.get(token).bytes > pausedAt, 'more bytes after resuming');
    const resumed = server.requestsFor('/slow.bin').filter((r) => r.method === 'GET');
    expect(resumed.at(-1)?.range).toMatch(/^bytes=\d+-/);

    await row(w, token).get('[data-testid="task-cancel"]').trigger('click');
    await waitFor(() => stateOf(w, token) === 'cancelled', 'cancelled');
    expect(row(w, token).get('[data-testid="task-code"]').text()).toBe('1000');
    expect(row(w, token).get('[data-testid="task-message"]').text()).toBe('cancelled');

    await row(w, token).get('[data-testid="task-retry"]').trigger('click');
    await waitFor(() => stateOf(w, token) === 'running' || stateOf(w, token) === 'queued', 'back in the queue');
    await waitFor(() => !row(w, token).find('[data-testid="task-code"]').exists(), 'the failure cleared');
    await row(w, token).get('[data-testid="task-cancel"]').trigger('click');
    await waitFor(() => stateOf(w, token) === 'cancelled', 'cancelled again');
  });

  it('filters by state and by type, and says so when nothing matches', async () => {
    const w = await mountView();
    const downloads = useDownloads();
    for (const path of ['/photo.png', '/song', '/missing.bin']) await downloads.start({ url: server.urlFor(path) });
    await waitFor(() => rows(w).length === 3 && rows(w).every((r) => ['completed', 'failed'].includes(r.attributes('data-state') ?? '')), 'three finished rows');
    // Rows change in place at once; the counts follow with the list, at most 100 ms later (bumpListSoon).
    await waitFor(() => w.find('[data-testid="filter-count-failed"]').text() === '1', 'the counts');

    const names = () => rows(w).map((r) => r.get('[data-testid="task-name"]').text()).sort();
    expect(w.get('[data-testid="filter-count-all"]').text()).toBe('3');
    expect(w.get('[data-testid="filter-count-completed"]').text()).toBe('2');
    expect(w.get('[data-testid="filter-count-failed"]').text()).toBe('1');

    await w.get('[data-testid="filter-state-completed"]').trigger('click');
    expect(names()).toEqual(['photo.png', 'song.mp3']);
    await w.get('[data-testid="filter-type-image"]').trigger('click');
    expect(names()).toEqual(['photo.png']);
    await w.get('[data-testid="filter-type-audio"]').trigger('click');
    expect(names()).toEqual(['song.mp3']);
    await w.get('[data-testid="filter-type-all"]').trigger('click');
    await w.get('[data-testid="filter-state-failed"]').trigger('click');
    expect(names()).toEqual(['missing.bin']);
    await w.get('[data-testid="filter-type-other"]').trigger('click');
    expect(names()).toEqual(['missing.bin']);
    expect(w.get('[data-testid="downloads-count"]').text()).toBe('1 of 3 shown');

    await w.get('[data-testid="filter-state-active"]').trigger('click');
    expect(rows(w)).toHaveLength(0);
    expect(w.get('[data-testid="downloads-filtered-empty"]').text()).toContain('No downloads match these filters.');
    await w.get('[data-testid="downloads-show-all"]').trigger('click');
    expect(rows(w)).toHaveLength(3);

    await w.get('[data-testid="sort"]').setValue('name');
    expect(rows(w).map((r) => r.get('[data-testid="task-name"]').text())).toEqual(['missing.bin', 'photo.png', 'song.mp3']);
    await w.get('[data-testid="filter-search"]').setValue('SONG');
    expect(names()).toEqual(['song.mp3']);
  });

  it('removes a failed task at once and asks about the file of a completed one', async () => {
    const w = await mountView();
    const downloads = useDownloads();
    for (const path of ['/one.bin', '/two.bin', '/missing.bin']) await downloads.start({ url: server.urlFor(path) });
    await waitFor(() => rows(w).length === 3 && rows(w).every((r) => ['completed', 'failed'].includes(r.attributes('data-state') ?? '')), 'finished');
    const byName = (name: string) => harness.engine.list().find((t) => t.url.endsWith(name)) as TaskRecord;
    const failed = byName('/missing.bin');
    const kept = byName('/one.bin');
    const deleted = byName('/two.bin');

    await row(w, failed.token).get('[data-testid="task-remove"]').trigger('click');
    await waitFor(() => !row(w, failed.token).exists(), 'the failed row gone');
    expect(w.find('[data-testid="remove-dialog"]').exists()).toBe(false);

    await row(w, kept.token).get('[data-testid="task-remove"]').trigger('click');
    await w.get('[data-testid="remove-keep"]').trigger('click');
    await waitFor(() => !row(w, kept.token).exists(), 'the kept row gone');
    expect(fs.existsSync(kept.path ?? '')).toBe(true);

    await row(w, deleted.token).get('[data-testid="task-remove"]').trigger('click');
    expect(w.get('[data-testid="remove-dialog"]').text()).toContain('two.bin');
    await w.get('[data-testid="remove-delete"]').trigger('click');
    await waitFor(() => rows(w).length === 0, 'no rows');
    expect(fs.existsSync(deleted.path ?? '')).toBe(false);
    expect(harness.engine.list()).toHaveLength(0);
    expect(w.find('[data-testid="downloads-empty"]').exists()).toBe(true);
  });

  it('shows the path when the host cannot reveal or open a file', async () => {
    const w = await mountView();
    await submitWithEnter(w, server.urlFor('/small.bin'));
    const token = await onlyToken();
    await waitFor(() => stateOf(w, token) === 'completed', 'completed');
    await row(w, token).get('[data-testid="task-reveal"]').trigger('click');
    const path = harness.engine.get(token).path ?? '';
    await waitFor(() => noticeTexts(w).some((text) => text.includes(`The file is at ${path}`)), 'the path notice');
  });

  it('fills the form with a link dropped on it, and starts links dropped elsewhere on the view', async () => {
    const w = await mountView();
    const form = w.get('[data-testid="download-form"]');
    const over = dropEvent('dragover', { 'text/uri-list': server.urlFor('/one.bin') });
    form.element.dispatchEvent(over);
    expect(over.defaultPrevented).toBe(true);
    form.element.dispatchEvent(dropEvent('drop', { 'text/uri-list': `# a comment\r\n${server.urlFor('/one.bin')}` }));
    await nextTick();
    expect((w.get('[data-testid="download-url"]').element as HTMLTextAreaElement).value).toBe(server.urlFor('/one.bin'));
    expect(harness.engine.list()).toHaveLength(0);
    await addHeader(w, 'Authorization', 'Bearer s3cret');

    w.get('[data-testid="downloads-view"]').element.dispatchEvent(dropEvent('drop', { 'text/plain': server.urlFor('/two.bin') }));
    const token = await onlyToken();
    expect(harness.engine.get(token).url).toBe(server.urlFor('/two.bin'));
    await waitFor(() => stateOf(w, token) === 'completed', 'the dropped link completed');
    // The dropped link took none of the form's options, and the form keeps what is being typed there.
    expect(harness.engine.get(token).headers).toEqual({});
    expect(formValues(w)).toMatchObject({ url: server.urlFor('/one.bin'), headerRows: 1 });
  });

  it('shows a refused URL as its code and message, never a stack', async () => {
    const w = await mountView();
    await submitWithEnter(w, 'not a url');
    await waitFor(() => useNotices().items.length > 0, 'a notice');
    const [notice] = useNotices().items;
    expect(notice?.code).toBe(202);
    expect(notice?.text).toBe('url is not a valid URL: not a url');
    const shown = noticeTexts(w).join('\n');
    expect(shown).toContain('Error 202');
    expect(shown).toContain('url is not a valid URL');
    expect(shown).not.toMatch(/\bat .+:\d+:\d+|Error: |VelaError/);
    // The text stays so it can be fixed; nothing was recorded.
    expect((w.get('[data-testid="download-url"]').element as HTMLTextAreaElement).value).toBe('not a url');
    expect(harness.engine.list()).toHaveLength(0);
  });

  it('shows field errors from the shared argument rules as the user types, in their language, and sends nothing until fixed', async () => {
    const w = await mountView();
    await w.get('[data-testid="download-url"]').setValue(server.urlFor('/small.bin'));
    await w.get('[data-testid="download-filename"]').setValue('../face.bin');
    await w.get('[data-testid="download-sha256"]').setValue('abc');
    expect(w.get('[data-testid="download-filename-error"]').text()).toBe('The file name cannot contain "..".');
    expect(w.get('[data-testid="download-sha256-error"]').text()).toBe('A SHA-256 checksum is 64 hexadecimal digits.');
    expect(w.get('[data-testid="download-submit"]').attributes('disabled')).toBeDefined();
    await w.get('[data-testid="download-filename"]').setValue('con.txt');
    expect(w.get('[data-testid="download-filename-error"]').text()).toContain('reserved on Windows');
    await w.get('[data-testid="header-add"]').trigger('click');
    await w.get('[data-testid="header-name"]').setValue('Bad Name');
    await w.get('[data-testid="header-value"]').setValue('x');
    expect(w.get('[data-testid="download-header-error"]').text()).toContain('A header name may use only');
    i18n.global.locale.value = 'zh-CN';
    try {
      await nextTick();
      expect(w.get('[data-testid="download-filename-error"]').text()).toBe('该名称在 Windows 上是保留名（CON、NUL、COM1…），请换一个。');
    } finally {
      i18n.global.locale.value = 'en';
    }
    await w.get('[data-testid="download-url"]').trigger('keydown', { key: 'Enter' });
    await flush();
    expect(harness.engine.list()).toHaveLength(0);
    // Fixed: it goes, with the name as typed.
    await w.get('[data-testid="download-filename"]').setValue('face.bin');
    await w.get('[data-testid="download-sha256"]').setValue('');
    await w.get('[data-testid="header-name"]').setValue('X-Name');
    expect(w.find('[data-testid="download-filename-error"]').exists()).toBe(false);
    await w.get('[data-testid="download-url"]').trigger('keydown', { key: 'Enter' });
    const token = await onlyToken();
    expect(harness.engine.get(token).requestedFilename).toBe('face.bin');
  });

  it('shows 203 from the engine when the active device profile cannot download', async () => {
    const w = await mountView();
    await harness.bridge.invoke('settings.set', { activeProfile: 'band-8-pro' });
    await submitWithEnter(w, server.urlFor('/small.bin'));
    await waitFor(() => useNotices().items.length > 0, 'a notice');
    expect(useNotices().items[0]?.code).toBe(203);
    expect(noticeTexts(w)[0]).toContain('Xiaomi Band 8 Pro does not support system.request downloads');
    expect(server.requests).toHaveLength(0);
  });

  it('shows why the list could not be loaded and loads it again on request', async () => {
    // A page whose engine cannot be reached: another origin with no API behind it (happy-dom logs
    // the refused requests, as a browser's console would).
    setBridge(httpBridge({ baseUrl: server.url }));
    const w = mountPage();
    await waitFor(() => w.find('[data-testid="downloads-load-error"]').exists(), 'the load error');
    expect(w.get('[data-testid="downloads-load-error"]').text()).toContain('The downloads could not be loaded: ');
    expect(w.get('[data-testid="downloads-load-error"]').text()).toContain('the engine could not be reached');
    expect(noticeTexts(w).join('\n')).not.toMatch(/\n\s+at /);

    useDownloads().stop();
    setBridge(harness.bridge);
    await w.get('[data-testid="downloads-reload"]').trigger('click');
    await waitFor(() => w.find('[data-testid="downloads-empty"]').exists(), 'the empty state');
  });

  it('speaks Simplified Chinese', async () => {
    i18n.global.locale.value = 'zh-CN';
    try {
      const w = await mountView();
      expect(w.get('[data-testid="downloads-empty"]').text()).toContain('还没有下载');
      expect(w.get('[data-testid="download-submit"]').text()).toBe('下载');
      await submitWithEnter(w, server.urlFor('/missing.bin'));
      const token = await onlyToken();
      await waitFor(() => stateOf(w, token) === 'failed', 'failed');
      expect(row(w, token).get('[data-testid="task-state"]').text()).toBe('失败');
      expect(row(w, token).get('[data-testid="task-retry"]').text()).toBe('重试');
    } finally {
      i18n.global.locale.value = 'en';
    }
  });
});

describe('Downloads store with 10,000 tasks', () => {
  const record = (i: number): TaskRecord => ({
    token: `t-${String(i).padStart(5, '0')}`,
    url: `https://example.com/files/file-${i}.${['png', 'mp4', 'mp3', 'bin'][i % 4]}`,
    headers: {},
    profileId: 'desktop',
    storage: 'cache',
    listenerRule: 'all',
    state: (['running', 'queued', 'paused', 'completed', 'failed'] as const)[i % 5] ?? 'queued',
    bytes: 0,
    total: 1_000_000,
    createdAt: 1_000_000 + i,
    updatedAt: 1_000_000 + i,
  });

  it('renders a few dozen rows for 10,000 tasks and applies progress in place without re-sorting', async () => {
    const w = await mountView();
    const downloads = useDownloads();
    const records = Array.from({ length: 10_000 }, (_, i) => record(i));

    const started = performance.now();
    downloads.upsertMany(records);
    await nextTick();
    const fillMs = performance.now() - started;

    expect(downloads.counts.all).toBe(10_000);
    expect(w.get('[data-testid="task-list"]').attributes('data-count')).toBe('10000');
    const rendered = rows(w).length;
    expect(rendered).toBeGreaterThan(0);
    expect(rendered).toBeLessThan(60);
    // Newest first: the last record leads.
    expect(rows(w)[0]?.attributes('data-token')).toBe('t-09999');
    expect(fillMs).toBeLessThan(5_000);

    // A progress batch for every running task: written in place, the sorted list is the same array.
    const before = downloads.visible;
    const batch: TaskProgress[] = records
      .filter((r) => r.state === 'running')
      .map((r) => ({ token: r.token, bytes: 500_000, total: 1_000_000, speed: 250_000, eta: 2 }));
    const progressStarted = performance.now();
    downloads.applyProgress(batch);
    await nextTick();
    expect(performance.now() - progressStarted).toBeLessThan(1_000);
    expect(downloads.visible).toBe(before);
    const running = w.get('[data-testid="task-row"][data-token="t-09995"]');
    expect(running.get('[data-testid="task-bytes"]').text()).toBe('488.3 KiB of 976.6 KiB');
    expect(running.get('[data-testid="task-speed"]').text()).toBe('244.1 KiB/s');
    expect(running.get('[data-testid="task-eta"]').text()).toBe('2s left');
    expect(running.get('[data-testid="task-progress"]').attributes('aria-valuenow')).toBe('50');

    // Filters over 10,000: state, then type, still a handful of DOM rows.
    await w.get('[data-testid="filter-state-completed"]').trigger('click');
    expect(w.get('[data-testid="filter-count-completed"]').text()).toBe('2000');
    expect(w.get('[data-testid="downloads-count"]').text()).toBe('2000 of 10000 shown');
    expect(rows(w).every((r) => r.attributes('data-state') === 'completed')).toBe(true);
    await w.get('[data-testid="filter-type-video"]').trigger('click');
    expect(downloads.visible).toHaveLength(500);
    expect(rows(w).every((r) => r.attributes('data-kind') === 'video')).toBe(true);
    expect(rows(w).length).toBeLessThan(60);

    // Scrolling far down renders rows from there, not from the top.
    await w.get('[data-testid="filter-state-all"]').trigger('click');
    await w.get('[data-testid="filter-type-all"]').trigger('click');
    const scroller = w.get('[data-testid="task-list"]').element as HTMLElement;
    scroller.scrollTop = 84 * 5_000;
    scroller.dispatchEvent(new Event('scroll'));
    await waitFor(() => rows(w).some((r) => r.attributes('data-token') === 't-04999'), 'rows near the middle');
    expect(rows(w).length).toBeLessThan(60);

    // An update that moves a task (completed) and a removal reach the list.
    downloads.upsert({ ...record(9_995), state: 'completed', bytes: 1_000_000, updatedAt: 2_000_000 });
    downloads.forget('t-09999');
    await nextTick();
    expect(downloads.counts.all).toBe(9_999);
    expect(downloads.counts.completed).toBe(2_001);
  });

  it('does not let an older snapshot overwrite a newer record', async () => {
    await mountView();
    const downloads = useDownloads();
    downloads.upsert({ ...record(1), state: 'failed', code: 1000, message: 'HTTP status 404', updatedAt: 5 });
    downloads.upsert({ ...record(1), state: 'queued', updatedAt: 6 });
    expect(downloads.get('t-00001')?.code).toBeUndefined();
    expect(downloads.get('t-00001')?.message).toBeUndefined();
    downloads.upsert({ ...record(1), state: 'failed', updatedAt: 4 });
    expect(downloads.get('t-00001')?.state).toBe('queued');
  });
});

describe('pure helpers', () => {
  it('splits pasted and dropped text into links', () => {
    expect(parseUrlList('https://a/1\r\n\n  https://a/2  \n# comment\nhttps://a/3 https://a/4')).toEqual([
      'https://a/1',
      'https://a/2',
      'https://a/3',
      'https://a/4',
    ]);
    expect(parseUrlList('https://a/with space.png')).toEqual(['https://a/with space.png']);
  });

  it('tells the type by MIME, else by the extension of the name or the URL', () => {
    const base = { url: 'https://x/download', name: undefined, requestedFilename: undefined, mime: undefined };
    expect(kindOf({ ...base, mime: 'image/webp' })).toBe('image');
    expect(kindOf({ ...base, mime: 'application/octet-stream', name: 'clip.MP4' })).toBe('video');
    expect(kindOf({ ...base, url: 'https://x/a/track.flac?sig=1' })).toBe('audio');
    expect(kindOf({ ...base, requestedFilename: 'notes.txt' })).toBe('other');
    expect(kindOf(base)).toBe('other');
  });
});
