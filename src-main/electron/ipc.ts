import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import type { Reply } from '../../src-shared/channels.js';
import type { Router } from '../router/router.js';
import { IPC_EVENT, IPC_INVOKE, invokeRefusal, isEventName } from './ipc-contract.js';
import { isAppUrl } from './urls.js';

/**
 * The one door from the page into the main process: a single `ipcMain.handle` whose sender frame must
 * be the app's own page (main frame, app:// origin) and whose channel must be declared in src-shared;
 * the router then validates the payload with the channel's schema. Nothing is thrown back: every
 * answer is a Reply.
 */
export function mountIpc(router: Router): () => void {
  ipcMain.handle(IPC_INVOKE, async (event: IpcMainInvokeEvent, channel: unknown, payload: unknown): Promise<Reply<unknown>> => {
    const frame = event.senderFrame;
    const refusal = invokeRefusal(frame ? { url: frame.url, isMainFrame: frame.parent === null } : null, channel);
    if (refusal) return { ok: false, error: refusal };
    return router.call(channel as string, payload);
  });
  return () => ipcMain.removeHandler(IPC_INVOKE);
}

/** Push the contract's events to a window, only while it shows the app's own page. */
export function forwardEvents(router: Router, win: BrowserWindow): () => void {
  return router.subscribe((name, payload) => {
    if (!isEventName(name) || win.isDestroyed()) return;
    const contents = win.webContents;
    if (contents.isDestroyed() || !isAppUrl(contents.getURL())) return;
    contents.send(IPC_EVENT, name, payload);
  });
}
