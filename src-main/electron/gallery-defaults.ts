import path from 'node:path';
import type { Settings } from '../../src-shared/types.js';
import { APP_NAME, galleryDirs, MEDIA_KINDS, type MediaKind } from '../core/paths.js';

/**
 * The gallery folders in the window: Electron's own `pictures`/`videos`/`music` folders. Core picks
 * the same folders itself (XDG user dirs on Linux, ~/Pictures, ~/Movies, ~/Music on macOS), so on most
 * machines there is nothing to do. Where Electron knows better (Windows folders moved by the user or by
 * OneDrive), the seam is the settings' `galleryDirs`: an empty setting is filled with Electron's folder,
 * so the CLI and the browser host move files to the same place as the window. A folder the user chose
 * is never touched. Pure: Electron's `app.getPath` comes in as a function.
 */

export type ElectronFolder = 'pictures' | 'videos' | 'music';

export const ELECTRON_FOLDER: Readonly<Record<MediaKind, ElectronFolder>> = { image: 'pictures', video: 'videos', audio: 'music' };

/** The settings patch to apply, or undefined when core already agrees with Electron (or the user chose). */
export function galleryPatch(
  getPath: (name: ElectronFolder) => string,
  current: Settings['galleryDirs'],
  coreDefaults: Record<MediaKind, string> = galleryDirs(),
): Partial<Settings['galleryDirs']> | undefined {
  const patch: Partial<Settings['galleryDirs']> = {};
  for (const kind of MEDIA_KINDS) {
    if (current[kind] !== '') continue;
    let base: string;
    try {
      base = getPath(ELECTRON_FOLDER[kind]);
    } catch {
      continue; // Electron does not know this folder here: core's choice stands.
    }
    if (!base || !path.isAbsolute(base)) continue;
    const folder = path.join(base, APP_NAME);
    if (path.resolve(folder) !== path.resolve(coreDefaults[kind])) patch[kind] = folder;
  }
  return Object.keys(patch).length > 0 ? patch : undefined;
}
