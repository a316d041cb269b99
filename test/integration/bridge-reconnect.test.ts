/**
 * Issue 9, point 6: the HTTP bridge's event stream comes back. Against a real browser host (openEngine's
 * host, the one `serve` runs) whose connections the test destroys: the bridge says it lost the stream,
 * opens it again with backoff, says it is back (`resumed`), and events arrive again. A refused secret
 * (a restarted `serve`) is reported once and not retried; a stream that falls silent is reopened.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConnectionChange } from '../../src-shared/channels.js';
import { httpBridge, reconnectDelay, RECONNECT } from '../../src-shared/http-bridge.js';
import type { TaskRecord } from '../../src-shared/types.js';
import { openEngine, type LocalAccess } from '../../src-main/host/access.js';
import { waitFor } from '../helpers/engine.js';

const FAST = { minMs: 20, maxMs: 200 };

describe('reconnectDelay', () => {
  it('starts at minMs, doubles, stops at maxMs, and varies by ±20%', () => {
    const mid = () => 0.5;
    expect([0, 1, 2, 3, 4, 5, 6, 10, 1000].map((n) => reconnectDelay(n, RECONNECT, mid))).toEqual([
      500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000, 10_000,
    ]);
    expect(reconnectDelay(0, RECONNECT, () => 0)).toBe(400);
    expect(reconnectDelay(0, RECONNECT, () => 0.999999)).toBe(600);
    expect(reconnectDelay(9, RECONNECT, () => 0)).toBe(8_000);
    expect(reconnectDelay(9, RECONNECT, () => 0.999999)).toBe(10_000);
  });
});

describe('the HTTP bridge against a host whose connections break', () => {
  let dataDir: string;
  let access: LocalAccess;
  let offs: Array<() => void> = [];

  beforeEach(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-reconnect-'));
    access = (await openEngine({ dataDir, mode: 'record' })) as LocalAccess;
    expect(access.kind).toBe('local');
  });
  afterEach(async () => {
    for (const off of offs) off();
    offs = [];
    await access.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** A bridge over the host's TCP port (the page's way in), with fast backoff; counts its stream requests. */
  function bridgeFor(secret = access.secret, options: { silenceMs?: number; baseUrl?: string } = {}) {
    let streams = 0;
    const counting: typeof fetch = (input, init) => {
      if (String(input).endsWith('/api/events')) streams += 1;
      return fetch(input, init);
    };
    const bridge = httpBridge({
      baseUrl: options.baseUrl ?? access.host.url,
      secret,
      fetch: counting,
      reconnect: { ...FAST, ...(options.silenceMs ? { silenceMs: options.silenceMs } : {}) },
    });
    const changes: ConnectionChange[] = [];
    offs.push(bridge.onConnectionChange!((change) => changes.push(change)));
    return { bridge, changes, streams: () => streams };
  }

  it('opens the stream again after its connections are destroyed, and events arrive again', async () => {
    const { bridge, changes, streams } = bridgeFor();
    const seen: TaskRecord[] = [];
    offs.push(bridge.on('task.updated', (task) => seen.push(task)));
    await waitFor(() => changes.some((c) => c.state === 'open'), 'the stream to open');
    expect(changes).toEqual([{ state: 'open', resumed: false }]);

    const first = await bridge.invoke('download.start', { url: 'http://127.0.0.1:9/one.bin' });
    await waitFor(() => seen.some((t) => t.token === first.token), 'the first task event');

    // The connection drops (a network change, a laptop's sleep, the server's end of it gone).
    access.host.server.closeAllConnections();
    await waitFor(() => changes.some((c) => c.state === 'open' && c.resumed), 'the stream to come back', 5_000);
    const lost = changes.find((c) => c.state === 'lost');
    expect(lost).toMatchObject({ state: 'lost', attempt: 1 });
    expect((lost as { retryInMs: number }).retryInMs).toBeGreaterThanOrEqual(16);
    expect((lost as { retryInMs: number }).retryInMs).toBeLessThanOrEqual(24);
    expect(streams()).toBe(2);

    // An event of the engine after the break reaches the same listener.
    const second = await bridge.invoke('download.start', { url: 'http://127.0.0.1:9/two.bin' });
    await waitFor(() => seen.some((t) => t.token === second.token), 'an event after the reconnection');
  });

  it('keeps trying, with growing waits, while the host is gone, and comes back when it is there again', async () => {
    // A stand-in host on a port of its own: it answers 503 while "down", then passes to the real one.
    let down = true;
    const stand = http.createServer((req, res) => {
      if (down) {
        res.writeHead(503).end();
        return;
      }
      const upstream = http.request(`${access.host.url}${req.url}`, { method: req.method, headers: { ...req.headers, host: new URL(access.host.url).host } }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      req.pipe(upstream);
      res.once('close', () => upstream.destroy());
    });
    await new Promise<void>((resolve) => stand.listen(0, '127.0.0.1', resolve));
    try {
      const { bridge, changes } = bridgeFor(access.secret, { baseUrl: `http://127.0.0.1:${(stand.address() as AddressInfo).port}` });
      const seen: string[] = [];
      offs.push(bridge.on('task.updated', (task) => seen.push(task.token)));
      await waitFor(() => changes.filter((c) => c.state === 'lost').length >= 4, 'four failed attempts', 5_000);
      const waits = changes.flatMap((c) => (c.state === 'lost' ? [c.retryInMs] : []));
      // 20, 40, 80, 160 ms (±20%), then capped at 200.
      expect(waits[1]!).toBeGreaterThan(waits[0]!);
      expect(waits[3]!).toBeGreaterThan(waits[1]!);
      expect(Math.max(...waits)).toBeLessThanOrEqual(200);
      expect(changes.some((c) => c.state === 'open')).toBe(false);

      down = false;
      await waitFor(() => changes.some((c) => c.state === 'open'), 'the stream to open once the host is back', 5_000);
      // Never heard before: still `resumed`, since events may have been sent meanwhile.
      expect(changes.find((c) => c.state === 'open')).toEqual({ state: 'open', resumed: true });
      const task = access.engine.download({ url: 'http://127.0.0.1:9/later.bin' });
      await waitFor(() => seen.includes(task.token), 'the event after the host came back');
    } finally {
      stand.closeAllConnections();
      await new Promise((resolve) => stand.close(resolve));
    }
  });

  it('reports a refused secret (a restarted serve) once and stops trying', async () => {
    const { bridge, changes, streams } = bridgeFor('not-the-secret');
    offs.push(bridge.on('task.updated', () => {}));
    await waitFor(() => changes.length > 0, 'a connection change');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(changes).toEqual([{ state: 'refused', status: 401 }]);
    expect(streams()).toBe(1);
    // A listener that comes later is told the state at once.
    const late: ConnectionChange[] = [];
    offs.push(bridge.onConnectionChange!((change) => late.push(change)));
    expect(late).toEqual([{ state: 'refused', status: 401 }]);
  });

  it('opens a stream again that fell silent (a connection that died without a word)', async () => {
    // A host that answers the stream's head and then says nothing, ever (not even its 15 s comment).
    const silent = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.flushHeaders();
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { bridge, changes, streams } = bridgeFor('s', { silenceMs: 150, baseUrl: `http://127.0.0.1:${(silent.address() as AddressInfo).port}` });
      offs.push(bridge.on('task.updated', () => {}));
      await waitFor(() => streams() >= 3, 'the silent stream to be reopened twice', 5_000);
      expect(changes.slice(0, 3).map((c) => c.state)).toEqual(['open', 'lost', 'open']);
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('stops reconnecting when the last listener leaves', async () => {
    const { bridge, changes, streams } = bridgeFor();
    const off = bridge.on('task.updated', () => {});
    await waitFor(() => changes.some((c) => c.state === 'open'), 'the stream to open');
    access.host.server.closeAllConnections();
    await waitFor(() => changes.some((c) => c.state === 'lost'), 'the break');
    off();
    const count = streams();
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(streams()).toBe(count);
  });
});
