import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vitest/config';
import { parseInternalUri } from '../../src-shared/uri.js';
import { dataPaths, partitionDir } from '../core/paths.js';
import type { CustomDeviceProfile } from './types.js';

/**
 * `vela-companion/vitest`: quick-app code under Vitest. Vitest resolves imports itself, so the
 * `node --import vela-companion/register` hook does not reach it; this plugin does the same there:
 *
 *     // vitest.config.ts
 *     import { defineConfig } from 'vitest/config'
 *     import { velaCompanion } from 'vela-companion/vitest'
 *     export default defineConfig({ plugins: [velaCompanion({ device: 'watch-s4' })] })
 *
 * - `@system.request` and `@system/request` resolve to `vela-companion/system.request` (one module:
 *   what the page imports is what the test configures);
 * - every test file gets a fresh data dir (every test with `dataDir: 'per-test'`), in one temp folder
 *   that is removed when the run ends;
 * - every test starts on `device`; a test picks its own with `configure({ device })`.
 */

export interface VelaCompanionOptions {
  /**
   * The device profile each test starts on: a profile id (`npx vela-companion devices`) or a custom
   * profile. Default: `VELA_DEVICE`, else the Desktop profile (no limits).
   */
  device?: string | CustomDeviceProfile;
  /** A fresh data dir for each test file (the default) or for each test. */
  dataDir?: 'per-file' | 'per-test';
}

/** What the plugin hands to the setup file (through Vitest's `provide`; JSON only). */
export interface ProvidedSettings {
  device: string | CustomDeviceProfile;
  dataDir: 'per-file' | 'per-test';
}

/** The keys of Vitest's `provide` / `inject` this package uses. */
export const PROVIDED_SETTINGS = 'vela-companion:settings';
export const PROVIDED_ROOT = 'vela-companion:root';

/** Where the setup file keeps the current test's data dir, for `dataDir()` (any module instance sees it). */
export const STATE = Symbol.for('vela-companion.vitest');
interface State {
  dataDir?: string;
}

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));

/** The Vite/Vitest plugin: the alias, the per-file data dir and the device of each test. */
export function velaCompanion(options: VelaCompanionOptions = {}): Plugin {
  const settings: ProvidedSettings = {
    device: options.device ?? process.env.VELA_DEVICE ?? '',
    dataDir: options.dataDir ?? 'per-file',
  };
  if (settings.dataDir !== 'per-file' && settings.dataDir !== 'per-test') {
    throw new TypeError(`velaCompanion({ dataDir }): 'per-file' or 'per-test', not ${JSON.stringify(settings.dataDir)}`);
  }
  return {
    name: 'vela-companion',
    config: () => ({
      resolve: { alias: [{ find: /^@system[./]request$/, replacement: here('./system-request.js') }] },
      test: {
        globalSetup: [here('./vitest-global-setup.js')],
        setupFiles: [here('./vitest-setup.js')],
        provide: { [PROVIDED_SETTINGS]: settings },
      },
    }),
  };
}

export default velaCompanion;

/** The data dir the current test runs on (fresh per test file, or per test). */
export function dataDir(): string {
  const state = (globalThis as { [STATE]?: State })[STATE];
  if (!state?.dataDir) throw new Error('vela-companion/vitest: no data dir yet; is velaCompanion() in the plugins of vitest.config?');
  return state.dataDir;
}

/** The absolute path of the file an `internal://cache/…` (or `internal://mass/download/…`) URI names, in the current data dir. */
export function fileOf(uri: string): string {
  const parsed = parseInternalUri(uri);
  if (!parsed) throw new TypeError(`not an internal:// URI of vela-companion: ${JSON.stringify(uri)}`);
  const paths = dataPaths(dataDir());
  return path.join(partitionDir(paths, parsed.partition), ...parsed.name.split('/'));
}
