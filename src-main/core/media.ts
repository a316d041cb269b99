import type { Dirent } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import mime from 'mime-types';
import { FailCode, VelaError, toErrorData, type ErrorData } from '../../src-shared/codes.js';
import type { StoragePartition } from '../../src-shared/profiles.js';
import type { MediaItem, MediaRef } from '../../src-shared/types.js';
import { toInternalUri } from '../../src-shared/uri.js';
import type { Engine } from './engine.js';
import { mediaKind, moveToGallery } from './gallery.js';
import { galleryDirs, resolveInside } from './paths.js';

/**
 * The media library: what landed in the app cache (and the mass partition), by name, never by path.
 * Every name from outside is mapped with `resolveInside`, so `..`, absolute paths and links out of the
 * partition are refused; `.partial/` (files in progress) is never listed or served.
 */
export class MediaLibrary {
  constructor(private readonly engine: Engine) {}

  partitionDir(partition: StoragePartition): string {
    return partition === 'mass' ? this.engine.paths.massDir : this.engine.paths.cacheDir;
  }

  async list(): Promise<MediaItem[]> {
    const owners = new Map<string, string>();
    for (const task of this.engine.list()) if (task.state === 'completed' && task.path && !task.galleryPath) owners.set(task.path, task.token);
    const items: MediaItem[] = [];
    for (const partition of ['cache', 'mass'] as const) {
      const dir = this.partitionDir(partition);
      let entries: Dirent[];
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch {
        continue;
      }
      for (const entry of entries) {
        // Dot files are ours (in-progress partials, staging copies), not the user's media.
        if (!entry.isFile() || entry.name.startsWith('.')) continue;
        const file = path.join(dir, entry.name);
        const stat = await fs.stat(file).catch(() => undefined);
        if (!stat) continue;
        const type = mime.lookup(entry.name) || null;
        items.push({
          partition,
          name: entry.name,
          uri: toInternalUri(partition, entry.name),
          size: stat.size,
          mime: type,
          kind: mediaKind(entry.name, type ?? undefined) ?? 'other',
          modifiedAt: stat.mtimeMs,
          token: owners.get(file),
        });
      }
    }
    return items.sort((a, b) => b.modifiedAt - a.modifiedAt);
  }

  /** The absolute path of an existing media file, or a 202 when the name would leave its partition. */
  async resolve(ref: MediaRef): Promise<string> {
    if (ref.name.split(/[/\\]/)[0] === '.partial' || ref.name.startsWith('.')) {
      throw new VelaError(FailCode.IllegalArgument, `not a media file: ${ref.name}`);
    }
    const file = await resolveInside(this.partitionDir(ref.partition), ref.name);
    const stat = await fs.stat(file).catch(() => undefined);
    if (!stat?.isFile()) throw new VelaError(FailCode.IllegalArgument, `no such file in the ${ref.partition}: ${ref.name}`);
    return file;
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
