import type { TaskRecord } from '../../src-shared/types.js';
import { chooseFilename } from './filename.js';
import { PartialFiles } from './partial-files.js';
import type { PartialMeta } from './partial-files.js';

/**
 * The name a running download will take, known as soon as the server's answer is (its
 * Content-Disposition, the URL after redirects, the type), long before the file takes its final name
 * at the commit. Three downloads of `…/etag.bin` that the server names `a.bin`, `b.bin` and `c.bin`
 * should read so while they run, not `etag.bin` three times.
 *
 * The engine keeps that answer in memory and, once the bytes are worth resuming (about a second or a
 * MiB of a single stream; a segmented download at once), in the partial file's sidecar
 * (`.partial/<token>.json`, partial-files.ts). This reads the sidecar, without touching the engine,
 * and applies the committer's own rule (`chooseFilename`). The final name may still differ by a `-1`
 * suffix when the name is taken.
 */
export function suggestedName(task: Pick<TaskRecord, 'requestedFilename' | 'url'>, meta: PartialMeta): string | undefined {
  try {
    return chooseFilename({
      requested: task.requestedFilename,
      contentDisposition: meta.contentDisposition,
      url: new URL(meta.url || task.url),
      contentType: meta.contentType,
    });
  } catch {
    return undefined;
  }
}

/** The suggestions of unfinished tasks, each read once from its sidecar and remembered until the task ends. */
export class SuggestedNames {
  readonly #partials: PartialFiles;
  readonly #known = new Map<string, string>();

  constructor(partialDir: string) {
    this.#partials = new PartialFiles(partialDir);
  }

  /** The suggestion for a running or paused task that has no final name yet; undefined until its sidecar exists. */
  of(task: Pick<TaskRecord, 'token' | 'state' | 'name' | 'requestedFilename' | 'url'>): string | undefined {
    if ((task.state !== 'running' && task.state !== 'paused') || task.name) {
      this.#known.delete(task.token);
      return undefined;
    }
    const known = this.#known.get(task.token);
    if (known !== undefined) return known;
    const meta = this.#partials.readMeta(task.token);
    const name = meta ? suggestedName(task, meta) : undefined;
    if (name !== undefined) this.#known.set(task.token, name);
    return name;
  }

  /** Whether a suggestion is remembered for this task already. */
  has(token: string): boolean {
    return this.#known.has(token);
  }

  forget(token: string): void {
    this.#known.delete(token);
  }
}
