import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import mime from 'mime-types';
import { FailCode } from '../../src-shared/codes.js';
import type { FailureReason } from '../../src-shared/failure-reason.js';
import type { TaskRecord } from '../../src-shared/types.js';
import { toInternalUri } from '../../src-shared/uri.js';
import { chooseFilename } from './filename.js';
import type { Journal } from './journal.js';
import type { PartialFiles } from './partial-files.js';
import { commitFile } from './place-file.js';
import type { PartialMeta } from './partial-files.js';

/**
 * The committer: once every byte is there, check the optional sha256, choose the name, move the
 * partial file into place (commitFile: link + unlink, never overwriting) and note the commit in the
 * journal. It answers with what the task becomes; it never throws for a failure of the download.
 */

export type CommitOutcome =
  | {
      ok: true;
      /** The task's new fields (state completed). */
      patch: Partial<TaskRecord>;
      /** Whether the journal holds the commit; if not, the store must be written at once. */
      noted: boolean;
    }
  | { ok: false; message: string; error: FailureReason }
  /** A cancel (or a removal) arrived while the bytes were being checked: nothing was committed. */
  | { ok: false; cancelled: true };

export interface CommitInput {
  task: TaskRecord;
  meta: PartialMeta | undefined;
  /** Whether `<token>.json` exists (removed after the commit). */
  sidecarOnDisk: boolean;
  /** The partition's folder (cache or mass). */
  dir: string;
  partials: PartialFiles;
  journal: Journal;
  /**
   * Whether the user cancelled meanwhile. Asked after the checksum (which reads the whole file and can
   * take seconds) and right before the file takes its name: a cancel in that window is honoured, and
   * the file never appears under its final name. After the commit the download is done.
   */
  cancelled?: () => boolean;
}

export async function commitDownload({ task, meta, sidecarOnDisk, dir, partials, journal, cancelled }: CommitInput): Promise<CommitOutcome> {
  const partialPath = partials.dataPath(task.token);
  if (cancelled?.()) return { ok: false, cancelled: true };
  if (task.sha256) {
    const actual = await sha256File(partialPath);
    if (actual !== task.sha256) {
      partials.remove(task.token);
      return {
        ok: false,
        message: `checksum mismatch: expected sha256 ${task.sha256}, got ${actual}; the file was not kept`,
        error: { code: FailCode.DownloadFailed, kind: 'checksum', params: { expected: task.sha256, actual } },
      };
    }
  }
  const name = chooseFilename({
    requested: task.requestedFilename,
    contentDisposition: meta?.contentDisposition,
    url: new URL(meta?.url || task.url),
    contentType: meta?.contentType,
  });
  if (cancelled?.()) return { ok: false, cancelled: true };
  let finalName: string;
  try {
    finalName = await commitFile(partialPath, dir, name);
  } catch (error) {
    // Say why in the user's terms, never with paths; a full disk also takes the partial file with it.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      partials.remove(task.token);
      return { ok: false, message: 'insufficient space: the disk is full', error: { code: FailCode.DownloadFailed, kind: 'no-space', params: { folder: dir } } };
    }
    return {
      ok: false,
      message: `cannot save the file in the ${task.storage} folder (${code ?? 'write error'})`,
      error: { code: FailCode.DownloadFailed, kind: 'write', params: { folder: dir, ...(code ? { errno: code } : {}) } },
    };
  }
  const finalPath = path.join(dir, finalName);
  // Crash safety without a store write per file: the journal says where the bytes went until the store has it.
  let noted = true;
  try {
    journal.append({ kind: 'committed', token: task.token, name: finalName });
  } catch {
    // No room for the entry (disk full): the completion goes to the store at once instead.
    noted = false;
  }
  if (sidecarOnDisk) partials.removeMeta(task.token);
  const size = fs.statSync(finalPath).size;
  const type = meta?.contentType?.split(';')[0]?.trim();
  return {
    ok: true,
    noted,
    patch: {
      state: 'completed',
      name: finalName,
      uri: toInternalUri(task.storage, finalName),
      path: finalPath,
      mime: type && type !== 'application/octet-stream' ? type : mime.lookup(finalName) || type || undefined,
      bytes: size,
      total: size,
      completedAt: Date.now(),
      message: undefined,
      // A failure retried earlier in this run is history now.
      error: undefined,
    },
  };
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
