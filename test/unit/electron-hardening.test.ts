/**
 * What the electronegativity scan (scripts/electron-scan.mjs) cannot see, or sees only as "review":
 * the shell modules that talk to Electron, run with `electron` replaced by recorders — the window
 * gets exactly the hardened webPreferences and loads app://, every web contents refuses navigation
 * away and new windows, every permission is denied, the IPC door refuses foreign and sub-frame
 * senders before the router sees anything — and the CSP judged by the evaluator the scan itself uses.
 * The pure rules (webPreferencesFor, allowNavigation, checkSender, …) are tested in electron-security.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { FailCode } from '../../src-shared/codes.js';
import type { Reply } from '../../src-shared/channels.js';
import { ELECTRON_CSP, webPreferencesFor } from '../../src-main/electron/security-policy.js';

/** What the fake electron records. */
const recorded = vi.hoisted(() => ({
  windows: [] as Array<{ options: Record<string, unknown>; loaded: string[] }>,
  appListeners: new Map<string, (...args: unknown[]) => void>(),
  ipcHandlers: new Map<string, (event: unknown, ...args: unknown[]) => Promise<unknown>>(),
}));

vi.mock('electron', () => {
  class BrowserWindow {
    loaded: string[] = [];
    constructor(public options: Record<string, unknown>) {
      recorded.windows.push(this);
    }
    once(): void {}
    loadURL(url: string): Promise<void> {
      this.loaded.push(url);
      return Promise.resolve();
    }
  }
  return {
    BrowserWindow,
    app: { on: (name: string, listener: (...args: unknown[]) => void) => recorded.appListeners.set(name, listener) },
    ipcMain: {
      handle: (channel: string, handler: (event: unknown, ...args: unknown[]) => Promise<unknown>) => recorded.ipcHandlers.set(channel, handler),
      removeHandler: (channel: string) => recorded.ipcHandlers.delete(channel),
    },
  };
});

const { createMainWindow, PRELOAD_FILE } = await import('../../src-main/electron/window.js');
const { blockNavigation, denyPermissions } = await import('../../src-main/electron/navigation.js');
const { mountIpc, forwardEvents } = await import('../../src-main/electron/ipc.js');

/** URLs a compromised or confused page might try to reach. */
const FOREIGN_URLS = [
  'https://example.com/',
  'http://example.com/',
  'http://127.0.0.1:5173/',
  'http://localhost/',
  'file:///etc/passwd',
  'file:///C:/Windows/win.ini',
  'javascript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'blob:app://vela/6f2c',
  'about:blank',
  'chrome://settings',
  'devtools://devtools/bundled/inspector.html',
  'view-source:app://vela/index.html',
  'vela-media://cache/a.png',
  'app://evil/index.html',
  'app://vela.evil.example/index.html',
  'app://vela:8080/index.html',
  'app://user@vela/index.html',
  'app://user:pw@vela/index.html',
  'app:vela/index.html',
  'ws://127.0.0.1:1/',
  '',
  'not a url',
];

describe('the window (window.ts)', () => {
  beforeEach(() => {
    recorded.windows.length = 0;
  });

  it('gets exactly the hardened webPreferences, with the bundled preload, and nothing else that could loosen them', () => {
    createMainWindow({ devTools: false });
    const [win] = recorded.windows;
    expect(win?.options.webPreferences).toEqual(webPreferencesFor(PRELOAD_FILE, { devTools: false }));
    expect(PRELOAD_FILE).toBe(path.resolve('dist/electron/preload.cjs'));
    const prefs = win?.options.webPreferences as Record<string, unknown>;
    // The whole set, so adding a key means looking at this test (and at docs/desktop.md's checklist).
    expect(Object.keys(prefs).sort()).toEqual(
      ['allowRunningInsecureContent', 'contextIsolation', 'devTools', 'experimentalFeatures', 'navigateOnDragDrop', 'nodeIntegration', 'nodeIntegrationInSubFrames',
        'nodeIntegrationInWorker', 'preload', 'safeDialogs', 'sandbox', 'spellcheck', 'webSecurity', 'webviewTag'].sort(),
    );
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false, devTools: false, safeDialogs: true });
  });

  it('loads the app:// page, never file:// or the network; DevTools only when asked (a dev run)', () => {
    createMainWindow({ devTools: true });
    const [win] = recorded.windows;
    expect(win?.loaded).toEqual(['app://vela/index.html']);
    expect((win?.options.webPreferences as Record<string, unknown>).devTools).toBe(true);
    expect(win?.options.show).toBe(false);
  });
});

