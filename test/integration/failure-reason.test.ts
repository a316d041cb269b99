/**
 * A failed task says why as data (`TaskRecord.error`, src-shared/failure-reason.ts) beside the English
 * message the API and the CLI keep: the kind, the HTTP status, the finer cause and the values a
 * sentence names. Against a real server, through the engine and the router's transport.
 */
import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FailCode, VelaError } from '../../src-shared/codes.js';
import { REASON_KINDS } from '../../src-shared/failure-reason.js';
import { FailureKind } from '../../src-main/core/failure.js';
import { networkDetail } from '../../src-main/core/failure-reason.js';
import { createRouter } from '../../src-main/router/handlers.js';
import { localBridge } from '../../src-main/router/router.js';
import { createHarness, rejection, waitFor, type EngineHarness } from '../helpers/engine.js';
import { randomBytesSeeded, startServer, type TestServer } from '../helpers/server.js';
import { MAX_ATTEMPTS_WITHOUT_PROGRESS } from '../../src-main/core/retry-policy.js';

let h: EngineHarness;
let server: TestServer;

beforeEach(async () => {
  server = await startServer();
  h = createHarness();
});

afterEach(async () => {
  await h.close();
  await server.close();
});

const ended = async (token: string) => {
  await rejection(h.engine.whenDone(token));
  return h.engine.get(token);
};

