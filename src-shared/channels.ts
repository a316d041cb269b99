import type { z } from 'zod';
import type { ErrorData } from './codes.js';
import type { DeviceProfile } from './profiles.js';
import {
  deviceProfileSchema,
  downloadInputSchema,
  emptyInputSchema,
  galleryInputSchema,
  mediaRefsInputSchema,
  revealInputSchema,
  profileIdInputSchema,
  removeInputSchema,
  retryInputSchema,
  settingsPatchSchema,
  tokenInputSchema,
} from './schemas.js';
import type { DownloadResult, MediaItem, MediaRef, Settings, TaskProgress, TaskRecord } from './types.js';

/**
 * The one contract. Every channel: its input schema (the inferred type is the request type) and its
 * result type. The main side mounts one router on this table; each transport (Electron IPC, the browser
 * host's HTTP API, an in-memory one in tests) is built from it. Adding a channel is one entry here
 * plus its handler.
 */
export const channels = {
  'download.start': { input: downloadInputSchema, result: null as unknown as { token: string } },
  'tasks.get': { input: tokenInputSchema, result: null as unknown as TaskRecord },
  'tasks.list': { input: emptyInputSchema, result: null as unknown as TaskRecord[] },
  /** Answers when the task ends: the result, or an error with 1000/1001 (onDownloadComplete). */
  'tasks.wait': { input: tokenInputSchema, result: null as unknown as DownloadResult },
  'tasks.pause': { input: tokenInputSchema, result: null as unknown as TaskRecord },
  'tasks.resume': { input: tokenInputSchema, result: null as unknown as TaskRecord },
  'tasks.cancel': { input: tokenInputSchema, result: null as unknown as TaskRecord },
  'tasks.retry': { input: retryInputSchema, result: null as unknown as TaskRecord },
  'tasks.remove': { input: removeInputSchema, result: null as unknown as { token: string } },
  /**
   * A completed task whose file is gone (`fileMissing`): the same download again (its URL, headers, file
   * name, checksum, speed limit and profile) as a new task, which takes the old one's place in the list.
   */
  'tasks.downloadAgain': { input: tokenInputSchema, result: null as unknown as TaskRecord },
  'gallery.move': { input: galleryInputSchema, result: null as unknown as { token: string; path: string } },
  'devices.list': { input: emptyInputSchema, result: null as unknown as DeviceProfile[] },
  'devices.save': { input: deviceProfileSchema, result: null as unknown as DeviceProfile },
  'devices.remove': { input: profileIdInputSchema, result: null as unknown as { id: string } },
  'settings.get': { input: emptyInputSchema, result: null as unknown as Settings },
  'settings.set': { input: settingsPatchSchema, result: null as unknown as Settings },
  'engine.info': { input: emptyInputSchema, result: null as unknown as EngineInfo },
  'media.list': { input: emptyInputSchema, result: null as unknown as MediaItem[] },
  'media.remove': { input: mediaRefsInputSchema, result: null as unknown as MediaOutcome[] },
  'media.moveToGallery': { input: mediaRefsInputSchema, result: null as unknown as MediaOutcome[] },
  /** Show a task's file or a media file in the file manager of the machine the engine runs on. */
  'shell.reveal': { input: revealInputSchema, result: null as unknown as ShellResult },
  /** Open a task's file or a media file with that machine's default app (images, video and audio only). */
  'shell.open': { input: revealInputSchema, result: null as unknown as ShellResult },
} as const;

export interface MediaOutcome {
  ref: MediaRef;
  /** Where the file went (move to gallery). */
  path?: string;
  error?: ErrorData;
}

export interface ShellResult {
  path: string;
  /** false when nothing was opened or shown: the UI shows the path instead. */
  done: boolean;
  /**
   * Why not, when `done` is false: `not-media`, "open" refused a file that is not an image, video or
   * audio file (it could run as a program); `unavailable`, this front door has no desktop to reach or
   * the system's launcher failed.
   */
  reason?: 'not-media' | 'unavailable';
}

export interface EngineInfo {
  /** 'electron' or 'browser': which desktop features exist (reveal, open, notifications). */
  shell?: 'electron' | 'browser';
  pid: number;
  dataDir: string;
  version: string;
  /** Set when the store file could not be read and was kept aside. */
  storeRecovery?: { keptAs: string; reason: string };
  /** The folders move to gallery uses where the settings leave a kind empty, as absolute paths. */
  galleryDefaults?: { image: string; video: string; audio: string };
}

/**
 * The desktop app's engine process, as the window learns of it (Electron only; the browser host's
 * engine is the process serving the page). `crashed`: it ended without being asked to (`detail` says
 * how, for people); `restarting`: a new one starts in `inMs`; `running`: it serves, and with
 * `restarts` > 0 it is back after a crash, its unfinished tasks resumed from disk.
 */
export interface EngineStateChange {
  state: 'running' | 'crashed' | 'restarting';
  restarts: number;
  detail?: string;
  inMs?: number;
}

export type Channels = typeof channels;
export type ChannelName = keyof Channels;
export type ChannelInput<C extends ChannelName> = z.input<Channels[C]['input']>;
export type ChannelParsed<C extends ChannelName> = z.output<Channels[C]['input']>;
export type ChannelResult<C extends ChannelName> = Channels[C]['result'];

export const CHANNEL_NAMES = Object.keys(channels) as ChannelName[];
export const isChannelName = (name: string): name is ChannelName => Object.hasOwn(channels, name);

/** Events pushed from the main side. Progress is coalesced and batched across tasks. */
export interface EventMap {
  'task.updated': TaskRecord;
  'task.removed': { token: string };
  'task.progress': TaskProgress[];
  /** The settings after any change, by any window, the CLI or quick-app code: every window follows. */
  'settings.updated': Settings;
  'engine.state': EngineStateChange;
}
export type EventName = keyof EventMap;
export const EVENT_NAMES: readonly EventName[] = ['task.updated', 'task.removed', 'task.progress', 'settings.updated', 'engine.state'];

/** Every call's answer on every transport. */
export type Reply<T> = { ok: true; value: T } | { ok: false; error: ErrorData };

/**
 * The state of a transport's event stream, where it can break (the browser host's HTTP stream; Electron's
 * IPC never does). `open`: events flow; `resumed` when a break came before it, so events may have been
 * missed and what was loaded should be read again. `lost`: broken, trying again in `retryInMs` (the
 * `attempt`-th time). `refused`: the engine no longer accepts this page's secret (401/403: a restarted
 * `serve` has a new one); nothing is retried.
 */
export type ConnectionChange =
  | { state: 'open'; resumed: boolean }
  | { state: 'lost'; attempt: number; retryInMs: number }
  | { state: 'refused'; status: number };

/** The typed client both sides agree on. The renderer, the CLI and quick-app code only see this. */
export interface Bridge {
  invoke<C extends ChannelName>(channel: C, input: ChannelInput<C>): Promise<ChannelResult<C>>;
  on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): () => void;
  /**
   * Told when the event stream breaks, comes back or is refused (see ConnectionChange); told the latest
   * state at once when there is one. Only transports whose stream can break have it.
   */
  onConnectionChange?(listener: (change: ConnectionChange) => void): () => void;
  /** A URL the page can load a media file from (a confined protocol in Electron, /media/ on the host). */
  mediaUrl?(ref: MediaRef): string;
}
