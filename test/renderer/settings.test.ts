// @vitest-environment happy-dom
/**
 * The Settings view over the real engine: concurrency, speed limit, proxy and gallery folders are
 * saved through settings.set and read back by settings.get; the language switches the whole UI to
 * Simplified Chinese at once and is kept.
 */
import { mount, type VueWrapper } from '@vue/test-utils';
import { getActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineComponent, h as render } from 'vue';
import NoticeList from '../../src-renderer/components/NoticeList.vue';
import { settingsPatch, toSettingsForm } from '../../src-renderer/components/settings/settings-form.js';
import { setBridge } from '../../src-renderer/bridge.js';
import { en } from '../../src-renderer/i18n/en/index.js';
import { i18n } from '../../src-renderer/i18n/index.js';
import { zhCN } from '../../src-renderer/i18n/zh-CN/index.js';
import { useSettings } from '../../src-renderer/stores/settings.js';
import DevicesView from '../../src-renderer/views/DevicesView.vue';
import MediaView from '../../src-renderer/views/MediaView.vue';
import SettingsView from '../../src-renderer/views/SettingsView.vue';
import { DEFAULT_SETTINGS } from '../../src-shared/types.js';
import { createHarness, flush, type Harness } from './harness.js';

let h: Harness;
let wrapper: VueWrapper | undefined;

beforeEach(async () => {
  h = createHarness();
  await useSettings().load();
});

afterEach(async () => {
  wrapper?.unmount();
  wrapper = undefined;
  await h.close();
  i18n.global.locale.value = 'en';
});

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await flush(10);
  }
}

function mountView(...views: Array<typeof SettingsView>): VueWrapper {
  const Root = defineComponent({ render: () => [...(views.length ? views : [SettingsView]).map((v) => render(v)), render(NoticeList)] });
  wrapper = mount(Root, { attachTo: document.body, global: { plugins: [getActivePinia()!, i18n] } });
  return wrapper;
}

const input = (w: VueWrapper, id: string) => w.find(`[data-testid="settings-${id}"]`);
const stored = () => h.bridge.invoke('settings.get', {});

