import ElectronStore from 'electron-store';
import { PRIVATE_FILE_MODE } from '../core/private-files.js';
import type { StoreConf, StoreData } from '../core/store.js';

/**
 * The store in the window: electron-store (a Conf subclass, DESIGN.md "Persistence and paths") with
 * the options core's default Conf uses, on the same file (DATA_DIR/config.json), so the app, the CLI
 * and the browser host read and write one format.
 */
export const makeElectronConf = (cwd: string): StoreConf =>
  new ElectronStore<StoreData>({
    cwd,
    name: 'config',
    accessPropertiesByDotNotation: false,
    clearInvalidConfig: false,
    // Headers and URLs with credentials: the user's alone (DESIGN.md "Persistence and paths").
    configFileMode: PRIVATE_FILE_MODE,
    serialize: (value) => JSON.stringify(value),
  });
