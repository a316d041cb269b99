import { setTimeout as delay } from 'node:timers/promises';
import { FailCode, VelaError } from '../../src-shared/codes.js';
import type { DeviceProfile } from '../../src-shared/profiles.js';
import type { FailureReason } from '../../src-shared/failure-reason.js';
import type { TaskRecord } from '../../src-shared/types.js';
import type { Agents } from './agents.js';
import { AttemptFailure, FailureKind, SegmentsInvalidated } from './failure.js';
import { reasonOf } from './failure-reason.js';
import type { PartialFiles, PartialMeta, PartialSidecar } from './partial-files.js';
import { checkQuota, dropPoint } from './quota.js';
import { MAX_ATTEMPTS_WITHOUT_PROGRESS, retryWait } from './retry-policy.js';
import { mapOfStream, type ByteRange } from './segment-map.js';
import { runSegmented } from './segmented.js';
import { validatorOf } from './stream-rules.js';
import type { RateLimiter } from './throttle.js';
import { runAttempt } from './transfer.js';

/**
 * The transfer session of one task: attempts (a single stream or segments, transfer.ts and
 * segmented.ts), resume from the partial file, retries with backoff, the sidecar and the quota. It
 * answers with a typed outcome (done, interrupted, failed) instead of changing the task's state
 * itself; the engine decides what the outcome means.
 */

/** Why a running attempt was aborted; anything else that aborts it is a failure. */
export class Interrupt {
  constructor(readonly kind: 'pause' | 'cancel' | 'stop' | 'remove') {}
}

export type SessionOutcome =
  | { kind: 'done'; meta: PartialMeta | undefined; sidecarOnDisk: boolean }
  | { kind: 'interrupted'; interrupt: Interrupt }
  | { kind: 'failed'; message: string; error: FailureReason };

/** The live counters of a running transfer, shared with progress reporting. */
export interface SessionRun {
  controller: AbortController;
  bytes: number;
  lastBytes: number;
  limiter: RateLimiter;
}

export interface SessionInput {
  task: TaskRecord;
  profile: DeviceProfile;
  run: SessionRun;
  /** The sidecar found on disk at the start (undefined for a task that never ran). */
  sidecar: PartialSidecar | undefined;
  partials: PartialFiles;
  /** The connection pools for the task's URL (asked again per attempt: settings may change). */
  agents: () => Agents;
  /** The global, profile and task limiters, in that order. */
  limiters: () => readonly RateLimiter[];
  /** Most connections per download (the `segments` setting). */
  maxSegments: () => number;
  idleTimeoutMs: number;
  retry: { baseMs: number; maxMs: number };
  partitionDir: string;
  partialDir: string;
  /** Records a change of the task (total, bytes, resumability, a retry's state and message). */
  update: (patch: Partial<TaskRecord>) => void;
}

/** A fresh single stream writes its sidecar once this much arrived (one chunk: what a crash may cost)... */
const SIDECAR_AFTER_BYTES = 1024 * 1024;
/** ...or once it has streamed this long (a slow link takes long to fetch a chunk). */
const SIDECAR_AFTER_MS = 1_000;

/**
 * Whether bytes of this resource survive a pause: the engine resumes only with a validator for
 * If-Range (stream-rules.ts: a strong ETag, else Last-Modified), and only a server that takes ranges
 * answers a ranged request with a 206 (a 200 starts over). The answer says so with `Accept-Ranges: bytes`
 * or by being a 206; a server that takes ranges without saying so reads false until a resume proves it.
 */
export function resumableBy(meta: PartialMeta): boolean {
  return meta.acceptsRanges === true && validatorOf(meta) !== undefined;
}

