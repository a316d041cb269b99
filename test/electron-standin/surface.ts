/// <reference types="electron" />
/**
 * The part of Electron's API the stand-in provides, as types taken from Electron's own declarations
 * (node_modules/electron/electron.d.ts, the global `Electron` namespace; no binary needed). Three
 * checks keep the stand-in honest, all by `tsc` (`npm run typecheck`):
 *
 * 1. Every member is `Pick`ed from Electron's type, or, where Electron's type names a whole class
 *    (a WebContents, a WebFrameMain), written with the stand-in's surface of that class in its place;
 *    the implementations in electron.ts and page-shim.ts `satisfies`/`implements` these.
 * 2. Every event the stand-in emits is listed with its listener's arguments, and `Mismatched` checks
 *    each against the overloads Electron declares for that object: a wrong argument fails.
 * 3. `tsconfig.standin.json` compiles the shell (src-main/electron) with `electron` resolved to
 *    module.ts, whose exports have exactly these types: a call the shell makes that the stand-in does
 *    not provide, or makes with another shape, fails there, as it fails against Electron's types in
 *    `tsconfig.electron.json`.
 */

/* eslint-disable @typescript-eslint/no-explicit-any -- Electron's own listener types use any */
type Listener = (...args: any[]) => void;
type Events = { [name: string]: Listener };

/** The module `import … from 'electron'` gives (CrossProcessExports: main and renderer together). */
export type ElectronModule = typeof Electron.CrossProcessExports;

/** An emitter of the listed events (name → listener), as Electron's objects are. */
export interface Listens<E extends Events> {
  on<K extends keyof E & string>(event: K, listener: E[K]): this;
  once<K extends keyof E & string>(event: K, listener: E[K]): this;
  off<K extends keyof E & string>(event: K, listener: E[K]): this;
  removeListener<K extends keyof E & string>(event: K, listener: E[K]): this;
  listenerCount(event: keyof E & string): number;
}

/** The events of E whose listener does not match one Electron declares for T (never when all do). */
export type Mismatched<T extends { on: (...args: any[]) => unknown }, E extends Events> = {
  [K in keyof E]-?: T['on'] extends (event: K, listener: E[K]) => unknown ? never : K;
}[keyof E];
/** Compiles only when T is never. */
export type Expect<T extends never> = T;

// ---- frames, web contents, windows ----------------------------------------------------------------

/** webFrameMain: what the IPC sender check and the navigation events read. */
export type FrameSurface = Pick<Electron.WebFrameMain, 'url' | 'origin' | 'name' | 'processId' | 'routingId' | 'frameTreeNodeId' | 'detached' | 'isDestroyed'> & {
  readonly parent: FrameSurface | null;
  readonly top: FrameSurface | null;
  readonly frames: FrameSurface[];
};

type NavigationParams = Omit<Electron.WebContentsWillNavigateEventParams, 'frame' | 'initiator'> & { frame: FrameSurface | null; initiator?: FrameSurface | null };

export type WebContentsEvents = {
  'will-navigate': (event: Electron.Event<NavigationParams>) => void;
  'will-frame-navigate': (event: Electron.Event<NavigationParams>) => void;
  'will-redirect': (event: Electron.Event<NavigationParams>) => void;
  'will-attach-webview': (event: Electron.Event, webPreferences: Electron.WebPreferences, params: Record<string, string>) => void;
  'did-finish-load': () => void;
  'did-fail-load': (event: Electron.Event, errorCode: number, errorDescription: string, validatedURL: string, isMainFrame: boolean, frameProcessId: number, frameRoutingId: number) => void;
  'did-navigate': (event: Electron.Event, url: string, httpResponseCode: number, httpStatusText: string) => void;
  'did-navigate-in-page': (event: Electron.Event, url: string, isMainFrame: boolean, frameProcessId: number, frameRoutingId: number) => void;
  destroyed: () => void;
};
export type WebContentsEventsCheck = Expect<Mismatched<Electron.WebContents, WebContentsEvents>>;

export type WebContentsSurface = Pick<Electron.WebContents, 'id' | 'getURL' | 'getTitle' | 'isDestroyed' | 'isLoading' | 'send' | 'loadURL' | 'reload' | 'focus' | 'setWindowOpenHandler'> &
  Listens<WebContentsEvents> & { readonly mainFrame: FrameSurface };

export type BrowserWindowEvents = {
  'ready-to-show': () => void;
  show: () => void;
  focus: () => void;
  close: (event: Electron.Event) => void;
  closed: () => void;
};
export type BrowserWindowEventsCheck = Expect<Mismatched<Electron.BrowserWindow, BrowserWindowEvents>>;

export type BrowserWindowSurface = Pick<
  Electron.BrowserWindow,
  | 'id' | 'loadURL' | 'show' | 'hide' | 'focus' | 'close' | 'destroy' | 'isDestroyed' | 'isVisible' | 'isFocused' | 'isMinimized' | 'minimize'
  | 'restore' | 'maximize' | 'unmaximize' | 'isMaximized' | 'getBounds' | 'getNormalBounds' | 'setProgressBar' | 'getTitle' | 'setTitle'
