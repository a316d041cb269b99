/**
 * Loaded with `--import` into the engine's process, which the stand-in's `utilityProcess.fork` starts
 * with `child_process.fork`: it makes the child look like an Electron utility process. There,
 * `process.parentPort` is the line to main (a MessagePort whose 'message' events carry `{ data,
 * ports }`) and `process.send` does not exist; the process ends when its parent does. The port is
 * Node's IPC channel underneath (serialization 'advanced': structured clones, as on the port).
 */
import { EventEmitter } from 'node:events';
import type * as S from './surface.js';

const send = process.send?.bind(process);
if (!send) throw new Error('the stand-in utility process was started without an IPC channel');

let inFlight = 0;
const drained: Array<() => void> = [];

class ParentPort extends EventEmitter implements S.ParentPortSurface {
  postMessage(message: unknown): void {
    inFlight += 1;
    send!(message, undefined, undefined, () => {
      inFlight -= 1;
      if (inFlight === 0) for (const done of drained.splice(0)) done();
    });
  }
}

const parentPort = new ParentPort();
process.on('message', (data: unknown) => parentPort.emit('message', { data, ports: [] }));
// Electron ends a utility process with its parent.
process.on('disconnect', () => process.exit(0));
Object.defineProperty(process, 'parentPort', { value: parentPort, configurable: true, enumerable: false });
Object.defineProperty(process, 'type', { value: 'utility', configurable: true });
// A utility process has no process.send: code that looks for one must find the port instead.
delete (process as { send?: unknown }).send;

// What was posted before the process exits still reaches main (a port delivers what it was given).
const exit = process.exit.bind(process);
process.exit = ((code?: number | string | null) => {
  if (inFlight === 0) exit(code);
  const timer = setTimeout(() => exit(code), 2_000);
  drained.push(() => {
    clearTimeout(timer);
    exit(code);
  });
  return undefined as never;
}) as typeof process.exit;
