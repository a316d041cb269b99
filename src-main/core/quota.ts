import fs from 'node:fs';
import path from 'node:path';
import { FailCode, VelaError } from '../../src-shared/codes.js';
import type { DeviceProfile } from '../../src-shared/profiles.js';
import type { TaskRecord } from '../../src-shared/types.js';
import type { PartialFiles } from './partial-files.js';

/** A device profile's simulation and quota as applied to one task's transfer. */

/** Where this attempt's connection drops: the profile's fixed point, or a random one by its packet loss. */
export function dropPoint(profile: DeviceProfile, task: TaskRecord, partials: PartialFiles): number | undefined {
  const fixed = profile.link.dropAfterBytes;
  const loss = profile.link.packetLoss ?? 0;
  if (loss > 0 && Math.random() < loss) {
    const remaining = task.total !== null ? Math.max(1, task.total - partials.bytes(task.token)) : 1024 * 1024;
    const random = 1 + Math.floor(Math.random() * remaining);
    return fixed === undefined ? random : Math.min(fixed, random);
  }
  return fixed;
}

export interface QuotaInput {
  task: TaskRecord;
  profile: DeviceProfile;
  total: number | null;
  partials: PartialFiles;
  /** The task's partition folder (cache or mass). */
  partitionDir: string;
  /** Where partial files live (counted against a partition other than the cache). */
  partialDir: string;
}

/** Throws when the whole file cannot fit; returns what the partition holds besides this task's bytes. */
export function checkQuota({ task, profile, total, partials, partitionDir, partialDir }: QuotaInput): number {
  const quota = profile.device.quotaBytes;
  if (quota === undefined) return 0;
  // Bytes the partition holds (finished files plus every partial file), minus this task's own bytes
  // on disk: all of them, since a 200 (offset 0) truncates them right after.
  const used = dirSize(partitionDir) + (task.storage === 'cache' ? 0 : dirSize(partialDir)) - partials.size(task.token);
  if (total !== null && used + total > quota) {
    throw new VelaError(
      FailCode.DownloadFailed,
      `insufficient space: ${total} bytes would exceed the device profile's quota of ${quota} bytes (${used} in use)`,
      { kind: 'quota', detail: 'too-large', params: { quota, total, used, device: profile.name } },
    );
  }
  return used;
}

function dirSize(dir: string): number {
  let total = 0;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += dirSize(full);
    else if (entry.isFile()) total += fs.statSync(full).size;
  }
  return total;
}
