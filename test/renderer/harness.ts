import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createPinia, setActivePinia } from 'pinia';
import type { Bridge } from '../../src-shared/channels.js';
import { Engine } from '../../src-main/core/engine.js';
import { openStore } from '../../src-main/core/store.js';
import { createRouter } from '../../src-main/router/handlers.js';
import { localBridge } from '../../src-main/router/router.js';
import { setBridge } from '../../src-renderer/bridge.js';
import { i18n } from '../../src-renderer/i18n/index.js';

/**
 * Component and store tests run against the real engine through the in-memory transport: the same
 * router and handlers the window uses, a real store in a temp dir, no mocks. Media URLs point nowhere.
 */
export interface Harness {
  dataDir: string;
  engine: Engine;
  bridge: Bridge;
  close(): Promise<void>;
}

export function createHarness(): Harness {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-renderer-'));
  const engine = new Engine({ dataDir, store: openStore(dataDir), retryBaseMs: 10, retryMaxMs: 50, progressIntervalMs: 50 });
  const router = createRouter(engine, () => ({ pid: process.pid, dataDir, version: 'test' }));
  const bridge: Bridge = { ...localBridge(router), mediaUrl: (ref) => `/media/${ref.partition}/${encodeURIComponent(ref.name)}` };
  setBridge(bridge);
  setActivePinia(createPinia());
  i18n.global.locale.value = 'en';
  return {
    dataDir,
    engine,
    bridge,
    async close() {
      await engine.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Lets queued promises and Vue's scheduler run. */
export const flush = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
