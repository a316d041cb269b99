import { FailCode, type ErrorData } from '../../src-shared/codes.js';
import { EVENT_NAMES, isChannelName, type ChannelName, type EventName } from '../../src-shared/channels.js';
import { checkSender } from './security-policy.js';

/**
 * The IPC side of the one contract, shared by the preload (which bundles it) and the main process:
 * one invoke channel carrying (channel, payload), one event channel carrying (name, payload), and the
 * allow-lists, both taken from src-shared. Pure: no electron at runtime.
 */

/** ipcMain.handle / ipcRenderer.invoke: (channel name, payload) → Reply. */
export const IPC_INVOKE = 'vela:invoke';
/** webContents.send / ipcRenderer.on: (event name, payload). */
export const IPC_EVENT = 'vela:event';

export const isInvokable = (channel: unknown): channel is ChannelName => typeof channel === 'string' && isChannelName(channel);

export const isEventName = (name: unknown): name is EventName =>
  typeof name === 'string' && (EVENT_NAMES as readonly string[]).includes(name);

/** A name from the page, for an error message: at most 80 characters of it, or its type. */
export const describeName = (value: unknown): string => (typeof value === 'string' ? value.slice(0, 80) : typeof value);

/**
 * Why an invoke is refused before it reaches the router (a foreign or vanished sender, a channel the
 * contract does not declare), or undefined to let it through. The router validates the payload next.
 */
export function invokeRefusal(
  frame: { url: string; isMainFrame: boolean } | null | undefined,
  channel: unknown,
): ErrorData | undefined {
  const sender = checkSender(frame);
  if (!sender.ok) return { code: FailCode.IllegalArgument, message: `refused: ${sender.reason}` };
  if (!isInvokable(channel)) return { code: FailCode.IllegalArgument, message: `unknown channel: ${describeName(channel)}` };
  return undefined;
}
