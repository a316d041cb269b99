import fs from 'node:fs';
import path from 'node:path';
import type { ByteRange } from './segmented.js';
import type { TaskRecord } from '../../src-shared/types.js';
import type { PartialMeta } from './transfer.js';

/** The sidecar beside a partial file: its validators, and where its bytes went once committed. */
export interface PartialSidecar extends PartialMeta {
  committedAs?: string;
  /** A segmented download's map: the byte ranges known to be on disk. Absent for a single stream. */
  done?: ByteRange[];
}

/**
 * The `.partial/` folder of the cache: `<token>` holds the bytes so far and `<token>.json` what is
 * needed to resume them safely after a crash. For a single stream the file's size is the truth for how
 * far a task got; a segmented download's file has its full size from the start, and its map says.
 */
export class PartialFiles {
  /**
   * @param dir the cache's `.partial/` folder
   * @param intentDir where intents of freshly handed-out tokens wait for the store's next write; kept
   *   out of the cache so the partition's size (quota) and its listing never see them
   */
  constructor(
    readonly dir: string,
    readonly intentDir: string = path.join(dir, '..', '..', 'intents'),
  ) {}

  dataPath(token: string): string {
    return path.join(this.dir, token);
  }

  metaPath(token: string): string {
    return path.join(this.dir, `${token}.json`);
  }

  size(token: string): number {
    try {
      return fs.statSync(this.dataPath(token)).size;
    } catch {
      return 0;
    }
  }

  /** How many bytes of the download are really there: the segment map's, else the file's size. */
  bytes(token: string): number {
    const done = this.readMeta(token)?.done;
    return Array.isArray(done) ? done.reduce((n, [a, b]) => n + Math.max(0, b - a), 0) : this.size(token);
  }

  readMeta(token: string): PartialSidecar | undefined {
    try {
      return JSON.parse(fs.readFileSync(this.metaPath(token), 'utf8')) as PartialSidecar;
    } catch {
      return undefined;
    }
  }

  /** Written synchronously before the first byte of a response, so a kill -9 never leaves bytes without validators. */
  writeMeta(token: string, meta: PartialSidecar): void {
    fs.mkdirSync(this.dir, { recursive: true });
    const tmp = `${this.metaPath(token)}.tmp`;
    try {
      fs.writeFileSync(tmp, JSON.stringify(meta));
      fs.renameSync(tmp, this.metaPath(token));
    } catch (error) {
      fs.rmSync(tmp, { force: true });
      throw error;
    }
  }

  intentPath(token: string): string {
    return path.join(this.intentDir, `${token}.task.json`);
  }

  /**
   * The record of a task just handed out, written at once (a few hundred bytes) so a crash before the
   * store's next batched write cannot lose a token the caller already holds. Dropped once the store
   * file has the task; a restart adopts any intent the store does not know.
   */
  writeIntent(task: TaskRecord): void {
    fs.mkdirSync(this.intentDir, { recursive: true });
    const tmp = `${this.intentPath(task.token)}.tmp`;
    try {
      fs.writeFileSync(tmp, JSON.stringify(task));
      fs.renameSync(tmp, this.intentPath(task.token));
    } catch (error) {
      fs.rmSync(tmp, { force: true });
      throw error;
    }
  }

  removeIntent(token: string): void {
    fs.rmSync(this.intentPath(token), { force: true });
  }

  /** Every intent left on disk (by a process that died before its store write). */
  readIntents(): TaskRecord[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.intentDir);
    } catch {
      return [];
    }
    const tasks: TaskRecord[] = [];
    for (const name of names) {
      if (!name.endsWith('.task.json')) continue;
      try {
        const task = JSON.parse(fs.readFileSync(path.join(this.intentDir, name), 'utf8')) as TaskRecord;
        if (task && typeof task.token === 'string' && `${task.token}.task.json` === name) tasks.push(task);
      } catch {
        // Half written when the process died: the token never left the process.
      }
    }
    return tasks;
  }

  markCommitted(token: string, name: string): void {
    this.writeMeta(token, { ...(this.readMeta(token) ?? { url: '', total: null }), committedAs: name });
  }

  remove(token: string): void {
    fs.rmSync(this.dataPath(token), { force: true });
    fs.rmSync(this.metaPath(token), { force: true });
    fs.rmSync(`${this.metaPath(token)}.tmp`, { force: true });
  }

  /** Drop sidecars of committed files once `isRecorded` says the store knows the task is complete. */
  removeCommitted(isRecorded: (token: string) => boolean): void {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (!name.endsWith('.json')) continue;
      const token = name.slice(0, -'.json'.length);
      if (this.readMeta(token)?.committedAs && isRecorded(token)) this.remove(token);
    }
  }
}