describe('every web contents (navigation.ts)', () => {
  type Listener = (event: { url: string; preventDefault: () => void }) => void;
  const fakeContents = () => {
    const listeners = new Map<string, Listener>();
    let openHandler: ((details: { url: string }) => { action: string }) | undefined;
    return {
      listeners,
      open: (url: string) => openHandler?.({ url }),
      contents: {
        on: (name: string, listener: Listener) => listeners.set(name, listener),
        setWindowOpenHandler: (handler: (details: { url: string }) => { action: string }) => (openHandler = handler),
      },
    };
  };
  /** Fires a navigation event and says whether it was cancelled. */
  const cancelled = (listener: Listener | undefined, url: string): boolean => {
    let prevented = false;
    listener?.({ url, preventDefault: () => (prevented = true) });
    return prevented;
  };

  blockNavigation();
  const created = recorded.appListeners.get('web-contents-created');

  it('is hooked for each web contents the app will ever create', () => {
    expect(created).toBeTypeOf('function');
  });

  it('cancels navigation, frame navigation and redirects to anything but app://vela', () => {
    const fake = fakeContents();
    created?.({}, fake.contents);
    for (const name of ['will-navigate', 'will-frame-navigate', 'will-redirect']) {
      const listener = fake.listeners.get(name);
      expect(listener, name).toBeTypeOf('function');
      for (const url of FOREIGN_URLS) expect(cancelled(listener, url), `${name} ${url}`).toBe(true);
      for (const url of ['app://vela/index.html', 'app://vela/#/media', 'app://vela/?x=1']) expect(cancelled(listener, url), `${name} ${url}`).toBe(false);
    }
  });

  it('denies every new window (window.open, target=_blank, a middle click), even to the app itself', () => {
    const fake = fakeContents();
    created?.({}, fake.contents);
    for (const url of [...FOREIGN_URLS, 'app://vela/index.html']) expect(fake.open(url), url).toEqual({ action: 'deny' });
  });

  it('never lets a <webview> attach', () => {
    const fake = fakeContents();
    created?.({}, fake.contents);
    expect(cancelled(fake.listeners.get('will-attach-webview'), 'app://vela/index.html')).toBe(true);
  });
});

describe('the session\'s permissions (navigation.ts)', () => {
  const PERMISSIONS = ['media', 'geolocation', 'notifications', 'midi', 'midiSysex', 'pointerLock', 'fullscreen', 'openExternal', 'clipboard-read',
    'clipboard-sanitized-write', 'display-capture', 'mediaKeySystem', 'idle-detection', 'window-management', 'keyboardLock', 'fileSystem', 'hid', 'serial', 'usb',
    'storage-access', 'top-level-storage-access', 'speaker-selection', 'unknown'];

  it('are all denied: requests, silent checks and devices', () => {
    const handlers: Record<string, (...args: unknown[]) => unknown> = {};
    denyPermissions({
      setPermissionRequestHandler: (h: (...args: unknown[]) => unknown) => (handlers.request = h),
      setPermissionCheckHandler: (h: (...args: unknown[]) => unknown) => (handlers.check = h),
      setDevicePermissionHandler: (h: (...args: unknown[]) => unknown) => (handlers.device = h),
    } as never);
    expect(Object.keys(handlers).sort()).toEqual(['check', 'device', 'request']);
    for (const permission of PERMISSIONS) {
      const answers: boolean[] = [];
      handlers.request?.({}, permission, (granted: boolean) => answers.push(granted), { requestingUrl: 'app://vela/index.html' });
      expect(answers, permission).toEqual([false]);
      expect(handlers.check?.({}, permission, 'app://vela', {}), permission).toBe(false);
    }
    expect(handlers.device?.({ deviceType: 'usb', origin: 'app://vela' })).toBe(false);
  });
});