describe('Settings view', () => {
  it('follows settings changed elsewhere (another window, the CLI): the view and the language update without a reload', async () => {
    const w = mountView();
    // Another front door on the same engine: its own bridge, not the store.
    await h.engine.updateSettings({ concurrency: 7, language: 'zh-CN' });
    await until(() => useSettings().settings.concurrency === 7, 'the pushed settings');
    await flush();
    expect((input(w, 'concurrency').element as HTMLInputElement).value).toBe('7');
    expect(i18n.global.locale.value).toBe('zh-CN');
  });

  it('shows the current settings', async () => {
    await h.bridge.invoke('settings.set', { concurrency: 3, speedLimit: 2 * 1024 * 1024, proxy: 'http://127.0.0.1:9' });
    await useSettings().load();
    const w = mountView();
    expect((input(w, 'concurrency').element as HTMLInputElement).value).toBe('3');
    expect((input(w, 'speed-limit').element as HTMLInputElement).value).toBe('2');
    expect((input(w, 'speed-unit').element as HTMLSelectElement).value).toBe('MiB');
    expect((input(w, 'proxy').element as HTMLInputElement).value).toBe('http://127.0.0.1:9');
    expect(input(w, 'data-dir').text()).toBe(h.dataDir);
    expect(input(w, 'save').attributes('disabled')).toBeDefined();
  });

  it('saves concurrency, speed limit, proxy and gallery folders', async () => {
    const w = mountView();
    await input(w, 'concurrency').setValue('7');
    await input(w, 'segments').setValue('4');
    await input(w, 'speed-limit').setValue('512');
    await input(w, 'speed-unit').setValue('KiB');
    await input(w, 'proxy').setValue('http://proxy.local:3128');
    await input(w, 'gallery-image').setValue('/tmp/vela-pics');
    await input(w, 'gallery-audio').setValue('/tmp/vela-music');
    await input(w, 'form').trigger('submit');
    await until(async () => (await stored()).concurrency === 7, 'concurrency saved');

    const saved = await stored();
    expect(saved).toMatchObject({
      concurrency: 7,
      segments: 4,
      speedLimit: 512 * 1024,
      proxy: 'http://proxy.local:3128',
      galleryDirs: { image: '/tmp/vela-pics', video: '', audio: '/tmp/vela-music' },
    });
    await until(() => w.find('[data-testid="notice"]').exists(), 'the saved notice');
    expect(w.find('[data-testid="notice"]').text()).toContain('Settings saved');
    expect(input(w, 'save').attributes('disabled')).toBeDefined();

    // Emptying a folder goes back to the default; emptying the limit means none.
    await input(w, 'gallery-image').setValue('');
    await input(w, 'speed-limit').setValue('');
    await input(w, 'form').trigger('submit');
    await until(async () => (await stored()).galleryDirs.image === '', 'the default image folder');
    expect((await stored()).speedLimit).toBe(0);
  });

  it('shows what is wrong and saves nothing', async () => {
    const w = mountView();
    await input(w, 'concurrency').setValue('0');
    await input(w, 'proxy').setValue('socks://nowhere');
    await input(w, 'speed-limit').setValue('-5');
    await input(w, 'form').trigger('submit');
    await flush(20);
    const errors = w.findAll('[data-testid="settings-error"]').map((e) => e.text());
    expect(errors).toHaveLength(3);
    expect(errors[0]).toContain('1 to 64');
    expect(await stored()).toEqual(DEFAULT_SETTINGS);

    await input(w, 'reset').trigger('click');
    expect((input(w, 'concurrency').element as HTMLInputElement).value).toBe(String(DEFAULT_SETTINGS.concurrency));
    expect(w.findAll('[data-testid="settings-error"]')).toHaveLength(0);
  });

  it('shows the shared schema\'s errors for gallery folders and the proxy, in English and Chinese, and sends nothing', async () => {
    const sent: string[] = [];
    setBridge({ ...h.bridge, invoke: (channel, payload) => (sent.push(channel), h.bridge.invoke(channel, payload)) });
    const w = mountView();
    await input(w, 'gallery-image').setValue('Pictures/mine');
    await input(w, 'gallery-video').setValue('/home/me/../Videos');
    await input(w, 'gallery-audio').setValue('/home/me/Music/');
    await input(w, 'proxy').setValue('ftp://x');
    await input(w, 'form').trigger('submit');
    await flush(20);

    const errorOf = (field: string) => w.find(`[data-testid="settings-error"][data-field="${field}"]`);
    expect(errorOf('image').text()).toBe('An absolute folder path, e.g. /home/me/Pictures or C:\\Users\\me\\Pictures. Empty uses the default folder.');
    expect(errorOf('video').text()).toContain('no "." or ".." parts');
    expect(errorOf('audio').exists()).toBe(false);
    expect(input(w, 'gallery-image').attributes('aria-invalid')).toBe('true');
    expect(w.findAll('[data-testid="settings-error"]').map((e) => e.text())).toContain('An http:// or https:// URL with a host, e.g. http://127.0.0.1:8080.');
    expect(sent).not.toContain('settings.set');
    expect(await stored()).toEqual(DEFAULT_SETTINGS);

    i18n.global.locale.value = 'zh-CN';
    await flush(20);
    expect(errorOf('image').text()).toContain('请输入绝对路径');

    // Put right, the same form saves (the trailing slash trimmed by the shared schema).
    await input(w, 'gallery-image').setValue('/home/me/Pictures');
    await input(w, 'gallery-video').setValue('');
    await input(w, 'proxy').setValue('https://proxy.example:8443');
    await input(w, 'form').trigger('submit');
    await until(async () => (await stored()).proxy !== '', 'the settings saved');
    expect((await stored()).galleryDirs).toEqual({ image: '/home/me/Pictures', video: '', audio: '/home/me/Music' });
    expect(w.findAll('[data-testid="settings-error"]')).toHaveLength(0);
  });

  it('switches the whole UI to Simplified Chinese and keeps it', async () => {
    const w = mountView(SettingsView, MediaView, DevicesView);
    expect(w.find('[data-testid="settings-view"] h2').text()).toBe('Settings');
    await input(w, 'language').setValue('zh-CN');
    await until(async () => (await stored()).language === 'zh-CN', 'the language saved');
    await flush(20);

    expect(w.find('[data-testid="settings-view"] h2').text()).toBe('设置');
    expect(w.find('label[for="settings-language"]').text()).toBe('语言');
    expect(input(w, 'save').text()).toBe('保存');
    expect(w.find('[data-testid="media-view"] h2').text()).toBe('媒体');
    expect(w.find('[data-testid="media-toolbar"]').text()).toContain('移到图库');
    expect(w.find('[data-testid="device-new"]').text()).toBe('新建自定义配置');
    await until(() => w.findAll('[data-testid="device-row"]').length > 0, 'the device rows');
    expect(w.find('[data-testid="device-row"][data-id="band-8-pro"] [data-testid="device-supported"]').text()).toContain('不支持');
    expect(document.documentElement.lang).toBe('zh-CN');

    // A new window (a fresh store) starts in Chinese.
    i18n.global.locale.value = 'en';
    await useSettings().load();
    expect(i18n.global.locale.value).toBe('zh-CN');

    await input(w, 'language').setValue('en');
    await until(async () => (await stored()).language === 'en', 'English again');
    await flush(20);
    expect(w.find('[data-testid="settings-view"] h2').text()).toBe('Settings');
  });
});

