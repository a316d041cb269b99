/**
 * What the watch-face page does on three devices, against a small HTTP server on 127.0.0.1 that this
 * file starts. vitest.config.ts adds `velaCompanion()`: the page's `@system.request` is vela-companion's
 * module, this file has a fresh data dir, and each test starts on a Watch S4.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { configure, type CustomDeviceProfile } from 'vela-companion/system.request';
import { fileOf } from 'vela-companion/vitest';
import { createFacePage, type FacePage } from '../src/watch-face.js';

const FACE = randomBytes(96 * 1024);
let server: http.Server;
let faceUrl: string;
let requests: string[] = [];

beforeAll(async () => {
  // Serves /face.bin with ranges, so a download that loses its connection resumes where it was.
  server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (req.url !== '/face.bin') return void res.writeHead(404).end();
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    const headers = { 'content-type': 'application/octet-stream', 'accept-ranges': 'bytes', etag: '"face-1"' };
    if (range && start < FACE.length) {
      res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${FACE.length - 1}/${FACE.length}`, 'content-length': FACE.length - start });
    } else {
      res.writeHead(200, { ...headers, 'content-length': FACE.length });
    }
    res.end(FACE.subarray(range && start < FACE.length ? start : 0));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  faceUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/face.bin`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  requests = [];
});

type Outcome = { movedOn: string; page: FacePage; ms: number } | { error: { message: string; code: number }; page: FacePage; ms: number };

/** Installs the face and resolves when the page has moved on or shown an error. */
function install(url: string): Promise<Outcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    const page = createFacePage({
      moveOn: (uri) => resolve({ movedOn: uri, page, ms: Date.now() - started }),
      showError: (message, code) => resolve({ error: { message, code }, page, ms: Date.now() - started }),
    });
    page.install(url);
  });
}

describe('the watch-face page', () => {
  it('on a Watch S4, downloads the face and moves on with its uri', async () => {
    const outcome = await install(faceUrl);
    if (!('movedOn' in outcome)) throw new Error(`expected to move on, got ${JSON.stringify(outcome.error)}`);
    expect(outcome.movedOn).toMatch(/^internal:\/\/cache\/face(-\d+)?\.bin$/);
    expect(outcome.page.state).toEqual({ step: 'ready', uri: outcome.movedOn });
    expect(await readFile(fileOf(outcome.movedOn))).toEqual(FACE);
  });

  it('on a Redmi Watch 4, says the watch cannot download faces (203) and sends nothing', async () => {
    configure({ device: 'redmi-watch-4' });
    const outcome = await install(faceUrl);
    expect('error' in outcome && outcome.error).toEqual({ code: 203, message: 'This watch cannot download watch faces.' });
    expect(outcome.page.state).toMatchObject({ step: 'failed', code: 203 });
    expect(requests).toEqual([]);
  });

  const slowLossy: CustomDeviceProfile = {
    id: 'slow-lossy',
    name: 'Slow, lossy link',
    link: { bandwidth: 32_000, latencyMs: 150, packetLoss: 0.5 },
  };

  it('on a slow, lossy link, still gets the whole face (connections drop and resume)', async () => {
    configure({ device: slowLossy });
    const outcome = await install(faceUrl);
    if (!('movedOn' in outcome)) throw new Error(`expected to move on, got ${JSON.stringify(outcome.error)}`);
    expect(await readFile(fileOf(outcome.movedOn))).toEqual(FACE);
    // At 32,000 bytes per second, 96 KiB takes seconds, not the milliseconds of the loopback.
    expect(outcome.ms).toBeGreaterThanOrEqual(1_000);
  });

  it('when that link is offline, fails with 1000 after the profile’s offline timeout', async () => {
    configure({ device: { ...slowLossy, id: 'slow-lossy-offline', link: { ...slowLossy.link, offline: true, offlineTimeoutMs: 1_000 } } });
    const outcome = await install(faceUrl);
    expect('error' in outcome && outcome.error.code).toBe(1000);
    expect(outcome.ms).toBeGreaterThanOrEqual(1_000);
    expect(requests).toEqual([]);
  });
});
