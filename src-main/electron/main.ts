import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { app, dialog, session, type BrowserWindow } from 'electron';
import { toErrorData } from '../../src-shared/codes.js';
import { MediaLibrary } from '../core/media.js';
import { APP_NAME, defaultDataDir } from '../core/paths.js';
import type { LocalAccess } from '../host/access.js';
import { openEngineOrAsk } from './engine-access.js';
import { galleryPatch } from './gallery-defaults.js';
import { forwardEvents, mountIpc } from './ipc.js';
import { blockNavigation, denyPermissions } from './navigation.js';
import { notifyEndings } from './notifications.js';
import { showProgress, type ProgressDisplay } from './progress.js';
import { mountProtocols, registerSchemes } from './schemes.js';
import { claimSingleInstance } from './single-instance.js';
import { createMainWindow, focusWindow } from './window.js';

/**
 * The Electron entry (package.json `main`): composes the small modules of this folder. See
 * docs/desktop.md for the security checklist and where each item lives.
 */

const APP_ID = 'com.velacompanion.app';
/** How long quitting waits for transfers to stop and the store to be written. */
const CLOSE_TIMEOUT_MS = 5_000;

// Before `ready` (static imports and this top level run before Electron emits it). The data dir is
// core's, so the CLI and the browser host find the same one (VELA_DATA_DIR included); Chromium's own
// files go to a subfolder, not next to the download cache.
const dataDir = defaultDataDir();
app.setName(APP_NAME);
app.setPath('userData', dataDir);
app.setPath('sessionData', path.join(dataDir, 'session'));
registerSchemes();
blockNavigation();

let access: LocalAccess | undefined;
let win: BrowserWindow | undefined;
let progress: ProgressDisplay | undefined;
const stops: Array<() => void> = [];

function openWindow(engine: LocalAccess): void {
  const created = createMainWindow({ devTools: !app.isPackaged });
  const stopEvents = forwardEvents(engine.router, created);
  created.on('closed', () => {
    stopEvents();
    if (win === created) win = undefined;
  });
  win = created;
  progress?.refresh();
}

function showWindow(): void {
  if (!access) return;
  if (!win || win.isDestroyed()) openWindow(access);
  else focusWindow(win);
}

async function start(): Promise<void> {
  if (process.platform === 'win32') app.setAppUserModelId(APP_ID);
  denyPermissions(session.defaultSession);
  access = await openEngineOrAsk(dataDir);
  if (!access) {
    app.quit();
    return;
  }
  const { engine, router } = access;
  const patch = galleryPatch((name) => app.getPath(name), engine.settings.galleryDirs);
  if (patch) engine.updateSettings({ galleryDirs: patch });
  mountProtocols(new MediaLibrary(engine));
  stops.push(mountIpc(router));
  openWindow(access);
  progress = showProgress({ router, engine, window: () => win, show: showWindow, quit: () => app.quit() });
  stops.push(() => progress?.dispose(), notifyEndings(router, engine, showWindow));
}

/** Stop transfers (they stay resumable), write the store, give the data dir's lock back. */
async function shutdown(): Promise<void> {
  for (const stop of stops.splice(0)) stop();
  if (access) await Promise.race([access.close(), delay(CLOSE_TIMEOUT_MS)]);
}

let stopped = false;
let stopping = false;
app.on('before-quit', (event) => {
  if (stopped || !access) return;
  event.preventDefault();
  if (stopping) return;
  stopping = true;
  void shutdown().finally(() => {
    stopped = true;
    app.quit();
  });
});

app.on('window-all-closed', () => {
  // macOS keeps apps (and here their downloads) running without windows; the dock or tray reopens one.
  if (process.platform !== 'darwin') app.quit();
});
app.on('activate', showWindow);

if (!claimSingleInstance(showWindow)) {
  app.quit();
} else {
  app.whenReady()
    .then(start)
    .catch((error: unknown) => {
      dialog.showErrorBox(APP_NAME, `${APP_NAME} could not start: ${toErrorData(error).message}`);
      app.exit(1);
    });
}
