import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { EngineInfo } from '../../src-shared/channels.js';
import type { SettingsPatch } from '../../src-shared/schemas.js';
import { DEFAULT_SETTINGS, type Settings } from '../../src-shared/types.js';
import { useBridge } from '../bridge.js';
import { setLocale } from '../i18n/index.js';
import { useNotices } from './notices.js';

/** Settings of the engine (concurrency, speed limit, proxy, gallery folders, language, active profile). */
export const useSettings = defineStore('settings', () => {
  const settings = ref<Settings>(structuredClone(DEFAULT_SETTINGS));
  const info = ref<EngineInfo | null>(null);
  const loaded = ref(false);
  /** A settings.set call is on its way. */
  const saving = ref(false);
  const isElectron = computed(() => info.value?.shell === 'electron');

  /** The store-recovery notice is shown once, not again on every reload (a reconnection reloads). */
  let recoveryShown = false;
  /** Changes made elsewhere (another window, the CLI, quick-app code) arrive as events: follow them. */
  let unsubscribe: (() => void) | undefined;

  function follow(next: Settings): void {
    settings.value = next;
    setLocale(next.language);
  }

  async function load(): Promise<void> {
    const bridge = useBridge();
    unsubscribe ??= bridge.on('settings.updated', follow);
    try {
      const [current, engine] = await Promise.all([bridge.invoke('settings.get', {}), bridge.invoke('engine.info', {})]);
      settings.value = current;
      info.value = engine;
      setLocale(current.language);
      if (engine.storeRecovery && !recoveryShown) {
        recoveryShown = true;
        useNotices().error({ code: 500, message: `${engine.storeRecovery.reason}; it was kept as ${engine.storeRecovery.keptAs}` });
      }
    } catch (error) {
      useNotices().error(error);
    } finally {
      loaded.value = true;
    }
  }

  async function update(patch: SettingsPatch): Promise<boolean> {
    saving.value = true;
    try {
      settings.value = await useBridge().invoke('settings.set', patch);
      if (patch.language) setLocale(patch.language);
      return true;
    } catch (error) {
      useNotices().error(error);
      return false;
    } finally {
      saving.value = false;
    }
  }

  return { settings, info, loaded, saving, isElectron, load, update };
});
