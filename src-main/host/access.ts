import { randomBytes } from 'node:crypto';
import type { Bridge } from '../../src-shared/channels.js';
import { httpBridge } from '../../src-shared/http-bridge.js';
import { Engine, type EngineOptions } from '../core/engine.js';
import { dataPaths } from '../core/paths.js';
import { ensurePrivateDir } from '../core/private-files.js';
import { retryTimingFromEnv } from '../core/retry-policy.js';
import { openStore, type StoreConf } from '../core/store.js';
import { VERSION } from '../core/version.js';
import { createRouter, type DesktopShell } from '../router/handlers.js';
import { localBridge, type Router } from '../router/router.js';
import { acquireEngineLock, type EngineFile } from './engine-lock.js';
import { engineSocketPath, socketFetch } from './engine-socket.js';
import { startHost, type HostOptions, type HostRouter, type RunningHost } from './http-api.js';

/**
 * How a front door (CLI, quick-app module, browser host, Electron shell) gets at the engine of a data
 * dir: it becomes that dir's engine (holding the lock and serving the API), or, when another process
 * already is, it hands its work to that one over the API with the published secret, on the engine's
 * socket (engine-socket.ts), never on its TCP port.
 */

export interface LocalAccess {
  kind: 'local';
  bridge: Bridge;
  engine: Engine;
  router: Router;
  host: RunningHost;
  secret: string;
  /** Stop transfers (they stay resumable), write the store, stop serving, release the lock. */
  close(): Promise<void>;
}

export interface RemoteAccess {
  kind: 'remote';
  bridge: Bridge;
  holder: EngineFile;
  close(): Promise<void>;
}

export type EngineAccess = LocalAccess | RemoteAccess;

export interface OpenOptions {
  dataDir: string;
  /** 'run' drives downloads; 'record' only records tasks for a later engine (CLI download without --wait). */
  mode: 'run' | 'record';
  port?: number;
  makeConf?: (cwd: string) => StoreConf;
  engine?: Partial<Omit<EngineOptions, 'dataDir' | 'store' | 'autoStart'>>;
  /** Told when the store file was unreadable and kept aside (default: a warning on stderr). */
  onStoreRecovered?: (recovery: { keptAs: string; reason: string }) => void;
  /** Serves the renderer and media for the browser host, given the engine and the launch's secret. */
  pages?: (engine: Engine, secret: string) => HostOptions['fallback'];
  /** Reveal/open for the front door (the Electron shell, the browser host's `open`); without one, paths only. */
  shell?: DesktopShell;
}

export async function openEngine(options: OpenOptions): Promise<EngineAccess> {
  const paths = dataPaths(options.dataDir);
  ensurePrivateDir(options.dataDir);
  const secret = randomBytes(24).toString('base64url');
  let router: Router | undefined;
  let pages: HostOptions['fallback'];
  let engine: Engine | undefined;
  // A record-mode engine (a CLI `list`, or `download` without --wait) serves the API while it holds the
  // lock, so another process's `wait` can be handed to it in that moment. Waiting needs transfers: such
  // a call starts the engine (the CLI serves it to its end before exiting) instead of hanging both
  // processes forever on an engine that never runs.
  const served = (r: Router): HostRouter => ({
    call: (channel, payload) => {
      if (channel === 'tasks.wait') engine?.start();
      return r.call(channel, payload);
    },
    subscribe: (listener) => r.subscribe(listener),
  });
  // Listening on the socket before engine.json names it: whoever reads the file can reach us at once.
  const socketPath = engineSocketPath(paths.dataDir);
  const host = await startHost({
    router: () => (router && options.mode === 'record' ? served(router) : router),
    secret,
    port: options.port,
    socketPath,
    fallback: (req, res, url) => (pages ? pages(req, res, url) : false),
  });
  const mine: EngineFile = { pid: process.pid, port: host.port, socket: socketPath, secret };
  let lock;
  try {
    lock = await acquireEngineLock(paths.engineFile, mine);
  } catch (error) {
    await host.close();
    throw error;
  }
  if (!lock.acquired) {
    await host.close();
    const { holder } = lock;
    return {
      kind: 'remote',
      holder,
      bridge: httpBridge({ baseUrl: 'http://localhost', secret: holder.secret, fetch: socketFetch(holder.socket) }),
      close: async () => {},
    };
  }

  const release = lock.release;
  try {
    const store = openStore(options.dataDir, { makeConf: options.makeConf });
    // Never silent: the user learns that their store was unreadable and where the old file is.
    if (store.recovery) {
      (options.onStoreRecovered ?? ((r) => process.stderr.write(`warning: ${r.reason}; it was kept as ${r.keptAs} and an empty store was started\n`)))(store.recovery);
    }
    // Settings an older version stored unchecked (a relative gallery folder, a proxy that is no URL) are back at their defaults: say which.
    for (const dropped of store.droppedSettings) process.stderr.write(`warning: a stored setting was invalid and is back at its default: ${dropped}\n`);
    // VELA_RETRY_BASE_MS / VELA_RETRY_MAX_MS: shorter waits between attempts for tests and scripts (retry-policy.ts).
    engine = new Engine({ ...retryTimingFromEnv(process.env), ...options.engine, dataDir: options.dataDir, store, autoStart: false });
    pages = options.pages?.(engine, secret);
    router = createRouter(engine, () => ({
      pid: process.pid,
      dataDir: options.dataDir,
      version: VERSION,
      storeRecovery: store.recovery,
    }), options.shell, { galleryHome: options.engine?.galleryHome, env: options.engine?.env });
  } catch (error) {
    await host.close();
    release();
    throw error;
  }
  if (options.mode === 'run') engine.start();

  // Whatever way the process ends, the store is written and the lock given back.
  const onExit = (): void => {
    engine.store.flush();
    release();
  };
  process.once('exit', onExit);

  let closed = false;
  return {
    kind: 'local',
    bridge: localBridge(router),
    engine,
    router,
    host,
    secret,
    close: async () => {
      if (closed) return;
      closed = true;
      await engine.stop();
      await host.close();
      release();
      process.removeListener('exit', onExit);
    },
  };
}
