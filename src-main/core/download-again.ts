import fs from 'node:fs';
import { FailCode, VelaError } from '../../src-shared/codes.js';
import type { TaskRecord } from '../../src-shared/types.js';
import type { Engine } from './engine.js';

/**
 * "Download again" for a finished download whose file is gone (deleted in Media, or outside the app),
 * as Chrome offers it for a "Deleted" row: the same request (URL, headers, the file name asked for,
 * title, checksum, speed limit, and the profile it ran under while that profile exists, else the
 * active one) as a new task, which then takes the old one's place: the old record is forgotten once
 * the new one exists, so a refusal (203 for a profile that no longer supports downloads) loses nothing.
 * Only through the engine's public surface: the engine itself is not touched.
 */
export async function downloadAgain(engine: Engine, token: unknown): Promise<TaskRecord> {
  const old = engine.get(token);
  if (old.state !== 'completed') {
    throw new VelaError(FailCode.IllegalArgument, `only a completed download whose file is gone can be downloaded again (this one is ${old.state}; use retry)`);
  }
  if (old.path && fs.existsSync(old.path)) {
    throw new VelaError(FailCode.IllegalArgument, `the file is still there: ${old.path}`);
  }
  const task = engine.download({
    url: old.url,
    header: old.headers,
    filename: old.requestedFilename,
    description: old.description,
    device: engine.profiles.find(old.profileId) ? old.profileId : undefined,
    sha256: old.sha256,
    speedLimit: old.speedLimit,
  });
  await engine.remove(old.token, false);
  return task;
}
