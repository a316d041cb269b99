// @vitest-environment happy-dom
/**
 * The Media view over the real engine: files a download put in the cache appear as a grid with
 * previews (an <img> for images, inline players for video and audio), sizes and types; multi-select
 * deletes; move to gallery shows where each file went; a file whose bytes are not media cannot be moved
 * (the button says why) and the engine refuses it with 202.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mount, type VueWrapper } from '@vue/test-utils';
import { getActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineComponent, h as render } from 'vue';
import NoticeList from '../../src-renderer/components/NoticeList.vue';
import { i18n } from '../../src-renderer/i18n/index.js';
import { useNotices } from '../../src-renderer/stores/notices.js';
import MediaView from '../../src-renderer/views/MediaView.vue';
import { useMedia } from '../../src-renderer/stores/media.js';
import { DESKTOP_ENTRY, mediaBytes } from '../helpers/media-bytes.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { createHarness, flush, type Harness } from './harness.js';

let h: Harness;
let server: TestServer;
let wrapper: VueWrapper | undefined;
const tempDirs: string[] = [];

// Real media bytes: the engine judges a file by its bytes, never by the Content-Type or the name.
const FILES = {
  'pic.png': { size: 2048, type: 'image/png', body: mediaBytes('png', 2048, 1) },
  'clip.mp4': { size: 5000, type: 'video/mp4', body: mediaBytes('mp4', 5000, 2) },
  'song.mp3': { size: 3 * 1024 * 1024, type: 'audio/mpeg', body: mediaBytes('mp3', 3 * 1024 * 1024, 3) },
  'notes.txt': { size: 10, type: 'text/plain', body: Buffer.from('just notes') },
  // A server's lie: text served as image/png under an image's name.
  'fake.png': { size: DESKTOP_ENTRY.length, type: 'image/png', body: DESKTOP_ENTRY },
  // And the other way round: a PNG served as a blob under a name that says nothing.
  'photo.bin': { size: 3000, type: 'application/octet-stream', body: mediaBytes('png', 3000, 4) },
} as const;
type FileName = keyof typeof FILES;

beforeEach(async () => {
  h = createHarness();
  server = await startServer();
  for (const [name, file] of Object.entries(FILES)) server.setFile(`/${name}`, { body: file.body, contentType: file.type });
});

afterEach(async () => {
  wrapper?.unmount();
  wrapper = undefined;
  await h.close();
  await server.close();
  for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await flush(20);
  }
}

async function download(name: FileName): Promise<void> {
  const { token } = await h.bridge.invoke('download.start', { url: server.urlFor(`/${name}`) });
  await h.bridge.invoke('tasks.wait', { token });
}

function mountView(): VueWrapper {
  const Root = defineComponent({ render: () => [render(MediaView), render(NoticeList)] });
  wrapper = mount(Root, { attachTo: document.body, global: { plugins: [getActivePinia()!, i18n] } });
  return wrapper;
}

const card = (w: VueWrapper, name: string) => w.find(`[data-testid="media-item"][data-name="${name}"]`);
const names = (w: VueWrapper): string[] => w.findAll('[data-testid="media-item"]').map((c) => c.attributes('data-name')!);
const cacheFile = (name: string): string => path.join(h.engine.paths.cacheDir, name);

async function select(w: VueWrapper, ...list: string[]): Promise<void> {
  for (const name of list) await card(w, name).find('[data-testid="media-select"]').setValue(true);
}

describe('Media view', () => {
  it('shows each cached file with its preview, size and type', async () => {
    for (const name of ['pic.png', 'clip.mp4', 'song.mp3', 'notes.txt'] as const) await download(name);
    const w = mountView();
    await until(() => names(w).length === 4, 'four media items');

    const image = card(w, 'pic.png');
    expect(image.attributes('data-kind')).toBe('image');
    expect(image.find('[data-testid="media-image"]').attributes('src')).toBe(h.bridge.mediaUrl!({ partition: 'cache', name: 'pic.png' }));
    expect(image.find('[data-testid="media-size"]').text()).toBe('2.0 KiB');
    expect(image.find('[data-testid="media-type"]').text()).toBe('image/png');

    // A video's thumbnail is its first frame (no controls: a click opens the viewer, which plays it).
    const video = card(w, 'clip.mp4').find('video[data-testid="media-video"]');
    expect(video.exists()).toBe(true);
    expect(video.attributes('src')).toBe(h.bridge.mediaUrl!({ partition: 'cache', name: 'clip.mp4' }));
    expect(video.attributes('controls')).toBeUndefined();
    expect(card(w, 'clip.mp4').find('[data-testid="media-size"]').text()).toBe('4.9 KiB');

    expect(card(w, 'song.mp3').find('[data-testid="media-audio-tile"]').exists()).toBe(true);
    expect(card(w, 'song.mp3').find('[data-testid="media-size"]').text()).toBe('3.0 MiB');
    expect(card(w, 'song.mp3').find('[data-testid="media-type"]').text()).toBe('audio/mpeg');

    const text = card(w, 'notes.txt');
    expect(text.find('img, video, audio').exists()).toBe(false);
    expect(text.find('[data-testid="media-icon"]').text()).toBe('TXT');
    expect(text.find('[data-testid="media-size"]').text()).toBe('10 B');
    expect(w.find('[data-testid="media-summary"]').text()).toContain('4 files');
  });

  it('starts empty and shows a file as soon as a download completes', async () => {
    const w = mountView();
    await until(() => w.find('[data-testid="media-empty"]').exists(), 'the empty state');
    await download('pic.png');
    await until(() => names(w).includes('pic.png'), 'the new file in the grid');
  });

  it('deletes the selected files and keeps the others', async () => {
    for (const name of ['pic.png', 'clip.mp4', 'notes.txt'] as const) await download(name);
    const w = mountView();
    await until(() => names(w).length === 3, 'three media items');
    expect(w.find('[data-testid="media-delete"]').attributes('disabled')).toBeDefined();

    await select(w, 'pic.png', 'notes.txt');
    expect(w.find('[data-testid="media-summary"]').text()).toContain('2 selected');
    await w.find('[data-testid="media-delete"]').trigger('click');
    // Nothing is gone until the inline confirmation.
    expect(fs.existsSync(cacheFile('pic.png'))).toBe(true);
    await w.find('[data-testid="media-delete-confirm"]').trigger('click');

    await until(() => names(w).length === 1, 'one item left');
    expect(names(w)).toEqual(['clip.mp4']);
    expect(fs.existsSync(cacheFile('pic.png'))).toBe(false);
    expect(fs.existsSync(cacheFile('notes.txt'))).toBe(false);
    expect(fs.existsSync(cacheFile('clip.mp4'))).toBe(true);
    expect(w.findAll('[data-testid="notice"]').map((n) => n.text()).join(' ')).toContain('Deleted 2 files');
  });

  it('select all, then cancel the delete', async () => {
    for (const name of ['pic.png', 'clip.mp4'] as const) await download(name);
    const w = mountView();
    await until(() => names(w).length === 2, 'two media items');
    await w.find('[data-testid="media-select-all"]').setValue(true);
    expect(w.findAll('[data-testid="media-select"]').every((c) => (c.element as HTMLInputElement).checked)).toBe(true);
    await w.find('[data-testid="media-delete"]').trigger('click');
    await w.find('[data-testid="media-delete-cancel"]').trigger('click');
    await flush(50);
    expect(names(w)).toHaveLength(2);
    expect(fs.existsSync(cacheFile('pic.png'))).toBe(true);
  });

  it('moves images and video to the gallery folders and shows where they went', async () => {
    const gallery = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-gallery-'));
    tempDirs.push(gallery);
    const dirs = { image: path.join(gallery, 'img'), video: path.join(gallery, 'vid'), audio: path.join(gallery, 'aud') };
    await h.bridge.invoke('settings.set', { galleryDirs: dirs });
    for (const name of ['pic.png', 'clip.mp4', 'song.mp3'] as const) await download(name);
    const w = mountView();
    await until(() => names(w).length === 3, 'three media items');

    await select(w, 'pic.png', 'clip.mp4');
    await w.find('[data-testid="media-move"]').trigger('click');
    await until(() => w.findAll('[data-testid="media-moved-path"]').length === 2, 'two moved paths');

    const moved = Object.fromEntries(
      w.findAll('[data-testid="media-moved"]').map((row) => [row.attributes('data-name'), row.find('[data-testid="media-moved-path"]').text()]),
    );
    expect(moved['pic.png']).toBe(path.join(dirs.image, 'pic.png'));
    expect(moved['clip.mp4']).toBe(path.join(dirs.video, 'clip.mp4'));
    expect(fs.statSync(path.join(dirs.image, 'pic.png')).size).toBe(FILES['pic.png'].size);
    expect(fs.statSync(path.join(dirs.video, 'clip.mp4')).size).toBe(FILES['clip.mp4'].size);
    await until(() => names(w).length === 1, 'the moved files to leave the grid');
    expect(names(w)).toEqual(['song.mp3']);
    expect(fs.existsSync(cacheFile('pic.png'))).toBe(false);
    // The task that downloaded the image knows where it lives now.
    const task = (await h.bridge.invoke('tasks.list', {})).find((t) => t.name === 'pic.png');
    expect(task?.galleryPath).toBe(path.join(dirs.image, 'pic.png'));
  });

  it('judges by the bytes: text served as image/png is not previewed or movable; a PNG named photo.bin is', async () => {
    for (const name of ['fake.png', 'photo.bin'] as const) await download(name);
    const w = mountView();
    await until(() => names(w).length === 2, 'two items');

    const fake = card(w, 'fake.png');
    expect(fake.attributes('data-kind')).toBe('other');
    expect(fake.find('img, video, audio').exists()).toBe(false);
    expect(fake.find('[data-testid="media-kind"]').attributes('title')).toContain('Not an image, video or audio file by its bytes');
    const photo = card(w, 'photo.bin');
    expect(photo.attributes('data-kind')).toBe('image');
    expect(photo.find('[data-testid="media-image"]').exists()).toBe(true);
    expect(photo.find('[data-testid="media-type"]').text()).toBe('image/png');
    expect(photo.find('[data-testid="media-kind"]').attributes('title')).toBeUndefined();
  });

  it('disables move while the selection holds a file that is not media, and says why', async () => {
    for (const name of ['pic.png', 'fake.png', 'notes.txt'] as const) await download(name);
    const w = mountView();
    await until(() => names(w).length === 3, 'three items');
    const move = () => w.find('[data-testid="media-move"]');
    expect(move().attributes('title')).toContain('Images go to Pictures');

    await select(w, 'pic.png');
    expect(move().attributes('disabled')).toBeUndefined();
    await select(w, 'fake.png');
    expect(move().attributes('disabled')).toBeDefined();
    expect(move().attributes('title')).toBe(
      'fake.png is not an image, video or audio file by its bytes (whatever its name or the server said), so it stays in the cache. Deselect it to move the rest.',
    );
    await select(w, 'notes.txt');
    expect(move().attributes('title')).toMatch(/^(fake\.png, notes\.txt|notes\.txt, fake\.png) are not image, video or audio files by their bytes/);

    i18n.global.locale.value = 'zh-CN';
    await flush();
    expect(move().attributes('title')).toMatch(/^按文件内容判断，.+ 不是图片、视频或音频/);
    i18n.global.locale.value = 'en';
    await flush();

    await card(w, 'fake.png').find('[data-testid="media-select"]').setValue(false);
    await card(w, 'notes.txt').find('[data-testid="media-select"]').setValue(false);
    expect(move().attributes('disabled')).toBeUndefined();
    expect(move().attributes('title')).toContain('Images go to Pictures');
  });

  it('a move that reaches the engine anyway is refused with the 202 message, and the file is kept', async () => {
    const gallery = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-gallery-'));
    tempDirs.push(gallery);
    await h.bridge.invoke('settings.set', { galleryDirs: { image: gallery, video: gallery, audio: gallery } });
    await download('fake.png');
    const w = mountView();
    await until(() => names(w).length === 1, 'the fake image');

    await useMedia().moveToGallery([{ partition: 'cache', name: 'fake.png' }]);
    await until(() => w.find('[data-testid="notice"]').exists(), 'a notice');
    const notice = w.find('[data-testid="notice"]').text();
    expect(notice).toContain('Error 202');
    // Said by its reason, in the window's language (failure-text.ts), not in the engine's English.
    expect(notice).toContain('“fake.png” is not an image, video or audio file, so it stays in the cache');
    expect(notice).not.toMatch(/\bat .+:\d+:\d+/); // no stack
    expect(useNotices().items.at(-1)?.code).toBe(202);
    expect(w.find('[data-testid="media-moved-list"]').exists()).toBe(false);
    expect(names(w)).toEqual(['fake.png']);
    expect(fs.readFileSync(cacheFile('fake.png'))).toEqual(DESKTOP_ENTRY);
    expect(fs.readdirSync(gallery)).toEqual([]);
  });

  it('moves a PNG named photo.bin into the image folder as photo.png', async () => {
    const gallery = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-gallery-'));
    tempDirs.push(gallery);
    const dirs = { image: path.join(gallery, 'img'), video: path.join(gallery, 'vid'), audio: path.join(gallery, 'aud') };
    await h.bridge.invoke('settings.set', { galleryDirs: dirs });
    await download('photo.bin');
    const w = mountView();
    await until(() => names(w).length === 1, 'the photo');
    await select(w, 'photo.bin');
    await w.find('[data-testid="media-move"]').trigger('click');
    await until(() => w.findAll('[data-testid="media-moved-path"]').length === 1, 'the moved path');
    expect(w.find('[data-testid="media-moved-path"]').text()).toBe(path.join(dirs.image, 'photo.png'));
    expect(fs.readFileSync(path.join(dirs.image, 'photo.png'))).toEqual(FILES['photo.bin'].body);
    expect(fs.existsSync(dirs.video)).toBe(false);
  });

  it('filters by type', async () => {
    for (const name of ['pic.png', 'song.mp3'] as const) await download(name);
    const w = mountView();
    await until(() => names(w).length === 2, 'two media items');
    await w.find('[data-testid="media-filter"]').setValue('audio');
    expect(names(w)).toEqual(['song.mp3']);
    await w.find('[data-testid="media-filter"]').setValue('video');
    expect(w.find('[data-testid="media-empty-filter"]').exists()).toBe(true);
  });

  it('opens a file at full size from its thumbnail, steps with the arrow keys and closes with Escape', async () => {
    for (const name of ['pic.png', 'clip.mp4', 'song.mp3', 'notes.txt'] as const) await download(name);
    const w = mountView();
    useMedia().sortKey = 'name';
    await until(() => names(w).join() === 'clip.mp4,notes.txt,pic.png,song.mp3', 'four files by name');
    const viewer = () => w.find('[data-testid="media-viewer"]');
    const key = (name: string): void => void window.dispatchEvent(new KeyboardEvent('keydown', { key: name, bubbles: true }));

    await card(w, 'clip.mp4').find('[data-testid="media-thumb"]').trigger('click');
    await until(() => viewer().exists(), 'the viewer');
    expect(viewer().attributes('data-name')).toBe('clip.mp4');
    expect(viewer().find('video[data-testid="viewer-video"]').attributes('controls')).toBeDefined();
    expect(viewer().find('[data-testid="viewer-position"]').text()).toBe('1 of 4');
    expect(viewer().find('[data-testid="viewer-prev"]').attributes('disabled')).toBeDefined();

    key('ArrowRight');
    await until(() => viewer().attributes('data-name') === 'notes.txt', 'the next file');
    expect(viewer().find('[data-testid="viewer-no-preview"]').exists()).toBe(true);
    expect(viewer().find('[data-testid="viewer-open"]').exists()).toBe(false);
    key('ArrowRight');
    await until(() => viewer().attributes('data-name') === 'pic.png', 'the image');
    expect(viewer().find('img[data-testid="viewer-image"]').attributes('src')).toBe(h.bridge.mediaUrl!({ partition: 'cache', name: 'pic.png' }));
    key('ArrowRight');
    await until(() => viewer().attributes('data-name') === 'song.mp3', 'the audio file');
    expect(viewer().find('audio[data-testid="viewer-audio"]').attributes('controls')).toBeDefined();
    // The last one stays the last one.
    key('ArrowRight');
    await flush(20);
    expect(viewer().attributes('data-name')).toBe('song.mp3');
    key('ArrowLeft');
    await until(() => viewer().attributes('data-name') === 'pic.png', 'back one');
    key('Escape');
    await until(() => !viewer().exists(), 'the viewer closed');
  });

  it('searches by name and sorts', async () => {
    for (const name of ['pic.png', 'clip.mp4', 'song.mp3', 'notes.txt'] as const) await download(name);
    const w = mountView();
    await until(() => names(w).length === 4, 'four files');
    await w.find('[data-testid="media-sort"]').setValue('size');
    expect(names(w)).toEqual(['song.mp3', 'clip.mp4', 'pic.png', 'notes.txt']);
    await w.find('[data-testid="media-sort"]').setValue('name');
    expect(names(w)).toEqual(['clip.mp4', 'notes.txt', 'pic.png', 'song.mp3']);
    await w.find('[data-testid="media-search"]').setValue('O');
    expect(names(w)).toEqual(['notes.txt', 'song.mp3']);
    await w.find('[data-testid="media-search"]').setValue('zzz');
    expect(w.find('[data-testid="media-empty-filter"]').exists()).toBe(true);
  });

  it('reveal in the browser host shows the path instead', async () => {
    await download('pic.png');
    const w = mountView();
    await until(() => names(w).length === 1, 'the image');
    await card(w, 'pic.png').find('[data-testid="media-reveal"]').trigger('click');
    await until(() => w.find('[data-testid="notice"]').exists(), 'a notice with the path');
    expect(w.find('[data-testid="notice"]').text()).toContain(cacheFile('pic.png'));
  });
});
