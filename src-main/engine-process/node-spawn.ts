import { fork } from 'node:child_process';
import type { EngineChild, SpawnEngine } from './client.js';
import { ENGINE_ENTRY, engineArgv, type EngineArgs } from './protocol.js';

/**
 * The engine process under Node's `child_process.fork` (tests, the benchmark's stand-in for Electron's
 * main): the IPC channel with `serialization: 'advanced'`, so messages are structured clones as on a
 * utility process's port. `onExit` waits for 'close', after the last message has been delivered.
 */
export function forkEngine(args: EngineArgs, options: { entry?: string; env?: NodeJS.ProcessEnv; silent?: boolean } = {}): SpawnEngine {
  return () => {
    const child = fork(options.entry ?? ENGINE_ENTRY, engineArgv(args), {
      serialization: 'advanced',
      env: options.env ?? process.env,
      stdio: options.silent ? ['ignore', 'ignore', 'ignore', 'ipc'] : ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const engine: EngineChild = {
      get pid() {
        return child.pid;
      },
      send: (message) => {
        if (child.connected) child.send(message);
      },
      onMessage: (listener) => void child.on('message', listener),
      onExit: (listener) => void child.once('close', (code, signal) => listener({ code, signal })),
      kill: () => void child.kill('SIGKILL'),
    };
    return engine;
  };
}
