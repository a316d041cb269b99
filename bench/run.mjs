#!/usr/bin/env node
// Vela Companion's benchmarks (`npm run bench`; never part of `npm test`). See docs/performance.md.
//
//   npm run bench                 the full default run (about 7 minutes here), a readable table
//   npm run -s bench -- --json    one JSON object with every figure on stdout (progress goes to stderr;
//                                 -s keeps npm's own "> vela-companion bench" lines off stdout)
//   npm run bench -- --quick      small sizes, 2 runs: a smoke run
//   options: --size 1G  --runs 5  --cases 1,2,3,4,5,6,7  --no-build  --keep  --out FILE (the JSON, also)
//
// One static file server (bench/file-server.mjs) on 127.0.0.1 serves every client; every client writes
// to the same scratch folder under the OS temp dir. Each case warms up, then runs every client at least
// --runs times, alternating them (the order rotates each round), and reports medians and the ratio of
// ours to the reference client measured in the same run.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  MiB,
  ROOT,
  emptyDir,
  ensureRandomFile,
  ensureTools,
  formatSize,
  log,
  machineInfo,
  median,
  parseSize,
  round,
  runEngine,
  runTimed,
  sha256File,
  sourceHash,
  startFileServer,
  syncDisk,
} from './lib.mjs';
import { uiBench } from './ui.mjs';

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    size: { type: 'string' },
    runs: { type: 'string' },
    cases: { type: 'string', default: '1,2,3,4,5,6,7' },
    'no-build': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  process.stdout.write(fs.readFileSync(new URL(import.meta.url), 'utf8').split('\n').slice(1, 8).map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n');
  process.exit(0);
}

const quick = args.quick;
const config = {
  quick,
  runs: Number(args.runs ?? (quick ? 2 : 5)),
  warmup: 1,
  singleSize: parseSize(args.size ?? (quick ? '64M' : '1G')),
  smallCount: quick ? 200 : 2000,
  smallSize: 64 * 1024,
  smallConcurrency: 8,
  cappedSize: quick ? 64 * MiB : 512 * MiB,
  capBytesPerSecond: 25 * MiB,
  segments: 4,
  queueTasks: quick ? 1000 : 10_000,
  resumeRuns: Number(args.runs ?? (quick ? 2 : 5)),
  uiTasks: 10_000,
  uiFrames: 300,
};
const cases = new Set(args.cases.split(',').map((c) => Number(c.trim())));

const TARGETS = {
  single_vs_curl: ['>=', 0.9],
  small_vs_aria2c: ['>=', 1.0],
  small_vs_curl: ['>=', 0.4],
  segmented_vs_aria2c: ['>=', 1.0],
  peak_rss_mib_1gib: ['<=', 150],
  peak_rss_mib_10k_tasks: ['<=', 150],
  resume_extra_bytes: ['<', MiB],
  ui_first_rows_ms: ['<=', 1000],
  ui_scroll_p95_frame_ms: ['<=', 20],
  main_event_loop_p99_ms: ['<=', 10],
};

// ---- setup -----------------------------------------------------------------------------------

if (!args['no-build']) {
  log('building (npm run build; --no-build to skip)…');
  // stdout goes to stderr: with --json, stdout carries only the result.
  // NODE_ENV=production whatever the caller's is: under NODE_ENV=test (vitest) or development, Vite
  // builds a development renderer (Vue's and vue-i18n's dev checks), and case 6 would measure that.
  const built = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: ['ignore', 2, 2], env: { ...process.env, NODE_ENV: 'production' } });
  if (built.status !== 0) {
    log('npm run build failed');
    process.exit(1);
  }
}
for (const file of ['dist/src-main/core/engine.js', 'dist/src-main/core/store.js', 'dist/src-shared/types.js']) {
  if (!fs.existsSync(path.join(ROOT, file))) {
    log(`${file} is missing: run \`npm run build\``);
    process.exit(1);
  }
}

const tools = ensureTools([
  { command: 'curl', package: 'curl' },
  { command: 'aria2c', package: 'aria2' },
]);
const { DEFAULT_SETTINGS } = await import(new URL('../dist/src-shared/types.js', import.meta.url).href);
const hasSegments = Object.hasOwn(DEFAULT_SETTINGS, 'segments');

