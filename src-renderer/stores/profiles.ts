import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { DESKTOP_PROFILE_ID, type DeviceProfile } from '../../src-shared/profiles.js';
import { useBridge } from '../bridge.js';
import { useNotices } from './notices.js';
import { useSettings } from './settings.js';

/**
 * Device profiles: the built-in rows of the Vela support table plus the user's custom ones. The active
 * profile lives in the settings (`activeProfile`); built-ins are read-only, custom ones are saved and
 * removed through the engine, which validates them again.
 */
export const useProfiles = defineStore('profiles', () => {
  const profiles = ref<DeviceProfile[]>([]);
  const loading = ref(false);
  const loaded = ref(false);
  const saving = ref(false);

  const activeId = computed(() => useSettings().settings.activeProfile);
  const active = computed(() => profiles.value.find((p) => p.id === activeId.value));
  const builtins = computed(() => profiles.value.filter((p) => p.builtin));
  const custom = computed(() => profiles.value.filter((p) => !p.builtin));

  async function load(): Promise<void> {
    loading.value = true;
    try {
      profiles.value = await useBridge().invoke('devices.list', {});
    } catch (error) {
      useNotices().error(error);
    } finally {
      loading.value = false;
      loaded.value = true;
    }
  }

  function find(id: string): DeviceProfile | undefined {
    return profiles.value.find((p) => p.id === id);
  }

  /** Make a profile the one downloads run under. */
  async function select(id: string): Promise<boolean> {
    if (id === activeId.value) return true;
    return useSettings().update({ activeProfile: id });
  }

  /** Create or replace a custom profile; returns it as the engine stored it, or undefined on refusal. */
  async function save(profile: DeviceProfile): Promise<DeviceProfile | undefined> {
    saving.value = true;
    try {
      const { id, name, supported, link, device } = profile;
      const saved = await useBridge().invoke('devices.save', { id, name, supported, link, device });
      const index = profiles.value.findIndex((p) => p.id === saved.id);
      profiles.value = index >= 0 ? profiles.value.map((p, i) => (i === index ? saved : p)) : [...profiles.value, saved];
      return saved;
    } catch (error) {
      useNotices().error(error);
      return undefined;
    } finally {
      saving.value = false;
    }
  }

  /** Remove a custom profile; the active one hands over to Desktop first, so downloads keep a profile. */
  async function remove(id: string): Promise<boolean> {
    try {
      if (id === activeId.value && !(await select(DESKTOP_PROFILE_ID))) return false;
      await useBridge().invoke('devices.remove', { id });
      profiles.value = profiles.value.filter((p) => p.id !== id);
      return true;
    } catch (error) {
      useNotices().error(error);
      return false;
    }
  }

  return { profiles, loading, loaded, saving, activeId, active, builtins, custom, load, find, select, save, remove };
});
