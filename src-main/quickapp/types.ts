/**
 * The public types of `vela-companion/system.request` (and of `@system.request` through
 * `vela-companion/quickapp`): what a quick app passes to `download` / `onDownloadComplete` and what its
 * callbacks get (API.md §1, §2, §6). Compiled to `.d.ts` with the rest of the package; the runtime
 * (src-shared/quickapp.ts) checks every argument itself, these types only tell TypeScript users early.
 */
import type { DeviceSimulation, LinkSimulation } from '../../src-shared/profiles.js';

export type { DeviceSimulation, LinkSimulation };

/**
 * The `code` that `fail(data, code)` gets, and that a Promise rejects with (API.md §2):
 * - `202`: bad arguments (a missing or non-http(s) `url`, a bad header name or value, an illegal
 *   `filename`, an empty `token`, an unknown device profile id);
 * - `203`: the device profile does not support `system.request` downloads (Band 8 Pro, Redmi Watch 4,
 *   the ECG recorder); nothing is sent;
 * - `1000`: the download failed (HTTP status >= 400, network error or timeout after the retries, too
 *   many redirects, insufficient space, the offline timeout of a profile, cancelled);
 * - `1001`: the download task does not exist (a token that was never issued, or whose task was removed);
 * - `500`: not a quick-app code: something broke inside vela-companion itself (the message says what).
 *
 * Switch on the code, never on the message text.
 */
export type FailCode = 202 | 203 | 1000 | 1001 | 500;

/** `fail(data, code)`: a human-readable message, and a code from {@link FailCode}. */
export type FailCallback = (data: string, code: FailCode) => void;

/** The three optional callbacks every call takes. `complete` runs once, after `success` or `fail`. */
export interface Callbacks<T> {
  /** The call succeeded; runs on a later turn of the event loop, never inside the call. */
  success?: (data: T) => void;
  /** The call failed with `code`; runs on a later turn of the event loop, never inside the call. */
  fail?: FailCallback;
  /** Runs once after `success` or `fail`. */
  complete?: () => void;
}

/** What `download` answers: the task's token, as soon as the task is accepted (long before the bytes arrive). */
export interface DownloadSuccess {
  /** An opaque string, unique across restarts; pass it to `onDownloadComplete`. */
  token: string;
}

/** What `onDownloadComplete` answers once the file is complete on disk. */
export interface DownloadCompleteSuccess {
  /** The file inside the app cache, `internal://cache/<name>` (each path segment percent-encoded). */
  uri: string;
}

/** The arguments of `download`, besides the callbacks. */
export interface DownloadOptions {
  /** The resource to fetch; `http:` or `https:` only. */
  url: string;
  /**
   * Request headers: an object, or a string holding a JSON object (the Vela reference types it as a
   * string). Every value must be a string.
   */
  header?: Readonly<Record<string, string>> | string;
  /** Name of the saved file; when absent, from `Content-Disposition`, else the URL, else `download`. */
  filename?: string;
  /** A title for the task (not in the Vela reference; other quick-app runtimes accept it). */
  description?: string;
}

/** The arguments of `onDownloadComplete`, besides the callbacks. */
export interface OnDownloadCompleteOptions {
  /** A token that `download` gave. */
  token: string;
}

/** At least one of `success`, `fail`, `complete`: the call answers through them and returns nothing. */
export type WithCallbacks<T> = Callbacks<T> &
  ({ success: (data: T) => void } | { fail: FailCallback } | { complete: () => void });

/** None of `success`, `fail`, `complete`: the call returns a Promise. */
export interface WithoutCallbacks {
  success?: undefined;
  fail?: undefined;
  complete?: undefined;
}

/** What the Promise form resolves with (as the open-source quick-app engine, hapjs, does). */
export interface Answer<T> {
  data: T;
}

/**
 * What the Promise form rejects with. TypeScript cannot type a rejection, so narrow it yourself:
 * `catch (error) { const { code } = error as RequestFailure }`.
 */
export interface RequestFailure {
  /** A human-readable message. */
  data: string;
  code: FailCode;
}

/**
 * A device profile for {@link ConfigureOptions.device}: a built-in id as `npx vela-companion devices`
 * lists it, or a custom profile, saved into the data dir before the next download (API.md §3).
 */
export interface CustomDeviceProfile {
  /** Lower-case letters, digits and dashes, at most 64; never a built-in id. */
  id: string;
  /** Shown in the app's lists; defaults to the id. */
  name?: string;
  /** Whether `download` is supported at all (unsupported: 203); defaults to true. */
  supported?: boolean;
  /** The simulated link: offline (with an optional timeout), bandwidth, latency, packet loss, drops. */
  link?: LinkSimulation;
  /** The simulated device: cache quota, concurrent downloads, storage partition, listener rule. */
  device?: DeviceSimulation;
}

/** `configure()`: vela-companion's own, the watch's module has no such call. */
export interface ConfigureOptions {
  /**
   * The device profile later downloads run under: a profile id (`''` goes back to the Desktop
   * profile), or a custom profile, saved into the data dir before the next download.
   */
  device?: string | CustomDeviceProfile;
  /** The folder with the task store and the cache (a relative path is taken from the current directory). */
  dataDir?: string;
}

/** `request.download`: with callbacks it returns nothing, without them a Promise. */
export interface Download {
  /** Starts a download; `success({ token })` as soon as the task is accepted, or `fail(data, code)` with 202 / 203. */
  (object: DownloadOptions & WithCallbacks<DownloadSuccess>): void;
  /** Starts a download; resolves `{ data: { token } }`, or rejects `{ data, code }` ({@link RequestFailure}) with 202 / 203. */
  (object: DownloadOptions & WithoutCallbacks): Promise<Answer<DownloadSuccess>>;
  /** Callbacks that may or may not be there: a Promise exactly when none of them is. */
  (object: DownloadOptions & Callbacks<DownloadSuccess>): Promise<Answer<DownloadSuccess>> | void;
}

/** `request.onDownloadComplete`: with callbacks it returns nothing, without them a Promise. */
export interface OnDownloadComplete {
  /** Waits for the task of `token`; `success({ uri })` when the file is there, or `fail(data, code)` with 1000 / 1001 / 202. */
  (object: OnDownloadCompleteOptions & WithCallbacks<DownloadCompleteSuccess>): void;
  /** Waits for the task of `token`; resolves `{ data: { uri } }`, or rejects `{ data, code }` ({@link RequestFailure}). */
  (object: OnDownloadCompleteOptions & WithoutCallbacks): Promise<Answer<DownloadCompleteSuccess>>;
  /** Callbacks that may or may not be there: a Promise exactly when none of them is. */
  (object: OnDownloadCompleteOptions & Callbacks<DownloadCompleteSuccess>): Promise<Answer<DownloadCompleteSuccess>> | void;
}

/** The module `@system.request` as vela-companion gives it to Node: the watch's two calls, plus `configure`. */
export interface SystemRequest {
  download: Download;
  onDownloadComplete: OnDownloadComplete;
  /** vela-companion only (the watch's module has no such call): pick the device profile and the data dir. */
  configure(options: ConfigureOptions): void;
}
