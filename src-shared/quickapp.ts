import { FailCode, VelaError, toErrorData } from './codes.js';
import type { Bridge } from './channels.js';
import { isFinished, type TaskRecord } from './types.js';

/**
 * The quick-app adapter (API.md §1): given a bridge, an object with `download` and `onDownloadComplete`
 * that take `{ ..., success, fail, complete }` and answer exactly as a quick app sees it on a watch:
 * - callbacks never run inside the call that registered them;
 * - `success` then `complete`, or `fail(data, code)` then `complete`, each once;
 * - with none of the three callbacks, the call returns a Promise resolving `{ data }` or rejecting
 *   `{ data, code }` (as hapjs does);
 * - many listeners on one token are all answered, unless the task's profile asks for hapjs's rule
 *   (`last`: an unfinished token keeps only its latest listener; `onReplaced` reports the dropped one).
 * The renderer's API console and quick-app code under Node use this same object.
 */

type Success<T> = (data: T) => void;
type Fail = (data: string, code: number) => void;

export interface Callbacks<T> {
  success?: Success<T>;
  fail?: Fail;
  complete?: () => void;
}

export interface DownloadObject extends Callbacks<{ token: string }> {
  url?: unknown;
  header?: unknown;
  filename?: unknown;
  description?: unknown;
}

export interface OnCompleteObject extends Callbacks<{ uri: string }> {
  token?: unknown;
}

export interface QuickAppRequest {
  download(object: DownloadObject): Promise<{ data: { token: string } }> | undefined;
  onDownloadComplete(object: OnCompleteObject): Promise<{ data: { uri: string } }> | undefined;
}

export interface AdapterOptions {
  /** Extra fields for the desktop (e.g. the device profile to run under). */
  downloadExtras?: () => Record<string, unknown>;
  /** A listener was dropped because the task's profile keeps only the last one (hapjs). */
  onReplaced?: (token: string) => void;
  /** A callback threw: reported, never allowed to break the other callbacks. */
  onCallbackError?: (error: unknown) => void;
}

type Outcome<T> = { ok: true; data: T } | { ok: false; data: string; code: number };

const hasCallbacks = <T>(o: Callbacks<T>): boolean =>
  typeof o.success === 'function' || typeof o.fail === 'function' || typeof o.complete === 'function';

export function createQuickAppRequest(bridge: Bridge, options: AdapterOptions = {}): QuickAppRequest {
  const report = options.onCallbackError ?? ((error: unknown) => console.error('[system.request] a callback threw:', error));

  /** Deliver an outcome the quick-app way, always on a later turn. */
  const deliver = <T>(object: Callbacks<T>, outcome: Outcome<T>): void => {
    setTimeout(() => {
      const safe = (fn: () => void): void => {
        try {
          fn();
        } catch (error) {
          report(error);
        }
      };
      if (outcome.ok) {
        if (typeof object.success === 'function') safe(() => object.success!(outcome.data));
      } else if (typeof object.fail === 'function') safe(() => object.fail!(outcome.data, outcome.code));
      if (typeof object.complete === 'function') safe(() => object.complete!());
    }, 0);
  };

  /** Run `work` and answer through callbacks, or as a Promise when the object has none. */
  const answer = <T>(object: Callbacks<T> | undefined, work: (settle: (outcome: Outcome<T>) => void) => void) => {
    const target: Callbacks<T> = object && typeof object === 'object' ? object : {};
    if (hasCallbacks(target)) {
      let done = false;
      work((outcome) => {
        if (done) return;
        done = true;
        deliver(target, outcome);
      });
      return undefined;
    }
    return new Promise<{ data: T }>((resolve, reject) => {
      work((outcome) => {
        setTimeout(() => (outcome.ok ? resolve({ data: outcome.data }) : reject({ data: outcome.data, code: outcome.code })), 0);
      });
    });
  };

  const failure = (error: unknown): Outcome<never> => {
    const data = toErrorData(error);
    return { ok: false, data: data.message, code: data.code };
  };

  // Listeners per unfinished token, answered together when its one wait settles.
  const pending = new Map<string, Array<(outcome: Outcome<{ uri: string }>) => void>>();

  const settleFromRecord = (task: TaskRecord): Outcome<{ uri: string }> =>
    task.state === 'completed'
      ? { ok: true, data: { uri: task.uri ?? '' } }
      : { ok: false, data: task.message ?? 'download failed', code: task.code ?? FailCode.DownloadFailed };

  const listen = (token: string, rule: 'all' | 'last', settle: (outcome: Outcome<{ uri: string }>) => void): void => {
    const existing = pending.get(token);
    if (existing) {
      if (rule === 'last' && existing.length > 0) {
        existing.length = 0;
        options.onReplaced?.(token);
      }
      existing.push(settle);
      return;
    }
    pending.set(token, [settle]);
    bridge.invoke('tasks.wait', { token }).then(
      (result) => finish(token, { ok: true, data: { uri: result.uri } }),
      (error: unknown) => finish(token, failure(error)),
    );
  };

  const finish = (token: string, outcome: Outcome<{ uri: string }>): void => {
    const list = pending.get(token) ?? [];
    pending.delete(token);
    for (const settle of list) settle(outcome);
  };

  return {
    download(object) {
      return answer<{ token: string }>(object, (settle) => {
        const input = {
          ...(options.downloadExtras?.() ?? {}),
          url: object?.url,
          header: object?.header,
          filename: object?.filename,
          description: typeof object?.description === 'string' ? object.description : undefined,
        };
        bridge.invoke('download.start', input as never).then(
          (value) => settle({ ok: true, data: { token: value.token } }),
          (error: unknown) => settle(failure(error)),
        );
      });
    },
    onDownloadComplete(object) {
      return answer<{ uri: string }>(object, (settle) => {
        const token = object?.token;
        if (typeof token !== 'string' || token === '') {
          settle(failure(new VelaError(FailCode.IllegalArgument, 'token is required and must be a non-empty string')));
          return;
        }
        bridge.invoke('tasks.get', { token }).then(
          (task) => (isFinished(task.state) ? settle(settleFromRecord(task)) : listen(token, task.listenerRule, settle)),
          (error: unknown) => settle(failure(error)),
        );
      });
    },
  };
}
