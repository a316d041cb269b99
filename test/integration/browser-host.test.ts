import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import { MEDIA_URL_MAX_LIFETIME_S, mediaPath, mediaUrlExpiry } from '../../src-shared/media-signature.js';
import { MEDIA_CONTENT_SECURITY_POLICY } from '../../src-main/core/media-response.js';
import { openEngine, type LocalAccess } from '../../src-main/host/access.js';
import { CONTENT_SECURITY_POLICY, createPageHandler, signMediaRef } from '../../src-main/host/browser-host.js';
import { HOST_TIMEOUTS } from '../../src-main/host/http-api.js';

const get = (port: number, target: string, headers: Record<string, string> = {}) => send(port, 'GET', target, headers);
const post = (port: number, target: string, headers: Record<string, string> = {}) =>
  send(port, 'POST', target, { 'content-type': 'application/json', ...headers }, '{}');

/** Raw HTTP so the test controls Host, Origin and cookies exactly. */
function send(port: number, method: string, target: string, headers: Record<string, string>, body?: string) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: target, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A signed media URL as the page makes it (the page's own signer is checked against this in test/renderer/session.test.ts). */
function signed(secret: string, name: string, expires = mediaUrlExpiry(Date.now())): string {
  const ref = { partition: 'cache' as const, name };
  return `${mediaPath(ref)}?expires=${expires}&sig=${signMediaRef(ref, expires, secret)}`;
}

describe('browser host pages and media', () => {
  let dir: string;
  let outside: string;
  let access: LocalAccess;
  let bearer: Record<string, string>;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-page-'));
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-outside-'));
    const opened = await openEngine({ dataDir: dir, mode: 'run', pages: createPageHandler });
    if (opened.kind !== 'local') throw new Error('expected to own the data dir');
    access = opened;
    bearer = { authorization: `Bearer ${access.secret}` };
    fs.mkdirSync(path.join(dir, 'cache', '.partial'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'cache', 'face.png'), Buffer.from('89504e470d0a1a0a', 'hex'));
    fs.writeFileSync(path.join(dir, 'cache', '.partial', 'half'), 'half');
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'do not serve');
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(dir, 'cache', 'link.txt'));
  });

  afterEach(async () => {
    await access.close();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });

  it('serves the page (public code) with its CSP and never sets a cookie; the secret only ever travels in the fragment', async () => {
    for (const target of ['/', '/index.html', `/?secret=${access.secret}`]) {
      const page = await get(access.host.port, target);
      expect(page.status, target).toBe(200);
      expect(page.body.toString()).toContain('<div id="app">');
      expect(page.headers['set-cookie'], target).toBeUndefined();
      expect(page.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
      expect(page.headers['x-frame-options']).toBe('DENY');
      expect(page.body.toString()).not.toContain(access.secret);
    }
  });

  it('takes the secret only as Authorization: Bearer, never from a cookie (any local port can read or plant one)', async () => {
    const call = (headers: Record<string, string>) =>
      post(access.host.port, '/api/tasks.list', headers);
    expect((await call(bearer)).status).toBe(200);
    // The old session cookie, with the right secret, is no credential any more.
    expect((await call({ cookie: `vela_session=${access.secret}` })).status).toBe(401);
    // A cookie planted by another port does not get in the way of the real credential either.
    expect((await call({ ...bearer, cookie: 'vela_session=planted-by-another-port' })).status).toBe(200);
  });

  it('refuses a foreign Host', async () => {
    const res = await get(access.host.port, '/', { host: 'attacker.example' });
    expect(res.status).toBe(421);
  });

  it('serves media only through a signed URL for that one file, unexpired', async () => {
    expect((await get(access.host.port, '/media/cache/face.png')).status).toBe(403);
    expect((await get(access.host.port, '/media/cache/face.png', { cookie: `vela_session=${access.secret}` })).status).toBe(403);
    const ok = await get(access.host.port, signed(access.secret, 'face.png'));
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual(Buffer.from('89504e470d0a1a0a', 'hex'));
    // Another file's signature, a wrong secret, a past expiry, an expiry too far ahead, a tampered signature.
    fs.writeFileSync(path.join(dir, 'cache', 'other.png'), 'x');
    const faceUrl = signed(access.secret, 'face.png');
    const forOther = faceUrl.replace('/face.png', '/other.png');
    const now = Math.floor(Date.now() / 1000);
    for (const target of [
      forOther,
      signed('not-the-secret', 'face.png'),
      signed(access.secret, 'face.png', now - 1),
      signed(access.secret, 'face.png', now + MEDIA_URL_MAX_LIFETIME_S + 120),
      faceUrl.replace(/sig=(.)/, (_m, c: string) => `sig=${c === '0' ? '1' : '0'}`),
      '/media/cache/face.png?expires=&sig=',
    ]) {
      expect((await get(access.host.port, target)).status, target).toBe(403);
    }
  });

  it('serves media from the cache, with ranges, and 404 for anything outside it', async () => {
    const ok = await get(access.host.port, signed(access.secret, 'face.png'));
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toBe('image/png');
    const part = await get(access.host.port, signed(access.secret, 'face.png'), { range: 'bytes=0-3' });
    expect(part.status).toBe(206);
    expect(part.body.length).toBe(4);
    for (const target of [
      '/media/cache/../config.json',
      '/media/cache/%2e%2e/config.json',
      '/media/cache/%2E%2E%2Fconfig.json',
      `/media/cache/${encodeURIComponent(path.join(outside, 'secret.txt'))}`,
      '/media/cache/.partial/half',
      '/media/cache/%2Epartial%2Fhalf',
      '/media/cache/link.txt',
      '/media/other/face.png',
      '/media/cache/missing.png',
    ]) {
      const res = await get(access.host.port, target, bearer);
      expect([403, 404], target).toContain(res.status);
      expect(res.body.toString()).not.toContain('do not serve');
    }
    expect((await get(access.host.port, signed(access.secret, 'link.txt'))).status).toBe(404);
    expect((await get(access.host.port, signed(access.secret, 'missing.png'))).status).toBe(404);
  });

  it('never serves a downloaded file as a document of the app: sandboxed, nosniff, active types as attachments', async () => {
    fs.writeFileSync(path.join(dir, 'cache', 'x.svg'), '<svg xmlns="http://www.w3.org/2000/svg"><script href="/media/cache/x.js"/></svg>');
    fs.writeFileSync(path.join(dir, 'cache', 'x.html'), '<script>fetch("/api/settings.set")</script>');
    fs.writeFileSync(path.join(dir, 'cache', 'x.js'), 'alert(1)');
    const answers = Object.fromEntries(
      await Promise.all(['face.png', 'x.svg', 'x.html', 'x.js'].map(async (name) => [name, (await get(access.host.port, signed(access.secret, name))).headers] as const)),
    );
    for (const [name, headers] of Object.entries(answers)) {
      expect(headers['content-security-policy'], name).toBe(MEDIA_CONTENT_SECURITY_POLICY);
      expect(headers['content-security-policy'], name).toMatch(/(^|; )sandbox(;|$)/);
      expect(headers['x-content-type-options'], name).toBe('nosniff');
    }
    expect(answers['face.png']!['content-disposition']).toBeUndefined();
    expect(answers['x.svg']!['content-type']).toBe('image/svg+xml');
    expect(answers['x.svg']!['content-disposition']).toMatch(/^attachment; filename="x.svg"/);
    for (const name of ['x.html', 'x.js']) {
      expect(answers[name]!['content-type'], name).toBe('application/octet-stream');
      expect(answers[name]!['content-disposition'], name).toMatch(/^attachment/);
    }
  });

  it('does not serve files outside the built renderer', async () => {
    for (const target of ['/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json']) {
      const res = await get(access.host.port, target);
      expect([200, 404], target).toContain(res.status);
      expect(res.body.toString()).not.toContain('"name": "vela-companion"');
    }
  });
});

