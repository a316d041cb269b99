import path from 'node:path';
import { FailCode, VelaError } from '../../src-shared/codes.js';
import { issuesMessage, MEDIA_KIND_NAMES, settingsPatchSchema, type SettingsPatch } from '../../src-shared/schemas.js';
import type { Settings } from '../../src-shared/types.js';
import type { ProfileRegistry } from './profiles.js';

/**
 * The settings after a patch, checked with the contract's schema (not only at the router: in-process
 * callers, the Electron shell's gallery defaults, tests and quick-app code, reach the engine directly,
 * and nothing invalid may be stored whoever asks). The field messages are the router's own. Throws 202.
 */
export function applySettingsPatch(current: Settings, input: SettingsPatch, profiles: ProfileRegistry): Settings {
  const parsed = settingsPatchSchema.safeParse(input);
  if (!parsed.success) throw new VelaError(FailCode.IllegalArgument, `invalid settings: ${issuesMessage(parsed.error.issues)}`);
  const patch = parsed.data;
  // The schema takes both POSIX and Windows forms (the renderer cannot know where the engine runs);
  // here the folder must be absolute on this computer, or `C:\…` on Linux would resolve against the cwd.
  for (const [kind, dir] of Object.entries(patch.galleryDirs ?? {})) {
    if (dir && !path.isAbsolute(dir)) {
      const example = process.platform === 'win32' ? 'C:\\Users\\me\\Pictures' : '/home/me/Pictures';
      const what = `gallery folder for ${MEDIA_KIND_NAMES[kind as keyof typeof MEDIA_KIND_NAMES]}`;
      throw new VelaError(FailCode.IllegalArgument, `invalid settings: galleryDirs.${kind}: ${what} must be an absolute path on this computer, such as ${example}`);
    }
  }
  if (patch.activeProfile !== undefined) profiles.require(patch.activeProfile);
  return {
    ...current,
    ...patch,
    galleryDirs: { ...current.galleryDirs, ...(patch.galleryDirs ?? {}) },
  };
}
