import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { httpBridge } from '../../src-shared/http-bridge.js';
import { openEngine, type LocalAccess } from '../../src-main/host/access.js';
import { acquireEngineLock, readEngineFile } from '../../src-main/host/engine-lock.js';
import { socketFetch } from '../../src-main/host/engine-socket.js';

/** Raw HTTP so the test controls Host and Origin exactly (fetch would fill them in); a string `port` is a socket path. */
function raw(port: number | string, options: { method?: string; path: string; headers?: Record<string, string>; body?: string }) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const target = typeof port === 'string' ? { socketPath: port } : { host: '127.0.0.1', port };
    const req = http.request({ ...target, method: options.method ?? 'POST', path: options.path, headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('browser host API', () => {
  let dir: string;
  let access: LocalAccess;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-host-'));
    const opened = await openEngine({ dataDir: dir, mode: 'run' });
    if (opened.kind !== 'local') throw new Error('expected to own the fresh data dir');
    access = opened;
  });

  afterEach(async () => {
    await access.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const host = () => `127.0.0.1:${access.host.port}`;
  const auth = () => ({ authorization: `Bearer ${access.secret}`, host: host(), 'content-type': 'application/json' });

  it('publishes itself in engine.json (0600) and removes it when closed', async () => {
    const file = path.join(dir, 'engine.json');
    expect(readEngineFile(file)).toEqual({ pid: process.pid, port: access.host.port, socket: access.host.socketPath, secret: access.secret });
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const socket = access.host.socketPath!;
    expect(path.dirname(socket)).toBe(dir);
    expect(fs.statSync(socket).isSocket()).toBe(true);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    await access.close();
    expect(fs.existsSync(file)).toBe(false);
    expect(fs.existsSync(socket)).toBe(false);
  });

  it('serves the API on its socket too: the secret is still required, and the one Host there is localhost', async () => {
    const socket = access.host.socketPath!;
    const ok = await raw(socket, { path: '/api/engine.info', headers: { authorization: `Bearer ${access.secret}`, host: 'localhost' }, body: '{}' });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body).value.pid).toBe(process.pid);
    expect((await raw(socket, { path: '/api/engine.info', headers: { host: 'localhost' }, body: '{}' })).status).toBe(401);
    expect((await raw(socket, { path: '/api/engine.info', headers: { host: 'localhost', authorization: 'Bearer nope' }, body: '{}' })).status).toBe(401);
    for (const foreign of [host(), 'evil.example', 'localhost:80']) {
      const res = await raw(socket, { path: '/api/engine.info', headers: { authorization: `Bearer ${access.secret}`, host: foreign }, body: '{}' });
      expect(res.status, foreign).toBe(421);
    }
    // ...and `Host: localhost` is no pass on the TCP port.
    expect((await raw(access.host.port, { path: '/api/engine.info', headers: { authorization: `Bearer ${access.secret}`, host: 'localhost' }, body: '{}' })).status).toBe(421);

    // The typed client over the socket: calls, the long wait, and the event stream.
    const bridge = httpBridge({ baseUrl: 'http://localhost', secret: access.secret, fetch: socketFetch(socket) });
    const seen: string[] = [];
    const off = bridge.on('task.updated', (task) => seen.push(task.state));
    await new Promise((r) => setTimeout(r, 100));
    const { token } = await bridge.invoke('download.start', { url: 'http://127.0.0.1:9/never' });
    await bridge.invoke('tasks.pause', { token });
    const waited = bridge.invoke('tasks.wait', { token }).catch((error: unknown) => error);
    await new Promise((r) => setTimeout(r, 100));
    await bridge.invoke('tasks.cancel', { token });
    expect(await waited).toMatchObject({ code: 1000, message: 'cancelled' });
    off();
    expect(seen.length).toBeGreaterThan(0);
  });

  it('answers 401 to any /api/ path without the secret, known or not', async () => {
    for (const p of ['/api/tasks.list', '/api/nope', '/api/events', '/api']) {
      const res = await raw(access.host.port, { path: p, headers: { host: host() }, body: '{}' });
      expect(res.status).toBe(401);
      expect(JSON.parse(res.body).error.message).toMatch(/secret/);
    }
    const wrong = await raw(access.host.port, { path: '/api/tasks.list', headers: { host: host(), authorization: 'Bearer nope' }, body: '{}' });
    expect(wrong.status).toBe(401);
  });

  it('refuses a foreign Host (DNS rebinding) and a cross-origin state change', async () => {
    const foreign = await raw(access.host.port, { path: '/api/tasks.list', headers: { ...auth(), host: 'evil.example:80' }, body: '{}' });
    expect(foreign.status).toBe(421);
    const cross = await raw(access.host.port, { path: '/api/download.start', headers: { ...auth(), origin: 'http://evil.example' }, body: '{"url":"http://127.0.0.1:1/x"}' });
    expect(cross.status).toBe(403);
    const same = await raw(access.host.port, { path: '/api/tasks.list', headers: { ...auth(), origin: `http://${host()}` }, body: '{}' });
    expect(same.status).toBe(200);
  });

  it('answers bad requests with a 4xx JSON error and never a stack', async () => {
    const cases = [
      { body: 'not json', path: '/api/tasks.list', status: 400 },
      { body: '{}', path: '/api/no.such.channel', status: 400 },
      { body: '{"url":42}', path: '/api/download.start', status: 400 },
      { body: '{"url":"http://x/","header":{"Bad Name":"1"}}', path: '/api/download.start', status: 400 },
      { body: '{"token":"nope"}', path: '/api/tasks.get', status: 404 },
      { body: JSON.stringify({ id: 'x', name: 'X', supported: 'yes' }), path: '/api/devices.save', status: 400 },
      { body: 'x'.repeat(2 * 1024 * 1024), path: '/api/tasks.list', status: 413 },
    ];
    for (const c of cases) {
      const res = await raw(access.host.port, { path: c.path, headers: auth(), body: c.body });
      expect(res.status, c.path).toBe(c.status);
      const body = JSON.parse(res.body);
      expect(body.ok).toBe(false);
      expect(typeof body.error.code).toBe('number');
      expect(body.error.message).not.toMatch(/\n\s+at /);
    }
    const get = await raw(access.host.port, { method: 'GET', path: '/api/tasks.list', headers: auth() });
    expect(get.status).toBe(405);
  });

  it('answers a long wait (onDownloadComplete) with headers at once, and the outcome when the task ends', async () => {
    const { token } = await access.bridge.invoke('download.start', { url: 'http://127.0.0.1:9/never' });
    await access.bridge.invoke('tasks.pause', { token });
    const headersAt = await new Promise<{ status: number; body: Promise<string> }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: access.host.port, method: 'POST', path: '/api/tasks.wait', headers: auth() }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        resolve({ status: res.statusCode ?? 0, body: new Promise((done) => { res.on('data', (c) => (body += c)); res.on('end', () => done(body)); }) });
      });
      req.on('error', reject);
      req.end(JSON.stringify({ token }));
    });
    // Headers arrived although the task is still paused: no client times out on a silent response.
    expect(headersAt.status).toBe(200);
    await access.bridge.invoke('tasks.cancel', { token });
    expect(JSON.parse(await headersAt.body)).toEqual({ ok: false, error: { code: 1000, message: 'cancelled' } });
  });

  it('serves the typed client: calls and server-sent events', async () => {
    const bridge = httpBridge({ baseUrl: access.host.url, secret: access.secret });
    const profiles = await bridge.invoke('devices.list', {});
    expect(profiles.find((p) => p.id === 'watch-s4')).toMatchObject({ name: 'Xiaomi Watch S4', builtin: true, supported: true });
    const seen: string[] = [];
    const off = bridge.on('task.updated', (task) => seen.push(task.state));
    await new Promise((r) => setTimeout(r, 100));
    await expect(bridge.invoke('download.start', { url: 'http://127.0.0.1:9/x', device: 'band-8-pro' })).rejects.toMatchObject({ code: 203 });
    const { token } = await bridge.invoke('download.start', { url: 'http://127.0.0.1:9/unreachable' });
    await bridge.invoke('tasks.pause', { token });
    await new Promise((r) => setTimeout(r, 200));
    off();
    expect(seen.length).toBeGreaterThan(0);
  });
});

describe('engine.json lock', () => {
  it('takes over a file left by a dead process, and defers to a live engine', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-lock-'));
    const file = path.join(dir, 'engine.json');
    // A pid that cannot be alive.
    fs.writeFileSync(file, JSON.stringify({ pid: 2 ** 22 + 17, port: 1, secret: 'old' }));
    const lock = await acquireEngineLock(file, { pid: process.pid, port: 5, socket: path.join(dir, 'none.sock'), secret: 'mine' });
    expect(lock.acquired).toBe(true);
    expect(readEngineFile(file)?.secret).toBe('mine');
    if (lock.acquired) lock.release();
    expect(fs.existsSync(file)).toBe(false);

    const live = await openEngine({ dataDir: dir, mode: 'record' });
    const second = await openEngine({ dataDir: dir, mode: 'record' });
    expect(live.kind).toBe('local');
    // Same process: a pid equal to ours is never "another live engine", so it is taken over here;
    // across processes the CLI tests prove the hand-off.
    expect(second.kind).toBe('local');
    await second.close();
    await live.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