describe('browser host connections', () => {
  let dir: string;
  let access: LocalAccess;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-conn-'));
    const opened = await openEngine({ dataDir: dir, mode: 'run', pages: createPageHandler });
    if (opened.kind !== 'local') throw new Error('expected to own the data dir');
    access = opened;
  });

  afterEach(async () => {
    await access.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Resolves with how long the server took to close a connection the client keeps open. */
  function closedAfter(send: (socket: net.Socket) => void): Promise<number> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const socket = net.connect(access.host.port, '127.0.0.1', () => send(socket));
      socket.on('data', () => undefined);
      socket.on('error', () => undefined);
      socket.on('close', () => resolve(Date.now() - started));
      setTimeout(() => reject(new Error('the host kept the connection open for 40 s')), 40_000).unref();
    });
  }

  it('closes connections that send nothing, stop half-way through a request, or sit idle after one', async () => {
    const limit = HOST_TIMEOUTS.headersMs + HOST_TIMEOUTS.checkIntervalMs + 3_000;
    const [silent, halfHead, idleKeepAlive] = await Promise.all([
      closedAfter(() => undefined),
      closedAfter((socket) => socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${access.host.port}\r\n`)),
      closedAfter((socket) => socket.write(`GET /index.html HTTP/1.1\r\nHost: 127.0.0.1:${access.host.port}\r\n\r\n`)),
    ]);
    expect(silent).toBeLessThan(limit);
    expect(halfHead).toBeLessThan(limit);
    expect(idleKeepAlive).toBeLessThan(HOST_TIMEOUTS.keepAliveMs + 3_000);
  }, 45_000);

  it('keeps the event stream open past every timeout: it pings', async () => {
    const controller = new AbortController();
    const res = await fetch(`${access.host.url}/api/events`, { headers: { authorization: `Bearer ${access.secret}` }, signal: controller.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain(': connected');
    controller.abort();
  });
});
