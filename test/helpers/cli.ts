/**
 * Runs the built CLI (`bin/vela-companion.js`, built by test/global-setup.ts) as child processes, with
 * pipes for stdout and stderr (so it sees no TTY, as in a script). Every process started through a
 * {@link CliRunner} is tracked, and `killAll()` (call it in afterEach) SIGKILLs whatever still runs and
 * waits for it to be gone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = path.join(ROOT, 'bin', 'vela-companion.js');

export interface CliResult {
  /** Exit status; null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  child: ChildProcess;
  pid: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves once the process has exited and its pipes are drained. */
  exited: Promise<CliResult>;
  readonly done: boolean;
  /** Resolve when `check` holds (polled, and on every output chunk); reject after timeoutMs or if the process exits first. */
  until(check: () => boolean, what: string, timeoutMs?: number): Promise<void>;
}

export interface CliRunner {
  spawn(args: string[]): CliProcess;
  /** Spawn and wait for the exit; fails the test if it takes longer than timeoutMs. */
  run(args: string[], timeoutMs?: number): Promise<CliResult>;
  killAll(): Promise<void>;
}

/** `env` replaces nothing but adds/overrides variables; HOME points at `home` so nothing lands in the real one. */
export function cliRunner(options: { home: string; env?: NodeJS.ProcessEnv }): CliRunner {
  const live = new Set<CliProcess>();
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: options.home, XDG_CONFIG_HOME: path.join(options.home, '.config'), ...options.env };
  delete env.VELA_DEVICE;
  delete env.VELA_DATA_DIR;

  const spawnCli = (args: string[]): CliProcess => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.home, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let done = false;
    const wakers = new Set<() => void>();
    const wake = (): void => {
      for (const w of wakers) w();
    };
    child.stdout!.setEncoding('utf8');
    child.stderr!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      stdout += chunk;
      wake();
    });
    child.stderr!.on('data', (chunk: string) => {
      stderr += chunk;
      wake();
    });
    const exited = new Promise<CliResult>((resolve) => {
      child.once('close', (code, signal) => {
        done = true;
        live.delete(proc);
        wake();
        resolve({ code, signal, stdout, stderr });
      });
    });
    const proc: CliProcess = {
      child,
      pid: child.pid!,
      get stdout() {
        return stdout;
      },
      get stderr() {
        return stderr;
      },
      exited,
      get done() {
        return done;
      },
      until(check, what, timeoutMs = 15_000) {
        return new Promise<void>((resolve, reject) => {
          const finish = (error?: Error): void => {
            clearInterval(poll);
            clearTimeout(timer);
            wakers.delete(test);
            if (error) reject(error);
            else resolve();
          };
          const test = (): void => {
            if (check()) finish();
            else if (done) finish(new Error(`the CLI exited before ${what}\nargs: ${args.join(' ')}\nstdout: ${stdout}\nstderr: ${stderr}`));
          };
          const poll = setInterval(test, 20);
          const timer = setTimeout(() => finish(new Error(`timed out waiting for ${what}\nstdout: ${stdout}\nstderr: ${stderr}`)), timeoutMs);
          wakers.add(test);
          test();
        });
      },
    };
    live.add(proc);
    return proc;
  };

  return {
    spawn: spawnCli,
    async run(args, timeoutMs = 20_000) {
      const proc = spawnCli(args);
      const timeout = delay(timeoutMs).then(() => 'timeout' as const);
      const result = await Promise.race([proc.exited, timeout]);
      if (result === 'timeout') {
        proc.child.kill('SIGKILL');
        await proc.exited;
        throw new Error(`vela-companion ${args.join(' ')} did not exit within ${timeoutMs} ms\nstdout: ${proc.stdout}\nstderr: ${proc.stderr}`);
      }
      return result;
    },
    async killAll() {
      const procs = [...live];
      for (const p of procs) if (!p.done) p.child.kill('SIGKILL');
      await Promise.all(procs.map((p) => p.exited));
    },
  };
}

/** The single line a `--json` command prints, parsed; fails when stdout is not exactly one JSON line. */
export function jsonLine(stdout: string): unknown {
  const lines = stdout.split('\n');
  if (lines.length !== 2 || lines[1] !== '') throw new Error(`expected exactly one line on stdout, got ${JSON.stringify(stdout)}`);
  return JSON.parse(lines[0]!);
}

/** Poll until `check` is true (or throw after timeoutMs). */
export async function waitUntil(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000, everyMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(everyMs);
  }
}

export function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
