import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openEngine, type LocalAccess } from '../../src-main/host/access.js';
import { CONTENT_SECURITY_POLICY, createPageHandler } from '../../src-main/host/browser-host.js';

/** Raw HTTP so the test controls Host, Origin and cookies exactly. */
function get(port: number, target: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: target, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('browser host pages and media', () => {
  let dir: string;
  let outside: string;
  let access: LocalAccess;
  let cookie: string;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-page-'));
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-outside-'));
    const opened = await openEngine({ dataDir: dir, mode: 'run', pages: createPageHandler });
    if (opened.kind !== 'local') throw new Error('expected to own the data dir');
    access = opened;
    cookie = `vela_session=${access.secret}`;
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

  it('swaps the printed secret for an HttpOnly SameSite=Strict cookie and drops it from the URL', async () => {
    const res = await get(access.host.port, `/?secret=${access.secret}`);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/');
    expect(res.headers['set-cookie']?.[0]).toMatch(/^vela_session=[^;]+; HttpOnly; SameSite=Strict; Path=\//);
    const page = await get(access.host.port, '/', { cookie });
    expect(page.status).toBe(200);
    expect(page.body.toString()).toContain('<div id="app">');
    expect(page.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(page.headers['x-frame-options']).toBe('DENY');
  });

  it('answers 401 without the secret, for the page, media and the API alike', async () => {
    for (const target of ['/', '/media/cache/face.png', '/index.html', '/api/tasks.list', `/?secret=wrong`]) {
      expect((await get(access.host.port, target)).status, target).toBe(401);
    }
  });

  it('refuses a foreign Host', async () => {
    const res = await get(access.host.port, '/', { cookie, host: 'attacker.example' });
    expect(res.status).toBe(421);
  });

  it('serves media from the cache, with ranges, and 404 for anything outside it', async () => {
    const ok = await get(access.host.port, '/media/cache/face.png', { cookie });
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toBe('image/png');
    const part = await get(access.host.port, '/media/cache/face.png', { cookie, range: 'bytes=0-3' });
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
      const res = await get(access.host.port, target, { cookie });
      expect(res.status, target).toBe(404);
      expect(res.body.toString()).not.toContain('do not serve');
    }
  });

  it('does not serve files outside the built renderer', async () => {
    for (const target of ['/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json']) {
      const res = await get(access.host.port, target, { cookie });
      expect([200, 404], target).toContain(res.status);
      expect(res.body.toString()).not.toContain('"name": "vela-companion"');
    }
  });
});