describe('the IPC door (ipc.ts)', () => {
  const calls: Array<[string, unknown]> = [];
  const router = {
    call: async (channel: string, payload: unknown): Promise<Reply<unknown>> => {
      calls.push([channel, payload]);
      return { ok: true, value: 'routed' };
    },
    subscribe: (listener: (event: string, payload: unknown) => void) => {
      subscribers.push(listener);
      return () => undefined;
    },
  };
  const subscribers: Array<(event: string, payload: unknown) => void> = [];
  mountIpc(router as never);
  const handler = recorded.ipcHandlers.get('vela:invoke');
  const invoke = (senderFrame: unknown, channel: unknown, payload: unknown = {}) => handler?.({ senderFrame }, channel, payload) as Promise<Reply<unknown>>;
  const main = (url: string) => ({ url, parent: null });

  beforeEach(() => {
    calls.length = 0;
  });

  it('registers the one handler, vela:invoke', () => {
    expect([...recorded.ipcHandlers.keys()]).toEqual(['vela:invoke']);
  });

  it('routes a declared channel from the app\'s own main frame', async () => {
    expect(await invoke(main('app://vela/index.html'), 'tasks.list', { x: 1 })).toEqual({ ok: true, value: 'routed' });
    expect(calls).toEqual([['tasks.list', { x: 1 }]]);
  });

  it('refuses other origins, sub-frames and vanished frames with 202, before the router sees anything', async () => {
    const senders = [
      ...FOREIGN_URLS.map(main),
      { url: 'app://vela/index.html', parent: { url: 'app://vela/index.html' } }, // a sub-frame, even of our own page
      { url: 'https://evil.example/', parent: { url: 'app://vela/index.html' } },
      null,
      undefined,
    ];
    for (const frame of senders) {
      const reply = await invoke(frame, 'tasks.list');
      expect(reply.ok, JSON.stringify(frame)).toBe(false);
      if (!reply.ok) {
        expect(reply.error.code).toBe(FailCode.IllegalArgument);
        expect(reply.error.message).toMatch(/^refused: /);
      }
    }
    expect(calls).toEqual([]);
  });

  it('refuses undeclared channels and channel names of any other type, without routing them', async () => {
    for (const channel of ['electron-store-get-data', 'toString', '__proto__', 'tasks.list ', '', 42, null, undefined, {}, ['tasks.list'], 'x'.repeat(100_000)]) {
      const reply = await invoke(main('app://vela/index.html'), channel);
      expect(reply).toMatchObject({ ok: false, error: { code: FailCode.IllegalArgument } });
      if (!reply.ok) expect(reply.error.message.length).toBeLessThan(120);
    }
    expect(calls).toEqual([]);
  });

  it('forwards events only to a live window that shows the app\'s own page, and only declared ones', () => {
    const sent: unknown[][] = [];
    let url = 'app://vela/index.html';
    let destroyed = false;
    const win = {
      isDestroyed: () => destroyed,
      webContents: { isDestroyed: () => false, getURL: () => url, send: (...args: unknown[]) => sent.push(args) },
    };
    forwardEvents(router as never, win as never);
    const emit = subscribers[subscribers.length - 1];
    emit?.('task.removed', { token: 'a' });
    emit?.('electron-store-get-data', {});
    url = 'https://evil.example/';
    emit?.('task.removed', { token: 'b' });
    url = 'app://vela/index.html';
    destroyed = true;
    emit?.('task.removed', { token: 'c' });
    expect(sent).toEqual([['vela:event', 'task.removed', { token: 'a' }]]);
  });
});

describe('the CSP, judged by the evaluator electronegativity uses', () => {
  // @doyensec/csp-evaluator comes with electronegativity: resolved from there, not hoisting.
  const requireFromScanner = createRequire(createRequire(import.meta.url).resolve('@doyensec/electronegativity/package.json'));
  const csp = requireFromScanner('@doyensec/csp-evaluator') as {
    CspParser: new (text: string) => { csp: unknown };
    CspEvaluator: new (parsed: unknown, version: unknown) => { evaluate(): Array<{ severity: number; directive: string; value?: string; description: string }> };
    Version: { CSP3: unknown };
    severities: Record<string, number>;
  };
  const evaluate = (text: string) => new csp.CspEvaluator(new csp.CspParser(text).csp, csp.Version.CSP3).evaluate();

  it('has no HIGH, MEDIUM or syntax finding; the one "maybe" is script-src \'self\' (app:// serves only our bundle)', () => {
    const findings = evaluate(ELECTRON_CSP);
    const serious = [csp.severities.HIGH, csp.severities.SYNTAX, csp.severities.MEDIUM, csp.severities.HIGH_MAYBE];
    expect(findings.filter((f) => serious.includes(f.severity))).toEqual([]);
    expect(findings.map((f) => `${f.directive} ${f.value ?? ''}`.trim())).toEqual(["script-src 'self'"]);
    // The evaluator does catch a weak policy (so the empty list above means something).
    expect(evaluate("script-src 'self' 'unsafe-inline' https:; object-src *").some((f) => f.severity === csp.severities.HIGH)).toBe(true);
  });

  it('names each directive once, with no wildcard, no eval, no remote or file scheme anywhere', () => {
    const directives = ELECTRON_CSP.split(';').map((d) => d.trim().split(/\s+/)[0]);
    expect(new Set(directives).size).toBe(directives.length);
    expect(ELECTRON_CSP).not.toMatch(/\*|'unsafe-eval'|'wasm-unsafe-eval'|'unsafe-hashes'|'strict-dynamic'|\b(?:https?|wss?|file|ftp|filesystem):/);
    const value = (name: string) => ELECTRON_CSP.split(';').map((d) => d.trim()).find((d) => d.startsWith(`${name} `))?.slice(name.length + 1);
    expect(value('worker-src')).toBe("'none'");
    expect(value('frame-src')).toBe("'none'");
    expect(value('manifest-src')).toBe("'self'");
    expect(value('font-src')).toBe("'self'");
    expect(value('script-src')).not.toMatch(/data:|blob:|vela-media:|unsafe-inline/);
    expect(value('style-src')).toBe("'self' 'unsafe-inline'");
  });
});
