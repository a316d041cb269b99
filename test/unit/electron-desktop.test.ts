import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TaskRecord } from '../../src-shared/types.js';
import { APP_NAME } from '../../src-main/core/paths.js';
import type { EngineStateChange, EventMap, EventName, Reply } from '../../src-shared/channels.js';
import { CompletionWatcher, displayName, noticeFor, type Ending } from '../../src-main/electron/completion-notices.js';
import { trackLanguage, whenRunning, type EventListener } from '../../src-main/electron/engine-link.js';
import { galleryPatch } from '../../src-main/electron/gallery-defaults.js';
import { mayOpen } from '../../src-main/electron/open-policy.js';
import { ProgressTracker, progressLabel, taskbarProgress } from '../../src-main/electron/overall-progress.js';
import { iconStateFor, ringBitmap, sameIcon } from '../../src-main/electron/tray-icon.js';
import { boundsToRestore } from '../../src-main/electron/window-bounds.js';

const task = (token: string, extra: Partial<TaskRecord> = {}): TaskRecord => ({
  token,
  url: `https://example.com/files/${token}.bin`,
  headers: {},
  profileId: 'desktop',
  storage: 'cache',
  listenerRule: 'always' as TaskRecord['listenerRule'],
  state: 'queued',
  bytes: 0,
  total: null,
  createdAt: 0,
  updatedAt: 0,
  ...extra,
});

describe('completion notices', () => {
  it('announce a task that finishes or fails while the app watches, once', () => {
    const watcher = new CompletionWatcher([task('old', { state: 'completed' }), task('run', { state: 'running' })]);
    expect(watcher.observe(task('old', { state: 'completed', galleryPath: '/g/x' }))).toBeUndefined();
    expect(watcher.observe(task('run', { state: 'completed', name: 'face.png' }))).toEqual({
      token: 'run', state: 'completed', name: 'face.png', code: undefined, message: undefined,
    });
    expect(watcher.observe(task('run', { state: 'completed', name: 'face.png', galleryPath: '/g' }))).toBeUndefined();
    expect(watcher.observe(task('new', { state: 'queued' }))).toBeUndefined();
    expect(watcher.observe(task('new', { state: 'failed', code: 1000, message: 'HTTP 404' }))).toMatchObject({ state: 'failed', code: 1000 });
  });

  it('stay quiet for cancels and for a task first seen finished; a retry that ends speaks again', () => {
    const watcher = new CompletionWatcher();
    expect(watcher.observe(task('a', { state: 'running' }))).toBeUndefined();
    expect(watcher.observe(task('a', { state: 'cancelled' }))).toBeUndefined();
    expect(watcher.observe(task('b', { state: 'completed' }))).toBeUndefined();
    expect(watcher.observe(task('a', { state: 'queued' }))).toBeUndefined();
    expect(watcher.observe(task('a', { state: 'completed' }))).toBeDefined();
    watcher.forget('a');
    expect(watcher.observe(task('a', { state: 'completed' }))).toBeUndefined();
  });

  it('read as one notification per batch, in the app\'s language', () => {
    const done: Ending = { token: 'a', state: 'completed', name: 'face.png' };
    const failed: Ending = { token: 'b', state: 'failed', name: 'clip.mp4', code: 1000, message: 'HTTP 404' };
    expect(noticeFor([], 'en')).toBeUndefined();
    expect(noticeFor([done], 'en')).toEqual({ title: 'Download finished', body: 'face.png' });
    expect(noticeFor([failed], 'en')).toEqual({ title: 'Download failed', body: 'clip.mp4\n1000: HTTP 404' });
    expect(noticeFor([done], 'zh-CN')?.title).toBe('下载完成');
    const many = noticeFor([done, failed, { ...done, name: 'c' }, { ...done, name: 'd' }], 'en');
    expect(many).toEqual({ title: '3 downloads finished, 1 failed', body: 'face.png, clip.mp4, c, …' });
    expect(noticeFor([done, { ...done, name: 'x' }], 'zh-CN')?.title).toBe('2 个下载已完成');
  });

  it('take a late task list for the tasks no update told of yet', () => {
    const watcher = new CompletionWatcher();
    expect(watcher.observe(task('a', { state: 'running' }))).toBeUndefined(); // first seen: quiet
    watcher.seed([task('a', { state: 'queued' }), task('b', { state: 'running' }), task('c', { state: 'completed' })]);
    expect(watcher.observe(task('a', { state: 'completed' }))?.token).toBe('a'); // the update, not the older list, counted
    expect(watcher.observe(task('b', { state: 'failed', code: 1000 }))?.state).toBe('failed');
    expect(watcher.observe(task('c', { state: 'completed' }))).toBeUndefined();
  });

  it('name files as people know them', () => {
    expect(displayName(task('a', { name: 'sub/face.png' }))).toBe('face.png');
    expect(displayName(task('a', { requestedFilename: 'want.png' }))).toBe('want.png');
    expect(displayName(task('a', { url: 'https://example.com/a%20b.zip?x=1' }))).toBe('a b.zip');
    expect(displayName(task('a', { url: 'https://example.com/' }))).toBe('https://example.com/');
  });
});

