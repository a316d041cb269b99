/**
 * Issue 9, point 5: a repeated hand-off never makes a second task. `download.start` takes a request id;
 * the same id again answers the task the first call made (also after the engine restarted), and the
 * CLI sends one id per command with every retry. The CLI case is the one reported: the engine made
 * the task, its 200 reached the CLI but the body did not (the connection broke), and the CLI, taking
 * that for "unreachable", sent the download again.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FailCode } from '../../src-shared/codes.js';
import { openEngine, type LocalAccess } from '../../src-main/host/access.js';
import { readEngineFile } from '../../src-main/host/engine-lock.js';
import { createRouter } from '../../src-main/router/handlers.js';
import { localBridge } from '../../src-main/router/router.js';
import { cliRunner, jsonLine, UUID, type CliRunner } from '../helpers/cli.js';
import { createHarness, rejection, thrown, type EngineHarness } from '../helpers/engine.js';

const URL_A = 'http://127.0.0.1:9/a.bin';

describe('download.start with a request id', () => {
  let h: EngineHarness;

  beforeEach(() => {
    // Nothing runs: the tasks only need to be recorded.
    h = createHarness({ autoStart: false });
  });
  afterEach(async () => {
    await h.close();
  });

  const bridgeOf = () => localBridge(createRouter(h.engine, () => ({ pid: process.pid, dataDir: h.dir, version: 'test' })));

  it('answers the same token for the same id and makes one task', async () => {
    const bridge = bridgeOf();
    const input = { url: URL_A, header: { 'X-A': '1' }, filename: 'a.bin', requestId: 'cli-7f1c2a' };
    const first = await bridge.invoke('download.start', input);
    const second = await bridge.invoke('download.start', { ...input, header: { 'X-A': '1' } });
    expect(second.token).toBe(first.token);
    expect(h.engine.list().map((t) => t.token)).toEqual([first.token]);
    // Without an id, or with another one, the same arguments are a new download, as always.
    const other = await bridge.invoke('download.start', { ...input, requestId: 'cli-other' });
    const plain = await bridge.invoke('download.start', { url: URL_A, header: { 'X-A': '1' }, filename: 'a.bin' });
    expect(new Set([first.token, other.token, plain.token]).size).toBe(3);
    expect(h.engine.list()).toHaveLength(3);
  });

  it('refuses the same id with other arguments (202), and makes nothing', async () => {
    const bridge = bridgeOf();
    await bridge.invoke('download.start', { url: URL_A, requestId: 'r-1' });
    const error = await rejection(bridge.invoke('download.start', { url: 'http://127.0.0.1:9/b.bin', requestId: 'r-1' }));
    expect(error.code).toBe(FailCode.IllegalArgument);
    expect(error.message).toMatch(/requestId r-1 was already used for a different download/);
    expect(h.engine.list()).toHaveLength(1);
  });

  it('checks the id at the door: a string of 1 to 128 letters, digits or ._:-', async () => {
    const bridge = bridgeOf();
    for (const requestId of ['', 'x'.repeat(129), 'has space', 'semi;colon', 42]) {
      const error = await rejection(bridge.invoke('download.start', { url: URL_A, requestId } as never));
      expect(error.code).toBe(FailCode.IllegalArgument);
      expect(error.message).toMatch(/requestId/);
    }
    expect(h.engine.list()).toHaveLength(0);
    await bridge.invoke('download.start', { url: URL_A, requestId: `${'a'.repeat(120)}.b:c-d_e` });
  });

  it('holds across a restart of the engine (the id is stored with the task)', async () => {
    const first = h.engine.download({ url: URL_A, requestId: 'restart-1' });
    const engine = await h.reopen({ autoStart: false });
    expect(engine.download({ url: URL_A, requestId: 'restart-1' }).token).toBe(first.token);
    expect(engine.list()).toHaveLength(1);
  });

  it('holds across a crash before the store was written (the journal keeps the id)', async () => {
    const started = await h.reopen({ autoStart: true });
    // Offline for a minute: the task waits for the link, nothing leaves the machine.
    h.profile('offline', { offline: true, offlineTimeoutMs: 60_000 });
    const writes = started.store.writeCount;
    const first = started.download({ url: URL_A, device: 'offline', requestId: 'crash-1' });
    // A running engine writes its store in batches: the task is only in the journal yet.
    expect(started.store.writeCount).toBe(writes);
    expect(JSON.parse(fs.readFileSync(path.join(h.dir, 'config.json'), 'utf8')).tasks[first.token]).toBeUndefined();
    // A second process reads the same data dir as the crashed one left it.
    const { openStore } = await import('../../src-main/core/store.js');
    const { Engine } = await import('../../src-main/core/engine.js');
    const after = new Engine({ dataDir: h.dir, store: openStore(h.dir), autoStart: false });
    try {
      expect(after.download({ url: URL_A, device: 'offline', requestId: 'crash-1' }).token).toBe(first.token);
      expect(after.list()).toHaveLength(1);
    } finally {
      await after.stop();
    }
  });

  it('forgets the id of a removed task: the id then makes a new task', async () => {
    const first = h.engine.download({ url: URL_A, requestId: 'gone-1' });
    await h.engine.remove(first.token);
    const again = h.engine.download({ url: URL_A, requestId: 'gone-1' });
    expect(again.token).not.toBe(first.token);
    expect(thrown(() => h.engine.get(first.token)).code).toBe(FailCode.TaskNotFound);
  });
});

describe('the CLI hand-off, when the answer to download.start is lost on the way', () => {
  let tmp: string;
  let dataDir: string;
  let cli: CliRunner;
  let engine: LocalAccess | undefined;
  let proxy: net.Server | undefined;

  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-request-id-'));
    dataDir = path.join(tmp, 'data');
    cli = cliRunner({ home: tmp });
  });
  afterEach(async () => {
    await cli.killAll();
    await engine?.close();
    engine = undefined;
    await new Promise((resolve) => (proxy ? proxy.close(resolve) : resolve(undefined)));
    proxy = undefined;
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  /**
   * A proxy on a socket of its own in the 0700 data dir, in front of the engine's socket; engine.json
   * is pointed at it. It forwards everything, except that it cuts the first `download.start`'s
   * connection once the engine has answered: the response head (200) reaches the CLI, the body does not.
   */
  async function cutFirstAnswer(): Promise<{ starts: Array<{ requestId?: string }> }> {
    const file = path.join(dataDir, 'engine.json');
    const holder = readEngineFile(file)!;
    const starts: Array<{ requestId?: string }> = [];
    let cut = false;
    proxy = net.createServer((client) => {
      const upstream = net.connect(holder.socket);
      let request = '';
      let isStart = false;
      client.on('data', (chunk: Buffer) => {
        request += chunk.toString('latin1');
        isStart ||= request.startsWith('POST /api/download.start ');
        upstream.write(chunk);
      });
      client.on('end', () => upstream.end());
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      let answer = Buffer.alloc(0);
      upstream.on('data', (chunk: Buffer) => {
        if (!isStart) {
          client.write(chunk);
          return;
        }
        answer = Buffer.concat([answer, chunk]);
        const headEnd = answer.indexOf('\r\n\r\n');
        if (headEnd < 0) return;
        const body = request.slice(request.indexOf('\r\n\r\n') + 4);
        starts.push(JSON.parse(body) as { requestId?: string });
        if (!cut) {
          cut = true;
          // The engine has made the task and answered 200; the CLI gets the head, then a dead connection.
          client.end(answer.subarray(0, headEnd + 4), () => client.destroy());
          upstream.destroy();
          return;
        }
        isStart = false;
        client.write(answer);
      });
      upstream.on('end', () => client.end());
    });
    const socket = path.join(dataDir, `proxy-${process.pid}.sock`);
    await new Promise<void>((resolve) => proxy!.listen(socket, resolve));
    fs.writeFileSync(file, JSON.stringify({ ...holder, socket }), { mode: 0o600 });
    return { starts };
  }

  it('retries with the same request id, and the engine has exactly one task', async () => {
    const access = await openEngine({ dataDir, mode: 'record' });
    expect(access.kind).toBe('local');
    engine = access as LocalAccess;
    const { starts } = await cutFirstAnswer();

    const result = await cli.run(['download', 'http://127.0.0.1:9/once.bin', '--data-dir', dataDir, '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const { token } = jsonLine(result.stdout) as { token: string };
    expect(token).toMatch(UUID);

    // Two calls reached the engine (the cut one and the retry) and made one task, whose token the CLI printed…
    expect(starts).toHaveLength(2);
    expect(engine.engine.list().map((t) => t.token)).toEqual([token]);
    // …because both carried the one id of this command.
    expect(starts[0]!.requestId).toMatch(UUID);
    expect(starts[1]!.requestId).toBe(starts[0]!.requestId);
  });
});
