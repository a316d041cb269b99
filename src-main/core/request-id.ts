import { createHash } from 'node:crypto';
import { FailCode, VelaError } from '../../src-shared/codes.js';
import type { TaskRecord } from '../../src-shared/types.js';
import type { TaskStore } from './store.js';

/**
 * Idempotent hand-off (issue 9, point 5). A caller that cannot tell whether its `download.start` reached
 * the engine (the connection broke before the answer could be read) sends it again with the same request
 * id; the engine answers the task the first one made instead of making a second. The id is stored with
 * the task (store and journal alike), so this holds across a restart of the engine, and for as long as
 * the task exists: a removed task frees its id.
 *
 * The same id with other arguments is no retry but a caller's mistake: it is refused with 202 rather than
 * answered with a task that is not what was asked for.
 */

/** The arguments of a request as the engine understood them, canonical (sorted header names). */
export interface RequestArguments {
  url: string;
  headers: Record<string, string>;
  filename?: string;
  description?: string;
  device?: string;
  sha256?: string;
  speedLimit?: number;
}

export function requestDigest(args: RequestArguments): string {
  const headers = Object.keys(args.headers)
    .sort()
    .map((name) => [name, args.headers[name]]);
  const canonical = JSON.stringify([
    args.url,
    headers,
    args.filename ?? null,
    args.description ?? null,
    args.device ?? null,
    args.sha256 ?? null,
    args.speedLimit || null,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

/** The task an earlier request with this id made, if it still exists; 202 when it was made from other arguments. */
export function earlierTask(store: TaskStore, requestId: string | undefined, digest: string): TaskRecord | undefined {
  if (requestId === undefined) return undefined;
  const task = store.taskByRequestId(requestId);
  if (task && task.requestDigest !== digest) {
    throw new VelaError(FailCode.IllegalArgument, `requestId ${requestId} was already used for a different download; use a new id for a new download`);
  }
  return task;
}
