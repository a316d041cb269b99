/**
 * The control channel between the shell process (the real `dist/electron/main.js` running on the
 * stand-in) and the test process, which drives Chromium (driver.ts). It is the Node IPC channel of
 * `child_process.fork` (serialization 'advanced', so bytes travel as Uint8Array): calls with a reply,
 * and notes without one, in both directions. The method tables below are the whole protocol.
 *
 * The shell side only ever sees custom-scheme URLs (`app://vela/…`); the driver translates them to
 * and from the reserved https origins Chromium loads (schemes.ts).
 */

/** A privileged scheme as the shell registered it (Electron's CustomScheme, as plain data). */
export interface SchemeInfo {
  scheme: string;
  standard: boolean;
  secure: boolean;
}

export interface FrameInfo {
  /** The frame's URL as the shell sees it (custom schemes translated back). */
  url: string;
  isMainFrame: boolean;
}

export interface ProtocolAnswer {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

/** Something the shell did that a test may assert on (a notification shown, the tray's tooltip, …). */
export interface Recorded {
  kind: string;
  /** Milliseconds since the shell process started. */
  at: number;
  pid: number;
  data: Record<string, unknown>;
}

/** Calls the shell makes to the driver. */
export type ShellCalls = {
  /** A BrowserWindow: a page in Chromium; `preload` is the preload's source, when it has one. */
  'window.create': (params: { id: number; width: number; height: number; preload: string | null }) => void;
  /** webContents.loadURL: resolves when the page has loaded, rejects with Chromium's error. */
  'window.load': (params: { id: number; url: string }) => void;
  'window.op': (params: { id: number; op: 'focus' | 'close' | 'reload' }) => void;
};

/** Notes the shell sends the driver. */
export type ShellNotes = {
  /** protocol.registerSchemesAsPrivileged: the schemes the driver may map to reserved origins. */
  schemes: (params: { schemes: SchemeInfo[] }) => void;
  /** webContents.send(channel, ...args). */
  'window.send': (params: { id: number; channel: string; args: unknown[] }) => void;
  record: (params: Recorded) => void;
};

/** Calls the driver (or the test) makes to the shell. */
export type DriverCalls = {
  /** A request to a custom scheme, for the shell's protocol.handle handler; null when none is mounted. */
  'protocol.request': (params: { url: string; method: string; headers: Record<string, string>; body: Uint8Array | null }) => ProtocolAnswer | null;
  /** ipcRenderer.invoke, with the sending frame as the page has it. */
  'ipc.invoke': (params: { id: number; frame: FrameInfo; channel: string; args: unknown[] }) => { ok: true; value: unknown } | { ok: false; error: string };
  /** A navigation the page started (not loadURL): does will-navigate / will-frame-navigate / will-redirect prevent it? */
  navigation: (params: { id: number; url: string; isMainFrame: boolean; redirect: boolean }) => { prevented: boolean };
  /** window.open, a target=_blank link: the web contents' window-open handler decides. */
  'window.open': (params: { id: number; url: string; frameName: string; features: string }) => { action: 'allow' | 'deny' };
  /** What the test does as a user or as the desktop: quit, a tray menu item, a notification click, a closed window. */
  'user.act': (params: UserAct) => unknown;
};

export type UserAct =
  | { act: 'quit' }
  | { act: 'tray-click' }
  | { act: 'tray-menu'; label: string }
  | { act: 'notification-click' }
  | { act: 'close-window'; id: number }
  /** Ask the default session's permission handlers, as Chromium would. */
  | { act: 'permission'; permission: string; origin: string }
  /** The pid of the newest utility process (the engine). */
  | { act: 'utility-pid' };

/** Notes the driver sends the shell. */
export type DriverNotes = {
  'ipc.send': (params: { id: number; frame: FrameInfo; channel: string; args: unknown[] }) => void;
  /** The main frame committed a navigation (also within the document): webContents.getURL() follows. */
  'window.navigated': (params: { id: number; url: string; inPage: boolean }) => void;
  /** The first load finished: did-finish-load, ready-to-show. */
  'window.loaded': (params: { id: number }) => void;
  /** The page is gone (closed by the test, or crashed). */
  'window.gone': (params: { id: number }) => void;
};

type Fn = (params: never) => unknown;
type Table = { [name: string]: Fn };

type Message =
  | { t: 'call'; id: number; method: string; params: unknown }
  | { t: 'note'; method: string; params: unknown }
  | { t: 'reply'; id: number; ok: true; value: unknown }
  | { t: 'reply'; id: number; ok: false; error: string };

/** One end of a Node IPC channel (a ChildProcess, or `process` in the child). */
export interface Endpoint {
  send(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
}

const isMessage = (value: unknown): value is Message =>
  typeof value === 'object' && value !== null && typeof (value as { t?: unknown }).t === 'string';

/**
 * Calls and notes over an Endpoint: `Out`/`OutNotes` are what this side sends, `In`/`InNotes` what it
 * answers. Handlers may be async; a thrown error reaches the caller as a rejection with its message.
 */
export class Rpc<Out extends Table, OutNotes extends Table, In extends Table, InNotes extends Table> {
  #next = 1;
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  readonly #handlers = new Map<string, (params: never) => unknown>();
  readonly #endpoint: Endpoint;
  #closed = false;

