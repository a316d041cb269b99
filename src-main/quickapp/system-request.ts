import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Bridge, ChannelResult } from '../../src-shared/channels.js';
import { DESKTOP_PROFILE_ID } from '../../src-shared/profiles.js';
import { EngineUnreachable } from '../../src-shared/http-bridge.js';
import { createQuickAppRequest, type QuickAppRequest } from '../../src-shared/quickapp.js';
import { defaultDataDir } from '../core/paths.js';
import { openEngine, type EngineAccess } from '../host/access.js';
import type { ConfigureOptions, CustomDeviceProfile, Download, OnDownloadComplete, SystemRequest } from './types.js';

export type * from './types.js';

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

/** The engine of each data dir this process has used. */
interface Slot {
  access: Promise<EngineAccess>;
  /** Set once the engine is being closed; a later call waits for it, then opens the dir afresh. */
  closing?: Promise<void>;
  /** Stops waiting to close it (configure() came back to this dir). */
  unwatch?: () => void;
}
const slots = new Map<string, Slot>();

/**
 * The data dir that issued each token this process got. Later calls on a token go there, whatever
 * configure() says by then: `onDownloadComplete` makes two engine calls (the record, then the wait),
 * and a configure() in between must not send the second one to a dir that never heard of the token.
 */
const owners = new Map<string, string>();

/**
 * Custom profiles given to configure(), by id, and what each data dir last got of them (saved before
 * the next download there: the engine of a dir knows only the profiles in its store).
 */
const customProfiles = new Map<string, Required<CustomDeviceProfile>>();
const savedProfiles = new Map<string, { json: string; saved: Promise<unknown> }>();

function ensureProfileSaved(dataDir: string, id: unknown, invoke: Bridge['invoke']): Promise<unknown> | undefined {
  const profile = typeof id === 'string' ? customProfiles.get(id) : undefined;
  if (!profile) return undefined;
  const key = `${dataDir}\0${profile.id}`;
  const json = JSON.stringify(profile);
  const known = savedProfiles.get(key);
  if (known?.json === json) return known.saved;
  const saved = invoke('devices.save', profile);
  savedProfiles.set(key, { json, saved });
  // A refused profile (202) fails this download and is sent again with the next one.
  saved.catch(() => {
    if (savedProfiles.get(key)?.saved === saved) savedProfiles.delete(key);
  });
  return saved;
}

/**
 * Pick the device profile and data dir from code; takes effect for calls made after it. `device` is a
 * profile id, or a custom profile (saved into the data dir before the next download there).
 */
export function configure(options: ConfigureOptions): void {
  const device = options.device;
  if (typeof device === 'string') config.device = device || undefined;
  else if (device && typeof device === 'object') {
    const { id, name = id, supported = true, link = {}, device: simulation = {} } = device;
    customProfiles.set(id, { id, name, supported, link, device: simulation });
    config.device = id;
  }
  if (options.dataDir !== undefined && path.resolve(options.dataDir) !== config.dataDir) {
    const previous = config.dataDir;
    config.dataDir = path.resolve(options.dataDir);
    slots.get(config.dataDir)?.unwatch?.();
    retire(previous);
  }
}

function connect(dataDir: string): Promise<EngineAccess> {
  const slot = slots.get(dataDir);
  if (slot && !slot.closing) return slot.access;
  // Never two engines on one dir in this process: a closing one is gone before the next opens.
  const access = (slot?.closing ?? Promise.resolve())
    .then(() => openEngine({ dataDir, mode: 'run' }))
    .then((opened) => {
      // The API server answers other processes while we run, but is no reason to keep running.
      if (opened.kind === 'local') opened.host.unref();
      return opened;
    });
  slots.set(dataDir, { access });
  // A dir that could not be opened is tried again on the next call, not failed forever.
  access.catch(() => {
    if (slots.get(dataDir)?.access === access) slots.delete(dataDir);
  });
  return access;
}

/**
 * Close the engine of a data dir configure() moved away from, once it has nothing left to do. Closing
 * it at once would strand what earlier calls started: Engine.stop() keeps its waiting listeners (never
 * answered) and with them its keep-alive, so the process would hang instead of exiting.
 */
function retire(dataDir: string): void {
  const slot = slots.get(dataDir);
  if (!slot || slot.closing) return;
  slot.access.then(
    (old) => {
      if (slots.get(dataDir) !== slot || slot.closing || config.dataDir === dataDir) return;
      const closeWhenIdle = (): void => {
        if (slot.closing || (old.kind === 'local' && old.engine.busy)) return;
        slot.unwatch?.();
        slot.closing = old.close();
        void slot.closing.then(() => {
          if (slots.get(dataDir) === slot) slots.delete(dataDir);
        });
      };
      if (old.kind === 'local') {
        // `busy` drops just after the 'task' event that ends a task (its listeners are answered then).
        const onTask = (): void => void setImmediate(closeWhenIdle);
        old.engine.on('task', onTask);
        slot.unwatch = () => {
          old.engine.off('task', onTask);
          slot.unwatch = undefined;
        };
      }
      closeWhenIdle();
    },
    () => {},
  );
}

/** The bridge to whichever engine drives the token's data dir; reconnects once if a remote engine quit. */
const bridge: Bridge = {
  async invoke(channel, input) {
    const token = (input as { token?: unknown } | undefined)?.token;
    const dataDir = (typeof token === 'string' && owners.get(token)) || config.dataDir;
    // A download carries a request id of its own, so sending it again after an answer that was lost
    // gets the task the first one made, never a second task.
    if (channel === 'download.start' && typeof input === 'object' && input !== null && !('requestId' in input)) {
      input = { ...input, requestId: randomUUID() };
    }
    // A download under a custom profile of configure() first saves that profile into the dir.
    const send = async (): Promise<ChannelResult<typeof channel>> => {
      const access = await connect(dataDir);
      if (channel === 'download.start') {
        await ensureProfileSaved(dataDir, (input as { device?: unknown }).device, access.bridge.invoke.bind(access.bridge));
      }
      return access.bridge.invoke(channel, input);
    };
    let result;
    try {
      result = await send();
    } catch (error) {
      if (!(error instanceof EngineUnreachable)) throw error;
      const slot = slots.get(dataDir);
      if (slot && !slot.closing) slots.delete(dataDir);
      result = await send();
    }
    if (channel === 'download.start') owners.set((result as { token: string }).token, dataDir);
    return result;
  },
  on() {
    return () => {};
  },
};

const request: QuickAppRequest = createQuickAppRequest(bridge, {
  // API.md §6: without VELA_DEVICE / configure() the quick app runs on the Desktop profile, whatever the app has selected.
  downloadExtras: () => ({ device: config.device ?? DESKTOP_PROFILE_ID }),
  onReplaced: (token) =>
    console.warn(`[system.request] onDownloadComplete: an earlier listener of ${token} was replaced (this profile keeps only the last one, as hapjs does)`),
});

// The shared adapter takes anything (the API console passes what a user typed); the types here are
// the public contract (types.ts), which the adapter keeps: no callbacks, a Promise; otherwise undefined.
export const download: Download = request.download.bind(request) as Download;
export const onDownloadComplete: OnDownloadComplete = request.onDownloadComplete.bind(request) as OnDownloadComplete;

// `configure` on the default export too, as `require('@system.request')` has it (system-request-cjs.cts).
const systemRequest: SystemRequest = { download, onDownloadComplete, configure };
export default systemRequest;
