import fs from 'node:fs';
import path from 'node:path';
import type { TaskProgress, TaskRecord } from '../../src-shared/types.js';
import type { Engine } from '../core/engine.js';
import { SuggestedNames } from '../core/suggested-name.js';

/**
 * What the router adds to every task it answers with or announces, from the disk rather than the
 * store (so nothing here is ever written, and the engine is not involved):
 * - `fileMissing` on a completed task whose file is gone (deleted in Media or outside the app), so
 *   the row says "Deleted", as Chrome's does, instead of "Completed" with an Open that answers nothing;
 * - `suggestedName` on a running or paused task, once the server's answer named it (suggested-name.ts).
 */
export class TaskView {
  readonly #names: SuggestedNames;
  /** Running tasks whose name the caller chose: nothing to learn from the server's answer. */
  readonly #chosen = new Set<string>();

  constructor(private readonly engine: Engine) {
    this.#names = new SuggestedNames(engine.paths.partialDir);
  }

  /** The record with the fields above; the same object (a copy the engine handed out), changed in place. */
  decorate(task: TaskRecord, exists: (file: string) => boolean = fs.existsSync): TaskRecord {
    if (task.state !== 'running' && task.state !== 'paused') this.#chosen.delete(task.token);
    if (task.state === 'completed') {
      if (task.path && !exists(task.path)) task.fileMissing = true;
    } else {
      const name = this.#names.of(task);
      if (name !== undefined) task.suggestedName = name;
    }
    return task;
  }

  /**
   * A whole list: each folder the files are in is read once (a list of ten thousand tasks costs a few
   * directory reads instead of ten thousand stats, which the list's first rows would wait for).
   */
  decorateAll(tasks: TaskRecord[]): TaskRecord[] {
    const folders = new Map<string, Set<string>>();
    const exists = (file: string): boolean => {
      const dir = path.dirname(file);
      let names = folders.get(dir);
      if (!names) {
        try {
          names = new Set(fs.readdirSync(dir));
        } catch {
          names = new Set();
        }
        folders.set(dir, names);
      }
      return names.has(path.basename(file));
    };
    for (const task of tasks) this.decorate(task, exists);
    return tasks;
  }

  /**
   * Tasks of a progress batch whose suggested name just became known (their sidecar appeared): each
   * once, so the window can show it at once rather than at the next state change.
   */
  newlyNamed(batch: readonly TaskProgress[]): TaskRecord[] {
    const named: TaskRecord[] = [];
    for (const { token } of batch) {
      if (this.#names.has(token) || this.#chosen.has(token)) continue;
      let task: TaskRecord;
      try {
        task = this.engine.get(token);
      } catch {
        continue;
      }
      if (task.requestedFilename) {
        this.#chosen.add(token);
        continue;
      }
      this.decorate(task);
      if (task.suggestedName !== undefined) named.push(task);
    }
    return named;
  }

  forget(token: string): void {
    this.#names.forget(token);
    this.#chosen.delete(token);
  }
}
