import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

/**
 * `npm start` on a machine without a display (this one, CI): scripts/start.mjs must say why in one line
 * and run the browser host, whose URL works, and stop it cleanly. Linux only: elsewhere there is always
 * a display and the script would launch (or fetch) Electron.
 */
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

let dataDir: string | undefined;
afterEach(() => {
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  dataDir = undefined;
});

/** Run scripts/start.mjs to its end (or kill it after timeoutMs). */
function runStart(env: NodeJS.ProcessEnv, timeoutMs = 20_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'scripts', 'start.mjs')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A stand-in Electron executable (a shell script) in a temp folder, found through ELECTRON_OVERRIDE_DIST_PATH. */
function fakeElectron(script: string): string {
  const dir = fs.mkdtempSync(path.join(dataDir!, 'electron-'));
  fs.writeFileSync(path.join(dir, 'electron'), `#!/bin/sh\n${script}\n`, { mode: 0o755 });
  return dir;
}

describe.runIf(process.platform === 'linux')('npm start without a display', () => {
  it('prints one line saying why, starts the browser host with its URL, and stops with it', async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-start-'));
    const env = { ...process.env, DISPLAY: '', WAYLAND_DISPLAY: '', ELECTRON_SKIP_BINARY_DOWNLOAD: '1', VELA_DATA_DIR: dataDir };
    const child = spawn(process.execPath, [path.join(ROOT, 'scripts', 'start.mjs')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 20_000;
      while (!/#secret=\S+\n/.test(stdout)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no URL: ${stdout}${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const [first] = stderr.split('\n');
      expect(first).toBe(
        'The Electron window cannot start here: there is no display (DISPLAY and WAYLAND_DISPLAY are unset). Starting the browser host instead; open the URL below.',
      );
      expect(stderr).not.toMatch(/\n\s+at /);
      const url = stdout.trim().split('\n').pop()!;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#secret=/);
      // The page loads; the secret stays in the fragment (fetch never sends it) and no cookie is set.
      const res = await fetch(url, { redirect: 'manual' });
      expect(res.status).toBe(200);
      expect(res.headers.get('set-cookie')).toBeNull();

      const engine = JSON.parse(fs.readFileSync(path.join(dataDir, 'engine.json'), 'utf8')) as { pid: number };
      expect(engine.pid).not.toBe(child.pid);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      // The host it started is gone too, and gave the data dir back.
      const end = Date.now() + 5_000;
      while (alive(engine.pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      expect(alive(engine.pid)).toBe(false);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('launches the Electron binary on the app folder, without ELECTRON_RUN_AS_NODE, and exits with it', async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-start-'));
    const record = path.join(dataDir, 'launched.txt');
    const dist = fakeElectron(`echo "$@|\${ELECTRON_RUN_AS_NODE:-unset}" > '${record}'; exit 0`);
    const env = { ...process.env, DISPLAY: ':99', ELECTRON_OVERRIDE_DIST_PATH: dist, ELECTRON_RUN_AS_NODE: '1', VELA_DATA_DIR: dataDir };
    const result = await runStart(env);
    expect(result.code).toBe(0);
    expect(fs.readFileSync(record, 'utf8').trim()).toBe(`${ROOT}|unset`);
    expect(result.stdout).toBe('');
  });

  it('falls back in one line when Electron dies at once (missing libraries), never showing its noise', async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-start-'));
    const dist = fakeElectron([
      'echo "electron: error while loading shared libraries: libnss3.so: cannot open shared object file" >&2',
      'echo "    at somewhere (x.js:1:1)" >&2',
      'exit 127',
    ].join('\n'));
    const env = { ...process.env, DISPLAY: ':99', ELECTRON_OVERRIDE_DIST_PATH: dist, VELA_DATA_DIR: dataDir };
    const child = spawn(process.execPath, [path.join(ROOT, 'scripts', 'start.mjs')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    try {
      const deadline = Date.now() + 20_000;
      while (!/#secret=\S+\n/.test(stdout)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no URL: ${stdout}${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(stderr.split('\n')[0]).toBe(
        'The Electron window cannot start here: Electron stopped at once (status 127: electron: error while loading shared libraries: ' +
          'libnss3.so: cannot open shared object file). Starting the browser host instead; open the URL below.',
      );
      expect(stderr).not.toContain('at somewhere');
    } finally {
      const exited = new Promise((resolve) => child.on('close', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });
});