describe('overall progress', () => {
  it('adds up the unfinished tasks, live bytes first, over the sizes that are known', () => {
    const tracker = new ProgressTracker([
      task('a', { state: 'running', bytes: 0, total: 100 }),
      task('b', { state: 'paused', bytes: 50, total: 100 }),
      task('c', { state: 'queued' }),
      task('d', { state: 'completed', bytes: 999, total: 999 }),
    ]);
    expect(tracker.overall()).toMatchObject({ active: 3, running: 1, paused: 1, bytes: 50, total: 200, fraction: 0.25 });
    tracker.update('task.progress', [{ token: 'a', bytes: 100, total: 100, speed: 2048, eta: 0 }]);
    expect(tracker.overall()).toMatchObject({ bytes: 150, fraction: 0.75, speed: 2048 });
    tracker.update('task.updated', task('a', { state: 'completed', bytes: 100, total: 100 }));
    tracker.update('task.removed', { token: 'b' });
    expect(tracker.overall()).toMatchObject({ active: 1, running: 0, fraction: null, speed: 0 });
    tracker.update('task.removed', { token: 'c' });
    expect(tracker.overall()).toMatchObject({ active: 0, fraction: null });
  });

  it('starts over from a fresh list when the engine process is back', () => {
    const tracker = new ProgressTracker([task('a', { state: 'running', bytes: 10, total: 100 })]);
    tracker.update('task.progress', [{ token: 'a', bytes: 60, total: 100, speed: 5, eta: 1 }]);
    tracker.reset([task('a', { state: 'queued', bytes: 40, total: 100 }), task('b', { state: 'queued', total: 100 })]);
    expect(tracker.overall()).toMatchObject({ active: 2, running: 0, bytes: 40, fraction: 0.2, speed: 0 });
  });

  it('drives the taskbar bar: none when idle, paused, indeterminate without sizes, else the fraction', () => {
    const idle = new ProgressTracker().overall();
    expect(taskbarProgress(idle)).toEqual({ value: -1, mode: 'none' });
    expect(taskbarProgress({ ...idle, active: 1, paused: 1, fraction: 0.5 })).toEqual({ value: 0.5, mode: 'paused' });
    expect(taskbarProgress({ ...idle, active: 1, running: 1, fraction: null })).toEqual({ value: 2, mode: 'indeterminate' });
    expect(taskbarProgress({ ...idle, active: 2, running: 1, fraction: 0.25 })).toEqual({ value: 0.25, mode: 'normal' });
  });

  it('labels the tray in the app\'s language', () => {
    const idle = new ProgressTracker().overall();
    expect(progressLabel(idle, 'en')).toBe('No downloads');
    expect(progressLabel({ ...idle, active: 3, running: 2, fraction: 0.426, speed: 1_258_291 }, 'en')).toBe('3 downloads · 42% · 1.2 MiB/s');
    expect(progressLabel({ ...idle, active: 1, paused: 1, fraction: null, bytes: 2048 }, 'en')).toBe('1 download · 2.0 KiB · paused');
    expect(progressLabel({ ...idle, active: 2, running: 2, fraction: 0.5 }, 'zh-CN')).toBe('2 个下载 · 50%');
  });
});

