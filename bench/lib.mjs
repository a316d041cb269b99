// Shared helpers of the benchmarks: processes, timing, statistics, test data, tools.

import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const MiB = 1024 * 1024;

/** Progress goes to stderr, so `--json` leaves stdout to the one JSON object. */
export const log = (...parts) => process.stderr.write(`${parts.join(' ')}\n`);

/** "1G", "1GiB", "512M", "64k", "1048576". Binary units. */
export function parseSize(text) {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?$/i.exec(String(text).trim());
  if (!m) throw new Error(`not a size: ${text} (try 1G, 512M, 64k)`);
  const unit = { '': 1, k: 1024, m: MiB, g: 1024 * MiB, t: 1024 * 1024 * MiB }[m[2].toLowerCase()];
  return Math.round(Number(m[1]) * unit);
}

export function formatSize(bytes) {
  if (bytes >= 1024 * MiB && bytes % (1024 * MiB) === 0) return `${bytes / (1024 * MiB)} GiB`;
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

export function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** Nearest-rank percentile. */
export function percentile(values, p) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  return v[Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1))];
}

export const round = (x, digits = 2) => (x === null || x === undefined || !Number.isFinite(x) ? null : Number(x.toFixed(digits)));

/** Run a process to its end; resolves with its wall time (spawn to exit), stdout and stderr. */
export function runTimed(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      const ms = performance.now() - started;
      if (code !== 0) {
        reject(new Error(`${path.basename(command)} ${args.slice(0, 3).join(' ')}… exited with ${code ?? signal}: ${stderr.slice(-2000)}`));
        return;
      }
      resolve({ ms, stdout, stderr, pid: child.pid });
    });
  });
}

async function engineEnv() {
  const dist = process.env.VELA_BENCH_DIST ? path.resolve(process.env.VELA_BENCH_DIST) : path.join(ROOT, 'dist');
  const file = path.join(dist, 'src-main', 'engine-process', 'process-env.js');
  // A build from before process-env.ts (an A/B run against an old dist/) runs with the plain environment.
  if (!fs.existsSync(file)) return process.env;
  const { engineProcessEnv } = await import(pathToFileURL(file).href);
  return engineProcessEnv(process.env);
}

/** Run the engine child (bench/engine-child.mjs) with a job; resolves with its result and wall time. */
export async function runEngine(job) {
  // A file, not an argument: 10,000 URLs are more than one argument may hold.
  const jobFile = `${job.dataDir}.job.json`;
  const resultFile = `${job.dataDir}.result.json`;
  fs.rmSync(resultFile, { force: true });
  fs.writeFileSync(jobFile, JSON.stringify({ ...job, resultFile }));
  // The environment the desktop app's engine process starts with (process-env.ts: glibc's trim
  // threshold), so the figures are the product's; VELA_BENCH_PLAIN_ENV=1 measures without it.
  const env = process.env.VELA_BENCH_PLAIN_ENV === '1' ? process.env : await engineEnv();
  const { ms } = await runTimed(process.execPath, [path.join(ROOT, 'bench', 'engine-child.mjs'), jobFile], { env });
  const result = JSON.parse(fs.readFileSync(resultFile, 'utf8'));
  fs.rmSync(jobFile, { force: true });
  fs.rmSync(resultFile, { force: true });
  return { ...result, wallMs: ms };
}

/** Flush dirty pages so one client's writeback does not land in the next client's timing. */
export function syncDisk() {
  spawnSync('sync', { stdio: 'ignore' });
}

export function emptyDir(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
}

/** A file of random bytes (not zeros: nothing along the way may compress or skip it), kept across runs. */
export function ensureRandomFile(file, size) {
  if (fs.existsSync(file) && fs.statSync(file).size === size) return false;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const chunk = Buffer.allocUnsafe(Math.min(size, 8 * MiB));
  const fd = fs.openSync(`${file}.tmp`, 'w');
  try {
    for (let written = 0; written < size; ) {
      const n = Math.min(chunk.length, size - written);
      randomFillSync(chunk, 0, n);
      fs.writeSync(fd, chunk, 0, n);
      written += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(`${file}.tmp`, file);
  fs.rmSync(`${file}.sha256`, { force: true });
  return true;
}

export async function sha256File(file) {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 4 * MiB })) hash.update(chunk);
  return hash.digest('hex');
}

/** The source's hash, computed once and kept beside it. */
export async function sourceHash(file) {
  const side = `${file}.sha256`;
  const st = fs.statSync(file);
  try {
    const [size, mtime, hash] = fs.readFileSync(side, 'utf8').trim().split(' ');
    if (Number(size) === st.size && Number(mtime) === Math.floor(st.mtimeMs)) return hash;
  } catch {
    // computed below
  }
  const hash = await sha256File(file);
  fs.writeFileSync(side, `${st.size} ${Math.floor(st.mtimeMs)} ${hash}\n`);
  return hash;
}

/** Starts the one file server of a bench run; resolves with its base URL and a stop function. */
export function startFileServer(root, capBytesPerSecond) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bench', 'file-server.mjs'), '--root', root, '--cap', String(capBytesPerSecond)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
      if (!out.includes('\n')) return;
      const { port } = JSON.parse(out.split('\n')[0]);
      const base = `http://127.0.0.1:${port}`;
      resolve({
        base,
        pid: child.pid,
        stats: async (reset = false) => (await fetch(`${base}/__stats${reset ? '?reset=1' : ''}`)).json(),
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`file server exited with ${code}`)));
  });
}

function commandPath(name) {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : null;
}

/**
 * curl and aria2c come from Debian's packages. When one is missing and we are root with apt-get, it is
 * installed; otherwise the bench says how and runs without it (its figures are then null).
 */
export function ensureTools(tools) {
  const missing = tools.filter((t) => !commandPath(t.command));
  if (missing.length > 0) {
    const packages = missing.map((t) => t.package).join(' ');
    if (process.getuid?.() === 0 && commandPath('apt-get')) {
      log(`installing ${packages} (apt-get install -y ${packages})`);
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      spawnSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 2, 2], env });
      spawnSync('apt-get', ['install', '-y', '-qq', ...missing.map((t) => t.package)], { stdio: ['ignore', 2, 2], env });
    } else {
      log(`missing ${missing.map((t) => t.command).join(', ')}: install with \`sudo apt-get install -y ${packages}\`; running without`);
    }
  }
  return Object.fromEntries(tools.map((t) => [t.command, commandPath(t.command)]));
}

function firstLine(command, args) {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0].trim();
  } catch {
    return null;
  }
}

/** What the figures were measured on. */
export function machineInfo(scratch, tools) {
  const cpus = os.cpus();
  let fsType = null;
  try {
    fsType = execFileSync('findmnt', ['-n', '-o', 'FSTYPE,SOURCE', '-T', scratch], { encoding: 'utf8' }).trim();
  } catch {
    // not Linux util-linux
  }
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: round(os.totalmem() / 1024 ** 3, 1),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    distro: readOsRelease(),
    node: process.version,
    disk: fsType,
    scratch,
    curl: tools.curl ? firstLine(tools.curl, ['--version']) : null,
    aria2c: tools.aria2c ? firstLine(tools.aria2c, ['--version']) : null,
    chromium: firstLine(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', ['--version']),
  };
}

function readOsRelease() {
  try {
    return /PRETTY_NAME="?([^"\n]+)"?/.exec(fs.readFileSync('/etc/os-release', 'utf8'))?.[1] ?? null;
  } catch {
    return null;
  }
}
