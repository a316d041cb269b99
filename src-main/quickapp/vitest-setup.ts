import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeEach, inject } from 'vitest';
import { configure } from './system-request.js';
import { PROVIDED_ROOT, PROVIDED_SETTINGS, STATE, type ProvidedSettings } from './vitest.js';

/**
 * Vitest setupFile of `vela-companion/vitest`, run in the worker before each test file: a fresh data
 * dir for the file (or for each test), and the plugin's device at the start of every test, so the
 * device one test picked with `configure({ device })` never leaks into the next.
 */
// A test cannot wait minutes for a server that is down (the engine's waits between attempts are 2 s
// doubling to 60 s): waits of 100 ms doubling to 1 s here, unless the run set its own.
process.env.VELA_RETRY_BASE_MS ??= '100';
process.env.VELA_RETRY_MAX_MS ??= '1000';

const read = inject as unknown as (key: string) => unknown;
const settings = (read(PROVIDED_SETTINGS) ?? { device: '', dataDir: 'per-file' }) as ProvidedSettings;
const root = (read(PROVIDED_ROOT) as string | undefined) ?? os.tmpdir();
const state = ((globalThis as { [STATE]?: { dataDir?: string } })[STATE] ??= {});

function start(freshDir: boolean): void {
  if (freshDir) state.dataDir = fs.mkdtempSync(path.join(root, 'data-'));
  configure({ dataDir: state.dataDir, device: settings.device });
}

// Code at the top of the test file already runs on this file's dir (the first test keeps it).
start(true);
let tests = 0;
beforeEach(() => start(settings.dataDir === 'per-test' && tests++ > 0));
