import { utilityProcess } from 'electron';
import type { EngineChild, SpawnEngine } from '../engine-process/client.js';
import { ENGINE_ENTRY, engineArgv } from '../engine-process/protocol.js';
import { engineProcessEnv } from '../engine-process/process-env.js';
import { APP_NAME } from '../core/paths.js';

/**
 * The engine process under Electron: `utilityProcess.fork` of the same entry the tests fork with
 * Node (dist/src-main/engine-process/entry.js), given the data dir and `--desktop` (main reveals and
 * opens files for it). Its messages travel over the utility process's parent port, a MessagePort.
 * `utilityProcess.fork` may only be called after the app's `ready`.
 */
export function spawnEngineProcess(dataDir: string): SpawnEngine {
  return () => {
    const child = utilityProcess.fork(ENGINE_ENTRY, engineArgv({ dataDir, desktop: true }), {
      serviceName: `${APP_NAME} engine`,
      stdio: 'inherit',
      // glibc's trim threshold raised, read at start-up (process-env.ts).
      env: engineProcessEnv(),
    });
    const engine: EngineChild = {
      get pid() {
        return child.pid;
      },
      send: (message) => {
        // Nothing to send to once it is gone; its exit reports that.
        if (child.pid !== undefined) child.postMessage(message);
      },
      onMessage: (listener) => void child.on('message', listener),
      onExit: (listener) => void child.once('exit', (code) => listener({ code })),
      kill: () => {
        // child.kill() is a SIGTERM; a hung engine needs more than that.
        if (child.pid === undefined || !safeKill(child.pid)) child.kill();
      },
    };
    return engine;
  };
}

function safeKill(pid: number): boolean {
  try {
    process.kill(pid, 'SIGKILL');
    return true;
  } catch {
    return false;
  }
}
