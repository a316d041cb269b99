import { dialog } from 'electron';
import { openEngine, type LocalAccess } from '../host/access.js';
import { APP_NAME } from '../core/paths.js';
import { makeElectronConf } from './electron-conf.js';
import { electronShell } from './shell.js';

/**
 * The window is its data dir's engine: it holds the lock, runs the downloads, and serves the HTTP API
 * so CLI calls hand off to it. When another process already is the engine (`vela-companion serve`, or
 * a CLI `download --wait`), two engines must not drive one data dir, and the window cannot show that
 * engine's tasks over IPC: the user is told which process it is and may try again (after stopping it,
 * or when the CLI call ends) or quit. Returns undefined when the user quits.
 */
export async function openEngineOrAsk(dataDir: string): Promise<LocalAccess | undefined> {
  for (;;) {
    const access = await openEngine({ dataDir, mode: 'run', makeConf: makeElectronConf, shell: electronShell });
    if (access.kind === 'local') return access;
    await access.close();
    const { response } = await dialog.showMessageBox({
      type: 'warning',
      title: APP_NAME,
      message: 'Another Vela Companion process is running the downloads for this data folder.',
      detail:
        `Process ${access.holder.pid} (for example \`vela-companion serve\` or a CLI download with --wait) ` +
        `holds ${dataDir}; its API is at http://127.0.0.1:${access.holder.port}/. ` +
        'Stop it (or let it finish), then try again.',
      buttons: ['Try again', 'Quit'],
      defaultId: 0,
      cancelId: 1,
      noLink: true,
    });
    if (response !== 0) return undefined;
  }
}
