import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHANNEL_NAMES, EVENT_NAMES } from '../../src-shared/channels.js';
import { FailCode } from '../../src-shared/codes.js';
import { CONTENT_SECURITY_POLICY } from '../../src-main/host/browser-host.js';
import { invokeRefusal, isEventName, isInvokable } from '../../src-main/electron/ipc-contract.js';
import {
  ELECTRON_CSP,
  PRIVILEGED_SCHEMES,
  SECURITY_HEADERS,
  allowNavigation,
  allowPermission,
  checkSender,
  webPreferencesFor,
} from '../../src-main/electron/security-policy.js';

const directives = (csp: string): Map<string, string[]> =>
  new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name = '', ...values]) => [name, values]));

describe('the window\'s webPreferences', () => {
  it('isolate the page: context isolation, sandbox, no Node anywhere, web security on', () => {
    const prefs = webPreferencesFor('/app/dist/electron/preload.cjs');
    expect(prefs).toMatchObject({
      preload: '/app/dist/electron/preload.cjs',
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
    });
    expect(prefs.devTools).toBe(false);
    expect(webPreferencesFor('/p', { devTools: true }).devTools).toBe(true);
  });
});

describe('the Content-Security-Policy', () => {
  const csp = directives(ELECTRON_CSP);

  it('allows scripts from the app itself only: no inline, no eval, no remote origin', () => {
    expect(csp.get('default-src')).toEqual(["'none'"]);
    expect(csp.get('script-src')).toEqual(["'self'"]);
    expect(ELECTRON_CSP).not.toMatch(/unsafe-eval|wasm-unsafe-eval|https?:|\*/);
    expect(csp.get('object-src')).toEqual(["'none'"]);
    expect(csp.get('base-uri')).toEqual(["'none'"]);
    expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
    expect(csp.get('form-action')).toEqual(["'none'"]);
  });

  it('lets media previews come from vela-media: and nowhere else outside the app', () => {
    expect(csp.get('img-src')).toContain('vela-media:');
    expect(csp.get('media-src')).toContain('vela-media:');
    expect(csp.get('connect-src')).toEqual(["'self'"]);
  });

  it('is at least as strict as the browser host\'s for scripts', () => {
    expect(directives(CONTENT_SECURITY_POLICY).get('script-src')).toEqual(csp.get('script-src'));
    expect(SECURITY_HEADERS['content-security-policy']).toBe(ELECTRON_CSP);
    expect(SECURITY_HEADERS['x-content-type-options']).toBe('nosniff');
  });
});

describe('the custom schemes', () => {
  it('app: is standard and secure; neither scheme is CORS-open or bypasses the CSP', () => {
    const app = PRIVILEGED_SCHEMES.find((s) => s.scheme === 'app');
    const media = PRIVILEGED_SCHEMES.find((s) => s.scheme === 'vela-media');
    expect(app?.privileges).toMatchObject({ standard: true, secure: true });
    expect(media?.privileges).toMatchObject({ standard: true, secure: true, stream: true });
    for (const scheme of PRIVILEGED_SCHEMES) {
      expect(scheme.privileges?.bypassCSP ?? false).toBe(false);
      expect(scheme.privileges?.corsEnabled ?? false).toBe(false);
      expect(scheme.privileges?.allowServiceWorkers ?? false).toBe(false);
    }
    expect(PRIVILEGED_SCHEMES).toHaveLength(2);
  });
});

describe('navigation and permissions', () => {
  it('navigation stays on app://', () => {
    expect(allowNavigation('app://vela/index.html')).toBe(true);
    for (const url of ['https://example.com/', 'http://127.0.0.1/', 'file:///etc/passwd', 'app://other/', 'vela-media://cache/a.png', 'about:blank', 'data:text/html,x']) {
      expect(allowNavigation(url), url).toBe(false);
    }
  });

  it('every permission is denied', () => {
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'clipboard-sanitized-write', 'fullscreen', 'openExternal', 'hid', 'usb', 'unknown']) {
      expect(allowPermission(permission), permission).toBe(false);
    }
  });
});

