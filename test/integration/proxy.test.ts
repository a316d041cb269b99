import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src-main/core/engine.js';
import { openStore } from '../../src-main/core/store.js';

/**
 * A forward proxy on loopback (CONNECT tunnels, as hpagent uses for http and https alike) whose tunnels
 * all lead to a local origin that answers for a host name that does not exist: the download can only
 * succeed if the engine really went through the proxy.
 */
function startProxy(): Promise<{ url: string; seen: string[]; close: () => Promise<void> }> {
  const seen: string[] = [];
  const origin = http.createServer((req, res) => {
    if (req.headers.host === 'files.vela-test.invalid' && req.url === '/hello.txt') {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '14' });
      res.end('through proxy\n');
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  const proxy = http.createServer((_req, res) => {
    res.writeHead(405);
    res.end();
  });
  proxy.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    seen.push(req.url ?? '');
    const upstream = net.connect((origin.address() as AddressInfo).port, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  const listen = (server: http.Server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const close = (server: http.Server) =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return Promise.all([listen(origin), listen(proxy)]).then(() => ({
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    seen,
    close: async () => {
      await Promise.all([close(proxy), close(origin)]);
    },
  }));
}

describe('proxies', () => {
  let dir: string;
  let engine: Engine | undefined;
  let proxy: Awaited<ReturnType<typeof startProxy>>;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-proxy-'));
    proxy = await startProxy();
  });

  afterEach(async () => {
    await engine?.stop();
    await proxy.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('goes through HTTP_PROXY from the environment', async () => {
    engine = new Engine({ dataDir: dir, store: openStore(dir), env: { HTTP_PROXY: proxy.url }, retryBaseMs: 10 });
    const task = engine.download({ url: 'http://files.vela-test.invalid/hello.txt' });
    const result = await engine.whenDone(task.token);
    expect(fs.readFileSync(result.path, 'utf8')).toBe('through proxy\n');
    expect(proxy.seen).toEqual(['files.vela-test.invalid:80']);
  });

  it('goes through the proxy of the settings, and not for hosts in NO_PROXY', async () => {
    engine = new Engine({ dataDir: dir, store: openStore(dir), env: { NO_PROXY: 'example.invalid' }, retryBaseMs: 10 });
    engine.updateSettings({ proxy: proxy.url });
    const result = await engine.whenDone(engine.download({ url: 'http://files.vela-test.invalid/hello.txt' }).token);
    expect(result.uri).toBe('internal://cache/hello.txt');
    expect(proxy.seen).toHaveLength(1);

    engine.updateSettings({ proxy: '' });
    const env = new Engine({ dataDir: `${dir}-2`, store: openStore(`${dir}-2`), env: { HTTP_PROXY: proxy.url, NO_PROXY: '.vela-test.invalid' }, retryBaseMs: 10, retryMaxMs: 20 });
    try {
      const direct = env.download({ url: 'http://files.vela-test.invalid/hello.txt' });
      // Not proxied, so the made-up host cannot be found: a clear network error, not a proxy answer.
      await expect(env.whenDone(direct.token)).rejects.toMatchObject({ code: 1000, message: expect.stringMatching(/host not found|network error/) });
      expect(proxy.seen).toHaveLength(1);
    } finally {
      await env.stop();
      fs.rmSync(`${dir}-2`, { recursive: true, force: true });
    }
  });
});
