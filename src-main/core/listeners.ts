import { FailCode, VelaError } from '../../src-shared/codes.js';
import type { DownloadResult, TaskRecord } from '../../src-shared/types.js';

export type Outcome = { ok: true; result: DownloadResult } | { ok: false; error: VelaError };
type Waiter = { resolve: (result: DownloadResult) => void; reject: (error: VelaError) => void };

/** How a finished task answers its listeners (undefined while it is not finished). */
export function outcomeOf(task: TaskRecord): Outcome | undefined {
  if (task.state === 'completed') {
    return { ok: true, result: { token: task.token, uri: task.uri!, path: task.path! } };
  }
  if (task.state === 'failed' || task.state === 'cancelled') {
    // A failure's reason goes with it (tasks.wait answers it as ErrorData.reason); a cancel has none.
    const reason = task.state === 'failed' ? task.error : undefined;
    return { ok: false, error: new VelaError(task.code ?? FailCode.DownloadFailed, task.message ?? 'download failed', reason) };
  }
  return undefined;
}

/** The listeners waiting for tasks to end (`whenDone`): every one of them is answered once. */
export class Listeners {
  readonly #waiters = new Map<string, Waiter[]>();

  /** `changed` is called whenever listeners come or go (keep-alive bookkeeping). */
  constructor(private readonly changed: () => void) {}

  get size(): number {
    return this.#waiters.size;
  }

  /** Resolves when the task completes; rejects with its failure (1000) or when it is removed (1001). */
  wait(task: TaskRecord): Promise<DownloadResult> {
    const settled = outcomeOf(task);
    if (settled) return settled.ok ? Promise.resolve(settled.result) : Promise.reject(settled.error);
    return new Promise((resolve, reject) => {
      const list = this.#waiters.get(task.token) ?? [];
      list.push({ resolve, reject });
      this.#waiters.set(task.token, list);
      this.changed();
    });
  }

  /** Answers every listener of the token, once. */
  settle(token: string, outcome: Outcome): void {
    const list = this.#waiters.get(token);
    this.#waiters.delete(token);
    for (const waiter of list ?? []) {
      if (outcome.ok) waiter.resolve(outcome.result);
      else waiter.reject(outcome.error);
    }
    this.changed();
  }
}
