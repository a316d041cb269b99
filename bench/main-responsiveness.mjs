#!/usr/bin/env node
// Case 7 of `npm run bench`: is the window's process free while the engine works? A Node process
// stands in for Electron's main: with `forked` it starts the engine process (the built
// dist/src-main/engine-process/entry.js, through the same EngineClient main uses) and relays its
// events, as main does to the window; with `inprocess` it runs the Engine itself, as main used to.
// Either way it downloads one large file and then many small ones, and reports the event-loop delay of
// this process (perf_hooks.monitorEventLoopDelay) over the whole run as one JSON line on stdout.
//
//   node bench/main-responsiveness.mjs <forked|inprocess> <dataDir> <job.json>
//   job.json: { "single": "<url>", "small": ["<url>", ...], "concurrency": 8 }

import fs from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const [mode, dataDir, jobFile] = process.argv.slice(2);
const job = JSON.parse(fs.readFileSync(jobFile, 'utf8'));
const dist = (file) => pathToFileURL(path.resolve(import.meta.dirname, '..', 'dist', 'src-main', file)).href;

/** A call that answers with the value of a Reply, or throws its error. */
const unwrap = (call) => async (channel, payload) => {
  const reply = await call(channel, payload);
  if (!reply.ok) throw new Error(`${channel}: ${reply.error.message}`);
  return reply.value;
};

/** A bridge-like pair: call(channel, payload) → value, and a count of relayed events. */
async function openEngineSide() {
  let relayed = 0;
  // What main does with each event: hand it to the window (here: structured-clone it, as IPC would).
  const relay = (_event, payload) => {
    structuredClone(payload);
    relayed += 1;
  };
  if (mode === 'forked') {
    const { EngineClient } = await import(dist('engine-process/client.js'));
    const { forkEngine } = await import(dist('engine-process/node-spawn.js'));
    const client = new EngineClient({ spawn: forkEngine({ dataDir, desktop: false }, { silent: true }) });
    const started = await client.start();
    if (started.kind !== 'ready') throw new Error(`engine process: ${started.kind}`);
    client.subscribe(relay);
    return { call: unwrap((channel, payload) => client.call(channel, payload)), relayed: () => relayed, close: () => client.stop() };
  }
  const { Engine } = await import(dist('core/engine.js'));
  const { openStore } = await import(dist('core/store.js'));
  const { createRouter } = await import(dist('router/handlers.js'));
  const engine = new Engine({ dataDir, store: openStore(dataDir), ownsProcess: true });
  const router = createRouter(engine, () => ({ pid: process.pid, dataDir, version: 'bench' }));
  router.subscribe(relay);
  return { call: unwrap((channel, payload) => router.call(channel, payload)), relayed: () => relayed, close: () => engine.stop() };
}

const side = await openEngineSide();
await side.call('settings.set', { concurrency: job.concurrency ?? 8 });

// The histogram records the time between its timer's wake-ups, not how late they were: an idle loop
// reads ~10.1 ms everywhere at a 10 ms resolution (measured here: p50 10.15, p99 12.5 with nothing
// running). The delay is what exceeds the resolution, as @fastify/under-pressure computes it too.
const RESOLUTION_MS = 10;
const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
histogram.enable();
const t0 = performance.now();
const single = await side.call('download.start', { url: job.single, filename: 'single.bin' });
await side.call('tasks.wait', { token: single.token });
const singleMs = performance.now() - t0;
const tokens = [];
for (const [i, url] of job.small.entries()) tokens.push((await side.call('download.start', { url, filename: `s${i}.bin` })).token);
await Promise.all(tokens.map((token) => side.call('tasks.wait', { token })));
const ms = performance.now() - t0;
histogram.disable();
await side.close();

const toMs = (ns) => Math.round((ns / 1e6) * 100) / 100;
const delayMs = (ns) => Math.max(0, toMs(ns - RESOLUTION_MS * 1e6));
process.stdout.write(
  `${JSON.stringify({
    mode,
    p50Ms: delayMs(histogram.percentile(50)),
    p99Ms: delayMs(histogram.percentile(99)),
    maxMs: delayMs(histogram.max),
    rawP99IntervalMs: toMs(histogram.percentile(99)),
    singleMs: Math.round(singleMs),
    ms: Math.round(ms),
    events: side.relayed(),
  })}\n`,
);
