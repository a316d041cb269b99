import { Menu, nativeImage, Tray, type BrowserWindow, type NativeImage } from 'electron';
import { APP_NAME } from '../core/paths.js';
import { whenRunning, type ShellEngine } from './engine-link.js';
import { ProgressTracker, progressLabel, taskbarProgress } from './overall-progress.js';
import { iconStateFor, ringBitmap, sameIcon, type IconState } from './tray-icon.js';

/**
 * Overall progress outside the page: a tray icon (ring, tooltip, and a menu whose first line is the
 * figure, since Linux trays show no tooltips) and the window's taskbar/dock progress bar. Redrawn
 * only when what it shows changes.
 */

export interface ProgressOptions {
  /** The engine process (its progress events arrive coalesced, a few batches a second). */
  engine: ShellEngine;
  window(): BrowserWindow | undefined;
  show(): void;
  quit(): void;
}

export interface ProgressDisplay {
  /** Draw again (a new window needs its progress bar). */
  refresh(): void;
  dispose(): void;
}

const ICON_PIXELS = 32;

const iconImage = (state: IconState): NativeImage =>
  nativeImage.createFromBitmap(ringBitmap(ICON_PIXELS, state), { width: ICON_PIXELS, height: ICON_PIXELS, scaleFactor: 2 });

const MENU = {
  en: { show: `Show ${APP_NAME}`, quit: 'Quit' },
  'zh-CN': { show: `显示 ${APP_NAME}`, quit: '退出' },
} as const;

export function showProgress(options: ProgressOptions): ProgressDisplay {
  const tracker = new ProgressTracker();
  let tray: Tray | undefined;
  try {
    tray = new Tray(iconImage({ kind: 'idle' }));
    tray.on('click', () => options.show());
  } catch {
    tray = undefined; // a desktop without a tray area: the taskbar bar still shows progress
  }
  let shownIcon: IconState = { kind: 'idle' };
  let shownLabel = '';
  let shownBar = '';

  const render = (): void => {
    const overall = tracker.overall();
    const language = options.engine.language();
    const win = options.window();
    const bar = taskbarProgress(overall);
    const barKey = `${bar.mode}:${bar.value.toFixed(2)}`;
    if (win && !win.isDestroyed() && barKey !== shownBar) {
      win.setProgressBar(bar.value, { mode: bar.mode });
      shownBar = barKey;
    }
    if (!tray || tray.isDestroyed()) return;
    const icon = iconStateFor(overall.active, overall.fraction);
    if (!sameIcon(icon, shownIcon)) {
      tray.setImage(iconImage(icon));
      shownIcon = icon;
    }
    const label = progressLabel(overall, language);
    if (label !== shownLabel) {
      const text = MENU[language] ?? MENU.en;
      tray.setToolTip(`${APP_NAME}: ${label}`);
      tray.setContextMenu(
        Menu.buildFromTemplate([
          { label, enabled: false },
          { type: 'separator' },
          { label: text.show, click: () => options.show() },
          { label: text.quit, click: () => options.quit() },
        ]),
      );
      shownLabel = label;
    }
  };

  const unsubscribe = options.engine.events.subscribe((name, payload) => {
    if (tracker.update(name, payload)) render();
  });
  // The whole list when the engine process is running, and again when it is back after a crash (what
  // the dead process was doing is not known from events).
  const reload = (): void => {
    options.engine.bridge.invoke('tasks.list', {}).then((tasks) => {
      tracker.reset(tasks);
      render();
    }, () => {});
  };
  const stopReloading = whenRunning(options.engine.events, reload);
  reload();
  render();

  return {
    refresh: () => {
      shownBar = '';
      render();
    },
    dispose: () => {
      unsubscribe();
      stopReloading();
      if (tray && !tray.isDestroyed()) tray.destroy();
      tray = undefined;
    },
  };
}
