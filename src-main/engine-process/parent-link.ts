import type { FromEngine } from './protocol.js';

/**
 * The engine process's line to its parent, whichever started it:
 * - Electron's `utilityProcess.fork`: `process.parentPort`, a MessagePort whose messages arrive as
 *   `{ data, ports }`; Electron ends the utility process with the app.
 * - Node's `child_process.fork`: `process.send` and `process.on('message')` over the IPC channel, and
 *   'disconnect' when the parent is gone.
 * No electron import: the port is typed by what is used of it.
 */
export interface ParentLink {
  /** Send a message; `sent` runs once it has left (so the process may exit after it). */
  post(message: FromEngine, sent?: () => void): void;
  onMessage(listener: (message: unknown) => void): void;
  /** The parent went away without saying so (child_process only). */
  onGone(listener: () => void): void;
}

interface ParentPortLike {
  on(event: 'message', listener: (event: { data: unknown }) => void): unknown;
  postMessage(message: unknown): void;
}

type ProcessLike = Pick<NodeJS.Process, 'on' | 'send' | 'connected'> & { parentPort?: ParentPortLike | null };

export function connectToParent(proc: ProcessLike = process as ProcessLike): ParentLink {
  const port = proc.parentPort;
  if (port) {
    return {
      post: (message, sent) => {
        port.postMessage(message);
        if (sent) setImmediate(sent);
      },
      onMessage: (listener) => void port.on('message', (event) => listener(event.data)),
      onGone: () => {},
    };
  }
  const send = proc.send?.bind(proc);
  if (send) {
    return {
      post: (message, sent) => {
        if (!proc.connected) {
          sent?.();
          return;
        }
        // The callback also runs when sending failed (the parent just went away): nothing to do then.
        send(message, undefined, undefined, () => sent?.());
      },
      onMessage: (listener) => void proc.on('message', (message: unknown) => listener(message)),
      onGone: (listener) => void proc.on('disconnect', listener),
    };
  }
  throw new Error('the engine process must be started by utilityProcess.fork or child_process.fork');
}