describe('main\'s link to the engine process', () => {
  const settingsReply = (language: string): Reply<unknown> => ({ ok: true, value: { language, maxConcurrent: 3 } });

  it('forwards every call and keeps the language as settings pass through', async () => {
    const calls: string[] = [];
    let stored = 'zh-CN';
    const link = trackLanguage({
      call: async (channel, payload) => {
        calls.push(channel);
        if (channel === 'settings.set') stored = (payload as { language: string }).language ?? stored;
        if (channel === 'settings.get' || channel === 'settings.set') return settingsReply(stored);
        return { ok: false, error: { code: 1001, message: 'no such task' } };
      },
    });
    expect(link.language()).toBe('en');
    await link.refresh();
    expect(link.language()).toBe('zh-CN');
    expect(await link.call('settings.set', { language: 'en' })).toEqual(settingsReply('en'));
    expect(link.language()).toBe('en');
    expect(await link.call('tasks.get', { token: 'x' })).toMatchObject({ ok: false, error: { code: 1001 } });
    expect(link.language()).toBe('en');
    expect(calls).toEqual(['settings.get', 'settings.set', 'tasks.get']);
  });

  it('tells when the engine process runs (again), and of nothing else', () => {
    const listeners = new Set<EventListener>();
    const events = { subscribe: (l: EventListener) => (listeners.add(l), () => listeners.delete(l)) };
    const seen: EngineStateChange[] = [];
    const stop = whenRunning(events, (change) => seen.push(change));
    const emit = <E extends EventName>(name: E, payload: EventMap[E]): void => listeners.forEach((l) => l(name, payload));
    emit('engine.state', { state: 'crashed', restarts: 0, detail: 'signal SIGKILL' });
    emit('engine.state', { state: 'restarting', restarts: 0, inMs: 250 });
    emit('task.removed', { token: 'a' });
    emit('engine.state', { state: 'running', restarts: 1 });
    stop();
    emit('engine.state', { state: 'running', restarts: 2 });
    expect(seen).toEqual([{ state: 'running', restarts: 1 }]);
  });
});

describe('the window\'s place', () => {
  const screen = [{ x: 0, y: 0, width: 1920, height: 1040 }];

  it('comes back where it was while that is on a screen', () => {
    expect(boundsToRestore({ x: 100, y: 50, width: 1000, height: 700, maximized: true }, screen)).toEqual({ x: 100, y: 50, width: 1000, height: 700, maximized: true });
    // A second screen on the left.
    expect(boundsToRestore({ x: -1500, y: 0, width: 1000, height: 700 }, [...screen, { x: -1920, y: 0, width: 1920, height: 1080 }])).toMatchObject({ x: -1500, maximized: false });
  });

  it('opens at the default place when the screen is gone or the entry is damaged', () => {
    expect(boundsToRestore({ x: -1500, y: 0, width: 1000, height: 700 }, screen)).toBeUndefined();
    expect(boundsToRestore({ x: 1900, y: 0, width: 1000, height: 700 }, screen)).toBeUndefined();
    expect(boundsToRestore({ x: 100, y: -600, width: 1000, height: 700 }, screen)).toBeUndefined();
    for (const junk of [undefined, null, 'x', {}, { x: 1, y: 1, width: 'wide', height: 700 }, { x: 0.5, y: 0, width: 800, height: 600 }, { x: 0, y: 0, width: -5, height: 600 }]) {
      expect(boundsToRestore(junk, screen), JSON.stringify(junk)).toBeUndefined();
    }
  });

  it('never opens smaller than the window\'s minimum', () => {
    expect(boundsToRestore({ x: 10, y: 10, width: 100, height: 100 }, screen)).toMatchObject({ width: 720, height: 480 });
  });
});

