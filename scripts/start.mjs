#!/usr/bin/env node
// `npm start` (after `npm run build`): launch the Electron window; where it cannot start here (no
// display, no Electron binary to be had, Electron failing at once) print one line saying why and run
// the browser host instead, which prints the URL to open. The decisions are in
// src-main/electron/launch-plan.ts (tested); this file only does what they say.
//
// It never `require`s the electron package: its index.js downloads the binary when it is missing. The
// binary is fetched (Electron's own install.js) only where a window could actually open.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
/** Electron failing within this time (missing libraries, a sandbox it cannot set up) counts as "cannot start". */
const EARLY_EXIT_MS = 8_000;

const say = (line) => process.stderr.write(`${line}\n`);

let plan;
try {
  plan = await import(pathToFileURL(path.join(root, 'dist', 'src-main', 'electron', 'launch-plan.js')).href);
} catch {
  say('vela-companion is not built: run `npm start` (it builds first) or `npm run build`.');
  process.exit(1);
}

const electronDir = (() => {
  try {
    return path.dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  } catch {
    return null;
  }
})();

const fsx = {
  read: (file) => {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  },
  exists: (file) => fs.existsSync(file),
};

const facts = () => ({
  platform: process.platform,
  env: process.env,
  args,
  electronDir,
  binary: electronDir === null ? null : plan.electronBinary(electronDir, process.env, fsx),
});

/**
 * Stop the child when we are asked to stop: once, with SIGTERM. Ctrl-C in a terminal already reaches
 * the child (same process group); a second SIGINT would kill it before it has written its store,
 * while `serve` and Electron both stop cleanly on one SIGINT plus one SIGTERM.
 */
function passOn(child) {
  let forwarded = false;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      if (forwarded || child.exitCode !== null || child.signalCode !== null) return;
      forwarded = true;
      child.kill('SIGTERM');
    });
  }
}

/** Run the child until it ends; exit with its status. */
function follow(child) {
  passOn(child);
  child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' ? 130 : 1)));
}

function browserHost(reason) {
  say(plan.fallbackLine(reason));
  const child = spawn(process.execPath, [path.join(root, 'bin', 'vela-companion.js'), 'serve'], { stdio: 'inherit' });
  child.on('error', (error) => {
    say(`The browser host could not start either: ${error.message}`);
    process.exit(1);
  });
  follow(child);
}

function electron(binary) {
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE;
  const child = spawn(binary, [root], { env, stdio: ['inherit', 'inherit', 'pipe'] });
  let early = true;
  // Set on Ctrl-C or termination: Electron ending then is the user quitting, however it ends.
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => (stopping = true));
  let settled = false;
  let held = '';
  const timer = setTimeout(() => {
    early = false;
    process.stderr.write(held);
    held = '';
  }, EARLY_EXIT_MS);
  child.stderr.on('data', (chunk) => {
    if (early) held += chunk.toString();
    else process.stderr.write(chunk);
  });
  const fallBack = (reason) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    browserHost(reason);
  };
  child.on('error', (error) => fallBack(`Electron could not be run (${error.code ?? error.message})`));
  child.on('exit', (code, signal) => {
    // A crash at start-up (missing libraries, a sandbox helper that is not set up) is "cannot start";
    // an exit after Ctrl-C or a termination signal is the user quitting.
    const failed = code !== null ? code !== 0 : !['SIGINT', 'SIGTERM', 'SIGHUP'].includes(signal);
    if (early && !stopping && failed) {
      fallBack(`Electron stopped at once (${code !== null ? `status ${code}` : signal}: ${plan.firstLine(held)})`);
      return;
    }
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    if (held) process.stderr.write(held);
    process.exit(code ?? (signal === 'SIGINT' ? 130 : 1));
  });
  passOn(child);
}

let decided = plan.planLaunch(facts());
if (decided.kind === 'fetch') {
  say("Fetching Electron's binary (first launch)…");
  const result = spawnSync(process.execPath, [decided.installer], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 15 * 60_000 });
  const failed = result.error ? result.error.message : result.status !== 0 ? plan.firstLine(`${result.stderr}\n${result.stdout}`) : undefined;
  decided = plan.planLaunch({ ...facts(), fetchFailed: failed ?? 'the binary is still missing' });
}
if (decided.kind === 'electron') electron(decided.binary);
else if (decided.kind === 'browser') browserHost(decided.reason);
else browserHost("Electron's binary is not installed");
