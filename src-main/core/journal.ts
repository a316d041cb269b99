import fs from 'node:fs';
import path from 'node:path';
import type { TaskRecord } from '../../src-shared/types.js';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from './private-files.js';

/**
 * What happened since the store's last write, for a crash before its next one: tokens handed out,
 * files committed, tasks removed. The store writes in batches (store.ts); this keeps the promises
 * made in between (a token the caller holds, a uri a listener got) true through a `kill -9`.
 *
 * One append-only file, `DATA_DIR/journal.jsonl`, one JSON line per entry, its descriptor kept open:
 * an entry costs one `write` and creates no file, where a file per task (and a rename, and an unlink
 * later) cost about a millisecond each on a journaled disk and limited small downloads to a few
 * hundred a second (docs/performance.md, case 2). Emptied once the store file covers it. No fsync:
 * it guards against the process dying, whose written pages the kernel keeps; a power cut may lose
 * the last entries, as it may lose the store's last write.
 */

export type JournalEntry =
  | { kind: 'task'; task: TaskRecord }
  | { kind: 'committed'; token: string; name: string }
  | { kind: 'removed'; token: string };

export class Journal {
  #fd: number | undefined;
  /** The file's length as far as this process wrote it: a failed append is cut back to it. */
  #length = 0;
  /** The file may end inside a line (a cut that could not be undone, a crash mid-write). */
  #torn = false;

  constructor(readonly file: string) {}

  /** Appends one entry, synchronously. Throws (e.g. ENOSPC) with the file as it was before. */
  append(entry: JournalEntry): void {
    const fd = this.#open();
    // After a torn line, start on a line of our own: sharing it would make this entry unreadable too.
    const line = Buffer.from(`${this.#torn ? '\n' : ''}${JSON.stringify(entry)}\n`);
    let written = 0;
    try {
      while (written < line.length) written += fs.writeSync(fd, line, written, line.length - written);
    } catch (error) {
      // A torn line would also swallow the next entry (they would share a line): cut it off.
      if (written > 0) {
        try {
          fs.ftruncateSync(fd, this.#length);
        } catch {
          // The reader skips the torn line (this entry, never acknowledged); the next one starts a new line.
          this.#torn = true;
        }
      }
      throw error;
    }
    this.#torn = false;
    this.#length += line.length;
  }

  /** Every entry on disk, in order; a line cut short by a crash is skipped. */
  read(): JournalEntry[] {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch {
      return [];
    }
    const entries: JournalEntry[] = [];
    for (const line of text.split('\n')) {
      if (line === '') continue;
      try {
        const entry = JSON.parse(line) as JournalEntry;
        if (isEntry(entry)) entries.push(entry);
      } catch {
        // Half written when the process died: that entry was never acknowledged to anyone.
      }
    }
    return entries;
  }

  /** The store file now holds everything the journal says: start it over. */
  clear(): void {
    if (this.#fd === undefined) {
      // Nothing appended by this process: what is there is an earlier process's, now covered too.
      fs.rmSync(this.file, { force: true });
      return;
    }
    if (this.#length === 0) return;
    // With O_APPEND the next entry goes to the new end, byte 0.
    fs.ftruncateSync(this.#fd, 0);
    this.#length = 0;
    this.#torn = false;
  }

  close(): void {
    if (this.#fd === undefined) return;
    fs.closeSync(this.#fd);
    this.#fd = undefined;
  }

  #open(): number {
    if (this.#fd !== undefined) return this.#fd;
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: PRIVATE_DIR_MODE });
    // a+: appends, and can read back its last byte. 0600: entries hold headers and URLs with credentials.
    this.#fd = fs.openSync(this.file, 'a+', PRIVATE_FILE_MODE);
    this.#length = fs.fstatSync(this.#fd).size;
    if (this.#length > 0) {
      // An earlier process may have died inside a line.
      const last = Buffer.alloc(1);
      fs.readSync(this.#fd, last, 0, 1, this.#length - 1);
      this.#torn = last[0] !== 0x0a;
    }
    return this.#fd;
  }
}

function isEntry(value: unknown): value is JournalEntry {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Record<string, unknown>;
  switch (entry.kind) {
    case 'task': {
      const task = entry.task as Record<string, unknown> | null;
      return typeof task === 'object' && task !== null && typeof task.token === 'string';
    }
    case 'committed':
      return typeof entry.token === 'string' && typeof entry.name === 'string';
    case 'removed':
      return typeof entry.token === 'string';
    default:
      return false;
  }
}