describe('the tray icon', () => {
  const alphaAt = (pixels: Buffer, size: number, x: number, y: number): number => pixels[(y * size + x) * 4 + 3]!;
  const blueAt = (pixels: Buffer, size: number, x: number, y: number): number => pixels[(y * size + x) * 4]!;

  it('is a ring of premultiplied BGRA pixels with a transparent centre and corners', () => {
    const pixels = ringBitmap(32, { kind: 'idle' });
    expect(pixels.length).toBe(32 * 32 * 4);
    expect(alphaAt(pixels, 32, 16, 16)).toBe(0);
    expect(alphaAt(pixels, 32, 0, 0)).toBe(0);
    expect(alphaAt(pixels, 32, 16, 1)).toBe(255);
    for (let i = 0; i < pixels.length; i += 4) expect(Math.max(pixels[i]!, pixels[i + 1]!, pixels[i + 2]!)).toBeLessThanOrEqual(pixels[i + 3]!);
  });

  it('fills clockwise from the top: at 25% the right side is done, the left is not', () => {
    const pixels = ringBitmap(32, { kind: 'busy', fraction: 0.25 });
    const right = blueAt(pixels, 32, 30, 12);
    const left = blueAt(pixels, 32, 1, 12);
    expect(right).toBeGreaterThan(200);
    expect(left).toBeLessThan(200);
    expect(() => ringBitmap(4, { kind: 'idle' })).toThrow(RangeError);
  });

  it('redraws only on a new whole percent', () => {
    expect(iconStateFor(0, null)).toEqual({ kind: 'idle' });
    expect(sameIcon(iconStateFor(1, 0.421), iconStateFor(1, 0.429))).toBe(true);
    expect(sameIcon(iconStateFor(1, 0.42), iconStateFor(1, 0.43))).toBe(false);
    expect(sameIcon(iconStateFor(1, null), iconStateFor(0, null))).toBe(false);
  });
});

describe('gallery folders from Electron', () => {
  const electron = { pictures: '/home/u/Pictures', videos: '/home/u/Videos', music: '/home/u/Music' };
  const core = { image: `/home/u/Pictures/${APP_NAME}`, video: `/home/u/Videos/${APP_NAME}`, audio: `/home/u/Music/${APP_NAME}` };
  const empty = { image: '', video: '', audio: '' };

  it('changes nothing where core already picks Electron\'s folders', () => {
    expect(galleryPatch((n) => electron[n], empty, core)).toBeUndefined();
  });

  it('fills an empty setting with Electron\'s folder where it differs (a moved Pictures folder)', () => {
    const moved = { ...electron, pictures: '/home/u/OneDrive/Pictures' };
    expect(galleryPatch((n) => moved[n], empty, core)).toEqual({ image: path.join('/home/u/OneDrive/Pictures', APP_NAME) });
  });

  it('never overrides a folder the user chose, nor uses what Electron cannot tell', () => {
    const moved = { pictures: '/x/P', videos: '/x/V', music: '' };
    expect(galleryPatch((n) => moved[n], { image: '/mine', video: '', audio: '' }, core)).toEqual({ video: path.join('/x/V', APP_NAME) });
    expect(galleryPatch(() => { throw new Error('Failed to get path'); }, empty, core)).toBeUndefined();
  });
});

describe('what "open" may hand to the system', () => {
  it('opens media, never what would run', () => {
    for (const file of ['/c/face.png', '/c/clip.mp4', '/c/song.mp3', '/c/a.JPG']) expect(mayOpen(file), file).toBe(true);
    for (const file of ['/c/setup.exe', '/c/run.sh', '/c/app.desktop', '/c/x.lnk', '/c/a.zip', '/c/doc.html', '/c/noext', '/c/x.bat', '/c/x.jar']) {
      expect(mayOpen(file), file).toBe(false);
    }
  });
});
