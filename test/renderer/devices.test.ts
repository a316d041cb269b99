// @vitest-environment happy-dom
/**
 * The Devices view over the real engine: every built-in profile with its support at a glance and
 * read-only; custom profiles created from a Chrome DevTools preset, edited, removed; the active profile
 * picked here is the one settings.get reports.
 */
import { mount, type VueWrapper } from '@vue/test-utils';
import { getActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineComponent, h as render } from 'vue';
import { BUILTIN_PROFILES, LINK_PRESETS } from '../../src-shared/profiles.js';
import NoticeList from '../../src-renderer/components/NoticeList.vue';
import { applyPreset, emptyForm, fromForm, slugify } from '../../src-renderer/components/devices/profile-form.js';
import { i18n } from '../../src-renderer/i18n/index.js';
import { useSettings } from '../../src-renderer/stores/settings.js';
import DevicesView from '../../src-renderer/views/DevicesView.vue';
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
});

async function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await flush(10);
  }
}

async function mountView(): Promise<VueWrapper> {
  const Root = defineComponent({ render: () => [render(DevicesView), render(NoticeList)] });
  wrapper = mount(Root, { attachTo: document.body, global: { plugins: [getActivePinia()!, i18n] } });
  await until(() => wrapper!.findAll('[data-testid="device-row"]').length > 0, 'the profile rows');
  return wrapper;
}

const row = (w: VueWrapper, id: string) => w.find(`[data-testid="device-row"][data-id="${id}"]`);
const field = (w: VueWrapper, name: string) => w.find(`[data-testid="device-field-${name}"]`);

