import { setTimeout as delay } from 'node:timers/promises';
import type { Bridge } from '../../src-shared/channels.js';
import { EngineUnreachable } from '../../src-shared/http-bridge.js';
import type { DownloadResult, TaskProgress } from '../../src-shared/types.js';
import { openEngine, type EngineAccess } from '../host/access.js';

/**
 * The CLI's use of the engine (API.md §5): hand the work to the data dir's running engine when there
 * is one; otherwise become the engine just long enough. A process that ran the engine for its own
 * `wait` keeps serving other processes' requests until none is open, then stops cleanly.
 */

/** Run `work` against the data dir's engine, in 'record' mode (no transfers) when we must open it ourselves. */
export async function withEngine<T>(dataDir: string, work: (bridge: Bridge) => Promise<T>): Promise<T> {
  for (let tries = 0; ; tries += 1) {
    const access = await openEngine({ dataDir, mode: 'record', engine: { ownsProcess: true } });
    try {
      return await work(access.bridge);
    } catch (error) {
      // Sent again even when the request may have arrived: `download` carries a request id (the engine
      // answers the task it already made), `list` and `devices` only read. (A repeated `gallery.move`
      // whose first answer was lost reports "already moved" instead of the path.)
      if (error instanceof EngineUnreachable && tries < 5) continue;
      throw error;
    } finally {
      await finish(access);
    }
  }
}

/**
 * Wait for a task to end, running the engine in this process when no other process does. `task` is a
 * token, or a function that starts the task on the engine we reach (download --wait) and returns it.
 */
export async function waitForTask(
  dataDir: string,
  task: string | ((bridge: Bridge) => Promise<string>),
  onProgress: (progress: TaskProgress) => void,
): Promise<DownloadResult> {
  let token = typeof task === 'string' ? task : '';
  for (let tries = 0; ; tries += 1) {
    const access = await openEngine({ dataDir, mode: 'run', engine: { ownsProcess: true } });
    const stopSignals = stopOnSignal(access);
    const unsubscribe = access.bridge.on('task.progress', (batch) => {
      const mine = batch.find((p) => p.token === token);
      if (mine) onProgress(mine);
    });
    try {
      if (!token && typeof task === 'function') token = await task(access.bridge);
      return await access.bridge.invoke('tasks.wait', { token });
    } catch (error) {
      // The engine we handed off to quit (the app closed): take over or find the next one.
      if (error instanceof EngineUnreachable && tries < 20) {
        await delay(100);
        continue;
      }
      throw error;
    } finally {
      unsubscribe();
      stopSignals();
      await finish(access);
    }
  }
}

async function finish(access: EngineAccess): Promise<void> {
  if (access.kind === 'local') {
    // Other processes may have handed their waits to us: serve them before stopping.
    while (access.host.inFlight > 0) await new Promise<void>((resolve) => access.host.onIdle(resolve));
  }
  await access.close();
}

/** Ctrl-C and SIGTERM stop transfers cleanly (resumable), write the store and release the lock. */
function stopOnSignal(access: EngineAccess): () => void {
  const handler = (signal: NodeJS.Signals): void => {
    void access.close().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  return () => {
    process.removeListener('SIGINT', handler);
    process.removeListener('SIGTERM', handler);
  };
}
