import ElectronStore from 'electron-store';
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
    configFileMode: 0o600,
    serialize: (value) => JSON.stringify(value),
  });
