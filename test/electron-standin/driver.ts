import type { Browser, BrowserContext, Frame, Page, Route } from 'playwright-core';
import type { DriverRpc, Recorded } from './control.js';
import { pageShimSource } from './page-shim.js';
import { fromChromiumUrl, shellUrl, toChromiumUrl, translateResponseHeaders } from './schemes.js';

/**
 * The Chromium half of the stand-in, in the test process: each BrowserWindow of the shell is a page
 * of one browser context (the default session), driven with playwright-core.
 *
 * - Requests to the reserved origins of the custom schemes are answered by the shell's own
 *   `protocol.handle` handlers (over the control channel); nothing else is answered here.
 * - The preload runs in the page before the page's scripts (page-shim.ts), its ipcRenderer bridged
 *   to the shell's ipcMain through a page binding, which names the calling frame: the sender frame
 *   the shell checks is the page's real URL (translated back to `app://…`).
 * - Navigations the page starts ask the shell's will-navigate/will-frame-navigate/will-redirect
 *   listeners first; a prevented one is aborted. A popup (window.open, target=_blank) asks the
 *   shell's window-open handler; the stand-in opens no second window, so the popup is always closed
 *   (an 'allow' is only recorded, in `popups`).
 */

const BINDING = '__velaStandinIpc';

interface DriverWindow {
  id: number;
  page: Page;
  hasPreload: boolean;
  /** loadURL targets not yet requested (these navigations are the shell's own, not the page's). */
  pendingLoads: string[];
  queue: Array<[string, unknown[]]>;
  poller: ((batch: Array<[string, unknown[]]>) => void) | undefined;
  lastUrl: string;
  closedByShell: boolean;
}