describe('the IPC sender check', () => {
  const page = { url: 'app://vela/index.html', isMainFrame: true };

  it('serves the app\'s own main frame only', () => {
    expect(checkSender(page)).toEqual({ ok: true });
    expect(checkSender({ url: 'app://vela/#/media', isMainFrame: true })).toEqual({ ok: true });
    expect(checkSender({ ...page, isMainFrame: false }).ok).toBe(false);
    expect(checkSender({ url: 'https://evil.example/', isMainFrame: true }).ok).toBe(false);
    expect(checkSender({ url: 'file:///tmp/x.html', isMainFrame: true }).ok).toBe(false);
    expect(checkSender({ url: '', isMainFrame: true }).ok).toBe(false);
    expect(checkSender(null).ok).toBe(false);
    expect(checkSender(undefined).ok).toBe(false);
  });

  it('lets through exactly the channels of the contract', () => {
    for (const channel of CHANNEL_NAMES) {
      expect(isInvokable(channel)).toBe(true);
      expect(invokeRefusal(page, channel)).toBeUndefined();
    }
    for (const channel of ['toString', '__proto__', 'constructor', 'hasOwnProperty', 'tasks', 'download.start ', 'electron-store-get-data', '', 1, null, {}]) {
      expect(isInvokable(channel), String(channel)).toBe(false);
      expect(invokeRefusal(page, channel)).toMatchObject({ code: FailCode.IllegalArgument });
    }
  });

  it('refuses a foreign sender before looking at the channel', () => {
    const refusal = invokeRefusal({ url: 'https://evil.example/', isMainFrame: true }, 'tasks.list');
    expect(refusal).toEqual({ code: FailCode.IllegalArgument, message: 'refused: the caller is not the app\'s own page' });
    expect(invokeRefusal(null, 'tasks.list')?.message).toMatch(/gone/);
  });

  it('keeps an error message short whatever the page sends', () => {
    expect(invokeRefusal(page, 'x'.repeat(10_000))!.message.length).toBeLessThan(120);
  });

  it('forwards exactly the events of the contract', () => {
    for (const name of EVENT_NAMES) expect(isEventName(name)).toBe(true);
    for (const name of ['task.updated ', 'task', 'toString', '', undefined, 3]) expect(isEventName(name)).toBe(false);
  });
});

describe('the electron folder', () => {
  const folder = path.resolve('src-main/electron');
  const sources = fs.readdirSync(folder).filter((f) => f.endsWith('.ts'));
  const importsElectron = (file: string): boolean =>
    /^import\s+(?!type\b)[^;]*from\s+'electron(?:-store)?'/m.test(fs.readFileSync(path.join(folder, file), 'utf8'));

  it('keeps electron out of the modules the tests and the preload bundle run in plain Node', () => {
    // Importing `electron` outside Electron runs its installer (a download): these must never do it.
    const pure = ['urls.ts', 'security-policy.ts', 'ipc-contract.ts', 'preload-api.ts', 'app-protocol.ts', 'media-protocol.ts',
      'gallery-defaults.ts', 'open-policy.ts', 'completion-notices.ts', 'overall-progress.ts', 'tray-icon.ts', 'launch-plan.ts',
      'engine-link.ts', 'window-bounds.ts'];
    for (const file of pure) expect(importsElectron(file), file).toBe(false);
    const shell = sources.filter(importsElectron).sort();
    expect(shell).toEqual(['electron-conf.ts', 'engine-access.ts', 'engine-process.ts', 'ipc.ts', 'main.ts', 'navigation.ts', 'notifications.ts', 'preload.ts', 'progress.ts',
      'schemes.ts', 'shell.ts', 'single-instance.ts', 'window.ts'].sort());
  });

  it('runs no engine: what main loads at run time never reaches Engine, openEngine or the router', () => {
    // The compiled graph (test/global-setup.ts builds dist/), so type-only imports, which vanish, do not count.
    const start = path.resolve('dist/src-main/electron/main.js');
    const loaded = new Set<string>();
    const stack = [start];
    while (stack.length > 0) {
      const file = stack.pop()!;
      if (loaded.has(file)) continue;
      loaded.add(file);
      const code = fs.readFileSync(file, 'utf8');
      for (const m of code.matchAll(/\b(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) stack.push(path.resolve(path.dirname(file), m[1]!));
    }
    const modules = [...loaded].map((file) => path.relative(path.resolve('dist'), file).split(path.sep).join('/'));
    expect(modules).toContain('src-main/engine-process/client.js');
    expect(modules).toContain('src-main/electron/engine-process.js');
    const forbidden = modules.filter((m) => /^src-main\/(core\/engine\.js|host\/access\.js|router\/|engine-process\/(serve|entry)\.js)/.test(m) || m.startsWith('src-main/cli/'));
    expect(forbidden).toEqual([]);
    // Nor does any source of the folder import them for more than types (ESLint's layer rule says the same).
    for (const file of sources) {
      const text = fs.readFileSync(path.join(folder, file), 'utf8');
      expect(text, file).not.toMatch(/^import\s+(?!type\b)[^;]*from\s+'\.\.\/(core\/engine|host\/access|router\/router)\.js'/m);
      expect(text, file).not.toMatch(/new Engine\(|openEngine\(/);
    }
  });

  it('registers exactly one IPC handler, and nothing listens with ipcMain.on', () => {
    const all = sources.map((f) => fs.readFileSync(path.join(folder, f), 'utf8')).join('\n');
    expect(all.match(/ipcMain\.handle\(/g)).toHaveLength(1);
    expect(all).not.toMatch(/ipcMain\.on\(|ipcMain\.handleOnce\(|sendSync|exposeInMainWorld\('(?!vela')/);
    expect(all).not.toMatch(/sandbox:\s*false|contextIsolation:\s*false|nodeIntegration:\s*true|webSecurity:\s*false/);
  });
});
