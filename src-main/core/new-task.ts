import { randomUUID } from 'node:crypto';
import { FailCode, VelaError } from '../../src-shared/codes.js';
import type { TaskRecord } from '../../src-shared/types.js';
import { validateFilename, validateHeaders, validateSha256, validateUrl } from '../../src-shared/validate.js';
import { nextCreatedAt } from './creation-clock.js';
import type { ProfileRegistry } from './profiles.js';
import { earlierTask, requestDigest } from './request-id.js';
import type { TaskStore } from './store.js';

export interface DownloadRequest {
  url: unknown;
  header?: unknown;
  filename?: unknown;
  description?: string;
  /** Profile id; default: the active profile of the settings. */
  device?: string;
  sha256?: string;
  speedLimit?: number;
  /** Sent again with the same id (a retry), the request answers the task it made then (request-id.ts). */
  requestId?: string;
}

/**
 * A download request made into a task record (queued, not stored yet), or the task the same request
 * made earlier (its answer was lost on the way). Throws 202 for bad arguments, 203 for an unsupported
 * device profile: the only failures of `download` itself.
 */
export function newTask(request: DownloadRequest, store: TaskStore, profiles: ProfileRegistry): { task: TaskRecord; earlier: boolean } {
  const url = validateUrl(request.url);
  const headers = validateHeaders(request.header);
  const requestedFilename = validateFilename(request.filename);
  const sha256 = validateSha256(request.sha256);
  const digest = requestDigest({
    url: url.href,
    headers,
    filename: requestedFilename,
    description: request.description,
    device: request.device,
    sha256,
    speedLimit: request.speedLimit,
  });
  const earlier = earlierTask(store, request.requestId, digest);
  if (earlier) return { task: earlier, earlier: true };
  const profile = request.device === undefined ? profiles.default : profiles.require(request.device);
  if (!profile.supported) {
    throw new VelaError(FailCode.NotSupported, `${profile.name} does not support system.request downloads (feature not supported)`, {
      kind: 'unsupported',
      params: { device: profile.name },
    });
  }
  const now = Date.now();
  const task: TaskRecord = {
    token: randomUUID(),
    url: url.href,
    headers,
    requestedFilename,
    description: request.description,
    profileId: profile.id,
    storage: profile.device.storage ?? 'cache',
    listenerRule: profile.device.listenerRule ?? 'all',
    state: 'queued',
    bytes: 0,
    total: null,
    sha256,
    speedLimit: request.speedLimit || undefined,
    ...(request.requestId === undefined ? {} : { requestId: request.requestId, requestDigest: digest }),
    // Unique and increasing per store: tasks created in the same millisecond keep the order they came in
    // (creation-clock.ts). updatedAt stays the wall clock: the window compares it with later updates.
    createdAt: nextCreatedAt(store, now),
    updatedAt: now,
  };
  return { task, earlier: false };
}
