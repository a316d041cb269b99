/**
 * What `electron` is for `tsconfig.standin.json`, which compiles the shell (src-main/electron) against
 * the stand-in instead of Electron: the main process's exports of electron.ts, and the preload's
 * `contextBridge` and `ipcRenderer` (page-shim.ts implements them in the page). A call the shell makes
 * that the stand-in does not provide, or makes with another shape, fails to compile there. Never run.
 */
import type { ContextBridgeSurface, IpcRendererSurface } from './surface.js';

export * from './electron.js';
export declare const contextBridge: ContextBridgeSurface;
export declare const ipcRenderer: IpcRendererSurface;
