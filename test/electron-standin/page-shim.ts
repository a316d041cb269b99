import type { ContextBridgeSurface, IpcRendererEventSurface, IpcRendererSurface } from './surface.js';

/**
 * What runs in a window's page before any of the page's own scripts (playwright's init script): the
 * renderer half of the stand-in. It takes the IPC binding the driver exposed (and removes it from the
 * page's globals), builds `ipcRenderer` and `contextBridge` on it, and runs the built preload
 * (dist/electron/preload.cjs) as a sandboxed preload runs: a CommonJS function whose `require` knows
 * only `electron`. `contextBridge.exposeInMainWorld` defines the API on `window`, copying it as the
 * bridge does (functions wrapped, values copied, an Error reduced to its message), and custom-scheme
 * URLs it hands out become the reserved https origins Chromium can load (schemes.ts).
 *
 * `pageShim` is serialised with Function.prototype.toString: it must not use anything from outside.
 */

export interface PageShimConfig {
  /** The name of the page binding the driver exposed (ipc: invoke, send, poll). */
  binding: string;
  /** Standard privileged schemes: URLs on them are handed to the page as `https://<host>.<scheme>.invalid/…`. */
  schemes: string[];
}

type Binding = (op: 'invoke' | 'send' | 'poll', ...args: unknown[]) => Promise<unknown>;
type Preload = (exports: object, require: (id: string) => unknown, module: { exports: object }, filename: undefined, dirname: undefined) => void;
type RendererListener = (event: IpcRendererEventSurface, ...args: unknown[]) => void;

export function pageShim(config: PageShimConfig, preload: Preload | null): void {
  const global = globalThis as unknown as Record<string, unknown>;
  const binding = global[config.binding] as Binding | undefined;
  // The page itself never gets the IPC pipe: only the preload's ipcRenderer holds it.
  delete global[config.binding];
  if (typeof binding !== 'function' || preload === null) return;

  const toChromium = (value: string): string => {
    for (const scheme of config.schemes) {
      if (!value.startsWith(`${scheme}://`)) continue;
      try {
        const url = new URL(value);
        return `https://${url.hostname}.${scheme}.invalid${url.pathname}${url.search}${url.hash}`;
      } catch {
        return value;
      }
    }
    return value;
  };

  const listeners = new Map<string, Set<RendererListener>>();
  const onceWrappers = new WeakMap<RendererListener, RendererListener>();

  const ipcRenderer = {
    invoke(channel: string, ...args: unknown[]): Promise<unknown> {
      return binding('invoke', channel, args).then((answer) => {
        const reply = answer as { ok: true; value: unknown } | { ok: false; error: string };
        if (reply.ok) return reply.value;
        throw new Error(`Error invoking remote method '${channel}': ${reply.error}`);
      });
    },
    send(channel: string, ...args: unknown[]): void {
      void binding('send', channel, args);
    },
    on(channel: string, listener: RendererListener): IpcRendererSurface {
      const set = listeners.get(channel) ?? new Set<RendererListener>();
      set.add(listener);
      listeners.set(channel, set);
      return ipcRenderer;
    },
    once(channel: string, listener: RendererListener): IpcRendererSurface {
      const wrapper: RendererListener = (event, ...args) => {
        ipcRenderer.removeListener(channel, listener);
        listener(event, ...args);
      };
      onceWrappers.set(listener, wrapper);
      return ipcRenderer.on(channel, wrapper);
    },
    off(channel: string, listener: RendererListener): IpcRendererSurface {
      return ipcRenderer.removeListener(channel, listener);
    },
    removeListener(channel: string, listener: RendererListener): IpcRendererSurface {
      const set = listeners.get(channel);
      set?.delete(listener);
      const wrapper = onceWrappers.get(listener);
      if (wrapper) set?.delete(wrapper);
      return ipcRenderer;
    },
    removeAllListeners(channel?: string): IpcRendererSurface {
      if (channel === undefined) listeners.clear();
      else listeners.delete(channel);
      return ipcRenderer;
    },
  } satisfies IpcRendererSurface;

  // Events from main (webContents.send): the driver answers each poll with what was sent meanwhile.
  const pump = async (): Promise<void> => {
    for (;;) {
      let batch: Array<[string, unknown[]]>;
      try {
        batch = (await binding('poll')) as Array<[string, unknown[]]>;
      } catch {
        return; // the page is going away
      }
      for (const [channel, args] of batch) {
        const event = { sender: ipcRenderer, ports: [], preventDefault: () => {}, defaultPrevented: false } as IpcRendererEventSurface;
        for (const listener of [...(listeners.get(channel) ?? [])]) {
          try {
            listener(event, ...args);
          } catch (error) {
            console.error(error);
          }
        }
      }
    }
  };
  void pump();

  /**
   * What crossing contextBridge does to a value: a copy; functions stay callable (their arguments and
   * results cross back and forth in turn), errors keep their message only. `toPage`: the direction.
   */
  const copy = (value: unknown, toPage: boolean, seen = new Map<object, unknown>()): unknown => {
    if (typeof value === 'string') return toPage ? toChromium(value) : value;
    if (typeof value === 'function') {
      const fn = value as (...args: unknown[]) => unknown;
      return (...args: unknown[]): unknown => {
        let result: unknown;
        try {
          result = fn(...args.map((a) => copy(a, !toPage)));
        } catch (error) {
          throw bridgeError(error, toPage);
        }
        if (result instanceof Promise) {
          return result.then(
            (v: unknown) => copy(v, toPage),
            (e: unknown) => {
              throw bridgeError(e, toPage);
            },
          );
        }
        return copy(result, toPage);
      };
    }
    if (typeof value !== 'object' || value === null) return value;
    if (seen.has(value)) return seen.get(value);
    if (value instanceof Error) return bridgeError(value, toPage);
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      seen.set(value, out);
      for (const item of value) out.push(copy(item, toPage, seen));
      return out;
    }
    const out: Record<string, unknown> = {};
    seen.set(value, out);
    for (const key of Object.keys(value)) out[key] = copy((value as Record<string, unknown>)[key], toPage, seen);
    return out;
  };
  const bridgeError = (error: unknown, toPage: boolean): unknown => (error instanceof Error ? new Error(error.message) : copy(error, toPage));

  const contextBridge = {
    exposeInMainWorld(apiKey: string, api: unknown): void {
      if (apiKey in global) throw new Error('Cannot bind an API on top of an existing property on the window object');
      Object.defineProperty(global, apiKey, { value: copy(api, true), enumerable: true, writable: false, configurable: false });
    },
  } satisfies ContextBridgeSurface;

  const electron = { contextBridge, ipcRenderer };
  const sandboxedRequire = (id: string): unknown => {
    if (id === 'electron' || id === 'electron/renderer') return electron;
    throw new Error(`module not found: ${id}`);
  };
  const module = { exports: {} };
  try {
    preload(module.exports, sandboxedRequire, module, undefined, undefined);
  } catch (error) {
    // Electron reports a preload that throws in the console and goes on loading the page.
    console.error('Unable to load preload script', error);
  }
}

/** The init script: the shim, then a call with the preload's source wrapped as a CommonJS function. */
export function pageShimSource(config: PageShimConfig, preloadSource: string | null): string {
  const preload = preloadSource === null ? 'null' : `function (exports, require, module, __filename, __dirname) {\n${preloadSource}\n}`;
  return `(${pageShim.toString()})(${JSON.stringify(config)}, ${preload});\n`;
}
