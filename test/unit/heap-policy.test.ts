import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Engine } from '../../src-main/core/engine.js';
import { adjustHeapPolicy, FAVOUR_MEMORY_FROM, favoursMemory } from '../../src-main/core/heap-policy.js';
import { openStore } from '../../src-main/core/store.js';

describe('the heap policy of the engine process', () => {
  it(`favours memory from ${FAVOUR_MEMORY_FROM} tasks, and speed again only well below that`, () => {
    adjustHeapPolicy(10);
    expect(favoursMemory()).toBe(false);
    adjustHeapPolicy(FAVOUR_MEMORY_FROM - 1);
    expect(favoursMemory()).toBe(false);
    adjustHeapPolicy(FAVOUR_MEMORY_FROM);
    expect(favoursMemory()).toBe(true);
    // Hysteresis: a count hovering near the line does not flip V8's flag back and forth.
    adjustHeapPolicy(FAVOUR_MEMORY_FROM - 500);
    expect(favoursMemory()).toBe(true);
    adjustHeapPolicy(3_999);
    expect(favoursMemory()).toBe(false);
  });
});

describe('who may set it', () => {
  /** An engine over a data dir whose store already holds `tasks` tasks (as after a big batch). */
  async function engineWith(tasks: number, ownsProcess: boolean): Promise<{ engine: Engine; dir: string }> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-heap-'));
    const seed = new Engine({ dataDir: dir, store: openStore(dir), autoStart: false });
    const model = seed.get(seed.download({ url: 'http://127.0.0.1:9/a.bin' }).token);
    await seed.stop();
    const store = openStore(dir);
    for (let i = 0; i < tasks; i += 1) store.putTask({ ...model, token: `${model.token}-${i}` });
    store.flush();
    return { engine: new Engine({ dataDir: dir, store, autoStart: false, ownsProcess }), dir };
  }

  it('an engine embedded in quick-app code never changes its host process\'s V8; one that owns its process resets it on stop', async () => {
    adjustHeapPolicy(0);
    const embedded = await engineWith(FAVOUR_MEMORY_FROM, false);
    expect(favoursMemory()).toBe(false);
    await embedded.engine.stop();
    fs.rmSync(embedded.dir, { recursive: true, force: true });

    const owner = await engineWith(FAVOUR_MEMORY_FROM, true);
    expect(favoursMemory()).toBe(true);
    await owner.engine.stop();
    expect(favoursMemory()).toBe(false);
    fs.rmSync(owner.dir, { recursive: true, force: true });
  }, 60_000);
});
