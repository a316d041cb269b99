import type { FailureReason } from './failure-reason.js';
import type { ListenerRule, StoragePartition } from './profiles.js';

/** queued → running ⇄ paused → completed | failed | cancelled; retry puts failed/cancelled back to queued. */
export type TaskState = 'queued' | 'running' | 'paused' | 'completed' | 'failed' | 'cancelled';

export const FINISHED_STATES: readonly TaskState[] = ['completed', 'failed', 'cancelled'];
export const isFinished = (state: TaskState): boolean => FINISHED_STATES.includes(state);

/** What a task is, as every side sees it. Runtime-only figures (speed, time left) travel in TaskProgress. */
export interface TaskRecord {
  token: string;
  url: string;
  headers: Record<string, string>;
  /** The name the caller asked for, if any (already validated). */
  requestedFilename?: string;
  description?: string;
  /** Profile the task runs under, and the rules copied from it when the task was created. */
  profileId: string;
  storage: StoragePartition;
  listenerRule: ListenerRule;
  state: TaskState;
  /** Bytes on disk so far, and the expected total when the server told it. */
  bytes: number;
  total: number | null;
  /** Final file name (relative to the partition folder), its quick-app URI and absolute path, once known. */
  name?: string;
  uri?: string;
  path?: string;
  /** Where move-to-gallery put the file; the cache copy is gone then. */
  galleryPath?: string;
  /**
   * A completed task whose file is no longer on disk (deleted in Media, or outside the app): the window
   * shows "Deleted" and offers to download it again. Set by the router on what it answers, never stored.
   */
  fileMissing?: boolean;
  /**
   * The name the server's answer suggests (Content-Disposition, the URL after redirects, the type), known
   * while the task runs, before the file takes its final name (which may differ by a `-1` suffix). Set
   * by the router on what it answers, never stored.
   */
  suggestedName?: string;
  mime?: string;
  /** Fail code and message when failed or cancelled. */
  code?: number;
  message?: string;
  /**
   * Why it failed, as data (failure-reason.ts): the window says it in the user's language and offers
   * what helps (a header for a 401); `message` stays the English text of the API and the CLI. Set on a
   * failed task; while a running task retries, the failure it retries after. Cleared by a retry.
   */
  error?: FailureReason;
  /** Optional expected sha256 (hex) checked before the final rename, and a per-task speed limit (B/s). */
  sha256?: string;
  speedLimit?: number;
  /**
   * The caller's request id of `download.start`, when it gave one, and a digest of the arguments it came
   * with: the same id again answers this task instead of making another (while the task exists).
   */
  requestId?: string;
  requestDigest?: string;
  createdAt: number;
  updatedAt: number;
  completedAt?: number;
  /**
   * Whether a pause (or a failure) keeps the bytes: the server's accepted answer carried a validator
   * for If-Range (a strong ETag, else Last-Modified) and took byte ranges (`Accept-Ranges: bytes` or a
   * 206). false: a resume starts over from byte 0. Absent until the first answer was accepted.
   */
  resumable?: boolean;
  /** Set when a run had to start over from byte 0 although bytes were there: how many were lost, and when. */
  restarted?: TaskRestart;
  /** Only while a running task waits before its next attempt (cleared when that attempt starts or the task leaves running). */
  retry?: TaskRetry;
}

/** A running task waiting between attempts: attempt `attempt` of at most `of` (counted without progress) starts at `at`. */
export interface TaskRetry {
  /** The number of the next attempt in the current run of attempts without progress (2 after one failure). */
  attempt: number;
  /** The bound: after that many attempts in a row without progress the task fails (1000). */
  of: number;
  /** When the next attempt starts (epoch milliseconds, Date.now()). */
  at: number;
}

/** A resume that could not continue: the bytes on disk were dropped and the download started over. */
export interface TaskRestart {
  /** How many bytes were there before the restart (lost). */
  from: number;
  /** When it happened (epoch milliseconds). */
  at: number;
}

/** Coalesced progress for one running task. */
export interface TaskProgress {
  token: string;
  bytes: number;
  total: number | null;
  /** Bytes per second, smoothed. */
  speed: number;
  /** Seconds left, when total and speed allow a guess. */
  eta: number | null;
  /**
   * Nothing arrived for {@link STALL_AFTER_MS} or more (speed 0, eta null): the row says "Stalled" rather
   * than a speed. Absent from engines older than this field: read it as false.
   */
  stalled?: boolean;
}

/** A running task that received nothing for this long is stalled (the speed window's length). */
export const STALL_AFTER_MS = 5_000;

/** What onDownloadComplete's success carries, plus where the file is on this machine. */
export interface DownloadResult {
  token: string;
  uri: string;
  path: string;
}

export interface Settings {
  /** Maximum concurrent downloads across all profiles. */
  concurrency: number;
  /** Global speed limit in bytes per second; 0 = none. */
  speedLimit: number;
  /** Proxy URL (http://host:port); empty = HTTPS_PROXY / HTTP_PROXY from the environment, else none. */
  proxy: string;
  /** Profile used when a download does not name one. */
  activeProfile: string;
  /** Gallery folders per media type; empty = the user's Pictures/Videos/Music + "Vela Companion". */
  galleryDirs: { image: string; video: string; audio: string };
  language: 'en' | 'zh-CN';
  /**
   * Most connections one download may use at once (segmented download of a large file from a server
   * that accepts ranges); 1 = a single stream.
   */
  segments: number;
}

export const DEFAULT_SETTINGS: Settings = {
  concurrency: 4,
  speedLimit: 0,
  proxy: '',
  activeProfile: 'desktop',
  galleryDirs: { image: '', video: '', audio: '' },
  language: 'en',
  segments: 1,
};

export type MediaKindOrOther = 'image' | 'video' | 'audio' | 'other';

/** A file in the app cache (or the mass partition), as the media library shows it. */
export interface MediaItem {
  partition: StoragePartition;
  /** Name relative to the partition folder. */
  name: string;
  uri: string;
  size: number;
  /** The type its bytes have (file-type's magic numbers, or SVG text), never the server's or the name's; null when unrecognised. */
  mime: string | null;
  /** Decided from the bytes as `mime` is: only 'image', 'video' and 'audio' may move to the gallery. */
  kind: MediaKindOrOther;
  modifiedAt: number;
  /** The task that downloaded it, when one did. */
  token?: string;
}

/** Names a media file without a path: the main side maps it into the partition and refuses anything else. */
export interface MediaRef {
  partition: StoragePartition;
  name: string;
}
