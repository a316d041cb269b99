/// <reference types="electron" />
/**
 * The stand-in for the `electron` module in the main process: what `dist/electron/main.js` (and
 * electron-store) get when launcher.ts runs them under Node with `electron` resolved here (hooks.ts).
 * Each export has the type of its surface (surface.ts, taken from Electron's declarations) and the
 * implementation `satisfies` it. Windows are pages in Chromium, driven by the test process over the
 * control channel (control.ts, driver.ts); the engine's utility process is a `child_process.fork`
 * with `process.parentPort` (utility-child.ts). What the shell shows outside the page (notifications,
 * the tray, the taskbar bar, dialogs, reveal/open) is recorded for the test to assert on.
 *
 * Only Node built-ins and the stand-in's own files are imported: this runs from a temporary folder.
 */
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { BREAK_ENV, type Break, type DriverCalls, type FrameInfo, type SchemeInfo, type ShellRpc, type UserAct } from './control.js';
import type * as S from './surface.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- Electron's own signatures use any */

// ---- the control channel, records, deliberate breaks ----------------------------------------------------

let control: ShellRpc | undefined;
const startedAt = Date.now();
const breaks = new Set((process.env[BREAK_ENV] ?? '').split(',').filter(Boolean) as Break[]);

function record(kind: string, data: Record<string, unknown> = {}): void {
  control?.note('record', { kind, at: Date.now() - startedAt, pid: process.pid, data });
}

/** The app's folder (package.json's), as `electron .` would be given it. */
const appPath = (): string => process.env.VELA_STANDIN_APP_PATH ?? process.cwd();

// ---- events -------------------------------------------------------------------------------------------

type Events = { [name: string]: (...args: any[]) => void };

/** Electron's objects are Node event emitters; `fire` emits one of the listed events with its declared arguments. */
class Emitter<E extends Events> extends EventEmitter implements S.Listens<E> {
  fire<K extends keyof E & string>(event: K, ...args: Parameters<E[K]>): boolean {
    return this.emit(event, ...args);
  }
}

/** Electron's Event: preventDefault and defaultPrevented, plus the event's own fields. */
function electronEvent<P extends object>(params: P = {} as P): Electron.Event<P> {
  let prevented = false;
  const event = { ...params, preventDefault: () => void (prevented = true) };
  Object.defineProperty(event, 'defaultPrevented', { get: () => prevented, enumerable: true });
  return event as Electron.Event<P>;
}

// ---- app --------------------------------------------------------------------------------------------------

const readPackage = (): { name?: string; productName?: string; version?: string } => {
  try {
    return JSON.parse(fs.readFileSync(path.join(appPath(), 'package.json'), 'utf8')) as { name?: string; productName?: string; version?: string };
  } catch {
    return {};
  }
};

const SINGLETON_SOCKET = 'SingletonSocket';

/** Run by a short-lived Node process: hand the arguments to the first instance, exit 0 if it heard them. */
const HANDOFF_SCRIPT = `
const net = require('node:net');
const [socket, payload] = process.argv.slice(1);
const timer = setTimeout(() => process.exit(1), 4000);
const c = net.connect(socket, () => c.write(payload + '\\n'));
let got = '';
c.on('data', (d) => { got += d; if (got.includes('\\n')) { clearTimeout(timer); process.exit(got.startsWith('ok') ? 0 : 1); } });
c.on('error', () => process.exit(1));
`;

class StandinApp extends Emitter<S.AppEvents> implements S.AppSurface {
  readonly isPackaged = false;
  #name: string;
  readonly #version: string;
  readonly #paths = new Map<string, string>();
  #ready = false;
  readonly #whenReady: Promise<void>;
  #resolveReady!: () => void;
  #quitting = false;
  #lock: net.Server | undefined;
  #secondInstances: Array<{ argv: string[]; cwd: string; additionalData: unknown }> = [];

  constructor() {
    super();
    const pkg = readPackage();
    this.#name = pkg.productName ?? pkg.name ?? 'Electron';
    this.#version = pkg.version ?? '0.0.0';
    this.#whenReady = new Promise((resolve) => (this.#resolveReady = resolve));
  }

  getAppPath(): string {
    return appPath();
  }

  getName(): string {
    return this.#name;
  }

  setName(name: string): void {
    this.#name = name;
  }

  getVersion(): string {
    return this.#version;
  }

  getLocale(): string {
    return 'en-US';
  }

