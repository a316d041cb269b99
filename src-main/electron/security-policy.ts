import type { CustomScheme, WebPreferences } from 'electron';
import { APP_SCHEME, MEDIA_SCHEME, isAppUrl } from './urls.js';

/**
 * The window's security rules as plain data and pure functions (docs/desktop.md lists each item and
 * where it is enforced). Only `import type` from electron: the tests run these in plain Node.
 */

/** The renderer gets no Node, runs in Chromium's sandbox, and sees the preload only through contextBridge. */
export function webPreferencesFor(preload: string, options: { devTools?: boolean } = {}): WebPreferences {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
    spellcheck: false,
    devTools: options.devTools ?? false,
  };
}

/**
 * The page's Content-Security-Policy, sent as a header with every app:// answer. Scripts only from the
 * app's own origin (no eval, no inline); media previews from vela-media: only; nothing from the network.
 * Styles allow inline attributes, as the browser host's policy does (Vue binds `style`).
 */
export const ELECTRON_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  `img-src 'self' data: blob: ${MEDIA_SCHEME}:`,
  `media-src 'self' blob: ${MEDIA_SCHEME}:`,
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "worker-src 'none'",
  "frame-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers on every app:// and vela-media:// answer. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': ELECTRON_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

/**
 * app: is a standard, secure origin (storage, relative URLs and module scripts work as on https) that
 * may use fetch on itself. vela-media: streams so <video> can seek. Neither is corsEnabled (that would
 * let other origins read them) nor bypasses the CSP. Registered once, before `ready`: Electron keeps only
 * the last call's list.
 */
export const PRIVILEGED_SCHEMES: CustomScheme[] = [
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } },
  { scheme: MEDIA_SCHEME, privileges: { standard: true, secure: true, stream: true } },
];

/** The only navigation a window may make is to the app's own pages (a reload, or index.html itself). */
export const allowNavigation = (url: string): boolean => isAppUrl(url);

/** Camera, microphone, notifications from the page, clipboard, fullscreen, USB…: the page gets none. */
export const allowPermission = (_permission: string): boolean => false;

export type SenderCheck = { ok: true } | { ok: false; reason: string };

/**
 * An IPC message is served only when it comes from the main frame of a page on the app's own origin:
 * not from a frame that navigated elsewhere, a subframe, or a frame that is gone (null).
 */
export function checkSender(frame: { url: string; isMainFrame: boolean } | null | undefined): SenderCheck {
  if (!frame) return { ok: false, reason: 'the sending frame is gone' };
  if (!frame.isMainFrame) return { ok: false, reason: 'only the main frame may call' };
  if (!isAppUrl(frame.url)) return { ok: false, reason: 'the caller is not the app\'s own page' };
  return { ok: true };
}
