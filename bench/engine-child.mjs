#!/usr/bin/env node
// Runs Vela Companion's engine (the built code in dist/) for one benchmark run, in its own process so
// that its peak RSS is its own. Reads one JSON job from the file named by argv[2] (or argv[2] itself when
// it starts with `{`), writes its result as JSON to job.resultFile.
//
// job: {
//   mode: 'download' | 'resume',
//   dataDir, urls: string[], names?: string[],   // names = requested file names (optional)
//   concurrency?: number, segments?: number,     // segments only when the setting exists
//   pauseAt?: number,                            // resume: pause once this many bytes arrived
//   resultFile: string
// }
// result: { ms, files, bytes, outputs, vmHwmKiB, maxRssKiB, socketBytesRead, segmentsApplied, settingsKeys, ... }

import fs from 'node:fs';
import diagnostics from 'node:diagnostics_channel';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const arg = process.argv[2] ?? '';
const job = JSON.parse(arg.startsWith('{') ? arg : fs.readFileSync(arg, 'utf8'));

// Every socket the engine opens (node:http's and the fast reader's own), so the resume case can count
// the bytes it really fetched (socket.bytesRead: headers + bodies). Subscribed before the engine loads.
// Closed sockets leave only their count: holding 10,000 of them would be the bench's own memory.
const sockets = new Set();
let closedBytesRead = 0;
let socketCount = 0;
diagnostics.subscribe('net.client.socket', ({ socket }) => {
  sockets.add(socket);
  socketCount += 1;
  socket.once('close', () => {
    closedBytesRead += socket.bytesRead ?? 0;
    sockets.delete(socket);
  });
});
const socketBytesRead = () => [...sockets].reduce((sum, s) => sum + (s.bytesRead ?? 0), closedBytesRead);

// VELA_BENCH_DIST: another build to measure (e.g. a copy of dist/ from before a change), for A/B runs.
const dist = process.env.VELA_BENCH_DIST ? pathToFileURL(`${path.resolve(process.env.VELA_BENCH_DIST)}/`) : new URL('../dist/', import.meta.url);
const { Engine } = await import(new URL('src-main/core/engine.js', dist).href);
const { openStore } = await import(new URL('src-main/core/store.js', dist).href);
const { DEFAULT_SETTINGS } = await import(new URL('src-shared/types.js', dist).href);

function vmHwmKiB() {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const m = /VmHWM:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) : null;
}

fs.mkdirSync(job.dataDir, { recursive: true });
// The resume case pauses on a progress batch: batches every 20 ms let it pause close to half.
const engine = new Engine({ dataDir: job.dataDir, store: openStore(job.dataDir), ownsProcess: true, ...(job.mode === 'resume' ? { progressIntervalMs: 20 } : {}) });
const patch = {};
if (job.concurrency) patch.concurrency = job.concurrency;
const hasSegments = Object.hasOwn(DEFAULT_SETTINGS, 'segments');
if (job.segments !== undefined && hasSegments) patch.segments = job.segments;
if (Object.keys(patch).length > 0) engine.updateSettings(patch);

const result = {
  settingsKeys: Object.keys(DEFAULT_SETTINGS),
  segmentsApplied: hasSegments && job.segments !== undefined ? engine.settings.segments : null,
  settings: { concurrency: engine.settings.concurrency, segments: engine.settings.segments ?? null },
};

// VELA_BENCH_MEMTRACE=1: memory samples on stderr every 500 ms (to see where a peak comes from).
if (process.env.VELA_BENCH_MEMTRACE) {
  const t0 = performance.now();
  setInterval(() => {
    const m = process.memoryUsage();
    const mib = (x) => (x / 1048576).toFixed(0);
    process.stderr.write(`${((performance.now() - t0) / 1000).toFixed(1)}s rss ${mib(m.rss)} heapTotal ${mib(m.heapTotal)} heapUsed ${mib(m.heapUsed)} external ${mib(m.external)} arrayBuffers ${mib(m.arrayBuffers)}\n`);
  }, 500).unref();
}

const started = performance.now();
const cpuBefore = process.cpuUsage();
if (job.mode === 'download') {
  const tokens = job.urls.map((url, i) => engine.download({ url, ...(job.names ? { filename: job.names[i] } : {}) }).token);
  result.queuedMs = performance.now() - started;
  result.vmHwmKiBQueued = vmHwmKiB();
  const done = await Promise.all(tokens.map((t) => engine.whenDone(t)));
  result.ms = performance.now() - started;
  result.outputs = done.map((d) => d.path);
} else if (job.mode === 'resume') {
  const { token } = engine.download({ url: job.urls[0] });
  // Pause once about half has arrived, then resume at once. (A file too small to be caught mid-way
  // completes first: reported as such, the caller then has no resume figure.)
  const caught = await new Promise((resolve) => {
    const onProgress = (batch) => {
      const p = batch.find((b) => b.token === token);
      if (p && p.bytes >= job.pauseAt) {
        engine.off('progress', onProgress);
        engine.pause(token);
        resolve(true);
      }
    };
    engine.on('progress', onProgress);
    engine.whenDone(token).then(() => resolve(false), () => resolve(false));
  });
  if (!caught) throw new Error('the download completed before it could be paused: use a larger --size');
  await new Promise((resolve) => {
    const onTask = (task) => {
      if (task.token === token && task.state === 'paused') {
        engine.off('task', onTask);
        resolve();
      }
    };
    engine.on('task', onTask);
    if (engine.get(token).state === 'paused') resolve();
  });
  const paused = engine.get(token);
  result.pausedAtBytes = paused.bytes;
  result.socketBytesReadAtPause = socketBytesRead();
  engine.resume(token);
  const done = await engine.whenDone(token);
  result.ms = performance.now() - started;
  result.outputs = [done.path];
} else {
  throw new Error(`unknown mode ${job.mode}`);
}

const cpu = process.cpuUsage(cpuBefore);
// CPU time of the engine's process over the timed part: what the machine's other load cannot inflate.
result.cpuMs = (cpu.user + cpu.system) / 1000;
result.files = result.outputs.length;
result.bytes = result.outputs.reduce((sum, file) => sum + fs.statSync(file).size, 0);
result.socketBytesRead = socketBytesRead();
result.sockets = socketCount;
await engine.stop();
result.vmHwmKiB = vmHwmKiB();
result.maxRssKiB = process.resourceUsage().maxRSS;
result.outputDir = path.dirname(result.outputs[0] ?? job.dataDir);
// A file, not stdout: a pipe's write may not be complete when the process exits, and the list of
// outputs of 10,000 tasks is long.
fs.writeFileSync(job.resultFile, JSON.stringify(result));
process.exit(0);
