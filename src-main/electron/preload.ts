import { contextBridge, ipcRenderer } from 'electron';
import { createVelaApi } from './preload-api.js';

/**
 * The sandboxed preload: exposes `window.vela` (declared channels and events only) and nothing else.
 * A sandboxed preload cannot load our modules at run time, so `npm run build:electron` bundles this
 * file with what it imports into dist/electron/preload.cjs (scripts/build-electron.mjs).
 */
contextBridge.exposeInMainWorld('vela', createVelaApi(ipcRenderer));
