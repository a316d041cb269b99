import ElectronStore from 'electron-store';
import { PRIVATE_FILE_MODE } from '../core/private-files.js';
import type { SavedBounds } from './window-bounds.js';

/**
 * What the shell itself keeps, in electron-store (DESIGN.md "Persistence and paths"): the window's
 * place and size. Its own file, DATA_DIR/shell.json, beside the engine's config.json, which only the
 * engine process writes (with conf, electron-store's base). Main never opens the engine's store.
 */
export interface ShellPrefs {
  windowBounds?: SavedBounds;
}

/** After `ready` (electron-store asks the app for its version). */
export const openShellPrefs = (cwd: string): ElectronStore<ShellPrefs> =>
  new ElectronStore<ShellPrefs>({
    cwd,
    name: 'shell',
    accessPropertiesByDotNotation: false,
    // Window bounds are nothing to keep aside: a damaged file starts over.
    clearInvalidConfig: true,
    configFileMode: PRIVATE_FILE_MODE,
  });