/** A port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('a failed task says why, as data', () => {
  it('401: kind http with the status; the message stays the API\'s', async () => {
    server.setFile('/private.bin', { body: Buffer.from('x'), status: 401 });
    const task = await ended(h.engine.download({ url: server.urlFor('/private.bin') }).token);
    expect(task).toMatchObject({ state: 'failed', code: FailCode.DownloadFailed, message: 'HTTP status 401' });
    expect(task.error).toEqual({ code: FailCode.DownloadFailed, kind: 'http', status: 401 });
  });

  it('503 after every attempt: the status and how many attempts were made', async () => {
    server.setFile('/busy.bin', { body: Buffer.from('x'), status: 503 });
    const task = await ended(h.engine.download({ url: server.urlFor('/busy.bin') }).token);
    expect(task.message).toBe(`HTTP status 503 (gave up after ${MAX_ATTEMPTS_WITHOUT_PROGRESS} attempts)`);
    expect(task.error).toEqual({ code: FailCode.DownloadFailed, kind: 'http', status: 503, params: { attempts: MAX_ATTEMPTS_WITHOUT_PROGRESS } });
  });

  it('a refused connection: network, refused', async () => {
    const port = await closedPort();
    const task = await ended(h.engine.download({ url: `http://127.0.0.1:${port}/x.bin` }).token);
    expect(task.error).toMatchObject({ kind: 'network', detail: 'refused', params: { attempts: MAX_ATTEMPTS_WITHOUT_PROGRESS } });
  });

  it('a server that stops sending: timeout, idle', async () => {
    const engine = await h.reopen({ idleTimeoutMs: 150 });
    server.setFile('/stall.bin', { body: randomBytesSeeded(64 * 1024, 1), stallAfterBytes: 0 });
    const token = engine.download({ url: server.urlFor('/stall.bin') }).token;
    await rejection(engine.whenDone(token));
    expect(engine.get(token).error).toMatchObject({ kind: 'timeout', detail: 'idle' });
  });

  it('a file larger than the profile\'s quota: quota, too large, with the sizes and the device', async () => {
    h.profile('tiny', {}, { quotaBytes: 1000 });
    server.setFile('/big.bin', { body: randomBytesSeeded(5000, 2) });
    const task = await ended(h.engine.download({ url: server.urlFor('/big.bin'), device: 'tiny' }).token);
    expect(task.error).toEqual({
      code: FailCode.DownloadFailed,
      kind: 'quota',
      detail: 'too-large',
      params: { quota: 1000, total: 5000, used: 0, device: 'Test tiny' },
    });
  });

  it('a checksum mismatch: checksum, with both digests', async () => {
    server.setFile('/sum.bin', { body: Buffer.from('hello') });
    const expected = '0'.repeat(64);
    const task = await ended(h.engine.download({ url: server.urlFor('/sum.bin'), sha256: expected }).token);
    expect(task.error).toMatchObject({ kind: 'checksum', params: { expected } });
    expect(String(task.error?.params?.actual)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a profile offline past its timeout: offline', async () => {
    h.profile('away', { offline: true, offlineTimeoutMs: 50 });
    server.setFile('/away.bin', { body: Buffer.from('x') });
    const task = await ended(h.engine.download({ url: server.urlFor('/away.bin'), device: 'away' }).token);
    expect(task.error).toEqual({ code: FailCode.DownloadFailed, kind: 'offline', params: { device: 'Test away', timeoutMs: 50 } });
  });

  it('a cancel carries no failure reason; a retry clears the reason', async () => {
    server.setFile('/slow.bin', { body: randomBytesSeeded(256 * 1024, 3), bytesPerSecond: 32 * 1024 });
    const { token } = h.engine.download({ url: server.urlFor('/slow.bin') });
    await waitFor(() => h.engine.get(token).state === 'running', 'running');
    h.engine.cancel(token);
    await waitFor(() => h.engine.get(token).state === 'cancelled', 'cancelled');
    expect(h.engine.get(token)).toMatchObject({ state: 'cancelled', message: 'cancelled' });
    expect(h.engine.get(token).error).toBeUndefined();

    server.setFile('/gone.bin', { body: Buffer.from('x'), status: 404 });
    const failed = await ended(h.engine.download({ url: server.urlFor('/gone.bin') }).token);
    expect(failed.error).toMatchObject({ kind: 'http', status: 404 });
    server.setFile('/gone.bin', { body: Buffer.from('back') });
    const retried = h.engine.retry(failed.token);
    expect(retried.error).toBeUndefined();
    await h.engine.whenDone(failed.token);
    expect(h.engine.get(failed.token).error).toBeUndefined();
  });
});

describe('a retry with headers', () => {
  it('replaces the task\'s headers, and the server receives them', async () => {
    server.setFile('/auth.bin', {
      body: Buffer.from('secret'),
      handler: (req, res) => {
        if (req.headers.authorization !== 'Bearer let-me-in') {
          res.writeHead(401, { 'www-authenticate': 'Bearer' }).end('401');
          return;
        }
        res.writeHead(200, { 'content-length': '6' }).end('secret');
      },
    });
    const failed = await ended(h.engine.download({ url: server.urlFor('/auth.bin'), header: { 'X-Trace': '1' } }).token);
    expect(failed.error).toMatchObject({ kind: 'http', status: 401 });
    const retried = h.engine.retry(failed.token, undefined, { 'X-Trace': '1', Authorization: 'Bearer let-me-in' });
    expect(retried.headers).toEqual({ 'X-Trace': '1', Authorization: 'Bearer let-me-in' });
    await h.engine.whenDone(failed.token);
    expect(server.requestsFor('/auth.bin').at(-1)?.headers.authorization).toBe('Bearer let-me-in');
  });

  it('refuses bad headers with 202 and the rule, and the task stays as it was', async () => {
    server.setFile('/no.bin', { body: Buffer.from('x'), status: 403 });
    const failed = await ended(h.engine.download({ url: server.urlFor('/no.bin') }).token);
    let error: unknown;
    try {
      h.engine.retry(failed.token, undefined, { 'Bad Name': 'x' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(VelaError);
    expect((error as VelaError).toData()).toMatchObject({ code: 202, reason: { code: 202, kind: 'argument', detail: 'header.name' } });
    expect(h.engine.get(failed.token)).toMatchObject({ state: 'failed', headers: {} });
  });

  it('crosses the router with its header (tasks.retry)', async () => {
    server.setFile('/h.bin', { body: Buffer.from('x'), status: 401 });
    const failed = await ended(h.engine.download({ url: server.urlFor('/h.bin') }).token);
    const bridge = localBridge(createRouter(h.engine, () => ({ pid: process.pid, dataDir: h.dir, version: 'test' })));
    const record = await bridge.invoke('tasks.retry', { token: failed.token, header: { Authorization: 'Basic YTpi' } });
    expect(record.headers).toEqual({ Authorization: 'Basic YTpi' });
  });
});

describe('a refused call says why, as data, across the transport', () => {
  const bridgeOf = () => localBridge(createRouter(h.engine, () => ({ pid: process.pid, dataDir: h.dir, version: 'test' })));

  it('202 names the argument rule', async () => {
    const error = await bridgeOf().invoke('download.start', { url: 'ftp://example.test/x' }).catch((e: unknown) => e);
    expect((error as VelaError).toData()).toEqual({
      code: 202,
      message: 'url scheme must be http or https, got ftp',
      reason: { code: 202, kind: 'argument', detail: 'url.scheme' },
    });
  });
});

describe('the vocabulary', () => {
  it('has a reason kind for every FailureKind', () => {
    for (const kind of Object.values(FailureKind)) expect(REASON_KINDS).toContain(kind);
  });

  it('tells network causes apart by error code', () => {
    expect(networkDetail('ENOTFOUND')).toBe('dns');
    expect(networkDetail('EAI_AGAIN')).toBe('dns');
    expect(networkDetail('ECONNREFUSED')).toBe('refused');
    expect(networkDetail('ECONNRESET')).toBe('reset');
    expect(networkDetail('ENETUNREACH')).toBe('unreachable');
    expect(networkDetail('DEPTH_ZERO_SELF_SIGNED_CERT')).toBe('tls');
    expect(networkDetail('ERR_TLS_CERT_ALTNAME_INVALID')).toBe('tls');
    expect(networkDetail('HPE_INVALID_CONSTANT')).toBe('protocol');
    expect(networkDetail('ESIMDROP')).toBe('drop');
    expect(networkDetail('EWHATEVER')).toBeUndefined();
  });
});
