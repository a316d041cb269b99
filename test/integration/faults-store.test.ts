/**
 * Fault injection: a store file (`DATA_DIR/config.json`) that is truncated, garbage, or from a future
 * version. Opening the data dir must keep it aside as `config.json.corrupt-<time>` with its original
 * bytes, report it (a warning on the CLI's stderr, `engine.info` → `storeRecovery`), and start with an
 * empty store: `list --json` exits 0 with `[]`, and downloads work again.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src-main/core/engine.js';
import { openStore } from '../../src-main/core/store.js';
import { openEngine, type EngineAccess } from '../../src-main/host/access.js';
import type { TaskRecord } from '../../src-shared/types.js';
import { cliRunner, jsonLine, type CliRunner } from '../helpers/cli.js';
import { ENGINE_DEFAULTS } from '../helpers/engine.js';
import { listDir } from '../helpers/faults.js';
import { randomBytesSeeded, sha256, sha256File, startServer, type TestServer } from '../helpers/server.js';

let tmp: string;
let dataDir: string;
let storeFile: string;
let server: TestServer;
let cli: CliRunner;
let engines: Engine[];
let accesses: EngineAccess[];

beforeEach(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-faults-store-'));
  dataDir = path.join(tmp, 'data');
  storeFile = path.join(dataDir, 'config.json');
  server = await startServer();
  cli = cliRunner({ home: tmp });
  engines = [];
  accesses = [];
});

afterEach(async () => {
  for (const access of accesses) await access.close();
  for (const engine of engines) await engine.stop();
  await cli.killAll();
  await server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const withData = (...args: string[]): string[] => [...args, '--data-dir', dataDir];

const task = (token: string, state: TaskRecord['state']): TaskRecord => ({
  token,
  url: `http://127.0.0.1:1/${token}.bin`,
  headers: {},
  profileId: 'desktop',
  storage: 'cache',
  listenerRule: 'all',
  state,
  bytes: 0,
  total: null,
  createdAt: 1,
  updatedAt: 1,
});

/** A real store file with a few tasks, as the app writes it. */
function validStoreBytes(): Buffer {
  const dir = fs.mkdtempSync(path.join(tmp, 'valid-'));
  const store = openStore(dir);
  for (const [i, state] of (['completed', 'failed', 'queued', 'paused'] as const).entries()) store.putTask(task(`task-${i}`, state));
  store.flush();
  return fs.readFileSync(path.join(dir, 'config.json'));
}

interface Case {
  name: string;
  bytes: () => Buffer;
  reason: RegExp;
}

const CASES: Case[] = [
  {
    name: 'truncated (a valid file cut in half)',
    bytes: () => {
      const valid = validStoreBytes();
      return valid.subarray(0, Math.floor(valid.length / 2));
    },
    reason: /could not be read/,
  },
  { name: 'garbage (random bytes)', bytes: () => randomBytesSeeded(3000, 81), reason: /could not be read/ },
  { name: 'empty (0 bytes)', bytes: () => Buffer.alloc(0), reason: /could not be read/ },
  { name: 'from a future version ({"version": 99})', bytes: () => Buffer.from('{"version": 99}'), reason: /newer version/ },
  {
    name: 'from a future version, with tasks',
    bytes: () => Buffer.from(JSON.stringify({ version: 99, tasks: { t: { token: 't', futureField: true } }, profiles: [], settings: {} })),
    reason: /newer version/,
  },
  { name: 'a version that is not a number', bytes: () => Buffer.from('{"version": "2", "tasks": {}}'), reason: /newer version|schema/ },
  { name: 'a task table that is an array', bytes: () => Buffer.from('{"version": 1, "tasks": []}'), reason: /task table/ },
];

/** Expect the recovery to have kept `original` aside in the data dir, under the documented name. */
function expectKeptAside(recovery: { keptAs: string; reason: string } | undefined, original: Buffer, reason: RegExp): void {
  expect(recovery).toBeDefined();
  expect(recovery!.reason).toMatch(reason);
  expect(path.dirname(recovery!.keptAs)).toBe(dataDir);
  expect(path.basename(recovery!.keptAs)).toMatch(/^config\.json\.corrupt-\d{4}-\d{2}-\d{2}T[\d-]+Z$/);
  expect(fs.readFileSync(recovery!.keptAs).equals(original)).toBe(true);
}

