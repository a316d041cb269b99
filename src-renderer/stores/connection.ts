import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { ConnectionChange } from '../../src-shared/channels.js';
import { useBridge } from '../bridge.js';
import { useDownloads } from './downloads.js';
import { useMedia } from './media.js';
import { useSettings } from './settings.js';

/**
 * Whether the page still hears the engine (the browser host's event stream can break: a dropped
 * connection, a laptop's sleep, a restarted `serve`; Electron's IPC cannot, and its bridge has no
 * `onConnectionChange`). While the stream is down the bridge reconnects by itself; when it is back,
 * what was loaded is read again (events sent meanwhile were missed) and the banner says so. A refused
 * secret means a restarted `serve`: the page must be opened from its new link.
 */
export type ConnectionBanner = 'lost' | 'refreshing' | 'restored' | 'restarted';

/** How long "Reconnected; the list was refreshed" stays. */
export const RESTORED_NOTICE_MS = 6_000;

export const useConnection = defineStore('connection', () => {
  /** What the banner shows; null when all is well. */
  const banner = ref<ConnectionBanner | null>(null);
  let off: (() => void) | undefined;
  let restoredTimer: ReturnType<typeof setTimeout> | undefined;
  /** Counts refreshes, so an older one finishing late does not overwrite a newer state. */
  let generation = 0;

  /** Reads again what the page had loaded: the task list, the settings, the media library. */
  async function refresh(): Promise<void> {
    const downloads = useDownloads();
    const media = useMedia();
    const settings = useSettings();
    await Promise.all([
      downloads.loaded || downloads.loading ? downloads.load() : undefined,
      settings.loaded ? settings.load() : undefined,
      media.loaded ? media.load() : undefined,
    ]);
  }

  function onChange(change: ConnectionChange): void {
    clearTimeout(restoredTimer);
    const mine = ++generation;
    if (change.state === 'lost') {
      banner.value = 'lost';
    } else if (change.state === 'refused') {
      banner.value = 'restarted';
    } else if (change.resumed) {
      banner.value = 'refreshing';
      void refresh().finally(() => {
        if (mine !== generation) return;
        banner.value = 'restored';
        restoredTimer = setTimeout(() => {
          if (mine === generation) banner.value = null;
        }, RESTORED_NOTICE_MS);
      });
    } else {
      banner.value = null;
    }
  }

  /** Follows the bridge's connection, where it has one; safe to call more than once. */
  function watch(): void {
    if (off) return;
    off = useBridge().onConnectionChange?.(onChange);
  }

  function stop(): void {
    off?.();
    off = undefined;
    clearTimeout(restoredTimer);
  }

  function dismiss(): void {
    if (banner.value === 'restored') banner.value = null;
  }

  return { banner, watch, stop, dismiss };
});