> & Listens<BrowserWindowEvents> & { readonly webContents: WebContentsSurface };

export interface BrowserWindowStatic {
  new (options?: Electron.BrowserWindowConstructorOptions): BrowserWindowSurface;
  getAllWindows(): BrowserWindowSurface[];
  getFocusedWindow(): BrowserWindowSurface | null;
  fromWebContents(webContents: WebContentsSurface): BrowserWindowSurface | null;
}

export interface WebContentsStatic {
  getAllWebContents(): WebContentsSurface[];
  getFocusedWebContents(): WebContentsSurface | null;
  fromId(id: number): WebContentsSurface | undefined;
}

// ---- app -------------------------------------------------------------------------------------------

export type AppEvents = {
  'will-finish-launching': () => void;
  ready: (event: Electron.Event, launchInfo: Record<string, any> | Electron.NotificationResponse) => void;
  'before-quit': (event: Electron.Event) => void;
  'will-quit': (event: Electron.Event) => void;
  quit: (event: Electron.Event, exitCode: number) => void;
  'window-all-closed': () => void;
  activate: (event: Electron.Event, hasVisibleWindows: boolean) => void;
  'second-instance': (event: Electron.Event, argv: string[], workingDirectory: string, additionalData: unknown) => void;
  'web-contents-created': (event: Electron.Event, webContents: WebContentsSurface) => void;
  'browser-window-created': (event: Electron.Event, window: BrowserWindowSurface) => void;
};
export type AppEventsCheck = Expect<Mismatched<Electron.App, AppEvents>>;

export type AppSurface = Pick<
  Electron.App,
  | 'getAppPath' | 'getName' | 'setName' | 'getPath' | 'setPath' | 'getVersion' | 'getLocale' | 'whenReady' | 'isReady' | 'quit' | 'exit' | 'focus'
  | 'requestSingleInstanceLock' | 'hasSingleInstanceLock' | 'releaseSingleInstanceLock' | 'setAppUserModelId' | 'isPackaged'
> & Listens<AppEvents>;

// ---- protocols, session, IPC -------------------------------------------------------------------------

export type ProtocolSurface = Pick<Electron.Protocol, 'registerSchemesAsPrivileged' | 'handle' | 'unhandle' | 'isProtocolHandled'>;

export type SessionSurface = Pick<Electron.Session, 'setPermissionCheckHandler' | 'setDevicePermissionHandler'> & {
  // Electron's request handler is given a WebContents: here the stand-in's.
  setPermissionRequestHandler(
    handler:
      | ((
          webContents: WebContentsSurface,
          permission: Parameters<NonNullable<Parameters<Electron.Session['setPermissionRequestHandler']>[0]>>[1],
          callback: (permissionGranted: boolean) => void,
          details: Parameters<NonNullable<Parameters<Electron.Session['setPermissionRequestHandler']>[0]>>[3],
        ) => void)
      | null,
  ): void;
};

export interface SessionStatic {
  readonly defaultSession: SessionSurface;
}

export type IpcMainInvokeEventSurface = Electron.Event &
  Pick<Electron.IpcMainInvokeEvent, 'frameId' | 'processId' | 'type'> & { sender: WebContentsSurface; readonly senderFrame: FrameSurface | null };

export type IpcMainEventSurface = IpcMainInvokeEventSurface & Pick<Electron.IpcMainEvent, 'returnValue' | 'ports'> & { reply(channel: string, ...args: any[]): void };

export type IpcMainEvents = { [channel: string]: (event: IpcMainEventSurface, ...args: any[]) => void };

export type IpcMainSurface = Listens<IpcMainEvents> & {
  handle(channel: string, listener: (event: IpcMainInvokeEventSurface, ...args: any[]) => Promise<any> | any): void;
  handleOnce(channel: string, listener: (event: IpcMainInvokeEventSurface, ...args: any[]) => Promise<any> | any): void;
  removeHandler(channel: string): void;
};

/** The renderer's side (the preload's `require('electron')`). */
export type IpcRendererEventSurface = Electron.Event & Pick<Electron.IpcRendererEvent, 'ports'> & { sender: IpcRendererSurface };
export type IpcRendererSurface = Pick<Electron.IpcRenderer, 'invoke' | 'send'> & {
  removeAllListeners(channel?: string): IpcRendererSurface;
  on(channel: string, listener: (event: IpcRendererEventSurface, ...args: any[]) => void): IpcRendererSurface;
  once(channel: string, listener: (event: IpcRendererEventSurface, ...args: any[]) => void): IpcRendererSurface;
  off(channel: string, listener: (event: IpcRendererEventSurface, ...args: any[]) => void): IpcRendererSurface;
  removeListener(channel: string, listener: (event: IpcRendererEventSurface, ...args: any[]) => void): IpcRendererSurface;
};
export type ContextBridgeSurface = Pick<Electron.ContextBridge, 'exposeInMainWorld'>;

