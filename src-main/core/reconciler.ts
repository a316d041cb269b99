import fs from 'node:fs';
import path from 'node:path';
import mime from 'mime-types';
import type { StoragePartition } from '../../src-shared/profiles.js';
import { isFinished, type TaskRecord } from '../../src-shared/types.js';
import { toInternalUri } from '../../src-shared/uri.js';
import type { Journal } from './journal.js';
import type { PartialFiles } from './partial-files.js';
import type { TaskStore } from './store.js';

export interface ReconcileInput {
  store: TaskStore;
  journal: Journal;
  partials: PartialFiles;
  partitionDir: (storage: StoragePartition) => string;
  /** The engine's update: patch, store, emit. */
  update: (task: TaskRecord, patch: Partial<TaskRecord>) => void;
}

/**
 * Start-up reconciliation after a crash, from the journal (journal.ts): tokens handed out and tasks
 * removed since the store's last write, and files committed whose completion never reached the
 * store. Tasks left running by a dead process go back to queued with the bytes their partial files hold.
 */
export function reconcile({ store, journal, partials, partitionDir, update }: ReconcileInput): void {
  const entries = journal.read();
  const committed = new Map<string, string>();
  for (const entry of entries) {
    if (entry.kind === 'task') {
      if (store.getTask(entry.task.token)) continue;
      const state = entry.task.state === 'running' ? 'queued' : entry.task.state;
      store.putTask({ ...entry.task, state, bytes: partials.bytes(entry.task.token) });
    } else if (entry.kind === 'removed') {
      committed.delete(entry.token);
      if (store.getTask(entry.token)) store.deleteTask(entry.token);
    } else {
      committed.set(entry.token, entry.name);
    }
  }
  for (const task of store.allTasks()) {
    if (isFinished(task.state)) continue;
    const name = committed.get(task.token);
    const file = name === undefined ? undefined : path.join(partitionDir(task.storage), name);
    if (name === undefined || file === undefined || !fs.existsSync(file)) {
      // Only the data dir's engine builds an Engine, so a task still marked running was left by a dead
      // process: it is queued again, with the bytes its partial file really holds.
      const bytes = partials.bytes(task.token);
      if (task.state === 'running' || task.bytes !== bytes) update(task, { state: task.state === 'running' ? 'queued' : task.state, bytes });
      continue;
    }
    const size = fs.statSync(file).size;
    partials.removeMeta(task.token);
    update(task, {
      state: 'completed',
      name,
      uri: toInternalUri(task.storage, name),
      path: file,
      mime: mime.lookup(name) || undefined,
      bytes: size,
      total: size,
      completedAt: Date.now(),
    });
  }
  // Written at once, which also empties the journal (onFlush).
  if (entries.length > 0) store.flush();
}
