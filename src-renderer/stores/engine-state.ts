import { defineStore } from 'pinia';
import { useBridge } from '../bridge.js';
import { i18n } from '../i18n/index.js';
import { useDownloads } from './downloads.js';
import { useNotices } from './notices.js';

/**
 * The desktop app's engine process, as the window tells of it (`engine.state`, Electron only): a notice
 * while it is down, which gives way to a short one when it is back, and then the task list read again,
 * since the process that died sent nothing about its last moments.
 */
export const useEngineState = defineStore('engineState', () => {
  let off: (() => void) | undefined;
  let downNotice: number | undefined;

  function watch(): void {
    if (off) return;
    off = useBridge().on('engine.state', (change) => {
      const notices = useNotices();
      const { t } = i18n.global;
      if (change.state === 'crashed') {
        // One notice while it is down, however many attempts it takes.
        if (downNotice !== undefined) notices.dismiss(downNotice);
        // The whole window's, and it lasts as long as the engine is down.
        downNotice = notices.push('error', t('engine.crashed', { detail: change.detail ?? '' }), undefined, { view: null, sticky: true });
      } else if (change.state === 'running' && change.restarts > 0) {
        if (downNotice !== undefined) notices.dismiss(downNotice);
        downNotice = undefined;
        notices.info(t('engine.back'), { view: null });
        const downloads = useDownloads();
        if (downloads.loaded) void downloads.load();
      }
    });
  }

  function stop(): void {
    off?.();
    off = undefined;
  }

  return { watch, stop };
});
