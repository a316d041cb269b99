import type { Bridge } from '../src-shared/channels.js';
import { httpBridge } from '../src-shared/http-bridge.js';
import type { MediaRef } from '../src-shared/types.js';

/**
 * The renderer's only way out: `window.vela` when Electron's preload exposed it, else the browser
 * host's HTTP API on this origin (its session cookie was set when the printed URL was opened).
 * Stores call it; components never do, and nothing here knows which transport it got.
 */
declare global {
  interface Window {
    vela?: Bridge;
  }
}

const encodeName = (name: string): string => name.split('/').map(encodeURIComponent).join('/');

export function createBridge(): Bridge {
  if (window.vela) return window.vela;
  const http = httpBridge({ baseUrl: window.location.origin });
  return {
    invoke: http.invoke,
    on: http.on,
    mediaUrl: (ref: MediaRef) => `/media/${ref.partition}/${encodeName(ref.name)}`,
  };
}

let current: Bridge | undefined;

/** The bridge of this page; tests install their own with `setBridge`. */
export function useBridge(): Bridge {
  current ??= createBridge();
  return current;
}

export function setBridge(bridge: Bridge): void {
  current = bridge;
}