// ---- the engine's process ---------------------------------------------------------------------------

export type UtilityProcessEvents = {
  spawn: () => void;
  exit: (code: number) => void;
  message: (message: any) => void;
};
export type UtilityProcessEventsCheck = Expect<Mismatched<Electron.UtilityProcess, UtilityProcessEvents>>;

export type UtilityProcessSurface = Pick<Electron.UtilityProcess, 'pid' | 'kill' | 'stdout' | 'stderr'> &
  Listens<UtilityProcessEvents> & { postMessage(message: any, transfer?: MessagePortMainSurface[]): void };

export interface UtilityProcessStatic {
  fork(modulePath: string, args?: string[], options?: Electron.ForkOptions): UtilityProcessSurface;
}

/** `process.parentPort` in the utility process. */
export type ParentPortEvents = { message: (messageEvent: { data: any; ports: MessagePortMainSurface[] }) => void };
export type ParentPortEventsCheck = Expect<Mismatched<Electron.ParentPort, ParentPortEvents>>;
export type ParentPortSurface = Pick<Electron.ParentPort, 'postMessage'> & Listens<ParentPortEvents>;

export type MessagePortMainEvents = { message: (messageEvent: { data: any; ports: MessagePortMainSurface[] }) => void; close: () => void };
export type MessagePortMainEventsCheck = Expect<Mismatched<Electron.MessagePortMain, MessagePortMainEvents>>;
export type MessagePortMainSurface = Pick<Electron.MessagePortMain, 'start' | 'close'> &
  Listens<MessagePortMainEvents> & { postMessage(message: any, transfer?: MessagePortMainSurface[]): void };
export interface MessageChannelMainStatic {
  new (): { readonly port1: MessagePortMainSurface; readonly port2: MessagePortMainSurface };
}

// ---- tray, menus, notifications, images ------------------------------------------------------------

export type NativeImageSurface = Pick<Electron.NativeImage, 'getSize' | 'isEmpty' | 'toBitmap' | 'getScaleFactors'>;
export interface NativeImageStatic {
  createFromBitmap(buffer: Buffer, options: Electron.CreateFromBitmapOptions): NativeImageSurface;
  createEmpty(): NativeImageSurface;
}

export type MenuItemSurface = Pick<Electron.MenuItem, 'label' | 'type' | 'enabled' | 'visible' | 'id'> & {
  click(event?: Electron.KeyboardEvent, focusedWindow?: BrowserWindowSurface, focusedWebContents?: WebContentsSurface): void;
};
export type MenuSurface = { readonly items: MenuItemSurface[] };
export interface MenuStatic {
  new (): MenuSurface;
  buildFromTemplate(template: Electron.MenuItemConstructorOptions[]): MenuSurface;
  setApplicationMenu(menu: MenuSurface | null): void;
}

export type TrayEvents = { click: (event: Electron.KeyboardEvent, bounds: Electron.Rectangle, position: Electron.Point) => void };
export type TrayEventsCheck = Expect<Mismatched<Electron.Tray, TrayEvents>>;
export type TraySurface = Pick<Electron.Tray, 'setToolTip' | 'destroy' | 'isDestroyed'> &
  Listens<TrayEvents> & { setImage(image: NativeImageSurface | string): void; setContextMenu(menu: MenuSurface | null): void };
export interface TrayStatic {
  new (image: NativeImageSurface | string, guid?: string): TraySurface;
}

export type NotificationEvents = { show: (event: Electron.Event) => void; click: (event: Electron.Event) => void; close: (event: Electron.Event) => void };
export type NotificationEventsCheck = Expect<Mismatched<Electron.Notification, NotificationEvents>>;
export type NotificationSurface = Pick<Electron.Notification, 'show' | 'close' | 'title' | 'body'> & Listens<NotificationEvents>;
export interface NotificationStatic {
  new (options?: Electron.NotificationConstructorOptions): NotificationSurface;
  isSupported(): boolean;
}

// ---- the rest -----------------------------------------------------------------------------------------

export type ShellSurface = Pick<Electron.Shell, 'showItemInFolder' | 'openPath' | 'openExternal' | 'trashItem' | 'beep'>;
export type NativeThemeSurface = Pick<Electron.NativeTheme, 'shouldUseDarkColors' | 'themeSource' | 'shouldUseHighContrastColors' | 'inForcedColorsMode'>;
export type ScreenSurface = Pick<Electron.Screen, 'getAllDisplays' | 'getPrimaryDisplay' | 'getCursorScreenPoint'>;
export type DialogSurface = Pick<Electron.Dialog, 'showErrorBox'> & {
  showMessageBox(options: Electron.MessageBoxOptions): Promise<Electron.MessageBoxReturnValue>;
  showMessageBox(window: BrowserWindowSurface, options: Electron.MessageBoxOptions): Promise<Electron.MessageBoxReturnValue>;
};
