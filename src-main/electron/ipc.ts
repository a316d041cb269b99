import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import type { Reply } from '../../src-shared/channels.js';
import type { EngineCalls, EngineEvents } from './engine-link.js';
import { IPC_EVENT, IPC_INVOKE, invokeRefusal, isEventName } from './ipc-contract.js';
import { isAppUrl } from './urls.js';

/**
 * The one door from the page into the main process: a single `ipcMain.handle` whose sender frame must
 * be the app's own page (main frame, app:// origin) and whose channel must be declared in src-shared;
 * the call then goes to the engine process, whose router validates the payload with the channel's
 * schema. Nothing is thrown back: every answer is a Reply.
 */
export function mountIpc(engine: EngineCalls): () => void {
  ipcMain.handle(IPC_INVOKE, async (event: IpcMainInvokeEvent, channel: unknown, payload: unknown): Promise<Reply<unknown>> => {
    const frame = event.senderFrame;
    const refusal = invokeRefusal(frame ? { url: frame.url, isMainFrame: frame.parent === null } : null, channel);
    if (refusal) return { ok: false, error: refusal };
    return engine.call(channel as string, payload);
  });
  return () => ipcMain.removeHandler(IPC_INVOKE);
}

/** Push the contract's events (the engine's, and `engine.state`) to a window, only while it shows the app's own page. */
export function forwardEvents(engine: EngineEvents, win: BrowserWindow): () => void {
  return engine.subscribe((name, payload) => {
    if (!isEventName(name) || win.isDestroyed()) return;
    const contents = win.webContents;
    if (contents.isDestroyed() || !isAppUrl(contents.getURL())) return;
    contents.send(IPC_EVENT, name, payload);
  });
}