describe('an unreadable store file is kept aside, reported, and the app starts (in process)', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const original = c.bytes();
      fs.mkdirSync(dataDir, { recursive: true });
      fs.writeFileSync(storeFile, original);

      const store = openStore(dataDir);
      expectKeptAside(store.recovery, original, c.reason);
      const engine = new Engine({ dataDir, store, ...ENGINE_DEFAULTS });
      engines.push(engine);
      expect(engine.list()).toEqual([]);

      // It works: a download completes and is written to a fresh, valid file.
      const body = randomBytesSeeded(10_000, 82);
      server.setFile('/ok.bin', { body });
      const { token } = engine.download({ url: server.urlFor('/ok.bin') });
      const result = await engine.whenDone(token);
      expect(await sha256File(result.path)).toBe(sha256(body));
      await engine.stop();
      const reopened = openStore(dataDir);
      expect(reopened.recovery).toBeUndefined();
      expect(reopened.getTask(token)?.state).toBe('completed');
      // The kept file is still there, untouched, and only one.
      expect(listDir(dataDir).filter((n) => n.startsWith('config.json.corrupt-'))).toEqual([path.basename(store.recovery!.keptAs)]);
    });
  }

  it('engine.info reports storeRecovery, and the warning reaches the front door', async () => {
    const original = CASES[0]!.bytes();
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(storeFile, original);
    const told: Array<{ keptAs: string; reason: string }> = [];
    const access = await openEngine({ dataDir, mode: 'record', onStoreRecovered: (r) => told.push(r) });
    accesses.push(access);
    expect(access.kind).toBe('local');
    const info = await access.bridge.invoke('engine.info', {});
    expectKeptAside(info.storeRecovery, original, /could not be read/);
    expect(told).toEqual([info.storeRecovery]);
    expect(await access.bridge.invoke('tasks.list', {})).toEqual([]);
  });
});

describe('the CLI on an unreadable store file: a warning on stderr, exit 0, an empty list', () => {
  for (const c of CASES.filter((x) => /truncated|garbage|future version \(/.test(x.name))) {
    it(c.name, async () => {
      const original = c.bytes();
      fs.mkdirSync(dataDir, { recursive: true });
      fs.writeFileSync(storeFile, original);

      const first = await cli.run(withData('list', '--json'));
      expect(first.code, first.stderr).toBe(0);
      expect(jsonLine(first.stdout)).toEqual([]);
      const kept = listDir(dataDir).filter((n) => n.startsWith('config.json.corrupt-'));
      expect(kept).toHaveLength(1);
      const keptAs = path.join(dataDir, kept[0]!);
      expect(fs.readFileSync(keptAs).equals(original)).toBe(true);
      // Told, with where the old file is; stdout stays pure JSON.
      expect(first.stderr).toMatch(/^warning: /m);
      expect(first.stderr).toMatch(c.reason);
      expect(first.stderr).toContain(keptAs);

      // Started for real: the next run has nothing to warn about, and a download goes through.
      const body = randomBytesSeeded(20_000, 83);
      server.setFile('/cli.bin', { body });
      const downloaded = await cli.run(withData('download', server.urlFor('/cli.bin'), '--wait', '--json'));
      expect(downloaded.code, downloaded.stderr).toBe(0);
      expect(downloaded.stderr).not.toMatch(/warning/);
      const { token } = jsonLine(downloaded.stdout) as { token: string };
      const second = await cli.run(withData('list', '--json'));
      expect(second.code, second.stderr).toBe(0);
      expect(second.stderr).toBe('');
      expect(jsonLine(second.stdout)).toEqual([expect.objectContaining({ token, state: 'completed' })]);
      expect(fs.readFileSync(keptAs).equals(original)).toBe(true);
    });
  }
});

describe('store files that parse but are not a store', () => {
  // Regression, fixed (src-main/core/store.ts, openStore/storeProblem): conf's `store` getter returns
  // `Object.assign({}, parsed)`, so a file holding a JSON array or string reaches storeProblem() as a
  // plain object ({"0": 1, …}) and its "not a JSON object" check never fires: the file is silently
  // taken as an old store (no version), its junk keys are written back, nothing is kept aside or
  // reported. docs/engine.md: "a wrong shape … is renamed to config.json.corrupt-<time>, reported".
  it.each([
    ['a JSON array', '[1, 2, 3]'],
    ['a JSON string', '"config"'],
  ])('%s is kept aside and reported', (_name, text) => {
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(storeFile, text);
    const store = openStore(dataDir);
    expectKeptAside(store.recovery, Buffer.from(text), /not a JSON object/);
  });

  // Regression, fixed (src-main/core/store.ts, storeProblem; src-main/core/engine.ts, #reconcile): only the top level
  // is checked, so a version-1 file whose task table holds a non-object (`"tasks": {"abc": null}`) is
  // accepted, and the Engine constructor then throws `TypeError: Cannot read properties of null
  // (reading 'state')` in #reconcile: the app does not start at all (the CLI exits 1 with
  // "internal error"). Such a file should be kept aside and reported like any unreadable one.
  it('a version-1 file whose task table holds garbage is kept aside, and the app starts', async () => {
    const text = '{"version": 1, "tasks": {"abc": null}}';
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(storeFile, text);
    const res = await cli.run(withData('list', '--json'));
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(jsonLine(res.stdout)).toEqual([]);
    expect(res.stderr).toMatch(/^warning: /m);
  });
});