const withoutHash = (url: string): string => url.replace(/#.*$/, '');

export interface DriverOptions {
  viewport?: { width: number; height: number };
  locale?: string;
}

export class ChromiumDriver {
  readonly records: Recorded[] = [];
  /** Pages' console errors and uncaught errors, for failure messages. */
  readonly pageLog: string[] = [];
  readonly popups: Array<{ url: string; action: 'allow' | 'deny' | 'no-opener' }> = [];
  readonly #browser: Browser;
  readonly #rpc: DriverRpc;
  readonly #options: DriverOptions;
  #context: Promise<BrowserContext> | undefined;
  #schemes: string[] = [];
  readonly #windows = new Map<number, DriverWindow>();
  readonly #bare = new Set<Page>();
  /** Page.windowOpen from the windows' pages, until their request comes. */
  readonly #opens: Array<{ windowId: number; url: string; frameName: string; features: string }> = [];
  readonly #waiters = new Set<() => void>();
  #closed = false;

  constructor(browser: Browser, rpc: DriverRpc, options: DriverOptions = {}) {
    this.#browser = browser;
    this.#rpc = rpc;
    this.#options = options;
    rpc.handle('schemes', ({ schemes }) => {
      this.#schemes = schemes.filter((s) => s.standard).map((s) => s.scheme);
    });
    rpc.handle('record', (entry) => {
      this.records.push(entry);
      for (const wake of [...this.#waiters]) wake();
    });
    rpc.handle('window.create', (params) => this.#createWindow(params));
    rpc.handle('window.load', (params) => this.#load(params.id, params.url));
    rpc.handle('window.op', (params) => this.#op(params.id, params.op));
    rpc.handle('window.send', (params) => this.#send(params.id, params.channel, params.args));
  }

  get schemes(): readonly string[] {
    return this.#schemes;
  }

  /** The page of a window (the first one the shell made, by default), once the shell has made it. */
  async page(id?: number, timeoutMs = 20_000): Promise<Page> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const win = id === undefined ? [...this.#windows.values()][0] : this.#windows.get(id);
      if (win) return win.page;
      if (Date.now() > deadline) throw new Error(`no window${id === undefined ? '' : ` ${id}`} within ${timeoutMs} ms`);
      await this.#changed(deadline - Date.now());
    }
  }

  windowIds(): number[] {
    return [...this.#windows.keys()];
  }

  /** Records of one kind (optionally filtered), in order. */
  recorded(kind: string, where: (data: Record<string, unknown>) => boolean = () => true): Recorded[] {
    return this.records.filter((r) => r.kind === kind && where(r.data));
  }

  /** Wait for a record of this kind (that matches). */
  async waitForRecord(kind: string, where: (data: Record<string, unknown>) => boolean = () => true, timeoutMs = 15_000): Promise<Recorded> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.records.find((r) => r.kind === kind && where(r.data));
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no "${kind}" record within ${timeoutMs} ms; kinds seen: ${[...new Set(this.records.map((r) => r.kind))].join(', ')}`);
      await this.#changed(deadline - Date.now());
    }
  }

  /** Wait until no record of this kind has come for `quietMs`; returns how many there are. */
  async whenQuiet(kind: string, quietMs = 500, timeoutMs = 10_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let count = this.recorded(kind).length;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, quietMs));
      const now = this.recorded(kind).length;
      if (now === count) return now;
      if (Date.now() > deadline) throw new Error(`"${kind}" records kept coming for ${timeoutMs} ms`);
      count = now;
    }
  }

  /** A page in the same session that the shell did not make: no preload, no IPC (what any page would be). */
  async openBarePage(shellUrlToOpen: string): Promise<Page> {
    const context = await this.#ensureContext();
    const page = await context.newPage();
    this.#bare.add(page);
    page.on('close', () => this.#bare.delete(page));
    await page.goto(this.toChromium(shellUrlToOpen));
    return page;
  }

  /**
   * Load a URL into a window as the shell's loadURL would (no will-navigate asked): for a test that
   * needs the window to show a foreign page, as if navigation had not been blocked.
   */
  async loadAsShell(id: number, url: string): Promise<void> {
    await this.#load(id, url);
  }

  toChromium(url: string): string {
    return toChromiumUrl(url, this.#schemes) ?? url;
  }

  toShell(url: string): string {
    return shellUrl(url, this.#schemes);
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const win of this.#windows.values()) win.poller?.([]);
    const context = this.#context;
    this.#context = undefined;
    if (context) await (await context.catch(() => undefined))?.close().catch(() => {});
  }

  #changed(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, Math.max(0, Math.min(timeoutMs, 250)));
      this.#waiters.add(wake);
    });
  }

  #ensureContext(): Promise<BrowserContext> {
    this.#context ??= (async () => {
      const context = await this.#browser.newContext({ viewport: this.#options.viewport ?? null, locale: this.#options.locale ?? 'en-US' });
      await context.route(() => true, (route) => this.#route(route));
      return context;
    })();
    return this.#context;
  }

  #windowOf(page: Page | null | undefined): DriverWindow | undefined {
    if (!page) return undefined;
    for (const win of this.#windows.values()) if (win.page === page) return win;
    return undefined;
  }

  async #createWindow(params: { id: number; width: number; height: number; preload: string | null }): Promise<void> {
    if (this.#closed) throw new Error('the driver is closed');
    const context = await this.#ensureContext();
    const page = await context.newPage();
    await page.setViewportSize({ width: params.width, height: params.height });
    const win: DriverWindow = {
      id: params.id,
      page,
      hasPreload: params.preload !== null,
      pendingLoads: [],
      queue: [],
      poller: undefined,
      lastUrl: page.url(),
      closedByShell: false,
    };
    this.#windows.set(params.id, win);
    // The IPC pipe (the shim takes it and removes it from the page's globals), then the shim and the preload.
    await page.exposeBinding(BINDING, (source: { frame: Frame }, op: string, ...args: unknown[]) => this.#binding(win, source.frame, op, args));
    await page.addInitScript({ content: pageShimSource({ binding: BINDING, schemes: this.#schemes }, params.preload) });
    page.on('framenavigated', (frame) => {
      if (frame !== page.mainFrame()) return;
      const url = frame.url();
      const inPage = withoutHash(url) === withoutHash(win.lastUrl) && url !== win.lastUrl;
      win.lastUrl = url;
      this.#rpc.note('window.navigated', { id: win.id, url: this.toShell(url), inPage });
    });
    page.on('load', () => this.#rpc.note('window.loaded', { id: win.id }));
    // Which window a new window comes from (see #newWindowRequest); the stand-in closes every popup.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Page.enable');
    cdp.on('Page.windowOpen', (event) => {
      this.#opens.push({ windowId: win.id, url: event.url, frameName: event.windowName === '_blank' ? '' : event.windowName, features: event.windowFeatures.join(',') });
    });
    page.on('popup', (popup) => void popup.close().catch(() => {}));
    page.on('close', () => {
      this.#windows.delete(win.id);
      if (!win.closedByShell) this.#rpc.note('window.gone', { id: win.id });
    });
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') this.pageLog.push(`[window ${win.id} ${message.type()}] ${message.text()}`);
    });
    page.on('pageerror', (error) => this.pageLog.push(`[window ${win.id} pageerror] ${error.message}`));
    for (const wake of [...this.#waiters]) wake();
  }

  async #load(id: number, url: string): Promise<void> {
    const win = this.#windows.get(id);
    if (!win) throw new Error(`no window ${id}`);
    const target = this.toChromium(url);
    win.pendingLoads.push(withoutHash(target));
    try {
      await win.page.goto(target, { waitUntil: 'load' });
    } finally {
      const at = win.pendingLoads.indexOf(withoutHash(target));
      if (at >= 0) win.pendingLoads.splice(at, 1);
    }
  }

  async #op(id: number, op: 'focus' | 'close' | 'reload'): Promise<void> {
    const win = this.#windows.get(id);
    if (!win) return;
    if (op === 'focus') await win.page.bringToFront();
    else if (op === 'reload') await win.page.reload();
    else {
      win.closedByShell = true;
      this.#windows.delete(id);
      await win.page.close();
    }
  }

  #send(id: number, channel: string, args: unknown[]): void {
    const win = this.#windows.get(id);
    if (!win || !win.hasPreload) return; // nobody in the page listens without a preload
    win.queue.push([channel, args]);
    if (win.queue.length > 5_000) win.queue.splice(0, win.queue.length - 5_000);
    const poller = win.poller;
    if (poller) {
      win.poller = undefined;
      poller(win.queue.splice(0));
    }
  }

  async #binding(win: DriverWindow, frame: Frame, op: string, args: unknown[]): Promise<unknown> {
    const sender = { url: this.toShell(frame.url()), isMainFrame: frame.parentFrame() === null };
    if (op === 'invoke') {
      const [channel, list] = args as [string, unknown[]];
      return this.#rpc.call('ipc.invoke', { id: win.id, frame: sender, channel, args: list });
    }
    if (op === 'send') {
      const [channel, list] = args as [string, unknown[]];
      this.#rpc.note('ipc.send', { id: win.id, frame: sender, channel, args: list });
      return undefined;
    }
    if (op === 'poll') {
      if (win.queue.length > 0) return win.queue.splice(0);
      return new Promise((resolve) => {
        win.poller = resolve;
      });
    }
    throw new Error(`unknown op ${op}`);
  }

  async #route(route: Route): Promise<void> {
    try {
      await this.#routeOrThrow(route);
    } catch (error) {
      this.pageLog.push(`[route] ${route.request().url()}: ${(error as Error).message}`);
      await route.abort('failed').catch(() => {});
    }
  }

  async #routeOrThrow(route: Route): Promise<void> {
    const request = route.request();
    const url = request.url();
    let frame: Frame | undefined;
    try {
      frame = request.frame();
    } catch {
      frame = undefined; // a service worker's request
    }
    const page = frame?.page();
    if (request.isNavigationRequest() && frame && page) {
      const win = this.#windowOf(page);
      if (win) {
        const isMainFrame = frame.parentFrame() === null;
        const redirect = request.redirectedFrom() !== null;
        const pending = isMainFrame && !redirect ? win.pendingLoads.indexOf(withoutHash(url)) : -1;
        if (pending >= 0) {
          win.pendingLoads.splice(pending, 1);
        } else {
          const { prevented } = await this.#rpc.call('navigation', { id: win.id, url: this.toShell(url), isMainFrame, redirect });
          if (prevented) {
            await route.abort('aborted');
            return;
          }
        }
      } else if (!this.#bare.has(page)) {
        await route.abort('aborted'); // a popup's later navigation: popups are closed
        return;
      }
    } else if (request.isNavigationRequest() && !frame) {
      await this.#newWindowRequest(route, url);
      return;
    }
    const custom = fromChromiumUrl(url, this.#schemes);
    if (custom === undefined) {
      await route.fallback();
      return;
    }
    const body = request.postDataBuffer();
    const answer = await this.#rpc.call('protocol.request', {
      url: custom,
      method: request.method(),
      headers: request.headers(),
      body: body ? new Uint8Array(body) : null,
    });
    // No handler for the scheme: Chromium's answer for a scheme nobody serves is a failed load.
    if (!answer) {
      await route.abort('failed');
      return;
    }
    await route.fulfill({ status: answer.status, headers: translateResponseHeaders(answer.headers, this.#schemes), body: Buffer.from(answer.body) });
  }

  /**
   * A new window's first document (window.open, a target=_blank link): its request comes before its
   * page exists. Chromium said which window opened it (Page.windowOpen); that window's handler decides.
   * The stand-in opens no second window: the request is aborted and the popup closed either way.
   */
  async #newWindowRequest(route: Route, url: string): Promise<void> {
    const deadline = Date.now() + 2_000;
    const matches = (o: { url: string }): boolean => withoutHash(o.url) === withoutHash(url);
    let opened = this.#opens.findIndex(matches);
    while (opened < 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      opened = this.#opens.findIndex(matches);
    }
    const open = opened >= 0 ? this.#opens.splice(opened, 1)[0] : undefined;
    let action: 'allow' | 'deny' | 'no-opener' = 'no-opener';
    if (open && this.#windows.has(open.windowId)) {
      ({ action } = await this.#rpc.call('window.open', { id: open.windowId, url: this.toShell(url), frameName: open.frameName, features: open.features }));
    }
    this.popups.push({ url: this.toShell(url), action });
    await route.abort('aborted');
  }
}