describe('Devices view', () => {
  it('lists every built-in profile with its support, read-only, and the active one selected', async () => {
    const w = await mountView();
    const rows = w.findAll('[data-testid="device-row"]');
    expect(rows.map((r) => r.attributes('data-id'))).toEqual(BUILTIN_PROFILES.map((p) => p.id));
    for (const profile of BUILTIN_PROFILES) {
      const r = row(w, profile.id);
      expect(r.find('[data-testid="device-name"]').text()).toBe(profile.name);
      const badge = r.find('[data-testid="device-supported"]');
      expect(badge.attributes('data-supported')).toBe(String(profile.supported));
      expect(badge.text()).toContain(profile.supported ? 'Supported' : 'Not supported');
      expect(badge.classes()).toContain(profile.supported ? 'ok' : 'bad');
      expect(r.find('[data-testid="device-builtin"]').exists()).toBe(true);
      expect(r.find('[data-testid="device-edit"]').exists()).toBe(false);
      expect(r.find('[data-testid="device-remove"]').exists()).toBe(false);
    }
    expect(row(w, 'band-8-pro').find('[data-testid="device-supported"]').text()).toContain('Not supported');
    expect(row(w, 'watch-s4').find('[data-testid="device-supported"]').text()).toContain('Supported');
    // Desktop is the default active profile.
    expect((row(w, 'desktop').find('[data-testid="device-select"]').element as HTMLInputElement).checked).toBe(true);
    expect(row(w, 'desktop').attributes('data-active')).toBe('true');
  });

  it('selecting a profile makes it the active one in the settings', async () => {
    const w = await mountView();
    await row(w, 'watch-s4').find('[data-testid="device-select"]').setValue(true);
    await until(() => row(w, 'watch-s4').attributes('data-active') === 'true', 'watch-s4 active');
    expect((await h.bridge.invoke('settings.get', {})).activeProfile).toBe('watch-s4');
    expect(row(w, 'desktop').attributes('data-active')).toBe('false');
    expect(w.find('[data-testid="device-current"]').text()).toContain('Xiaomi Watch S4');
  });

  it('creates a custom profile from a preset, and it appears as editable', async () => {
    const w = await mountView();
    await w.find('[data-testid="device-new"]').trigger('click');
    expect(w.find('[data-testid="device-editor"]').exists()).toBe(true);
    await field(w, 'name').setValue('Flaky watch');
    expect((field(w, 'id').element as HTMLInputElement).value).toBe('flaky-watch');

    await w.find('[data-testid="device-preset"][data-preset="slow-3g"]').trigger('click');
    expect((field(w, 'bandwidth').element as HTMLInputElement).value).toBe('50000');
    expect((field(w, 'latencyMs').element as HTMLInputElement).value).toBe('2000');
    expect(w.find('[data-testid="device-preset"][data-preset="slow-3g"]').attributes('aria-pressed')).toBe('true');

    await field(w, 'packetLoss').setValue('0.05');
    await field(w, 'dropAfterBytes').setValue('65536');
    await field(w, 'quotaBytes').setValue('1048576');
    await field(w, 'maxConcurrent').setValue('2');
    await field(w, 'storage').setValue('mass');
    await field(w, 'listenerRule').setValue('last');
    await w.find('[data-testid="device-save"]').trigger('submit');

    await until(() => row(w, 'flaky-watch').exists(), 'the new row');
    expect(w.find('[data-testid="device-editor"]').exists()).toBe(false);
    const r = row(w, 'flaky-watch');
    expect(r.find('[data-testid="device-custom"]').exists()).toBe(true);
    expect(r.find('[data-testid="device-edit"]').exists()).toBe(true);
    expect(r.find('[data-testid="device-summary"]').text()).toContain('48.8 KiB/s');
    expect(r.find('[data-testid="device-summary"]').text()).toContain('2000 ms latency');

    const saved = (await h.bridge.invoke('devices.list', {})).find((p) => p.id === 'flaky-watch');
    expect(saved).toEqual({
      id: 'flaky-watch',
      name: 'Flaky watch',
      builtin: false,
      supported: true,
      link: { bandwidth: 50_000, latencyMs: 2_000, packetLoss: 0.05, dropAfterBytes: 65_536 },
      device: { quotaBytes: 1_048_576, maxConcurrent: 2, storage: 'mass', listenerRule: 'last' },
    });
  });

  it('the Offline preset on an empty form names the profile and sets offline', async () => {
    const w = await mountView();
    await w.find('[data-testid="device-new"]').trigger('click');
    await w.find('[data-testid="device-preset"][data-preset="offline"]').trigger('click');
    expect((field(w, 'name').element as HTMLInputElement).value).toBe('Offline');
    expect((field(w, 'offline').element as HTMLInputElement).checked).toBe(true);
    await field(w, 'offlineTimeoutMs').setValue('1500');
    await w.find('[data-testid="device-save"]').trigger('submit');
    await until(() => row(w, 'offline').exists(), 'the offline row');
    const saved = (await h.bridge.invoke('devices.list', {})).find((p) => p.id === 'offline');
    expect(saved?.link).toEqual({ offline: true, offlineTimeoutMs: 1500 });
  });

  it('shows what is wrong instead of saving a bad profile', async () => {
    const w = await mountView();
    await w.find('[data-testid="device-new"]').trigger('click');
    await field(w, 'name').setValue('Desktop');
    expect((field(w, 'id').element as HTMLInputElement).value).toBe('desktop-1');
    await field(w, 'id').setValue('watch-s4');
    await field(w, 'packetLoss').setValue('2');
    await field(w, 'maxConcurrent').setValue('1.5');
    await w.find('[data-testid="device-save"]').trigger('submit');
    const errors = w.findAll('[data-testid="device-error"]').map((e) => e.text());
    expect(errors).toEqual(expect.arrayContaining(['This id belongs to a built-in profile.', 'At most 1.', 'Enter a whole number.']));
    expect(w.find('[data-testid="device-editor"]').exists()).toBe(true);
    expect((await h.bridge.invoke('devices.list', {})).filter((p) => !p.builtin)).toEqual([]);
  });

  it('duplicates a built-in, edits the copy, and removes it (the active one falls back to Desktop)', async () => {
    const w = await mountView();
    await row(w, 'band-8-pro').find('[data-testid="device-duplicate"]').trigger('click');
    expect((field(w, 'name').element as HTMLInputElement).value).toBe('Xiaomi Band 8 Pro (custom)');
    expect((field(w, 'supported').element as HTMLInputElement).checked).toBe(false);
    await field(w, 'id').setValue('band-copy');
    await w.find('[data-testid="device-save"]').trigger('submit');
    await until(() => row(w, 'band-copy').exists(), 'the copy');
    expect(row(w, 'band-copy').find('[data-testid="device-supported"]').attributes('data-supported')).toBe('false');

    await row(w, 'band-copy').find('[data-testid="device-edit"]').trigger('click');
    expect(field(w, 'id').attributes('disabled')).toBeDefined();
    await field(w, 'supported').setValue(true);
    await field(w, 'bandwidth').setValue('1000');
    await w.find('[data-testid="device-save"]').trigger('submit');
    await until(() => row(w, 'band-copy').find('[data-testid="device-supported"]').attributes('data-supported') === 'true', 'the edit');
    expect((await h.bridge.invoke('devices.list', {})).find((p) => p.id === 'band-copy')?.link).toEqual({ bandwidth: 1000 });

    await row(w, 'band-copy').find('[data-testid="device-select"]').setValue(true);
    await until(() => row(w, 'band-copy').attributes('data-active') === 'true', 'the copy active');
    await until(() => row(w, 'band-copy').find('[data-testid="device-remove"]').attributes('disabled') === undefined, 'the select to settle');
    await row(w, 'band-copy').find('[data-testid="device-remove"]').trigger('click');
    await row(w, 'band-copy').find('[data-testid="device-remove-confirm"]').trigger('click');
    await until(() => !row(w, 'band-copy').exists(), 'the copy removed');
    expect((await h.bridge.invoke('settings.get', {})).activeProfile).toBe('desktop');
    expect(row(w, 'desktop').attributes('data-active')).toBe('true');
  });
});

describe('profile form', () => {
  it('turns presets into link settings and back', () => {
    for (const [id, preset] of Object.entries(LINK_PRESETS)) {
      const result = fromForm({ ...applyPreset(emptyForm(), id), id: 'x', name: 'X' }, { isNew: true, takenIds: [] });
      expect('profile' in result && result.profile.link).toEqual(preset);
    }
  });

  it('makes ids from names', () => {
    expect(slugify('Xiaomi Watch S4 (slow)')).toBe('xiaomi-watch-s4-slow');
    expect(slugify('手表')).toBe('');
  });

  it('refuses a taken id for a new profile only', () => {
    const form = { ...emptyForm(), id: 'mine', name: 'Mine' };
    expect(fromForm(form, { isNew: true, takenIds: ['mine'] })).toHaveProperty('errors.id.key', 'idTaken');
    expect(fromForm(form, { isNew: false, takenIds: ['mine'] })).toHaveProperty('profile.id', 'mine');
  });
});