// Sources are kept across bench runs (generating 1.5 GiB of random bytes takes a while); outputs are not.
const dataRoot = path.join(os.tmpdir(), 'vela-bench-data');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-bench-'));
const singleName = `single-${config.singleSize}.bin`;
const cappedName = `capped-${config.cappedSize}.bin`;
const smallDir = `small-${config.smallSize}`;
const smallNames = Array.from({ length: Math.max(config.smallCount, 2000) }, (_, i) => `s${String(i).padStart(5, '0')}.bin`);

log(`scratch ${scratch}, sources in ${dataRoot}`);
// Every client shares this machine: other work running at the same time skews every figure.
const loadAtStart = os.loadavg();
if (loadAtStart[0] > os.cpus().length * 0.5) {
  log(`warning: load average ${loadAtStart.map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} cores: other work is running, figures will be noisy`);
}
const t0 = performance.now();
if (cases.has(1) || cases.has(4) || cases.has(5) || cases.has(7)) {
  if (ensureRandomFile(path.join(dataRoot, singleName), config.singleSize)) log(`generated ${singleName}`);
}
if (cases.has(3) && ensureRandomFile(path.join(dataRoot, cappedName), config.cappedSize)) log(`generated ${cappedName}`);
if (cases.has(2) || cases.has(4) || cases.has(7)) {
  let made = 0;
  for (const name of smallNames) made += ensureRandomFile(path.join(dataRoot, smallDir, name), config.smallSize) ? 1 : 0;
  if (made) log(`generated ${made} small files`);
}
log(`sources ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

const server = await startFileServer(dataRoot, config.capBytesPerSecond);
log(`file server ${server.base} (pid ${server.pid})`);

const results = {
  figures: {},
  medians: {},
  raw: {},
  notes: [],
};
const cleanup = async () => {
  await server.stop();
  if (!args.keep) fs.rmSync(scratch, { recursive: true, force: true });
};
process.on('SIGINT', () => {
  cleanup().finally(() => process.exit(130));
});
// A run that fails midway leaves no scratch behind either (the file server stops when our stdin pipe closes).
process.on('exit', () => {
  if (!args.keep) fs.rmSync(scratch, { recursive: true, force: true });
});

// ---- the comparison loop -----------------------------------------------------------------------

/**
 * Warm-up, then `runs` rounds; in each round every client runs once, the order rotating so no client
 * always goes first. Before each run the client's outputs are deleted and the disk synced.
 * A client: { id, run: async () => sample (with ms), verify: async (sample, deep) => void, clean: () => void }
 */
async function compare(label, clients, { runs = config.runs, warmup = config.warmup } = {}) {
  const samples = Object.fromEntries(clients.map((c) => [c.id, []]));
  for (let r = -warmup; r < runs; r += 1) {
    const shift = ((r % clients.length) + clients.length) % clients.length;
    const order = [...clients.slice(shift), ...clients.slice(0, shift)];
    for (const client of order) {
      client.clean();
      syncDisk();
      const sample = await client.run();
      // Full content checks on the warm-up run (and the first run without warm-up); sizes always.
      await client.verify(sample, r === -warmup);
      log(`  ${label} ${r < 0 ? 'warm-up' : `run ${r + 1}`} ${client.id.padEnd(7)} ${client.describe(sample)}`);
      if (r >= 0) samples[client.id].push(sample);
      client.clean();
    }
  }
  return samples;
}

function checkFile(file, size) {
  const st = fs.statSync(file);
  if (st.size !== size) throw new Error(`${file}: ${st.size} bytes, expected ${size}`);
}

async function checkHash(file, expected) {
  const actual = await sha256File(file);
  if (actual !== expected) throw new Error(`${file}: sha256 ${actual}, expected ${expected}`);
}

const mbps = (bytes, ms) => bytes / 1e6 / (ms / 1000);
const ratio = (a, b) => (a === null || b === null || !b ? null : round(a / b, 3));
const available = (id) => id === 'ours' || tools[id] !== null;

const aria2Common = ['--allow-overwrite=true', '--auto-file-renaming=false', '--console-log-level=error', '--summary-interval=0', '--download-result=hide'];

/** Clients of one large file: ours (engine child), curl -o, aria2c. */
function largeFileClients({ url, name, size, hash, oursJob, aria2Args, tag }) {
  const outDir = path.join(scratch, `out-${tag}`);
  const oursDir = path.join(scratch, `ours-${tag}`);
  const clients = [
    {
      id: 'ours',
      run: () => runEngine({ mode: 'download', dataDir: oursDir, urls: [url], ...oursJob }),
      verify: async (s, deep) => {
        checkFile(s.outputs[0], size);
        if (deep) await checkHash(s.outputs[0], hash);
      },
      clean: () => fs.rmSync(oursDir, { recursive: true, force: true }),
    },
    {
      id: 'curl',
      run: async () => ({ ...(await runTimed(tools.curl, ['-sS', '--fail', '-o', path.join(outDir, name), url])), outputs: [path.join(outDir, name)] }),
    },
    {
      id: 'aria2c',
      run: async () => ({ ...(await runTimed(tools.aria2c, [...aria2Args, ...aria2Common, '-d', outDir, '-o', name, url])), outputs: [path.join(outDir, name)] }),
    },
  ];
  for (const c of clients.slice(1)) {
    c.verify = async (s, deep) => {
      checkFile(s.outputs[0], size);
      if (deep) await checkHash(s.outputs[0], hash);
    };
    c.clean = () => emptyDir(outDir);
  }
  for (const c of clients) c.describe = (s) => `${mbps(size, s.ms).toFixed(0).padStart(5)} MB/s  ${(s.ms / 1000).toFixed(2)} s${s.vmHwmKiB ? `  peak RSS ${(s.vmHwmKiB / 1024).toFixed(0)} MiB` : ''}`;
  return clients.filter((c) => available(c.id));
}

const throughput = (samples, id, size) => (samples[id]?.length ? round(median(samples[id].map((s) => mbps(size, s.ms))), 1) : null);
const maxRssMiB = (list) => (list?.length ? round(Math.max(...list.map((s) => s.vmHwmKiB)) / 1024, 1) : null);

// ---- case 1: one large file ----------------------------------------------------------------------

if (cases.has(1) || cases.has(4)) {
  log(`\ncase 1: one ${formatSize(config.singleSize)} file: ours vs curl -o vs aria2c -x1`);
  const size = config.singleSize;
  const samples = await compare(
    'single',
    largeFileClients({
      url: `${server.base}/files/${singleName}`,
      name: singleName,
      size,
      hash: await sourceHash(path.join(dataRoot, singleName)),
      oursJob: {},
      aria2Args: ['-x1'],
      tag: 'single',
    }),
  );
  const m = { ours_mb_s: throughput(samples, 'ours', size), curl_mb_s: throughput(samples, 'curl', size), aria2c_mb_s: throughput(samples, 'aria2c', size) };
  results.medians.single = m;
  results.figures.single_vs_curl = ratio(m.ours_mb_s, m.curl_mb_s);
  results.figures.peak_rss_mib_1gib = maxRssMiB(samples.ours);
  results.raw.single = {
    size,
    ours_ms: samples.ours.map((s) => round(s.ms, 0)),
    ours_wall_ms_incl_node_startup: samples.ours.map((s) => round(s.wallMs, 0)),
    curl_ms: samples.curl?.map((s) => round(s.ms, 0)),
    aria2c_ms: samples.aria2c?.map((s) => round(s.ms, 0)),
    ours_peak_rss_mib: samples.ours.map((s) => round(s.vmHwmKiB / 1024, 1)),
    ours_settings: samples.ours[0]?.settings,
  };
}

// ---- case 5: resume --------------------------------------------------------------------------------

if (cases.has(5)) {
  log(`\ncase 5: interrupt (pause) the ${formatSize(config.singleSize)} download at about half and resume`);
  const size = config.singleSize;
  const url = `${server.base}/files/${singleName}`;
  const hash = await sourceHash(path.join(dataRoot, singleName));
  const dataDir = path.join(scratch, 'ours-resume');
  const samples = [];
  for (let r = 0; r < config.resumeRuns; r += 1) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    syncDisk();
    await server.stats(true);
    const s = await runEngine({ mode: 'resume', dataDir, urls: [url], pauseAt: Math.floor(size / 2) });
    const served = await server.stats();
    checkFile(s.outputs[0], size);
    await checkHash(s.outputs[0], hash);
    s.extraBytes = s.socketBytesRead - size;
    s.serverExtraBytes = served.bodyBytes - size;
    s.serverRequests = served.requests;
    log(
      `  resume run ${r + 1}: paused at ${(s.pausedAtBytes / MiB).toFixed(1)} MiB, fetched ${s.socketBytesRead} bytes for ${size}:` +
        ` ${s.extraBytes} extra (server wrote ${s.serverExtraBytes} extra in ${served.requests} requests), sha256 ok`,
    );
    samples.push(s);
  }
  // The same interruption by the network: the server breaks the connection at half, the engine's retry resumes.
  const half = Math.floor(size / 2);
  const dropSamples = [];
  for (let r = 0; r < config.resumeRuns; r += 1) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    syncDisk();
    const s = await runEngine({ mode: 'download', dataDir, urls: [`${server.base}/drop/${half}/${singleName}`] });
    checkFile(s.outputs[0], size);
    await checkHash(s.outputs[0], hash);
    s.extraBytes = s.socketBytesRead - size;
    log(`  dropped connection run ${r + 1}: fetched ${s.socketBytesRead} bytes for ${size}: ${s.extraBytes} extra, sha256 ok`);
    dropSamples.push(s);
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
  results.figures.resume_extra_bytes = median(samples.map((s) => s.extraBytes));
  results.raw.resume = {
    size,
    how: 'engine.pause() once a progress batch shows >= half, then engine.resume(); bytes fetched = bytesRead of every socket the engine opened (bodies + response headers)',
    extra_bytes: samples.map((s) => s.extraBytes),
    extra_bytes_max: Math.max(...samples.map((s) => s.extraBytes)),
    server_written_extra_bytes: samples.map((s) => s.serverExtraBytes),
    paused_at_bytes: samples.map((s) => s.pausedAtBytes),
    requests: samples.map((s) => s.serverRequests),
    lost_at_pause_bytes: samples.map((s) => s.socketBytesReadAtPause - s.pausedAtBytes),
    after_connection_drop: {
      how: 'the server ends the connection at half; the engine retries (backoff) and resumes with a Range request',
      extra_bytes: dropSamples.map((s) => s.extraBytes),
      extra_bytes_median: median(dropSamples.map((s) => s.extraBytes)),
    },
  };
}

// ---- case 2: many small files ------------------------------------------------------------------------

if (cases.has(2)) {
  const n = config.smallCount;
  const names = smallNames.slice(0, n);
  const urls = names.map((name) => `${server.base}/files/${smallDir}/${name}`);
  log(`\ncase 2: ${n} × ${formatSize(config.smallSize)}, concurrency ${config.smallConcurrency}: ours vs aria2c -j8 -i list vs curl --parallel --parallel-max 8`);
  const outDir = path.join(scratch, 'out-small');
  const oursDir = path.join(scratch, 'ours-small');
  const listFile = path.join(scratch, 'small.list');
  const curlConfig = path.join(scratch, 'small.curlrc');
  fs.writeFileSync(listFile, urls.join('\n') + '\n');
  fs.writeFileSync(curlConfig, urls.map((u, i) => `url = "${u}"\noutput = "${path.join(outDir, names[i])}"\n`).join(''));
  const hashes = new Map();
  for (const name of names) hashes.set(name, await sourceHash(path.join(dataRoot, smallDir, name)));
  const verifyDir = async (files, deep) => {
    if (files.length !== n) throw new Error(`${files.length} files, expected ${n}`);
    for (const file of files) {
      checkFile(file, config.smallSize);
      if (deep) await checkHash(file, hashes.get(path.basename(file)));
    }
  };
  const listDir = () => fs.readdirSync(outDir).filter((f) => !f.endsWith('.aria2')).map((f) => path.join(outDir, f));
  const clients = [
    {
      id: 'ours',
      run: () => runEngine({ mode: 'download', dataDir: oursDir, urls, concurrency: config.smallConcurrency }),
      verify: (s, deep) => verifyDir(s.outputs, deep),
      clean: () => fs.rmSync(oursDir, { recursive: true, force: true }),
    },
    {
      id: 'aria2c',
      run: () => runTimed(tools.aria2c, ['-j8', '-i', listFile, ...aria2Common, '-d', outDir]),
      verify: (_s, deep) => verifyDir(listDir(), deep),
      clean: () => emptyDir(outDir),
    },
    {
      id: 'curl',
      run: () => runTimed(tools.curl, ['-sS', '--fail', '--parallel', '--parallel-max', String(config.smallConcurrency), '-K', curlConfig]),
      verify: (_s, deep) => verifyDir(listDir(), deep),
      clean: () => emptyDir(outDir),
    },
  ].filter((c) => available(c.id));
  for (const c of clients) c.describe = (s) => `${(n / (s.ms / 1000)).toFixed(0).padStart(5)} files/s  ${(s.ms / 1000).toFixed(2)} s${s.vmHwmKiB ? `  peak RSS ${(s.vmHwmKiB / 1024).toFixed(0)} MiB` : ''}`;
  const samples = await compare('small', clients);
  const fps = (id) => (samples[id]?.length ? round(median(samples[id].map((s) => n / (s.ms / 1000))), 1) : null);
  const m = { ours_files_s: fps('ours'), aria2c_files_s: fps('aria2c'), curl_files_s: fps('curl') };
  results.medians.small = m;
  results.figures.small_vs_aria2c = ratio(m.ours_files_s, m.aria2c_files_s);
  results.figures.small_vs_curl = ratio(m.ours_files_s, m.curl_files_s);
  results.raw.small = {
    files: n,
    size: config.smallSize,
    concurrency: config.smallConcurrency,
    ours_ms: samples.ours.map((s) => round(s.ms, 0)),
    ours_wall_ms_incl_node_startup: samples.ours.map((s) => round(s.wallMs, 0)),
    aria2c_ms: samples.aria2c?.map((s) => round(s.ms, 0)),
    curl_ms: samples.curl?.map((s) => round(s.ms, 0)),
    ours_peak_rss_mib: samples.ours.map((s) => round(s.vmHwmKiB / 1024, 1)),
  };
}

// ---- case 4b: memory with many queued tasks ----------------------------------------------------------

if (cases.has(4)) {
  const n = config.queueTasks;
  log(`\ncase 4: peak RSS with ${n} queued tasks (all run to the end, concurrency ${config.smallConcurrency})`);
  const dataDir = path.join(scratch, 'ours-queue');
  const urls = Array.from({ length: n }, (_, i) => `${server.base}/files/${smallDir}/${smallNames[i % smallNames.length]}`);
  // Distinct requested names: 10,000 tasks of 2,000 sources must not spend their time resolving name clashes.
  const names = Array.from({ length: n }, (_, i) => `q${String(i).padStart(5, '0')}.bin`);
  fs.rmSync(dataDir, { recursive: true, force: true });
  syncDisk();
  const s = await runEngine({ mode: 'download', dataDir, urls, names, concurrency: config.smallConcurrency });
  if (s.files !== n || s.bytes !== n * config.smallSize) throw new Error(`case 4: ${s.files} files, ${s.bytes} bytes`);
  fs.rmSync(dataDir, { recursive: true, force: true });
  log(`  ${n} tasks: peak RSS ${(s.vmHwmKiB / 1024).toFixed(1)} MiB (${(s.vmHwmKiBQueued / 1024).toFixed(1)} MiB once queued), all done in ${(s.ms / 1000).toFixed(1)} s`);
  results.figures.peak_rss_mib_10k_tasks = round(s.vmHwmKiB / 1024, 1);
  results.raw.queue = {
    tasks: n,
    peak_rss_mib: round(s.vmHwmKiB / 1024, 1),
    rss_mib_once_queued: round(s.vmHwmKiBQueued / 1024, 1),
    queue_ms: round(s.queuedMs, 0),
    all_done_ms: round(s.ms, 0),
    files_s: round(n / (s.ms / 1000), 1),
  };
}

// ---- case 3: capped links, segmented -----------------------------------------------------------------

if (cases.has(3)) {
  const size = config.cappedSize;
  log(
    `\ncase 3: ${formatSize(size)} over links capped at ${formatSize(config.capBytesPerSecond)}/s per connection:` +
      ` ours (${hasSegments ? `segments ${config.segments}` : 'single stream: no segments setting in this build'}) vs aria2c -x4 -s4 vs curl`,
  );
  if (!hasSegments) results.notes.push('case 3: this build has no `segments` setting, so ours ran single-stream (one connection).');
  const samples = await compare(
    'capped',
    largeFileClients({
      url: `${server.base}/capped/${cappedName}`,
      name: cappedName,
      size,
      hash: await sourceHash(path.join(dataRoot, cappedName)),
      oursJob: hasSegments ? { segments: config.segments } : {},
      aria2Args: ['-x4', '-s4'],
      tag: 'capped',
    }),
  );
  const m = { ours_mb_s: throughput(samples, 'ours', size), aria2c_mb_s: throughput(samples, 'aria2c', size), curl_mb_s: throughput(samples, 'curl', size) };
  results.medians.segmented = m;
  results.figures.segmented_vs_aria2c = ratio(m.ours_mb_s, m.aria2c_mb_s);
  results.figures.segmented_vs_curl = ratio(m.ours_mb_s, m.curl_mb_s);
  results.raw.segmented = {
    size,
    cap_bytes_per_s: config.capBytesPerSecond,
    ours_segments: hasSegments ? samples.ours[0]?.segmentsApplied : null,
    ours_ms: samples.ours.map((s) => round(s.ms, 0)),
    aria2c_ms: samples.aria2c?.map((s) => round(s.ms, 0)),
    curl_ms: samples.curl?.map((s) => round(s.ms, 0)),
    ours_peak_rss_mib: samples.ours.map((s) => round(s.vmHwmKiB / 1024, 1)),
    ours_sockets: samples.ours.map((s) => s.sockets),
  };
}

// ---- case 7: the window's process while the engine works ---------------------------------------------

if (cases.has(7)) {
  log(`\ncase 7: event-loop delay of a stand-in for Electron's main while the engine downloads the ${formatSize(config.singleSize)} file, then ${config.smallCount} small files`);
  const jobFile = path.join(scratch, 'responsiveness.json');
  const job = {
    single: `${server.base}/files/${singleName}`,
    small: smallNames.slice(0, config.smallCount).map((name) => `${server.base}/files/${smallDir}/${name}`),
    concurrency: config.smallConcurrency,
  };
  fs.writeFileSync(jobFile, JSON.stringify(job));
  const runs = { forked: [], inprocess: [] };
  for (let r = 0; r < Math.max(1, Math.min(config.runs, 3)); r += 1) {
    for (const mode of ['forked', 'inprocess']) {
      const dataDir = path.join(scratch, `main-${mode}`);
      fs.rmSync(dataDir, { recursive: true, force: true });
      syncDisk();
      const child = spawnSync(process.execPath, [path.join(ROOT, 'bench', 'main-responsiveness.mjs'), mode, dataDir, jobFile], { encoding: 'utf8', maxBuffer: 1 << 20 });
      if (child.status !== 0) throw new Error(`case 7 (${mode}) failed: ${child.stderr}`);
      const figure = JSON.parse(child.stdout.trim().split('\n').pop());
      runs[mode].push(figure);
      log(`  ${mode.padEnd(9)} p99 ${figure.p99Ms} ms, max ${figure.maxMs} ms, ${figure.events} events relayed, ${(figure.ms / 1000).toFixed(1)} s`);
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }
  results.figures.main_event_loop_p99_ms = round(median(runs.forked.map((f) => f.p99Ms)), 2);
  results.figures.main_event_loop_p99_ms_in_process = round(median(runs.inprocess.map((f) => f.p99Ms)), 2);
  results.raw.main_responsiveness = runs;
}

// ---- case 6: the page with many tasks ----------------------------------------------------------------

if (cases.has(6)) {
  log(`\ncase 6: the browser host's page with ${config.uiTasks} tasks in Chromium`);
  const ui = await uiBench({ scratch, tasks: config.uiTasks, runs: config.runs, warmup: config.warmup, frames: config.uiFrames });
  results.figures.ui_first_rows_ms = ui.ui_first_rows_ms;
  results.figures.ui_scroll_p95_frame_ms = ui.ui_scroll_p95_frame_ms;
  results.raw.ui = ui.raw;
  if (ui.raw.renderer_build === 'development') {
    results.notes.push('case 6 measured a DEVELOPMENT build of the renderer (dist/ was built with NODE_ENV other than production, e.g. by `npm test`): run without --no-build');
  }
}

const machine = machineInfo(scratch, tools);
await cleanup();

// ---- report ------------------------------------------------------------------------------------------

const targets = {};
for (const [name, [op, limit]] of Object.entries(TARGETS)) {
  const value = results.figures[name];
  if (value === undefined) continue;
  const met = value === null ? null : op === '>=' ? value >= limit : op === '<=' ? value <= limit : value < limit;
  targets[name] = { value, target: `${op} ${limit}`, met };
}
const report = {
  ...results.figures,
  medians: results.medians,
  targets,
  config: { ...config, cases: [...cases], segmentsSetting: hasSegments },
  machine,
  load_average: { at_start: loadAtStart.map((l) => round(l, 2)), at_end: os.loadavg().map((l) => round(l, 2)) },
  date: new Date().toISOString(),
  durationS: round((performance.now() - t0) / 1000, 0),
  raw: results.raw,
  notes: results.notes,
};

if (args.out) fs.writeFileSync(args.out, `${JSON.stringify(report, null, 2)}\n`);
if (args.json) {
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} else {
  const out = [];
  const line = (...cols) => out.push(cols.join(''));
  line(`\nVela Companion benchmarks — ${report.date}${quick ? ' (--quick)' : ''}, ${report.durationS} s`);
  line(`machine: ${report.machine.cpu}, ${report.machine.cores} cores, ${report.machine.memoryGiB} GiB, ${report.machine.distro ?? report.machine.os}, Node ${report.machine.node}, ${report.machine.disk ?? ''}`);
  line(`load average at start ${report.load_average.at_start.join(' ')}, at end ${report.load_average.at_end.join(' ')}`);
  line('');
  const table = [];
  const m = results.medians;
  if (m.single) table.push([`1. one ${formatSize(config.singleSize)} file (MB/s)`, m.single.ours_mb_s, `curl ${m.single.curl_mb_s}`, `aria2c -x1 ${m.single.aria2c_mb_s}`]);
  if (m.small) table.push([`2. ${config.smallCount} × ${formatSize(config.smallSize)} (files/s)`, m.small.ours_files_s, `aria2c -j8 ${m.small.aria2c_files_s}`, `curl --parallel ${m.small.curl_files_s}`]);
  if (m.segmented) table.push([`3. ${formatSize(config.cappedSize)}, 25 MiB/s per conn (MB/s)`, m.segmented.ours_mb_s, `aria2c -x4 ${m.segmented.aria2c_mb_s}`, `curl ${m.segmented.curl_mb_s}`]);
  if (table.length) {
    line('case'.padEnd(44), 'ours'.padStart(9), '   reference clients (medians of ', String(config.runs), ' runs)');
    for (const [label, ours, a, b] of table) line(label.padEnd(44), String(ours).padStart(9), '   ', a, ', ', b);
    line('');
  }
  line('figure'.padEnd(28), 'value'.padStart(12), '   target'.padEnd(14), '  met');
  for (const [name, t] of Object.entries(targets)) line(name.padEnd(28), String(t.value).padStart(12), `   ${t.target}`.padEnd(14), `  ${t.met === null ? 'n/a' : t.met ? 'yes' : 'NO'}`);
  for (const name of ['segmented_vs_curl', 'main_event_loop_p99_ms_in_process']) if (name in results.figures) line(name.padEnd(28), String(results.figures[name]).padStart(12), '   (no target)');
  if (results.raw.queue) line(`\n${results.raw.queue.tasks} tasks: ${results.raw.queue.files_s} files/s, RSS once queued ${results.raw.queue.rss_mib_once_queued} MiB`);
  if (results.raw.ui) line(`UI: first rows wall ${results.raw.ui.first_rows_wall_ms_median} ms; scroll ${config.uiFrames} frames, median frame ${results.raw.ui.scroll_median_frame_ms_median} ms, max ${results.raw.ui.scroll_max_frame_ms_median} ms`);
  for (const note of results.notes) line(`note: ${note}`);
  process.stdout.write(`${out.join('\n')}\n`);
}
