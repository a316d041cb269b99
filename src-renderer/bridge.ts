import type { Bridge } from '../src-shared/channels.js';
import { httpBridge } from '../src-shared/http-bridge.js';
import type { MediaRef } from '../src-shared/types.js';
import { signedMediaUrl, takeSessionSecret } from './session.js';

/**
 * The renderer's only way out: `window.vela` when Electron's preload exposed it, else the browser
 * host's HTTP API on this origin, authorised by the secret the printed URL's fragment gave this tab
 * (session.ts). Stores call it; components never do, and nothing here knows which transport it got.
 */
declare global {
  interface Window {
    vela?: Bridge;
  }
}

/** Whether this page can reach an engine at all: Electron's preload, or the browser host's secret. */
export function hasSession(): boolean {
  return window.vela !== undefined || takeSessionSecret() !== undefined;
}

export function createBridge(): Bridge {
  if (window.vela) return window.vela;
  const secret = takeSessionSecret() ?? '';
  const http = httpBridge({ baseUrl: window.location.origin, secret });
  return {
    invoke: http.invoke,
    on: http.on,
    onConnectionChange: http.onConnectionChange,
    mediaUrl: (ref: MediaRef) => signedMediaUrl(ref, secret),
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
