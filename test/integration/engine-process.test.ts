/**
 * The engine process (src-main/engine-process) under Node's child_process.fork, as Electron's main
 * runs it under utilityProcess.fork: the built entry (dist/src-main/engine-process/entry.js), the same
 * message protocol, the client that restarts it. A kill -9 mid-download must be reported as a crash,
 * followed by a restart that resumes the task from the partial file, byte-exact.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EngineStateChange, EventName } from '../../src-shared/channels.js';
import type { TaskProgress, TaskRecord } from '../../src-shared/types.js';
import { openEngine } from '../../src-main/host/access.js';
import { EngineClient } from '../../src-main/engine-process/client.js';
import { forkEngine } from '../../src-main/engine-process/node-spawn.js';
import { ENGINE_ENTRY } from '../../src-main/engine-process/protocol.js';
import { MALLOC_TRIM_THRESHOLD } from '../../src-main/engine-process/process-env.js';
import { fileSize, waitUntil } from '../helpers/cli.js';
import { randomBytesSeeded, sha256, sha256File, startServer, type TestServer } from '../helpers/server.js';

const KiB = 1024;
const MiB = 1024 * KiB;

let tmp: string;
let dataDir: string;
let server: TestServer;
let env: NodeJS.ProcessEnv;
const clients: EngineClient[] = [];

beforeEach(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-engine-process-'));
  dataDir = path.join(tmp, 'data');
  server = await startServer();
  env = { ...process.env, HOME: tmp, XDG_CONFIG_HOME: path.join(tmp, '.config') };
  delete env.VELA_DATA_DIR;
  delete env.VELA_DEVICE;
});

afterEach(async () => {
  for (const client of clients.splice(0)) await client.stop(2_000);
  await server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

interface Seen {
  events: Array<{ name: EventName; payload: unknown }>;
  states: EngineStateChange[];
  shell: Array<[string, string]>;
}

function startClient(seen: Seen): EngineClient {
  const client = new EngineClient({
    spawn: forkEngine({ dataDir, desktop: true }, { env }),
    restartDelaysMs: [100],
    shell: async (op, file) => {
      seen.shell.push([op, file]);
      return true;
    },
  });
  clients.push(client);
  client.subscribe((name, payload) => {
    seen.events.push({ name, payload });
    if (name === 'engine.state') seen.states.push(payload as EngineStateChange);
  });
  return client;
}

describe('the engine process', () => {
  it('is the built entry that tsconfig.node.json emits', () => {
    expect(ENGINE_ENTRY).toBe(path.resolve('dist/src-main/engine-process/entry.js'));
    expect(fs.existsSync(ENGINE_ENTRY)).toBe(true);
  });

  it.runIf(process.platform === 'linux')('starts with glibc told to keep freed pages (process-env.ts), the parent\'s own value kept', async () => {
    const seen: Seen = { events: [], states: [], shell: [] };
    const client = startClient(seen);
    expect((await client.start()).kind).toBe('ready');
    const environ = (pid: number): string[] => fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    expect(environ(client.info!.pid)).toContain(`MALLOC_TRIM_THRESHOLD_=${MALLOC_TRIM_THRESHOLD}`);
    expect(environ(client.info!.pid)).toContain(`HOME=${tmp}`);

    // A threshold the user chose wins.
    await clients.pop()!.stop(2_000);
    env.MALLOC_TRIM_THRESHOLD_ = '4096';
    const again = startClient(seen);
    expect((await again.start()).kind).toBe('ready');
    expect(environ(again.info!.pid)).toContain('MALLOC_TRIM_THRESHOLD_=4096');
  });

  it('survives a kill -9 mid-download: reported, restarted, the task resumed byte-exact', async () => {
    const SIZE = 6 * MiB;
    const body = randomBytesSeeded(SIZE, 0x9e9e);
    server.setFile('/big.bin', { body, bytesPerSecond: 2 * MiB });
    const seen: Seen = { events: [], states: [], shell: [] };
    const client = startClient(seen);

    const started = await client.start();
    expect(started.kind).toBe('ready');
    const first = client.info!;
    expect(first.pid).not.toBe(process.pid);
    expect(first.dataDir).toBe(path.resolve(dataDir));
    expect(first.shell).toBe('electron');
    // The engine process holds the data dir: engine.json names it, so the CLI hands off to it.
    expect(JSON.parse(fs.readFileSync(path.join(dataDir, 'engine.json'), 'utf8'))).toMatchObject({ pid: first.pid, port: first.port });

    const { token } = await client.bridge.invoke('download.start', { url: server.urlFor('/big.bin') });
    const partial = path.join(dataDir, 'cache', '.partial', token);
    await waitUntil(() => fileSize(partial) >= 1.5 * MiB, 'the partial file to pass 1.5 MiB', 15_000, 10);
    expect(seen.events.some((e) => e.name === 'task.updated' && (e.payload as TaskRecord).state === 'running')).toBe(true);
    const batches = seen.events.filter((e) => e.name === 'task.progress').map((e) => e.payload as TaskProgress[]);
    expect(batches.length).toBeGreaterThan(0);
    expect(batches.flat().some((p) => p.token === token && p.bytes > 0)).toBe(true);

    process.kill(first.pid, 'SIGKILL');
    const kept = fileSize(partial);
    expect(kept).toBeLessThan(SIZE);

    await waitUntil(() => seen.states.some((s) => s.state === 'running' && s.restarts === 1), 'the engine process to be back', 20_000);
    expect(seen.states.map((s) => s.state)).toEqual(['running', 'crashed', 'restarting', 'running']);
    expect(seen.states[1]).toMatchObject({ state: 'crashed', detail: 'signal SIGKILL', restarts: 0 });
    expect(client.info!.pid).not.toBe(first.pid);

    // The same token, resumed by the new process from what was on disk.
    const done = await client.bridge.invoke('tasks.wait', { token });
    expect(done).toMatchObject({ token, uri: 'internal://cache/big.bin' });
    expect(await sha256File(done.path)).toBe(sha256(body));
    const gets = server.requestsFor('/big.bin').filter((r) => r.method === 'GET');
    expect(gets.length).toBe(2);
    expect(gets[0]!.range).toBeUndefined();
    expect(gets[1]!.range).toMatch(/^bytes=\d+-$/);
    expect(Number(gets[1]!.range!.slice(6, -1))).toBeGreaterThanOrEqual(MiB);
    expect(gets[1]!.status).toBe(206);
    // Progress crossed the process boundary in coalesced batches, not per chunk (6 MiB is ~100 chunks).
    expect(seen.events.filter((e) => e.name === 'task.progress').length).toBeLessThan(60);

    // Reveal and open are the parent's: the engine confines the path, then asks.
    expect(await client.bridge.invoke('shell.reveal', { token })).toEqual({ path: done.path, done: true });
    expect(seen.shell).toEqual([['reveal', done.path]]);

    // An orderly stop: the store written, the lock given back, and no restart.
    const count = seen.states.length;
    await client.stop();
    expect(fs.existsSync(path.join(dataDir, 'engine.json'))).toBe(false);
    expect(seen.states.length).toBe(count);
    expect(await client.call('tasks.list', {})).toMatchObject({ ok: false, error: { code: 500 } });
  }, 40_000);

  it('says busy when another process already drives the data dir, and exits', async () => {
    const holder = await openEngine({ dataDir, mode: 'record' });
    try {
      const client = startClient({ events: [], states: [], shell: [] });
      const result = await client.start();
      expect(result).toEqual({ kind: 'busy', holder: { pid: process.pid, port: expect.any(Number) } });
      expect(client.info).toBeUndefined();
    } finally {
      await holder.close();
    }
  });
});
