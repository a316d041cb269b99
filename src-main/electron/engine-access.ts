import { dialog } from 'electron';
import { APP_NAME } from '../core/paths.js';
import type { EngineClient } from '../engine-process/client.js';

/**
 * The window's engine is the engine process main starts (engine-process/): it holds the data dir's
 * lock, runs the downloads, and serves the HTTP API so CLI calls hand off to it. When another process
 * already is the engine (`vela-companion serve`, or a CLI `download --wait`), two engines must not
 * drive one data dir, and the window cannot show that engine's tasks over IPC: the user is told which
 * process it is and may try again (after stopping it, or when the CLI call ends) or quit. Returns
 * false when the user quits.
 */
export async function startEngineOrAsk(engine: EngineClient, dataDir: string): Promise<boolean> {
  for (;;) {
    const started = await engine.start();
    if (started.kind === 'ready') return true;
    const { holder } = started;
    const { response } = await dialog.showMessageBox({
      type: 'warning',
      title: APP_NAME,
      message: 'Another Vela Companion process is running the downloads for this data folder.',
      detail:
        `Process ${holder.pid} (for example \`vela-companion serve\` or a CLI download with --wait) ` +
        `holds ${dataDir}; its API is at http://127.0.0.1:${holder.port}/. ` +
        'Stop it (or let it finish), then try again.',
      buttons: ['Try again', 'Quit'],
      defaultId: 0,
      cancelId: 1,
      noLink: true,
    });
    if (response !== 0) return false;
  }
}
