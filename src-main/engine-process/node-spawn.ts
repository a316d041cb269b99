import { fork } from 'node:child_process';
import type { ChildExit, EngineChild, SpawnEngine } from './client.js';
import { ENGINE_ENTRY, engineArgv, type EngineArgs } from './protocol.js';
import { engineProcessEnv } from './process-env.js';

/**
 * The engine process under Node's `child_process.fork` (tests, the benchmark's stand-in for Electron's
 * main): the IPC channel with `serialization: 'advanced'`, so messages are structured clones as on a
 * utility process's port. `onExit` waits for 'close', after the last message has been delivered.
 */
export function forkEngine(args: EngineArgs, options: { entry?: string; env?: NodeJS.ProcessEnv; silent?: boolean } = {}): SpawnEngine {
  return () => {
    const child = fork(options.entry ?? ENGINE_ENTRY, engineArgv(args), {
      serialization: 'advanced',
      env: engineProcessEnv(options.env ?? process.env),
      stdio: options.silent ? ['ignore', 'ignore', 'ignore', 'ipc'] : ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let exitListener: ((exit: ChildExit) => void) | undefined;
    let exited = false;
    const ended = (exit: ChildExit): void => {
      if (exited) return;
      exited = true;
      exitListener?.(exit);
    };
    child.once('close', (code, signal) => ended({ code, signal }));
    // A send to a process that just died, or a fork that could not start: the exit (or this) reports it.
    child.on('error', () => {
      if (child.pid === undefined) ended({ code: null });
    });
    const engine: EngineChild = {
      get pid() {
        return child.pid;
      },
      send: (message) => {
        if (child.connected) child.send(message, undefined, undefined, () => {});
      },
      onMessage: (listener) => void child.on('message', listener),
      onExit: (listener) => {
        exitListener = listener;
      },
      kill: () => void child.kill('SIGKILL'),
    };
    return engine;
  };
}
