import fs from 'node:fs/promises';
import { FailCode, VelaError } from '../../src-shared/codes.js';
import type { MediaRef } from '../../src-shared/types.js';
import { resolveInside, type DataPaths } from './paths.js';

/**
 * The absolute path of an existing media file of a data dir's cache or mass partition, or a 202 when
 * the name would leave its partition, names something in progress (`.partial/`) or a dot file, or is
 * no file. Needs no engine: Electron's main serves previews with it while the engine runs elsewhere.
 */
export async function resolveMediaFile(dirs: Pick<DataPaths, 'cacheDir' | 'massDir'>, ref: MediaRef): Promise<string> {
  if (ref.name.split(/[/\\]/)[0] === '.partial' || ref.name.startsWith('.')) {
    throw new VelaError(FailCode.IllegalArgument, `not a media file: ${ref.name}`);
  }
  const file = await resolveInside(ref.partition === 'mass' ? dirs.massDir : dirs.cacheDir, ref.name);
  const stat = await fs.stat(file).catch(() => undefined);
  if (!stat?.isFile()) throw new VelaError(FailCode.IllegalArgument, `no such file in the ${ref.partition}: ${ref.name}`);
  return file;
}