  getPath(name: Parameters<Electron.App['getPath']>[0]): string {
    const set = this.#paths.get(name);
    if (set) return set;
    const home = os.homedir();
    const appData = process.env.XDG_CONFIG_HOME ?? path.join(home, '.config');
    switch (name) {
      case 'home':
        return home;
      case 'appData':
        return appData;
      case 'userData':
        return path.join(appData, this.#name);
      case 'sessionData':
        return this.getPath('userData');
      case 'temp':
        return os.tmpdir();
      case 'exe':
      case 'module':
        return process.execPath;
      case 'logs':
        return path.join(this.getPath('userData'), 'logs');
      case 'crashDumps':
        return path.join(this.getPath('userData'), 'Crashpad');
      case 'desktop':
        return path.join(home, 'Desktop');
      case 'documents':
        return path.join(home, 'Documents');
      case 'downloads':
        return path.join(home, 'Downloads');
      case 'music':
        return path.join(home, 'Music');
      case 'pictures':
        return path.join(home, 'Pictures');
      case 'videos':
        return path.join(home, 'Videos');
      default:
        throw new Error(`Failed to get '${name}' path`);
    }
  }

  setPath(name: string, value: string): void {
    if (!path.isAbsolute(value)) throw new Error(`Path must be absolute: ${value}`);
    if (name === 'sessionData' && this.#ready) throw new Error('sessionData can only be set before the app is ready');
    this.#paths.set(name, value);
    record('app.setPath', { name, path: value });
  }

  whenReady(): Promise<void> {
    return this.#whenReady;
  }

  isReady(): boolean {
    return this.#ready;
  }

  focus(): void {
    record('app.focus');
  }

  setAppUserModelId(id: string): void {
    record('app.setAppUserModelId', { id });
  }

  /** Once the main script's top level has run (launcher.ts), as Electron does. */
  standinReady(): void {
    if (this.#ready) return;
    this.fire('will-finish-launching');
    this.#ready = true;
    record('app.ready');
    this.fire('ready', electronEvent(), {});
    this.#resolveReady();
    // Launches handed over before `ready` are told now.
    for (const second of this.#secondInstances.splice(0)) this.#secondInstance(second);
  }

  quit(): void {
    if (this.#quitting) return;
    const beforeQuit = electronEvent();
    this.fire('before-quit', beforeQuit);
    if (beforeQuit.defaultPrevented) return;
    this.#quitting = true;
    for (const win of StandinBrowserWindow.all()) {
      if (!win.standinCloseForQuit()) {
        this.#quitting = false; // a window refused to close: the quit is cancelled, as in Electron
        return;
      }
    }
    const willQuit = electronEvent();
    this.fire('will-quit', willQuit);
    if (willQuit.defaultPrevented) {
      this.#quitting = false;
      return;
    }
    this.fire('quit', electronEvent(), 0);
    record('app.quit');
    void exitProcess(0);
  }

  exit(exitCode = 0): void {
    this.#quitting = true;
    record('app.exit', { code: exitCode });
    void exitProcess(exitCode);
  }

  get standinQuitting(): boolean {
    return this.#quitting;
  }

  /** The last window closed by itself (not while quitting): Electron quits unless someone listens. */
  standinAllWindowsClosed(): void {
    if (this.#quitting) return;
    if (this.listenerCount('window-all-closed') > 0) this.fire('window-all-closed');
    else this.quit();
  }

  /**
   * Electron's lock is a socket in the userData folder. Here too: a second instance connects and hands
   * over its arguments (synchronously, through a short-lived helper, since the call is synchronous);
   * the first answers and emits `second-instance`.
   */
  requestSingleInstanceLock(additionalData?: Record<any, any>): boolean {
    if (this.#lock) return true;
    const dir = this.getPath('userData');
    const socket = path.join(dir, SINGLETON_SOCKET);
    const payload = JSON.stringify({ argv: process.argv, cwd: process.cwd(), additionalData: additionalData ?? null });
    const handed = spawnSync(process.execPath, ['-e', HANDOFF_SCRIPT, socket, payload], { stdio: 'ignore', timeout: 8_000 });
    if (handed.status === 0) {
      record('app.requestSingleInstanceLock', { primary: false });
      return false;
    }
    fs.mkdirSync(dir, { recursive: true });
    fs.rmSync(socket, { force: true });
    const server = net.createServer((connection) => {
      let text = '';
      connection.setEncoding('utf8');
      connection.on('data', (chunk: string) => {
        text += chunk;
        if (!text.includes('\n')) return;
        try {
          const second = JSON.parse(text.slice(0, text.indexOf('\n'))) as { argv: string[]; cwd: string; additionalData: unknown };
          if (this.#ready) this.#secondInstance(second);
          else this.#secondInstances.push(second);
          connection.end('ok\n');
        } catch {
          connection.end('no\n');
        }
      });
      connection.on('error', () => {});
    });
    server.listen(socket);
    server.unref();
    this.#lock = server;
    record('app.requestSingleInstanceLock', { primary: true });
    return true;
  }

  hasSingleInstanceLock(): boolean {
    return this.#lock !== undefined;
  }

  releaseSingleInstanceLock(): void {
    this.#lock?.close();
    this.#lock = undefined;
  }

  #secondInstance(second: { argv: string[]; cwd: string; additionalData: unknown }): void {
    record('app.second-instance', { argv: second.argv, workingDirectory: second.cwd });
    this.fire('second-instance', electronEvent(), second.argv, second.cwd, second.additionalData);
  }
}

const standinApp = new StandinApp() satisfies S.AppSurface;

// ---- leaving: wait for the control channel to carry the last records --------------------------------

let inFlight = 0;
const drained: Array<() => void> = [];

/** The shell's send on the control channel, counted so that the process can leave once it is empty. */
export function controlSend(message: unknown): void {
  if (!process.send || !process.connected) return;
  inFlight += 1;
  process.send(message, undefined, undefined, () => {
    inFlight -= 1;
    if (inFlight === 0) for (const done of drained.splice(0)) done();
  });
}

async function exitProcess(code: number): Promise<never> {
  if (inFlight > 0) await Promise.race([new Promise<void>((resolve) => drained.push(resolve)), new Promise((resolve) => setTimeout(resolve, 2_000))]);
  process.exit(code);
}

// ---- frames, web contents, windows ----------------------------------------------------------------------------

let privileged: SchemeInfo[] = [];

/** A frame's origin as Chromium gives it: `app://vela` for a standard custom scheme (Node's URL says 'null'). */
function originOf(url: string): string {
  try {
    const parsed = new URL(url);
    const scheme = parsed.protocol.slice(0, -1);
    if (privileged.some((s) => s.scheme === scheme && s.standard)) return `${parsed.protocol}//${parsed.host}`;
    return parsed.origin;
  } catch {
    return 'null';
  }
}

let nextFrameId = 1;

function frameFor(contents: StandinWebContents, info: FrameInfo): S.FrameSurface {
  const main = contents.mainFrame;
  if (info.isMainFrame && info.url === main.url) return main;
  const routingId = nextFrameId++;
  const frame: S.FrameSurface = {
    url: info.url,
    origin: originOf(info.url),
    name: '',
    processId: contents.standinProcessId,
    routingId,
    frameTreeNodeId: routingId,
    detached: false,
    isDestroyed: () => contents.isDestroyed(),
    parent: info.isMainFrame ? null : main,
    get top() {
      return info.isMainFrame ? frame : main;
    },
    frames: [],
  };
  return frame;
}

/** A window's main frame: its URL is the web contents' current one. */
class MainFrame implements S.FrameSurface {
  readonly name = '';
  readonly parent: S.FrameSurface | null = null;
  readonly frames: S.FrameSurface[] = [];
  readonly #contents: StandinWebContents;
  readonly processId: number;
  readonly routingId: number;

  constructor(contents: StandinWebContents, processId: number, routingId: number) {
    this.#contents = contents;
    this.processId = processId;
    this.routingId = routingId;
  }

  get url(): string {
    return this.#contents.getURL();
  }

  get origin(): string {
    return originOf(this.#contents.getURL());
  }

  get frameTreeNodeId(): number {
    return this.routingId;
  }

  get detached(): boolean {
    return this.#contents.isDestroyed();
  }

  get top(): S.FrameSurface {
    return this;
  }

  isDestroyed(): boolean {
    return this.#contents.isDestroyed();
  }
}

let nextContentsId = 1;

class StandinWebContents extends Emitter<S.WebContentsEvents> implements S.WebContentsSurface {
  readonly id = nextContentsId++;
  readonly standinProcessId = 1000 + this.id;
  readonly mainFrame: S.FrameSurface;
  #url = '';
  #title = '';
  #loading = false;
  #destroyed = false;
  #openHandler: ((details: Electron.HandlerDetails) => Electron.WindowOpenHandlerResponse) | undefined;
  readonly #windowId: number;

  constructor(windowId: number) {
    super();
    this.#windowId = windowId;
    this.mainFrame = new MainFrame(this, this.standinProcessId, nextFrameId++);
  }

  getURL(): string {
    return this.#url;
  }

  getTitle(): string {
    return this.#title;
  }

  isDestroyed(): boolean {
    return this.#destroyed;
  }

  isLoading(): boolean {
    return this.#loading;
  }

  #alive(): void {
    if (this.#destroyed) throw new TypeError('Object has been destroyed');
  }

  send(channel: string, ...args: any[]): void {
    this.#alive();
    // What the page receives is a structured clone, as over Electron's IPC.
    control?.note('window.send', { id: this.#windowId, channel, args: structuredClone(args) });
  }

  async loadURL(url: string, _options?: Electron.LoadURLOptions): Promise<void> {
    this.#alive();
    this.#loading = true;
    record('webContents.loadURL', { id: this.#windowId, url });
    try {
      await requireControl().call('window.load', { id: this.#windowId, url });
    } catch (error) {
      const message = (error as Error).message;
      this.fire('did-fail-load', electronEvent(), -2, message, url, true, this.standinProcessId, this.mainFrame.routingId);
      throw new Error(`ERR_FAILED (-2) loading '${url}': ${message}`);
    } finally {
      this.#loading = false;
    }
  }

  reload(): void {
    this.#alive();
    void requireControl().call('window.op', { id: this.#windowId, op: 'reload' }).catch(() => {});
  }

  focus(): void {
    this.#alive();
    void requireControl().call('window.op', { id: this.#windowId, op: 'focus' }).catch(() => {});
  }

  setWindowOpenHandler(handler: (details: Electron.HandlerDetails) => Electron.WindowOpenHandlerResponse): void {
    this.#openHandler = handler;
  }

  standinNavigated(url: string, inPage: boolean): void {
    this.#url = url;
    if (inPage) this.fire('did-navigate-in-page', electronEvent(), url, true, this.standinProcessId, this.mainFrame.routingId);
    else this.fire('did-navigate', electronEvent(), url, 200, 'OK');
  }

  standinLoaded(): void {
    this.fire('did-finish-load');
  }

  /** A navigation the page started: will-frame-navigate, then will-navigate for the main frame (or will-redirect). */
  standinNavigation(params: Parameters<DriverCalls['navigation']>[0]): boolean {
    const frame = params.isMainFrame ? this.mainFrame : frameFor(this, { url: params.url, isMainFrame: false });
    const fields = { url: params.url, isSameDocument: false, isMainFrame: params.isMainFrame, frame, initiator: this.mainFrame };
    let prevented = false;
    if (params.redirect) {
      const event = electronEvent(fields);
      this.fire('will-redirect', event);
      prevented = event.defaultPrevented;
    } else {
      const frameEvent = electronEvent(fields);
      this.fire('will-frame-navigate', frameEvent);
      prevented = frameEvent.defaultPrevented;
      if (params.isMainFrame && !prevented) {
        const event = electronEvent(fields);
        this.fire('will-navigate', event);
        prevented = event.defaultPrevented;
      }
    }
    record('webContents.navigation', { id: this.#windowId, url: params.url, isMainFrame: params.isMainFrame, redirect: params.redirect, prevented });
    return prevented;
  }

  /** window.open or a target=_blank link: the handler decides; Electron allows when there is none. */
  standinWindowOpen(params: Parameters<DriverCalls['window.open']>[0]): 'allow' | 'deny' {
    const details: Electron.HandlerDetails = {
      url: params.url,
      frameName: params.frameName,
      features: params.features,
      disposition: 'new-window',
      referrer: { url: this.#url, policy: 'strict-origin-when-cross-origin' },
    };
    const action = this.#openHandler ? this.#openHandler(details).action : 'allow';
    record('webContents.window-open', { id: this.#windowId, url: params.url, action });
    return action;
  }

  standinDestroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.fire('destroyed');
  }
}

let nextWindowId = 1;
const windows = new Map<number, StandinBrowserWindow>();
let focusedId: number | undefined;

function requireControl(): ShellRpc {
  if (!control) throw new Error('the stand-in has no control channel (start it with launcher.js)');
  return control;
}

class StandinBrowserWindow extends Emitter<S.BrowserWindowEvents> implements S.BrowserWindowSurface {
  readonly id = nextWindowId++;
  readonly webContents: StandinWebContents;
  #bounds: Electron.Rectangle;
  #title: string;
  #visible = false;
  #maximized = false;
  #minimized = false;
  #destroyed = false;
  #shownOnce = false;

  static all(): StandinBrowserWindow[] {
    return [...windows.values()];
  }

  static getAllWindows(): StandinBrowserWindow[] {
    return StandinBrowserWindow.all();
  }

  static getFocusedWindow(): StandinBrowserWindow | null {
    return (focusedId === undefined ? undefined : windows.get(focusedId)) ?? null;
  }

  static fromWebContents(contents: S.WebContentsSurface): StandinBrowserWindow | null {
    return StandinBrowserWindow.all().find((w) => w.webContents === contents) ?? null;
  }

  constructor(options: Electron.BrowserWindowConstructorOptions = {}) {
    super();
    if (!standinApp.isReady()) throw new Error('Cannot create BrowserWindow before app is ready');
    const width = options.width ?? 800;
    const height = options.height ?? 600;
    this.#bounds = { x: options.x ?? 0, y: options.y ?? 0, width, height };
    this.#title = options.title ?? standinApp.getName();
    this.webContents = new StandinWebContents(this.id);
    const prefs = options.webPreferences ?? {};
    // Electron loads the preload from an absolute path, into every page the window shows.
    let preload: string | null = null;
    if (prefs.preload && !breaks.has('no-preload')) {
      if (!path.isAbsolute(prefs.preload)) throw new Error(`the preload must be an absolute path: ${prefs.preload}`);
      preload = fs.readFileSync(prefs.preload, 'utf8');
    }
    record('BrowserWindow.new', { id: this.id, options: { ...options, icon: options.icon === undefined ? undefined : String(options.icon), webPreferences: { ...prefs } } });
    windows.set(this.id, this);
    this.#created = requireControl().call('window.create', { id: this.id, width, height, preload });
    this.#created.catch(() => {});
    standinApp.fire('web-contents-created', electronEvent(), this.webContents);
    standinApp.fire('browser-window-created', electronEvent(), this);
  }

  readonly #created: Promise<void>;

  async loadURL(url: string, options?: Electron.LoadURLOptions): Promise<void> {
    await this.#created;
    return this.webContents.loadURL(url, options);
  }

  show(): void {
    this.#visible = true;
    this.#minimized = false;
    record('window.show', { id: this.id });
    this.fire('show');
    this.focus();
  }

  hide(): void {
    this.#visible = false;
    record('window.hide', { id: this.id });
  }

  focus(): void {
    focusedId = this.id;
    record('window.focus', { id: this.id });
    void requireControl().call('window.op', { id: this.id, op: 'focus' }).catch(() => {});
    this.fire('focus');
  }

  isVisible(): boolean {
    return this.#visible;
  }

  isFocused(): boolean {
    return focusedId === this.id;
  }

  isMinimized(): boolean {
    return this.#minimized;
  }

  minimize(): void {
    this.#minimized = true;
    record('window.minimize', { id: this.id });
  }

  restore(): void {
    this.#minimized = false;
    record('window.restore', { id: this.id });
  }

  maximize(): void {
    this.#maximized = true;
    record('window.maximize', { id: this.id });
  }

  unmaximize(): void {
    this.#maximized = false;
  }

  isMaximized(): boolean {
    return this.#maximized;
  }

  getBounds(): Electron.Rectangle {
    return { ...this.#bounds };
  }

  getNormalBounds(): Electron.Rectangle {
    return { ...this.#bounds };
  }

  getTitle(): string {
    return this.#title;
  }

  setTitle(title: string): void {
    this.#title = title;
  }

  setProgressBar(progress: number, options?: Electron.ProgressBarOptions): void {
    record('window.setProgressBar', { id: this.id, progress, mode: options?.mode ?? null });
  }

  isDestroyed(): boolean {
    return this.#destroyed;
  }

  /** Like the close button: 'close' may be prevented. */
  close(): void {
    if (this.#destroyed) return;
    const event = electronEvent();
    this.fire('close', event);
    if (!event.defaultPrevented) this.destroy();
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    windows.delete(this.id);
    if (focusedId === this.id) focusedId = undefined;
    record('window.closed', { id: this.id });
    void requireControl().call('window.op', { id: this.id, op: 'close' }).catch(() => {});
    this.webContents.standinDestroy();
    this.fire('closed');
    if (windows.size === 0) standinApp.standinAllWindowsClosed();
  }

  /** During app.quit(): false when 'close' was prevented. */
  standinCloseForQuit(): boolean {
    const event = electronEvent();
    this.fire('close', event);
    if (event.defaultPrevented) return false;
    this.destroy();
    return true;
  }

  standinLoaded(): void {
    this.webContents.standinLoaded();
    if (this.#shownOnce) return;
    this.#shownOnce = true;
    this.fire('ready-to-show');
  }

  /** The page went away under the shell (the test closed it, Chromium lost it). */
  standinGone(): void {
    if (!this.#destroyed) this.destroy();
  }
}


// ---- protocols ---------------------------------------------------------------------------------------------

type ProtocolHandler = Parameters<Electron.Protocol['handle']>[1];
const protocolHandlers = new Map<string, ProtocolHandler>();
let schemesRegistered = false;

const standinProtocol = {
  registerSchemesAsPrivileged(customSchemes: Electron.CustomScheme[]): void {
    if (standinApp.isReady()) throw new Error('protocol.registerSchemesAsPrivileged should be called before app is ready');
    if (schemesRegistered) record('protocol.registerSchemesAsPrivileged.again');
    schemesRegistered = true;
    // Electron keeps the last call's list only.
    privileged = customSchemes.map((s) => ({ scheme: s.scheme, standard: s.privileges?.standard === true, secure: s.privileges?.secure === true }));
    record('protocol.registerSchemesAsPrivileged', { schemes: structuredClone(customSchemes) });
    control?.note('schemes', { schemes: privileged });
  },
  handle(scheme: string, handler: ProtocolHandler): void {
    if (!standinApp.isReady()) throw new Error('The protocol module can only be used after the app is ready');
    if (protocolHandlers.has(scheme)) throw new Error(`Failed to register protocol: ${scheme}`);
    const mounted: ProtocolHandler = breaks.has('app-404') && scheme === 'app' ? () => new Response('not found\n', { status: 404 }) : handler;
    protocolHandlers.set(scheme, mounted);
    record('protocol.handle', { scheme });
  },
  unhandle(scheme: string): void {
    protocolHandlers.delete(scheme);
    record('protocol.unhandle', { scheme });
  },
  isProtocolHandled(scheme: string): boolean {
    return protocolHandlers.has(scheme);
  },
} satisfies S.ProtocolSurface;

async function protocolRequest(params: Parameters<DriverCalls['protocol.request']>[0]): Promise<ReturnType<DriverCalls['protocol.request']>> {
  const scheme = new URL(params.url).protocol.slice(0, -1);
  const handler = protocolHandlers.get(scheme);
  if (!handler) {
    record('protocol.request', { url: params.url, method: params.method, status: null });
    return null;
  }
  const hasBody = params.body !== null && params.method !== 'GET' && params.method !== 'HEAD';
  const request = new Request(params.url, { method: params.method, headers: params.headers, ...(hasBody ? { body: params.body } : {}) });
  const response = await handler(request);
  // The body is read whole: the stand-in hands Chromium one buffer (Electron streams it).
  const body = new Uint8Array(await response.arrayBuffer());
  record('protocol.request', { url: params.url, method: params.method, status: response.status });
  return { status: response.status, headers: Object.fromEntries(response.headers), body };
}

// ---- session --------------------------------------------------------------------------------------------------

type RequestHandler = Parameters<S.SessionSurface['setPermissionRequestHandler']>[0];
type CheckHandler = Parameters<Electron.Session['setPermissionCheckHandler']>[0];
type DeviceHandler = Parameters<Electron.Session['setDevicePermissionHandler']>[0];

class StandinSession implements S.SessionSurface {
  requestHandler: RequestHandler = null;
  checkHandler: CheckHandler = null;
  deviceHandler: DeviceHandler = null;

  setPermissionRequestHandler(handler: RequestHandler): void {
    this.requestHandler = handler;
    record('session.setPermissionRequestHandler', { set: handler !== null });
  }

  setPermissionCheckHandler(handler: CheckHandler): void {
    this.checkHandler = handler;
    record('session.setPermissionCheckHandler', { set: handler !== null });
  }

  setDevicePermissionHandler(handler: DeviceHandler): void {
    this.deviceHandler = handler;
    record('session.setDevicePermissionHandler', { set: handler !== null });
  }

  /** What Chromium would be told: the check, the request and the device answers (Chromium's default when unset: granted). */
  async standinAsk(permission: string, origin: string): Promise<{ check: boolean; request: boolean; device: boolean }> {
    const contents = StandinBrowserWindow.all()[0]?.webContents ?? null;
    const check = this.checkHandler ? this.checkHandler(contents as unknown as Electron.WebContents, permission as never, origin, { requestingUrl: origin } as never) : true;
    const request = this.requestHandler && contents
      ? await new Promise<boolean>((resolve) => this.requestHandler!(contents, permission as never, resolve, { requestingUrl: origin, isMainFrame: true } as never))
      : true;
    const device = this.deviceHandler ? this.deviceHandler({ deviceType: 'usb', origin, device: {} } as never) : true;
    return { check, request, device };
  }
}

const defaultSession = new StandinSession() satisfies S.SessionSurface;

const standinSession = {
  get defaultSession(): S.SessionSurface {
    if (!standinApp.isReady()) throw new Error('Session can only be received when app is ready');
    return defaultSession;
  },
} satisfies S.SessionStatic;

// ---- IPC -------------------------------------------------------------------------------------------------------

type InvokeListener = Parameters<S.IpcMainSurface['handle']>[1];

class StandinIpcMain extends Emitter<S.IpcMainEvents> implements S.IpcMainSurface {
  readonly handlers = new Map<string, InvokeListener>();

  handle(channel: string, listener: InvokeListener): void {
    // The 'ipc-channel' break registers the shell's handler under another name.
    const name = breaks.has('ipc-channel') ? `${channel}-renamed` : channel;
    if (this.handlers.has(name)) throw new Error(`Attempted to register a second handler for '${name}'`);
    this.handlers.set(name, listener);
    record('ipcMain.handle', { channel: name });
  }

  handleOnce(channel: string, listener: InvokeListener): void {
    this.handle(channel, (event, ...args) => {
      this.removeHandler(channel);
      return listener(event, ...args);
    });
  }

  removeHandler(channel: string): void {
    this.handlers.delete(channel);
    this.handlers.delete(`${channel}-renamed`);
    record('ipcMain.removeHandler', { channel });
  }
}

const standinIpcMain = new StandinIpcMain() satisfies S.IpcMainSurface;

function senderFrame(contents: StandinWebContents, frame: FrameInfo): S.FrameSurface {
  // The 'foreign-sender' break reports every caller as a page from elsewhere.
  return frameFor(contents, breaks.has('foreign-sender') ? { ...frame, url: 'https://evil.example/' } : frame);
}

function invokeEvent(contents: StandinWebContents, frame: FrameInfo): S.IpcMainInvokeEventSurface {
  const sender = senderFrame(contents, frame);
  return Object.assign(electronEvent(), { type: 'frame' as const, frameId: sender.routingId, processId: contents.standinProcessId, sender: contents, senderFrame: sender });
}

async function ipcInvoke(params: Parameters<DriverCalls['ipc.invoke']>[0]): Promise<ReturnType<DriverCalls['ipc.invoke']>> {
  const win = windows.get(params.id);
  const handler = standinIpcMain.handlers.get(params.channel);
  const first = typeof params.args[0] === 'string' ? params.args[0] : undefined;
  if (!win || !handler) {
    record('ipc.invoke', { channel: params.channel, sender: params.frame.url, first, handled: false });
    return { ok: false, error: `No handler registered for '${params.channel}'` };
  }
  try {
    const value: unknown = await handler(invokeEvent(win.webContents, params.frame), ...params.args);
    record('ipc.invoke', { channel: params.channel, sender: params.frame.url, first, handled: true });
    return { ok: true, value: structuredClone(value) };
  } catch (error) {
    record('ipc.invoke', { channel: params.channel, sender: params.frame.url, first, handled: true, threw: String(error) });
    return { ok: false, error: String(error) };
  }
}

function ipcSend(params: { id: number; frame: FrameInfo; channel: string; args: unknown[] }): void {
  const win = windows.get(params.id);
  if (!win) return;
  const base = invokeEvent(win.webContents, params.frame);
  const event: S.IpcMainEventSurface = Object.assign(base, {
    returnValue: undefined as unknown,
    ports: [],
    reply: (channel: string, ...args: any[]) => win.webContents.send(channel, ...args),
  });
  standinIpcMain.emit(params.channel, event, ...params.args);
}

// ---- the engine's process ---------------------------------------------------------------------------------------

/** utility-child.js, next to this file: gives the child `process.parentPort`. */
const CHILD_SHIM = new URL('./utility-child.js', import.meta.url).href;
let lastUtilityPid: number | undefined;

class StandinUtilityProcess extends Emitter<S.UtilityProcessEvents> implements S.UtilityProcessSurface {
  readonly stdout: NodeJS.ReadableStream | null;
  readonly stderr: NodeJS.ReadableStream | null;
  #pid: number | undefined;
  readonly #child: ChildProcess;

  static fork(modulePath: string, args: string[] = [], options: Electron.ForkOptions = {}): StandinUtilityProcess {
    if (!standinApp.isReady()) throw new Error('utilityProcess cannot be created before app is ready.');
    return new StandinUtilityProcess(modulePath, args, options);
  }

  private constructor(modulePath: string, args: string[], options: Electron.ForkOptions) {
    super();
    const mode = typeof options.stdio === 'string' ? options.stdio : 'inherit';
    const stdio = Array.isArray(options.stdio)
      ? (['ignore', ...options.stdio.slice(1, 3), 'ipc'] as Array<'pipe' | 'ignore' | 'inherit' | 'ipc'>)
      : (['ignore', mode, mode, 'ipc'] as Array<'pipe' | 'ignore' | 'inherit' | 'ipc'>);
    const child = fork(modulePath, args, {
      cwd: options.cwd,
      env: (options.env as NodeJS.ProcessEnv | undefined) ?? process.env,
      execArgv: [...(options.execArgv ?? []), '--import', CHILD_SHIM],
      serialization: 'advanced',
      stdio,
    });
    this.#child = child;
    this.stdout = child.stdout;
    this.stderr = child.stderr;
    child.once('spawn', () => {
      this.#pid = child.pid;
      lastUtilityPid = child.pid;
      record('utilityProcess.fork', { pid: child.pid, modulePath, args, serviceName: options.serviceName ?? null });
      this.fire('spawn');
    });
    child.on('message', (message: unknown) => this.fire('message', message));
    child.on('error', (error) => record('utilityProcess.error', { message: error.message }));
    // 'close' comes after the last message: Electron's 'exit' after what the process posted.
    child.once('close', (code, signal) => {
      const pid = this.#pid;
      this.#pid = undefined;
      // Electron gives waitpid's status: the signal's number for a process that was killed.
      const status = code ?? (signal ? (os.constants.signals[signal] ?? 1) : 0);
      record('utilityProcess.exit', { pid: pid ?? null, code: status, signal: signal ?? null });
      this.fire('exit', status);
    });
  }

  get pid(): number | undefined {
    return this.#pid;
  }

  postMessage(message: any, _transfer?: S.MessagePortMainSurface[]): void {
    if (this.#child.connected) this.#child.send(message, undefined, undefined, () => {});
  }

  kill(): boolean {
    return this.#child.kill('SIGTERM');
  }
}

const standinUtilityProcess = { fork: (modulePath: string, args?: string[], options?: Electron.ForkOptions) => StandinUtilityProcess.fork(modulePath, args, options) } satisfies S.UtilityProcessStatic;

class StandinMessagePortMain extends Emitter<S.MessagePortMainEvents> implements S.MessagePortMainSurface {
  other: StandinMessagePortMain | undefined;
  #started = false;
  #closed = false;
  #queue: Array<{ data: unknown; ports: S.MessagePortMainSurface[] }> = [];

  postMessage(message: any, transfer: S.MessagePortMainSurface[] = []): void {
    if (this.#closed) return;
    this.other?.standinDeliver({ data: structuredClone(message), ports: transfer });
  }

  start(): void {
    this.#started = true;
    for (const event of this.#queue.splice(0)) setImmediate(() => this.fire('message', event));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.fire('close');
    this.other?.close();
  }

  standinDeliver(event: { data: unknown; ports: S.MessagePortMainSurface[] }): void {
    if (this.#closed) return;
    if (this.#started) setImmediate(() => this.fire('message', event));
    else this.#queue.push(event);
  }
}

class StandinMessageChannelMain {
  readonly port1 = new StandinMessagePortMain();
  readonly port2 = new StandinMessagePortMain();
  constructor() {
    this.port1.other = this.port2;
    this.port2.other = this.port1;
  }
}

// ---- images, menus, tray, notifications ----------------------------------------------------------------------------

class StandinNativeImage implements S.NativeImageSurface {
  readonly #bitmap: Buffer;
  readonly #width: number;
  readonly #height: number;
  readonly #scale: number;

  constructor(bitmap: Buffer, width: number, height: number, scale: number) {
    this.#bitmap = bitmap;
    this.#width = width;
    this.#height = height;
    this.#scale = scale;
  }

  getSize(): Electron.Size {
    return { width: Math.round(this.#width / this.#scale), height: Math.round(this.#height / this.#scale) };
  }

  isEmpty(): boolean {
    return this.#bitmap.length === 0;
  }

  toBitmap(): Buffer {
    return Buffer.from(this.#bitmap);
  }

  getScaleFactors(): number[] {
    return [this.#scale];
  }

  /** For records: the pixel size and a hash of the pixels. */
  standinSummary(): Record<string, unknown> {
    return { width: this.#width, height: this.#height, scaleFactor: this.#scale, sha256: createHash('sha256').update(this.#bitmap).digest('hex').slice(0, 16) };
  }
}

const standinNativeImage = {
  createFromBitmap(buffer: Buffer, options: Electron.CreateFromBitmapOptions): StandinNativeImage {
    // Electron refuses a buffer that is not width × height × 4 bytes (BGRA).
    if (!Number.isInteger(options.width) || !Number.isInteger(options.height) || buffer.length !== options.width * options.height * 4) {
      throw new Error('invalid buffer size');
    }
    return new StandinNativeImage(Buffer.from(buffer), options.width, options.height, options.scaleFactor ?? 1);
  },
  createEmpty(): StandinNativeImage {
    return new StandinNativeImage(Buffer.alloc(0), 0, 0, 1);
  },
} satisfies S.NativeImageStatic;

const imageSummary = (image: S.NativeImageSurface | string): Record<string, unknown> =>
  typeof image === 'string' ? { path: image } : image instanceof StandinNativeImage ? image.standinSummary() : { size: image.getSize() };

class StandinMenuItem implements S.MenuItemSurface {
  readonly label: string;
  readonly type: Electron.MenuItem['type'];
  enabled: boolean;
  visible: boolean;
  readonly id: string;
  readonly #click: Electron.MenuItemConstructorOptions['click'];

  constructor(options: Electron.MenuItemConstructorOptions) {
    this.label = options.label ?? '';
    this.type = options.type ?? 'normal';
    this.enabled = options.enabled ?? true;
    this.visible = options.visible ?? true;
    this.id = options.id ?? '';
    this.#click = options.click;
  }

  click(event?: Electron.KeyboardEvent, focusedWindow?: S.BrowserWindowSurface, _focusedWebContents?: S.WebContentsSurface): void {
    if (!this.enabled) return;
    this.#click?.(this as unknown as Electron.MenuItem, focusedWindow as unknown as Electron.BaseWindow | undefined, event ?? ({} as Electron.KeyboardEvent));
  }
}

class StandinMenu implements S.MenuSurface {
  readonly items: StandinMenuItem[] = [];

  static buildFromTemplate(template: Electron.MenuItemConstructorOptions[]): StandinMenu {
    const menu = new StandinMenu();
    for (const options of template) menu.items.push(new StandinMenuItem(options));
    return menu;
  }

  static setApplicationMenu(menu: S.MenuSurface | null): void {
    record('Menu.setApplicationMenu', { labels: menu?.items.map((i) => i.label) ?? null });
  }
}

const trays = new Set<StandinTray>();

class StandinTray extends Emitter<S.TrayEvents> implements S.TraySurface {
  #menu: S.MenuSurface | null = null;
  #destroyed = false;

  constructor(image: S.NativeImageSurface | string, _guid?: string) {
    super();
    if (!standinApp.isReady()) throw new Error('Cannot create Tray before app is ready');
    trays.add(this);
    record('tray.new', imageSummary(image));
  }

  setImage(image: S.NativeImageSurface | string): void {
    this.#alive();
    record('tray.setImage', imageSummary(image));
  }

  setToolTip(toolTip: string): void {
    this.#alive();
    record('tray.setToolTip', { text: toolTip });
  }

  setContextMenu(menu: S.MenuSurface | null): void {
    this.#alive();
    this.#menu = menu;
    record('tray.setContextMenu', { items: menu?.items.map((i) => ({ label: i.label, type: i.type, enabled: i.enabled })) ?? null });
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    trays.delete(this);
    record('tray.destroy');
  }

  isDestroyed(): boolean {
    return this.#destroyed;
  }

  #alive(): void {
    if (this.#destroyed) throw new TypeError('Object has been destroyed');
  }

  standinClick(): void {
    this.fire('click', {} as Electron.KeyboardEvent, { x: 0, y: 0, width: 16, height: 16 }, { x: 0, y: 0 });
  }

  standinMenuClick(label: string): boolean {
    const item = this.#menu?.items.find((i) => i.label === label);
    if (!item) return false;
    item.click();
    return true;
  }
}

const shown: StandinNotification[] = [];

class StandinNotification extends Emitter<S.NotificationEvents> implements S.NotificationSurface {
  title: string;
  body: string;

  static isSupported(): boolean {
    return true;
  }

  constructor(options: Electron.NotificationConstructorOptions = {}) {
    super();
    this.title = options.title ?? '';
    this.body = options.body ?? '';
  }

  show(): void {
    shown.push(this);
    record('notification.show', { title: this.title, body: this.body });
    this.fire('show', electronEvent());
  }

  close(): void {
    record('notification.close', { title: this.title });
    this.fire('close', electronEvent());
  }

  standinClick(): void {
    record('notification.click', { title: this.title });
    this.fire('click', electronEvent());
  }
}

// ---- shell, theme, screen, dialog ----------------------------------------------------------------------------------

const standinShell = {
  showItemInFolder(fullPath: string): void {
    record('shell.showItemInFolder', { path: fullPath });
  },
  async openPath(target: string): Promise<string> {
    // Nothing is opened: the test records what would have been.
    record('shell.openPath', { path: target });
    return '';
  },
  async openExternal(url: string): Promise<void> {
    record('shell.openExternal', { url });
  },
  async trashItem(target: string): Promise<void> {
    record('shell.trashItem', { path: target });
  },
  beep(): void {
    record('shell.beep');
  },
} satisfies S.ShellSurface;

const standinNativeTheme = {
  shouldUseDarkColors: false,
  themeSource: 'system' as Electron.NativeTheme['themeSource'],
  shouldUseHighContrastColors: false,
  inForcedColorsMode: false,
} satisfies S.NativeThemeSurface;

const DISPLAY: Electron.Display = {
  id: 1,
  label: 'stand-in display',
  bounds: { x: 0, y: 0, width: 1920, height: 1080 },
  workArea: { x: 0, y: 0, width: 1920, height: 1040 },
  size: { width: 1920, height: 1080 },
  workAreaSize: { width: 1920, height: 1040 },
  scaleFactor: 1,
  rotation: 0,
  internal: false,
  detected: true,
  monochrome: false,
  colorDepth: 24,
  colorSpace: '',
  depthPerComponent: 8,
  displayFrequency: 60,
  accelerometerSupport: 'unknown',
  touchSupport: 'unknown',
  maximumCursorSize: { width: 64, height: 64 },
  nativeOrigin: { x: 0, y: 0 },
};

const standinScreen = {
  getAllDisplays: (): Electron.Display[] => [structuredClone(DISPLAY)],
  getPrimaryDisplay: (): Electron.Display => structuredClone(DISPLAY),
  getCursorScreenPoint: (): Electron.Point => ({ x: 0, y: 0 }),
} satisfies S.ScreenSurface;

function showMessageBox(options: Electron.MessageBoxOptions): Promise<Electron.MessageBoxReturnValue>;
function showMessageBox(window: S.BrowserWindowSurface, options: Electron.MessageBoxOptions): Promise<Electron.MessageBoxReturnValue>;
async function showMessageBox(first: S.BrowserWindowSurface | Electron.MessageBoxOptions, second?: Electron.MessageBoxOptions): Promise<Electron.MessageBoxReturnValue> {
  const options = second ?? (first as Electron.MessageBoxOptions);
  // Nobody is there to click: the dialog is dismissed (its cancelId), as Escape would.
  const response = options.cancelId ?? 0;
  record('dialog.showMessageBox', { type: options.type ?? null, message: options.message, detail: options.detail ?? null, buttons: options.buttons ?? [], response });
  return { response, checkboxChecked: false };
}

const standinDialog = {
  showMessageBox,
  showErrorBox(title: string, content: string): void {
    record('dialog.showErrorBox', { title, content });
    process.stderr.write(`[electron stand-in] error box: ${title}: ${content}\n`);
  },
} satisfies S.DialogSurface;

const standinWebContents = {
  getAllWebContents: (): S.WebContentsSurface[] => StandinBrowserWindow.all().map((w) => w.webContents),
  getFocusedWebContents: (): S.WebContentsSurface | null => StandinBrowserWindow.getFocusedWindow()?.webContents ?? null,
  fromId: (id: number): S.WebContentsSurface | undefined => StandinBrowserWindow.all().find((w) => w.webContents.id === id)?.webContents,
} satisfies S.WebContentsStatic;

// ---- what the test and the driver ask of the shell -------------------------------------------------------------------

async function userAct(act: UserAct): Promise<unknown> {
  switch (act.act) {
    case 'quit':
      standinApp.quit();
      return null;
    case 'tray-click':
      for (const tray of trays) tray.standinClick();
      return trays.size;
    case 'tray-menu':
      return [...trays].some((tray) => tray.standinMenuClick(act.label));
    case 'notification-click': {
      const last = shown.at(-1);
      last?.standinClick();
      return last !== undefined;
    }
    case 'close-window':
      windows.get(act.id)?.close();
      return null;
    case 'permission':
      return defaultSession.standinAsk(act.permission, act.origin);
    case 'utility-pid':
      return lastUtilityPid ?? null;
    default:
      throw new Error(`unknown act ${(act as { act: string }).act}`);
  }
}

/** launcher.ts: the control channel to the test process, and what the driver may ask. */
export function attachControl(rpc: ShellRpc): void {
  control = rpc;
  rpc.handle('protocol.request', protocolRequest);
  rpc.handle('ipc.invoke', ipcInvoke);
  rpc.handle('navigation', (params) => {
    const win = windows.get(params.id);
    return { prevented: win ? win.webContents.standinNavigation(params) : true };
  });
  rpc.handle('window.open', (params) => {
    const win = windows.get(params.id);
    return { action: win ? win.webContents.standinWindowOpen(params) : 'deny' };
  });
  rpc.handle('user.act', userAct);
  rpc.handle('ipc.send', ipcSend);
  rpc.handle('window.navigated', (params) => windows.get(params.id)?.webContents.standinNavigated(params.url, params.inPage));
  rpc.handle('window.loaded', (params) => windows.get(params.id)?.standinLoaded());
  rpc.handle('window.gone', (params) => windows.get(params.id)?.standinGone());
}

/** launcher.ts, once the main script's top level has run. */
export function standinReady(): void {
  standinApp.standinReady();
}

/** launcher.ts: something the shell threw or rejected that nobody caught (Electron logs it and goes on). */
export function recordUncaught(kind: 'uncaughtException' | 'unhandledRejection', error: unknown): void {
  record(`process.${kind}`, { message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
}

// ---- the module ------------------------------------------------------------------------------------------------------

export const app: S.AppSurface = standinApp;
export const BrowserWindow: S.BrowserWindowStatic = StandinBrowserWindow;
export type BrowserWindow = S.BrowserWindowSurface;
export const webContents: S.WebContentsStatic = standinWebContents;
export type WebContents = S.WebContentsSurface;
export type WebFrameMain = S.FrameSurface;
export const protocol: S.ProtocolSurface = standinProtocol;
export const session: S.SessionStatic = standinSession;
export type Session = S.SessionSurface;
export const ipcMain: S.IpcMainSurface = standinIpcMain;
export type IpcMainInvokeEvent = S.IpcMainInvokeEventSurface;
export type IpcMainEvent = S.IpcMainEventSurface;
export const utilityProcess: S.UtilityProcessStatic = standinUtilityProcess;
export type UtilityProcess = S.UtilityProcessSurface;
export const MessageChannelMain: S.MessageChannelMainStatic = StandinMessageChannelMain;
export type MessagePortMain = S.MessagePortMainSurface;
export const nativeImage: S.NativeImageStatic = standinNativeImage;
export type NativeImage = S.NativeImageSurface;
export const Menu: S.MenuStatic = StandinMenu;
export type Menu = S.MenuSurface;
export const Tray: S.TrayStatic = StandinTray;
export type Tray = S.TraySurface;
export const Notification: S.NotificationStatic = StandinNotification;
export type Notification = S.NotificationSurface;
export const shell: S.ShellSurface = standinShell;
export const nativeTheme: S.NativeThemeSurface = standinNativeTheme;
export const screen: S.ScreenSurface = standinScreen;
export const dialog: S.DialogSurface = standinDialog;
export type CustomScheme = Electron.CustomScheme;
export type WebPreferences = Electron.WebPreferences;

/** `import electron from 'electron'` (electron-store does): the same objects. */
export default {
  app,
  BrowserWindow,
  webContents,
  protocol,
  session,
  ipcMain,
  utilityProcess,
  MessageChannelMain,
  nativeImage,
  Menu,
  Tray,
  Notification,
  shell,
  nativeTheme,
  screen,
  dialog,
};