  constructor(endpoint: Endpoint) {
    this.#endpoint = endpoint;
    endpoint.onMessage((raw) => {
      if (isMessage(raw)) this.#receive(raw);
    });
  }

  call<M extends keyof Out & string>(method: M, params: Parameters<Out[M]>[0]): Promise<Awaited<ReturnType<Out[M]>>> {
    if (this.#closed) return Promise.reject(new Error(`control channel closed (${method})`));
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      try {
        this.#endpoint.send({ t: 'call', id, method, params } satisfies Message);
      } catch (error) {
        this.#pending.delete(id);
        reject(error as Error);
      }
    });
  }

  note<M extends keyof OutNotes & string>(method: M, params: Parameters<OutNotes[M]>[0]): void {
    if (this.#closed) return;
    try {
      this.#endpoint.send({ t: 'note', method, params } satisfies Message);
    } catch {
      // The other side is gone; notes are best effort.
    }
  }

  handle<M extends keyof In & string>(method: M, handler: (params: Parameters<In[M]>[0]) => ReturnType<In[M]> | Promise<Awaited<ReturnType<In[M]>>>): void;
  handle<M extends keyof InNotes & string>(method: M, handler: (params: Parameters<InNotes[M]>[0]) => void): void;
  handle(method: string, handler: (params: never) => unknown): void {
    this.#handlers.set(method, handler);
  }

  /** The other side went away: every call in flight fails. */
  close(reason = 'control channel closed'): void {
    this.#closed = true;
    for (const [id, pending] of this.#pending) {
      this.#pending.delete(id);
      pending.reject(new Error(reason));
    }
  }

  #receive(message: Message): void {
    if (message.t === 'reply') {
      const pending = this.#pending.get(message.id);
      if (!pending) return;
      this.#pending.delete(message.id);
      if (message.ok) pending.resolve(message.value);
      else pending.reject(new Error(message.error));
      return;
    }
    const handler = this.#handlers.get(message.method) as ((params: unknown) => unknown) | undefined;
    if (message.t === 'note') {
      try {
        void Promise.resolve(handler?.(message.params)).catch(() => {});
      } catch {
        // A note's handler failing is that side's problem only.
      }
      return;
    }
    const { id } = message;
    const answer = (reply: Message): void => {
      if (this.#closed) return;
      try {
        this.#endpoint.send(reply);
      } catch {
        // Gone meanwhile.
      }
    };
    if (!handler) {
      answer({ t: 'reply', id, ok: false, error: `no handler for ${message.method}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(message.params))
      .then(
        (value) => answer({ t: 'reply', id, ok: true, value }),
        (error: unknown) => answer({ t: 'reply', id, ok: false, error: error instanceof Error ? error.message : String(error) }),
      );
  }
}

/** The shell's end: it calls the driver's table and answers the driver's. */
export type ShellRpc = Rpc<ShellCalls, ShellNotes, DriverCalls, DriverNotes>;
/** The driver's end. */
export type DriverRpc = Rpc<DriverCalls, DriverNotes, ShellCalls, ShellNotes>;

/** The environment variable through which a test asks the stand-in to break the shell on purpose. */
export const BREAK_ENV = 'VELA_STANDIN_BREAK';

/** Deliberate breaks of the shell, for the negative tests (never a flag in the product). */
export type Break = 'no-preload' | 'ipc-channel' | 'app-404' | 'foreign-sender';
export const BREAKS: readonly Break[] = ['no-preload', 'ipc-channel', 'app-404', 'foreign-sender'];
