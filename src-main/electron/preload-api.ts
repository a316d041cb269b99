import { FailCode, isErrorData, type ErrorData } from '../../src-shared/codes.js';
import type { Bridge, EventName, Reply } from '../../src-shared/channels.js';
import type { MediaRef } from '../../src-shared/types.js';
import { describeName, IPC_EVENT, IPC_INVOKE, isEventName, isInvokable } from './ipc-contract.js';
import { mediaUrl } from './urls.js';

/**
 * `window.vela`: the contract's client over IPC, and nothing more. Calls go out only for declared
 * channels, events come in only for declared names, and the page never sees ipcRenderer or the IPC
 * event object (whose `sender` is ipcRenderer itself). Pure: the preload hands it Electron's
 * ipcRenderer; the tests hand it a recorder.
 */

/** The part of ipcRenderer this uses. */
export interface RendererIpc {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

/**
 * A failed call rejects with plain data `{ name, code, message }`: contextBridge copies an Error's
 * message only, so a thrown VelaError would reach the page without its code. The renderer reads it
 * with `toErrorData` like any other error.
 */
export interface BridgeFailure extends ErrorData {
  name: 'VelaError';
}

/** Everything a Bridge has, but `onConnectionChange`: IPC to main never breaks the way an HTTP stream does. */
export type VelaApi = Required<Omit<Bridge, 'onConnectionChange'>>;

const failure = (error: ErrorData): BridgeFailure => ({
  name: 'VelaError',
  code: error.code,
  message: error.message,
  // Plain data already; the page checks it (toErrorData) before it words anything by it.
  ...(error.reason ? { reason: error.reason } : {}),
});

/** An error's message whatever realm it was made in (instanceof Error fails across contexts). */
const messageOf = (error: unknown): string =>
  typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string'
    ? (error as { message: string }).message
    : String(error);

const isReply = (value: unknown): value is Reply<unknown> =>
  typeof value === 'object' &&
  value !== null &&
  ((value as { ok?: unknown }).ok === true ? 'value' in value : (value as { ok?: unknown }).ok === false && isErrorData((value as { error?: unknown }).error));

export function createVelaApi(ipc: RendererIpc): VelaApi {
  const listeners = new Map<EventName, Set<(payload: never) => void>>();

  // One IPC listener for every event; the IPC event object stops here.
  const dispatch = (_event: unknown, name: unknown, payload: unknown): void => {
    if (!isEventName(name)) return;
    for (const listener of [...(listeners.get(name) ?? [])]) {
      try {
        listener(payload as never);
      } catch (error) {
        console.error(`vela: a listener of ${name} threw`, error);
      }
    }
  };
  let attached = false;
  const attach = (): void => {
    if (attached) return;
    ipc.on(IPC_EVENT, dispatch);
    attached = true;
  };
  const detachIfIdle = (): void => {
    if (!attached || [...listeners.values()].some((set) => set.size > 0)) return;
    ipc.removeListener(IPC_EVENT, dispatch);
    attached = false;
  };

  const invoke: VelaApi['invoke'] = async (channel, input) => {
    if (!isInvokable(channel)) {
      throw failure({ code: FailCode.IllegalArgument, message: `unknown channel: ${describeName(channel)}` });
    }
    let reply: unknown;
    try {
      reply = await ipc.invoke(IPC_INVOKE, channel, input ?? {});
    } catch (error) {
      // The payload could not be cloned, or the main process is gone.
      throw failure({ code: FailCode.Internal, message: `the call could not be made: ${messageOf(error)}` });
    }
    if (!isReply(reply)) throw failure({ code: FailCode.Internal, message: `${channel}: the main process gave no valid answer` });
    if (!reply.ok) throw failure(reply.error);
    return reply.value as never;
  };

  const on: VelaApi['on'] = (event, listener) => {
    if (!isEventName(event)) throw new TypeError(`unknown event: ${describeName(event)}`);
    if (typeof listener !== 'function') throw new TypeError('a listener must be a function');
    const set = listeners.get(event) ?? new Set();
    set.add(listener as (payload: never) => void);
    listeners.set(event, set);
    attach();
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      set.delete(listener as (payload: never) => void);
      detachIfIdle();
    };
  };

  return Object.freeze({ invoke, on, mediaUrl: (ref: MediaRef) => mediaUrl(ref) });
}
