import path from 'node:path';
import { app, dialog, screen, session, type BrowserWindow } from 'electron';
import type ElectronStore from 'electron-store';
import { toErrorData } from '../../src-shared/codes.js';
import { resolveMediaFile } from '../core/media-files.js';
import { APP_NAME, dataPaths, defaultDataDir } from '../core/paths.js';
import { EngineClient } from '../engine-process/client.js';
import { openShellPrefs, type ShellPrefs } from './electron-conf.js';
import { startEngineOrAsk } from './engine-access.js';
import { trackLanguage, whenRunning, type ShellEngine } from './engine-link.js';
import { spawnEngineProcess } from './engine-process.js';
import { galleryPatch } from './gallery-defaults.js';
import { forwardEvents, mountIpc } from './ipc.js';
import { blockNavigation, denyPermissions } from './navigation.js';
import { notifyEndings } from './notifications.js';
import { showProgress, type ProgressDisplay } from './progress.js';
import { mountProtocols, registerSchemes } from './schemes.js';
import { electronShell } from './shell.js';
import { claimSingleInstance } from './single-instance.js';
import { boundsToRestore } from './window-bounds.js';
import { createMainWindow, focusWindow } from './window.js';

/**
 * The Electron entry (package.json `main`): composes the small modules of this folder. Main runs no
 * engine: it starts the engine process (engine-process/, under utilityProcess) and brokers between it
 * and the window. See docs/desktop.md for the security checklist and where each item lives.
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

// Reveal and open stay here (Electron's `shell`): the engine process confines the path, then asks.
const engine = new EngineClient({ spawn: spawnEngineProcess(dataDir), shell: (op, file) => electronShell[op](file) });
const calls = trackLanguage(engine);
const shellEngine: ShellEngine = { events: engine, bridge: engine.bridge, language: calls.language };

let started = false;
let prefs: ElectronStore<ShellPrefs> | undefined;
let win: BrowserWindow | undefined;
let progress: ProgressDisplay | undefined;
const stops: Array<() => void> = [];

function openWindow(): void {
  const bounds = boundsToRestore(prefs?.get('windowBounds'), screen.getAllDisplays().map((d) => d.workArea));
  const created = createMainWindow({ devTools: !app.isPackaged, bounds });
  const stopEvents = forwardEvents(engine, created);
  created.on('close', () => prefs?.set('windowBounds', { ...created.getNormalBounds(), maximized: created.isMaximized() }));
  created.on('closed', () => {
    stopEvents();
    if (win === created) win = undefined;
  });
  win = created;
  progress?.refresh();
}

function showWindow(): void {
  if (!started) return;
  if (!win || win.isDestroyed()) openWindow();
  else focusWindow(win);
}

/** Empty gallery settings get Electron's own folders (gallery-defaults.ts); a folder the user chose is kept. */
async function applyGalleryDefaults(): Promise<void> {
  const settings = await engine.bridge.invoke('settings.get', {});
  const patch = galleryPatch((name) => app.getPath(name), settings.galleryDirs);
  if (patch) await engine.bridge.invoke('settings.set', { galleryDirs: patch });
}

async function start(): Promise<void> {
  if (process.platform === 'win32') app.setAppUserModelId(APP_ID);
  denyPermissions(session.defaultSession);
  prefs = openShellPrefs(dataDir);
  if (!(await startEngineOrAsk(engine, dataDir))) {
    app.quit();
    return;
  }
  started = true;
  await Promise.all([applyGalleryDefaults(), calls.refresh()]);
  // A restarted engine may have been told another language while it was away (the CLI, the browser host).
  stops.push(whenRunning(engine, () => void calls.refresh()));
  const { cacheDir, massDir } = dataPaths(dataDir);
  mountProtocols({ resolve: (ref) => resolveMediaFile({ cacheDir, massDir }, ref) });
  stops.push(mountIpc(calls));
  openWindow();
  progress = showProgress({ engine: shellEngine, window: () => win, show: showWindow, quit: () => app.quit() });
  stops.push(() => progress?.dispose(), notifyEndings(shellEngine, showWindow));
}

/** Stop the engine process: transfers stop (they stay resumable), the store is written, the lock given back. */
async function shutdown(): Promise<void> {
  for (const stop of stops.splice(0)) stop();
  await engine.stop(CLOSE_TIMEOUT_MS);
}

let stopped = false;
let stopping = false;
app.on('before-quit', (event) => {
  if (stopped) return;
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