/** The attempt loop of one task: resume, retry with backoff; ends when every byte is there, or not. */
export async function runSession(input: SessionInput): Promise<SessionOutcome> {
  const { task, profile, run, partials } = input;
  const { signal } = run.controller;
  let failuresInRow = 0;
  let meta = input.sidecar;
  /** Whether `<token>.json` exists; a fresh single stream writes it only once it is worth resuming. */
  let sidecarOnDisk = meta !== undefined;
  /** A fresh single stream's sidecar is due once this many bytes arrived or this time passed. */
  let sidecarDue: { bytes: number; at: number } | undefined;
  const writeSidecar = (): void => {
    if (!meta) return;
    partials.writeMeta(task.token, meta);
    sidecarOnDisk = true;
    sidecarDue = undefined;
  };
  /** Before leaving the bytes for a later run (pause, stop, retry wait, failure): their validators go to disk. */
  const keepSidecar = (): void => {
    if (!sidecarDue) return;
    try {
      writeSidecar();
    } catch {
      // No room: the bytes without it are refetched, never trusted (transfer.ts truncates them).
    }
  };
  /** What the partition holds besides this task's bytes, measured when a response starts (quota). */
  let usedByOthers = 0;
  // Progress means a new furthest point. Comparing with the size at the start of each attempt let
  // a server that cuts every body at the same byte loop forever: the resume gets 416, the file
  // restarts from 0, and every other attempt "progressed" back to the same byte.
  let furthest = run.bytes;
  /** Set when a segmented download found its resource changed: the rest of this run is one stream. */
  let single = false;
  /** Bytes on disk when the current attempt began: an answer accepted at 0 with bytes there is a restart. */
  let held = run.bytes;
  const started = (next: PartialMeta, offset: number, done?: ByteRange[]): void => {
    // A changed resource is a new race: how far the old one got says nothing about this one.
    if (offset === 0 && meta !== undefined && validatorOf(meta) !== validatorOf(next)) furthest = 0;
    meta = done ? { ...next, done } : next;
    // A segment map, or a sidecar already there (it must never describe other bytes): written now.
    // A fresh single stream's waits until it has about one chunk or one second of bytes to protect:
    // a small file then never writes one (each new file costs ~1 ms on a journaled disk), and a crash
    // before it costs at most that much refetching (bytes without a sidecar are never appended to).
    if (done || sidecarOnDisk) writeSidecar();
    else sidecarDue = { bytes: offset + SIDECAR_AFTER_BYTES, at: performance.now() + SIDECAR_AFTER_MS };
    run.bytes = offset;
    run.lastBytes = Math.min(run.lastBytes, offset);
    usedByOthers = checkQuota({ task, profile, total: next.total, partials, partitionDir: input.partitionDir, partialDir: input.partialDir });
    const patch: Partial<TaskRecord> = {};
    if (task.total !== next.total || task.bytes !== offset) Object.assign(patch, { total: next.total, bytes: offset });
    const resumable = resumableBy(next);
    if (task.resumable !== resumable) patch.resumable = resumable;
    if (offset === 0 && held > 0) patch.restarted = { from: held, at: Date.now() };
    held = 0;
    if (Object.keys(patch).length > 0) input.update(patch);
  };
  const onBytes = (n: number): void => {
    run.bytes += n;
    if (sidecarDue && (run.bytes >= sidecarDue.bytes || performance.now() >= sidecarDue.at)) writeSidecar();
    const quota = profile.device.quotaBytes;
    // Bytes received, not bytes on disk: the disk lags behind the stream, so a body without a
    // length could otherwise finish far past the quota before the check saw it (and a walk of
    // the folder per chunk would cost O(files) each time).
    if (quota !== undefined && task.total === null && usedByOthers + run.bytes > quota) {
      run.controller.abort(new VelaError(FailCode.DownloadFailed, `insufficient space: the device profile's quota of ${quota} bytes is exceeded`, { kind: 'quota', detail: 'grew', params: { quota, device: profile.name } }));
    }
  };
  for (;;) {
    try {
      const common = {
        url: task.url,
        headers: task.headers,
        partialPath: partials.dataPath(task.token),
        agents: input.agents(),
        idleTimeoutMs: input.idleTimeoutMs,
        signal,
        limiters: input.limiters,
        latencyMs: profile.link.latencyMs,
        onBytes,
      };
      // Bytes of a single stream go on in segments when the setting now asks for several connections
      // and the resource allows them (segment-map.ts); the map is on disk before the file grows.
      const mapped = single || meta?.done !== undefined || input.maxSegments() <= 1 ? undefined : mapOfStream(meta, partials.size(task.token));
      if (mapped) {
        try {
          partials.writeMeta(task.token, mapped);
          [meta, sidecarOnDisk, sidecarDue] = [mapped, true, undefined];
        } catch {
          // No room for the map: the bytes stay a single stream's.
        }
      }
      // A segment map is resumed as segments (even with the setting back at 1: one connection then);
      // a fresh start may become segmented; other bytes of a single stream are resumed as one stream.
      const segmented = !single && (meta?.done !== undefined || (input.maxSegments() > 1 && partials.size(task.token) === 0));
      const result = segmented
        ? await runSegmented({
            ...common,
            meta,
            done: meta?.done,
            maxConnections: input.maxSegments,
            dropAfterBytes: () => dropPoint(profile, task, partials),
            retry: input.retry,
            onStart: started,
            saveMap: (done) => {
              if (!meta) return;
              meta = { ...meta, done };
              partials.writeMeta(task.token, meta);
            },
          })
        : await runAttempt({ ...common, meta, dropAfterBytes: dropPoint(profile, task, partials), onStart: started });
      meta = result.meta;
      return { kind: 'done', meta, sidecarOnDisk };
    } catch (error) {
      const reason = signal.aborted ? signal.reason : error;
      keepSidecar();
      if (reason instanceof Interrupt) return { kind: 'interrupted', interrupt: reason };
      if (reason instanceof VelaError) {
        partials.remove(task.token);
        return { kind: 'failed', message: reason.message, error: reasonOf(reason) };
      }
      if (reason instanceof SegmentsInvalidated) {
        // The resource changed under the segments: their bytes are worthless. Start over, one stream.
        const lost = partials.bytes(task.token, meta);
        partials.remove(task.token);
        meta = undefined;
        sidecarOnDisk = false;
        sidecarDue = undefined;
        single = true;
        held = 0;
        input.update({ message: reason.message, bytes: 0, ...(lost > 0 ? { restarted: { from: lost, at: Date.now() } } : {}) });
        continue;
      }
      if (!(reason instanceof AttemptFailure)) throw reason;
      if (reason.kind === FailureKind.NoSpace) partials.remove(task.token);
      const reached = partials.bytes(task.token);
      held = reached;
      failuresInRow = reached > furthest ? 1 : failuresInRow + 1;
      furthest = Math.max(furthest, reached);
      if (!reason.transient) return { kind: 'failed', message: reason.message, error: reasonOf(reason, { folder: input.partialDir }) };
      if (failuresInRow >= MAX_ATTEMPTS_WITHOUT_PROGRESS) {
        return { kind: 'failed', message: `${reason.message} (gave up after ${failuresInRow} attempts)`, error: reasonOf(reason, { attempts: failuresInRow }) };
      }
      const wait = retryWait(reason, failuresInRow, input.retry);
      // What the row counts down: the next attempt's number in this run of failures, the bound, when.
      input.update({
        message: `${reason.message}; retrying`,
        error: reasonOf(reason),
        retry: { attempt: failuresInRow + 1, of: MAX_ATTEMPTS_WITHOUT_PROGRESS, at: Date.now() + wait },
      });
      try {
        await delay(wait, undefined, { signal });
      } catch {
        const why: unknown = signal.reason;
        if (why instanceof Interrupt) return { kind: 'interrupted', interrupt: why };
        throw why;
      }
      input.update({ retry: undefined });
    }
  }
}
