import type { Dirent } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { toErrorData, type ErrorData } from '../../src-shared/codes.js';
import type { StoragePartition } from '../../src-shared/profiles.js';
import type { MediaItem, MediaRef } from '../../src-shared/types.js';
import { toInternalUri } from '../../src-shared/uri.js';
import type { Engine } from './engine.js';
import { moveToGallery, sniffMedia, type MediaSniff } from './gallery.js';
import { resolveMediaFile } from './media-files.js';
import { galleryDirs, partitionDir } from './paths.js';

/** How many files a list stats and sniffs at once. */
const LIST_PARALLEL = 8;

/**
 * The media library: what landed in the app cache (and the mass partition), by name, never by path.
 * Every name from outside is mapped with `resolveInside`, so `..`, absolute paths and links out of the
 * partition are refused; `.partial/` (files in progress) is never listed or served.
 */
export class MediaLibrary {
  /**
   * Each file's verdict from its bytes (gallery.ts `sniffMedia`), kept per path while its size and
   * mtime stay the same, so listing a thousand files reads each one once, not on every list. Only
   * files the last list saw are kept. The list only shows the verdict: a move sniffs the file again.
   */
  #verdicts = new Map<string, { size: number; mtimeMs: number; sniff: MediaSniff }>();

  constructor(private readonly engine: Engine) {}

  partitionDir(partition: StoragePartition): string {
    return partitionDir(this.engine.paths, partition);
  }

  async list(): Promise<MediaItem[]> {
    const owners = new Map<string, string>();
    for (const task of this.engine.list()) if (task.state === 'completed' && task.path && !task.galleryPath) owners.set(task.path, task.token);
    const items: MediaItem[] = [];
    const seen = new Map<string, { size: number; mtimeMs: number; sniff: MediaSniff }>();
    for (const partition of ['cache', 'mass'] as const) {
      const dir = this.partitionDir(partition);
      let entries: Dirent[];
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch {
        continue;
      }
      // Dot files are ours (in-progress partials, staging copies), not the user's media.
      const files = entries.filter((entry) => entry.isFile() && !entry.name.startsWith('.')).map((entry) => entry.name);
      // A few files at a time: a first list of a full cache sniffs each one (~1 ms of CPU apiece).
      for (let start = 0; start < files.length; start += LIST_PARALLEL) {
        const batch = files.slice(start, start + LIST_PARALLEL);
        await Promise.all(
          batch.map(async (name) => {
            const file = path.join(dir, name);
            const stat = await fs.stat(file).catch(() => undefined);
            if (!stat) return;
            const sniff = await this.#sniff(file, stat.size, stat.mtimeMs);
            if (sniff) seen.set(file, { size: stat.size, mtimeMs: stat.mtimeMs, sniff });
            items.push({
              partition,
              name,
              uri: toInternalUri(partition, name),
              size: stat.size,
              mime: sniff?.mime ?? null,
              kind: sniff?.kind ?? 'other',
              modifiedAt: stat.mtimeMs,
              token: owners.get(file),
            });
          }),
        );
      }
    }
    this.#verdicts = seen;
    return items.sort((a, b) => b.modifiedAt - a.modifiedAt || a.partition.localeCompare(b.partition) || a.name.localeCompare(b.name));
  }

  /** The cached verdict while size and mtime match, else a fresh one; undefined (listed as 'other', not cached) when the file cannot be read. */
  async #sniff(file: string, size: number, mtimeMs: number): Promise<MediaSniff | undefined> {
    const known = this.#verdicts.get(file);
    if (known && known.size === size && known.mtimeMs === mtimeMs) return known.sniff;
    try {
      return await sniffMedia(file);
    } catch {
      return undefined;
    }
  }

  /** The absolute path of an existing media file, or a 202 when the name would leave its partition. */
  resolve(ref: MediaRef): Promise<string> {
    return resolveMediaFile(this.engine.paths, ref);
  }

  async remove(refs: MediaRef[]): Promise<Array<{ ref: MediaRef; error?: ErrorData }>> {
    const results: Array<{ ref: MediaRef; error?: ErrorData }> = [];
    for (const ref of refs) {
      try {
        const file = await this.resolve(ref);
        await fs.rm(file);
        this.engine.fileDeleted(file);
        results.push({ ref });
      } catch (error) {
        results.push({ ref, error: toErrorData(error) });
      }
    }
    return results;
  }

  /** Move each file to the gallery; a file a task downloaded goes through the task, so it shows where it went. */
  async moveToGallery(refs: MediaRef[], galleryHome?: string): Promise<Array<{ ref: MediaRef; path?: string; error?: ErrorData }>> {
    const results: Array<{ ref: MediaRef; path?: string; error?: ErrorData }> = [];
    for (const ref of refs) {
      try {
        const file = await this.resolve(ref);
        const task = this.engine.list().find((t) => t.state === 'completed' && t.path === file && !t.galleryPath);
        const moved = task
          ? (await this.engine.moveToGallery(task.token, galleryHome)).path
          : await moveToGallery(file, galleryDirs({ home: galleryHome, overrides: this.engine.settings.galleryDirs }));
        results.push({ ref, path: moved });
      } catch (error) {
        results.push({ ref, error: toErrorData(error) });
      }
    }
    return results;
  }
}
