import fs from 'node:fs';
import path from 'node:path';
import { BrowserWindow } from 'electron';
import { APP_NAME } from '../core/paths.js';
import { PACKAGE_ROOT } from '../core/package-root.js';
import { webPreferencesFor } from './security-policy.js';
import { APP_ENTRY_URL } from './urls.js';
import { MIN_WINDOW, type SavedBounds } from './window-bounds.js';

/** The bundled preload (scripts/build-electron.mjs writes it next to the entry, in dist/electron/). */
export const PRELOAD_FILE = path.join(PACKAGE_ROOT, 'dist', 'electron', 'preload.cjs');

/** The window icon where the build resources are at hand (a dev run); packaged apps get theirs from the installer. */
const iconFile = (): string | undefined => {
  const file = path.join(PACKAGE_ROOT, 'build', 'icons', '256x256.png');
  return fs.existsSync(file) ? file : undefined;
};

export function createMainWindow(options: { devTools: boolean; bounds?: SavedBounds }): BrowserWindow {
  const { bounds } = options;
  const win = new BrowserWindow({
    width: bounds?.width ?? 1180,
    height: bounds?.height ?? 780,
    ...(bounds ? { x: bounds.x, y: bounds.y } : {}),
    minWidth: MIN_WINDOW.width,
    minHeight: MIN_WINDOW.height,
    show: false,
    title: APP_NAME,
    icon: iconFile(),
    autoHideMenuBar: true,
    webPreferences: webPreferencesFor(PRELOAD_FILE, options),
  });
  win.once('ready-to-show', () => {
    if (bounds?.maximized) win.maximize();
    win.show();
  });
  void win.loadURL(APP_ENTRY_URL);
  return win;
}

/** Bring the window to the front (a second launch, a tray click, a notification click). */
export function focusWindow(win: BrowserWindow): void {
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
}
