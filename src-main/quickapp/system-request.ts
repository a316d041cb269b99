import type { Bridge } from '../../src-shared/channels.js';
import { EngineUnreachable } from '../../src-shared/http-bridge.js';
import { createQuickAppRequest, type QuickAppRequest } from '../../src-shared/quickapp.js';
import { defaultDataDir } from '../core/paths.js';
import { openEngine, type EngineAccess } from '../host/access.js';

/**
 * `vela-companion/system.request`: the module a quick app imports as `@system.request`, backed by the
 * real engine in this process (or handed to the data dir's running engine, API.md §5). Configure with
 * VELA_DEVICE / VELA_DATA_DIR or `configure()`. The process exits by itself when no task runs and no
 * listener waits: nothing here holds the event loop open on its own.
 */

interface Config {
  device?: string;
  dataDir: string;
}

const config: Config = {
  device: process.env.VELA_DEVICE || undefined,
  dataDir: defaultDataDir(),
};

let access: Promise<EngineAccess> | undefined;

/** Pick the device profile and data dir from code; takes effect for calls made after it. */
export function configure(options: { device?: string; dataDir?: string }): void {
  if (options.device !== undefined) config.device = options.device || undefined;
  if (options.dataDir !== undefined && options.dataDir !== config.dataDir) {
    config.dataDir = options.dataDir;
    const previous = access;
    access = undefined;
    void previous?.then((a) => a.close());
  }
}

function connect(): Promise<EngineAccess> {
  access ??= openEngine({ dataDir: config.dataDir, mode: 'run' }).then((opened) => {
    // The API server answers other processes while we run, but is no reason to keep running.
    if (opened.kind === 'local') opened.host.server.unref();
    return opened;
  });
  return access;
}

/** The bridge to whichever engine drives the data dir; reconnects once if a remote engine quit. */
const bridge: Bridge = {
  async invoke(channel, input) {
    try {
      return await (await connect()).bridge.invoke(channel, input);
    } catch (error) {
      if (!(error instanceof EngineUnreachable)) throw error;
      access = undefined;
      return (await connect()).bridge.invoke(channel, input);
    }
  },
  on() {
    return () => {};
  },
};

const request: QuickAppRequest = createQuickAppRequest(bridge, {
  downloadExtras: () => (config.device ? { device: config.device } : {}),
  onReplaced: (token) =>
    console.warn(`[system.request] onDownloadComplete: an earlier listener of ${token} was replaced (this profile keeps only the last one, as hapjs does)`),
});

export const download = request.download.bind(request);
export const onDownloadComplete = request.onDownloadComplete.bind(request);

export default { download, onDownloadComplete };