describe('settings form', () => {
  it('picks a readable unit for the stored limit and patches only what changed', () => {
    expect(toSettingsForm({ ...DEFAULT_SETTINGS, speedLimit: 5120 })).toMatchObject({ speed: '5', speedUnit: 'KiB' });
    expect(toSettingsForm({ ...DEFAULT_SETTINGS, speedLimit: 1000 })).toMatchObject({ speed: '1000', speedUnit: 'B' });
    expect(toSettingsForm(DEFAULT_SETTINGS)).toMatchObject({ speed: '', speedUnit: 'KiB' });
    expect(settingsPatch(toSettingsForm(DEFAULT_SETTINGS), DEFAULT_SETTINGS)).toEqual({ patch: {} });
    expect(settingsPatch({ ...toSettingsForm(DEFAULT_SETTINGS), video: ' /v ' }, DEFAULT_SETTINGS)).toEqual({ patch: { galleryDirs: { video: '/v' } } });
  });

  it('takes its field errors and bounds from the shared schema', () => {
    const form = toSettingsForm(DEFAULT_SETTINGS);
    expect(settingsPatch({ ...form, image: 'rel', audio: `/${'a'.repeat(5_000)}`, concurrency: '65', proxy: 'not a url' }, DEFAULT_SETTINGS)).toEqual({
      errors: {
        image: { key: 'folder.absolute' },
        audio: { key: 'folder.length', values: { max: 4096 } },
        concurrency: { key: 'concurrency', values: { min: 1, max: 64 } },
        proxy: { key: 'proxy' },
      },
    });
    expect(settingsPatch({ ...form, video: 'C:\\Media\\', proxy: ' http://127.0.0.1:8080 ' }, DEFAULT_SETTINGS)).toEqual({
      patch: { proxy: 'http://127.0.0.1:8080', galleryDirs: { video: 'C:\\Media' } },
    });
  });

  it('has the same message keys in English and Chinese', () => {
    const keys = (value: unknown, prefix = ''): string[] =>
      typeof value === 'object' && value !== null
        ? Object.entries(value).flatMap(([k, v]) => keys(v, prefix ? `${prefix}.${k}` : k))
        : [prefix];
    expect(keys(zhCN).sort()).toEqual(keys(en).sort());
  });
});
