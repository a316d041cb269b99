/**
 * The engine's HTTP client (got 14, src-main/core/http-client.ts) as one attempt of a download sees it
 * (runAttempt, openRange), against real loopback servers: node:http servers for what a server may
 * legally say, and raw TCP servers that write exact bytes for what it may not (torn heads, ambiguous
 * lengths, bodies cut inside a chunk). Every fault the hand-written client's tests covered is here:
 * framing, informational answers, drops, stalls, two Content-Lengths, CL+TE, redirect loops,
 * credentials across origins, idle timeouts, and the engine's own pauses.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Duplex } from 'node:stream';
import tls from 'node:tls';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { agentsFor, type Agents } from '../../src-main/core/agents.js';
import { RateLimiter } from '../../src-main/core/throttle.js';
import { AttemptFailure } from '../../src-main/core/failure.js';
import { USER_AGENT } from '../../src-main/core/http-client.js';
import type { PartialMeta } from '../../src-main/core/partial-files.js';
import { openRange, runAttempt, type AttemptOptions } from '../../src-main/core/transfer.js';
import { randomBytesSeeded } from '../helpers/server.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixtures = path.join(root, 'test/fixtures');

let dir: string;
const closers: Array<() => Promise<void> | void> = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-http-'));
});

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  fs.rmSync(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------------
// Servers

interface RawConnection {
  socket: net.Socket;
  /** The request head as received (up to and with its blank line). */
  request: string;
  /** Settles when the server's side of the connection closed. */
  closed: Promise<void>;
}

interface RawServer {
  url: (p?: string) => string;
  connections: RawConnection[];
}

/**
 * A TCP server that calls `answer` once a connection's request head has arrived. It keeps reading
 * whatever comes after, so its own close is a FIN, never a reset for unread bytes.
 */
async function rawServer(answer: (connection: RawConnection) => unknown, host = '127.0.0.1'): Promise<RawServer> {
  const connections: RawConnection[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    let head = '';
    let answered = false;
    socket.on('data', (data: Buffer) => {
      if (answered) return;
      head += data.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      answered = true;
      const connection = { socket, request: head.slice(0, end + 4), closed };
      connections.push(connection);
      void Promise.resolve(answer(connection)).catch(() => undefined);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  closers.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const { port } = server.address() as net.AddressInfo;
  const authority = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return { url: (p = '/') => `http://${authority}${p}`, connections };
}

interface Seen {
  path: string;
  headers: http.IncomingHttpHeaders;
}

interface HttpServer {
  /** http://127.0.0.1:port */
  origin: string;
  seen: Seen[];
}

type Handler = (request: http.IncomingMessage, response: http.ServerResponse) => void;

/** A node:http server that logs what it received and answers with its handler. */
async function httpServer(handler: Handler): Promise<HttpServer> {
  const seen: Seen[] = [];
  const server = http.createServer((request, response) => {
    seen.push({ path: request.url ?? '', headers: request.headers });
    handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  closers.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { origin: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, seen };
}

/** One port that speaks plain HTTP and, to a TLS client, HTTPS (a self-signed loopback certificate). */
async function dualServer(handler: Handler): Promise<{ port: number; seen: Array<Seen & { secure: boolean }>; ca: Buffer }> {
  const cert = fs.readFileSync(path.join(fixtures, 'loopback-cert.pem'));
  const key = fs.readFileSync(path.join(fixtures, 'loopback-key.pem'));
  const seen: Array<Seen & { secure: boolean }> = [];
  const web = http.createServer((request, response) => {
    seen.push({ path: request.url ?? '', headers: request.headers, secure: request.socket instanceof tls.TLSSocket });
    handler(request, response);
  });
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('data', (first: Buffer) => {
      socket.pause();
      // 0x16: a TLS handshake record.
      if (first[0] !== 0x16) {
        socket.unshift(first);
        web.emit('connection', socket);
        socket.resume();
        return;
      }
      // TLS over a stream that starts with the bytes already read (a TLSSocket on the socket itself
      // would read its handle and miss them).
      const stream = new Duplex({
        read: () => void socket.resume(),
        write: (chunk: Buffer, _encoding, done) => void socket.write(chunk, done),
        final: (done) => {
          socket.end();
          done();
        },
        destroy: (error, done) => {
          socket.destroy();
          done(error);
        },
      });
      stream.push(first);
      socket.on('data', (data: Buffer) => {
        if (!stream.push(data)) socket.pause();
      });
      socket.on('end', () => stream.push(null));
      const secure = new tls.TLSSocket(stream, { isServer: true, cert, key });
      secure.on('error', () => undefined);
      web.emit('connection', secure);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  closers.push(async () => {
    for (const socket of sockets) socket.destroy();
    web.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as net.AddressInfo).port, seen, ca: cert };
}

function redirect(response: http.ServerResponse, status: number, location: string): void {
  response.writeHead(status, { location, 'content-length': '9' });
  response.end('redirect!');
}

/** Writes `data` in pieces of `size` bytes, letting the event loop turn between them (separate reads). */
async function dribble(socket: net.Socket, data: Buffer | string, size = 1): Promise<void> {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
  for (let offset = 0; offset < bytes.length; offset += size) {
    socket.write(bytes.subarray(offset, offset + size));
    await nextTurn();
    await nextTurn();
  }
}

// ---------------------------------------------------------------------------------------------------
// One attempt

interface Outcome {
  result?: { size: number; meta: PartialMeta };
  /** What the attempt threw (classified). */
  error?: unknown;
  /** The partial file afterwards. */
  file: Buffer;
  /** The onStart calls. */
  starts: Array<{ meta: PartialMeta; offset: number }>;
  /** Bytes reported through onBytes. */
  bytes: number;
  ms: number;
}

let partialPath: string;

async function attempt(url: string, extra: Partial<AttemptOptions> = {}): Promise<Outcome> {
  partialPath = path.join(dir, 'partial');
  const starts: Outcome['starts'] = [];
  let bytes = 0;
  const started = performance.now();
  const outcome: Omit<Outcome, 'file' | 'ms'> = { starts, bytes: 0 };
  try {
    outcome.result = await runAttempt({
      url,
      headers: {},
      partialPath,
      meta: undefined,
      agents: agentsFor(url, '', {}),
      idleTimeoutMs: 5_000,
      signal: new AbortController().signal,
      limiters: () => [],
      onStart: (meta, offset) => starts.push({ meta, offset }),
      onBytes: (n) => (bytes += n),
      ...extra,
    });
  } catch (error) {
    outcome.error = error;
  }
  const ms = performance.now() - started;
  const file = fs.existsSync(partialPath) ? fs.readFileSync(partialPath) : Buffer.alloc(0);
  return { ...outcome, bytes, file, ms };
}

/** The attempt's failure, which must be an AttemptFailure. */
function failureOf(outcome: Outcome): AttemptFailure {
  expect(outcome.result, 'the attempt should have failed').toBeUndefined();
  expect(outcome.error).toBeInstanceOf(AttemptFailure);
  return outcome.error as AttemptFailure;
}

async function canListen(host: string): Promise<boolean> {
  const server = net.createServer();
  return new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(0, host, () => server.close(() => resolve(true)));
  });
}

const hasIpv6Loopback = await canListen('::1');

// ---------------------------------------------------------------------------------------------------

describe('the request', () => {
  it('sends GET with the path and query (no fragment), our user agent, identity encoding and the caller\'s headers', async () => {
    const server = await rawServer(({ socket }) => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'));
    const out = await attempt(`${server.url('/a/b%20c.bin')}?x=1&y=%2F#fragment`, {
      headers: { 'X-Latin1': 'caf\u00e9', Accept: '*/*', 'Accept-Encoding': 'gzip', Range: 'bytes=5-', 'If-Range': '"x"' },
    });
    expect(out.result?.size).toBe(2);
    const head = server.connections[0]!.request;
    const [line, ...lines] = head.trimEnd().split('\r\n');
    expect(line).toBe('GET /a/b%20c.bin?x=1&y=%2F HTTP/1.1');
    const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
    expect(headers['user-agent']).toBe(USER_AGENT);
    // A compressed body hides the length and cannot be resumed: identity, whatever the caller said.
    expect(headers['accept-encoding']).toBe('identity');
    expect(headers.accept).toBe('*/*');
    // latin1 on the wire, as node:http sends heads: "é" is the one byte 0xE9.
    expect(headers['x-latin1']).toBe('caf\u00e9');
    // A fresh start asks for the whole resource, whatever the caller's headers say.
    expect(headers.range).toBeUndefined();
    expect(headers['if-range']).toBeUndefined();
    expect(headers.host).toBe(new URL(server.url()).host);
  });

  it('asks a resume for the rest with If-Range and appends a 206 that starts at the local size', async () => {
    const body = randomBytesSeeded(10_000, 3);
    const server = await rawServer(({ socket }) =>
      socket.end(Buffer.concat([Buffer.from(`HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 4000-9999/10000\r\nETag: "e"\r\nContent-Length: 6000\r\n\r\n`), body.subarray(4000)])),
    );
    fs.writeFileSync(path.join(dir, 'partial'), body.subarray(0, 4000));
    const out = await attempt(server.url('/r'), { meta: { url: server.url('/r'), etag: '"e"', total: 10_000 } });
    expect(out.result?.size).toBe(10_000);
    expect(out.starts.map((s) => s.offset)).toEqual([4000]);
    expect(out.file.equals(body)).toBe(true);
    expect(server.connections[0]!.request).toMatch(/\r\nrange: bytes=4000-\r\n/i);
    expect(server.connections[0]!.request).toMatch(/\r\nif-range: "e"\r\n/i);
  });

  it("sends a Host given by the caller instead of the URL's", async () => {
    const server = await httpServer((_req, res) => res.end('ok'));
    await attempt(`${server.origin}/v`, { headers: { Host: 'virtual.example' } });
    expect(server.seen.map((s) => s.headers.host)).toEqual(['virtual.example']);
  });

  it('sends the credentials of the URL as Basic authorization; an authorization given by the caller wins', async () => {
    const server = await httpServer((_req, res) => res.end('ok'));
    const url = server.origin.replace('http://', 'http://us%20er:p%40ss%3Aw@') + '/private';
    await attempt(url);
    await attempt(url, { headers: { authorization: 'Bearer token' } });
    expect(server.seen.map((s) => s.headers.authorization)).toEqual([`Basic ${Buffer.from('us er:p@ss:w').toString('base64')}`, 'Bearer token']);
  });

  it.skipIf(!hasIpv6Loopback)('reaches an IPv6 literal (http://[::1]:port/)', async () => {
    const server = await rawServer(({ socket }) => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nv6'), '::1');
    const out = await attempt(server.url('/six'));
    expect(out.file.toString()).toBe('v6');
    expect(server.connections[0]!.request).toMatch(/^GET \/six HTTP\/1\.1\r\n/);
    expect(server.connections[0]!.request).toMatch(/\r\nhost: \[::1\]:\d+\r\n/i);
  });

  it('a refused connection is a transient network error', async () => {
    const server = await rawServer(() => undefined);
    const url = server.url();
    await closers.pop()!();
    const failure = failureOf(await attempt(url));
    expect(failure.transient).toBe(true);
    expect(failure.message).toMatch(/^network error: .*\(ECONNREFUSED\)$/);
  });

  it('reuses a kept-alive connection for the next download from the same server', async () => {
    const sockets = new Set<net.Socket>();
    const server = await httpServer((req, res) => {
      sockets.add(req.socket);
      res.end('y');
    });
    for (let i = 0; i < 3; i++) expect((await attempt(`${server.origin}/${i}`)).result?.size).toBe(1);
    expect(sockets.size).toBe(1);
  });
});

describe('bodies', () => {
  it('writes a Content-Length body byte-exact, sent in odd-sized pieces', async () => {
    const body = randomBytesSeeded(3 * 1024 * 1024 + 17, 7);
    const server = await rawServer(async ({ socket }) => {
      // The head comes with the first body bytes; the rest in odd pieces, some smaller than a read.
      socket.write(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ${body.length}\r\n\r\n`), body.subarray(0, 5)]));
      const sizes = [1, 7, 4093, 65_537, 100_003, 3, 131_071, 999_999];
      let offset = 5;
      for (let i = 0; offset < body.length; i++) {
        const size = sizes[i % sizes.length]!;
        if (!socket.write(body.subarray(offset, offset + size))) await new Promise((resolve) => socket.once('drain', resolve));
        offset += size;
        if (i % 3 === 0) await nextTurn();
      }
    });
    const out = await attempt(server.url('/big'));
    expect(out.error).toBeUndefined();
    expect(out.result).toMatchObject({ size: body.length, meta: { total: body.length, contentType: 'application/octet-stream' } });
    expect(out.file.equals(body)).toBe(true);
    expect(out.bytes).toBe(body.length);
  });

  it('decodes a chunked body split at awkward points, with chunk extensions and trailers', async () => {
    const big = randomBytesSeeded(0x12345, 3);
    const wire = Buffer.concat([
      Buffer.from('5;name="quoted;value";flag\r\nhello\r\n', 'latin1'),
      Buffer.from('1A;ext=1\r\nabcdefghijklmnopqrstuvwxyz\r\n', 'latin1'),
      Buffer.from('1\r\n\n\r\n', 'latin1'), // a chunk whose one byte is LF
      Buffer.from('12345\r\n', 'latin1'),
      big,
      Buffer.from('\r\n0\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n', 'latin1'),
    ]);
    const expected = Buffer.concat([Buffer.from('hello'), Buffer.from('abcdefghijklmnopqrstuvwxyz'), Buffer.from('\n'), big]);
    const bigStart = wire.indexOf(big);
    const server = await rawServer(async ({ socket }) => {
      socket.write(Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'), wire.subarray(0, 4)]));
      await nextTurn();
      await dribble(socket, wire.subarray(4, bigStart - 3));
      await dribble(socket, wire.subarray(bigStart - 3, bigStart + 1000), 333);
      await dribble(socket, wire.subarray(bigStart + 1000, bigStart + big.length - 1), 50_001);
      // The end of the body is the decoder's business: the server keeps the connection open.
      await dribble(socket, wire.subarray(bigStart + big.length - 1));
    });
    const out = await attempt(server.url());
    expect(out.error).toBeUndefined();
    expect(out.result?.meta.total).toBeNull();
    expect(out.file.equals(expected)).toBe(true);
  });

  it('reads a body without length or chunked coding until the connection closes', async () => {
    const body = randomBytesSeeded(200_000, 11);
    const server = await rawServer(async ({ socket }) => {
      socket.write('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n');
      await nextTurn();
      socket.write(body.subarray(0, 1));
      await nextTurn();
      socket.write(body.subarray(1, 100_000));
      await nextTurn();
      socket.end(body.subarray(100_000));
    });
    const out = await attempt(server.url());
    expect(out.error).toBeUndefined();
    expect(out.result?.meta.total).toBeNull();
    expect(out.file.equals(body)).toBe(true);
  });

  it('completes an empty Content-Length: 0 body at once', async () => {
    const server = await rawServer(({ socket }) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
    const out = await attempt(server.url());
    expect(out.result).toMatchObject({ size: 0, meta: { total: 0 } });
    expect(out.ms).toBeLessThan(2_000);
  });
});

describe('the head', () => {
  it('skips a 100 Continue and a 103 Early Hints before the real answer', async () => {
    const server = await rawServer(async ({ socket }) => {
      socket.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n');
      await nextTurn();
      await dribble(socket, '\r\nHTTP/1.1 206 Partial Content\r\nContent-Range: bytes 2-4/5\r\nETag: "e"\r\n', 7);
      socket.write('Content-Length: 3\r\n\r\ncde');
    });
    fs.writeFileSync(path.join(dir, 'partial'), 'ab');
    const out = await attempt(server.url(), { meta: { url: server.url(), etag: '"e"', total: 5 } });
    expect(out.error).toBeUndefined();
    expect(out.file.toString()).toBe('abcde');
  });

  it.each([
    ['two different Content-Lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 6\r\n\r\nabcdef', 'HPE_UNEXPECTED_CONTENT_LENGTH'],
    ['Content-Length with Transfer-Encoding', 'HTTP/1.1 200 OK\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n0\r\n\r\n', 'HPE_INVALID_TRANSFER_ENCODING'],
  ])('refuses a body of ambiguous length (%s): nothing written, a transient failure', async (_name, text, code) => {
    const server = await rawServer(({ socket }) => socket.write(text));
    const out = await attempt(server.url());
    const failure = failureOf(out);
    expect(failure.transient).toBe(true);
    expect(failure.message).toContain(`(${code})`);
    expect(out.starts).toEqual([]);
    expect(out.file.length).toBe(0);
  });

  // Node's parser (llhttp) refuses a repeated Content-Length even with the same value; RFC 9110 §8.6
  // allows either. Refused, it is a retry like any malformed answer, never a guessed length.
  it('refuses the same Content-Length sent twice, as Node\'s parser does', async () => {
    const server = await rawServer(({ socket }) => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc'));
    const out = await attempt(server.url());
    expect(failureOf(out)).toMatchObject({ transient: true });
    expect(failureOf(out).message).toMatch(/\(HPE_UNEXPECTED_CONTENT_LENGTH\)$/);
    expect(out.starts).toEqual([]);
  });

  it.each([
    ['nothing', ''],
    ['half a head', 'HTTP/1.1 200 OK\r\nContent-Len'],
  ])('a connection closed after %s is a transient reset', async (_name, text) => {
    const server = await rawServer(({ socket }) => socket.end(text));
    const out = await attempt(server.url());
    const failure = failureOf(out);
    expect(failure.transient).toBe(true);
    expect(failure.message).toMatch(/\(ECONNRESET\)$/);
    expect(out.starts).toEqual([]);
  });

  it.each([
    ['a Shoutcast answer', 'ICY 200 OK\r\nicy-name: radio\r\n\r\n'],
    ['an SSH banner', 'SSH-2.0-OpenSSH_9.6\r\n\r\n'],
    ['a status that is not three digits', 'HTTP/1.1 20 OK\r\n\r\n'],
  ])('refuses %s as a malformed answer', async (_name, text) => {
    const server = await rawServer(({ socket }) => socket.write(text));
    const out = await attempt(server.url());
    expect(failureOf(out).message).toMatch(/\(HPE_[A-Z_]+\)$/);
    expect(out.starts).toEqual([]);
  });

  it('refuses a head larger than the parser allows (HPE_HEADER_OVERFLOW) without waiting for its end', async () => {
    const server = await rawServer(async ({ socket }) => {
      socket.write('HTTP/1.1 200 OK\r\n');
      for (let i = 0; i < 40; i++) {
        socket.write(`X-Filler-${i}: ${'f'.repeat(4000)}\r\n`);
        await nextTurn();
      }
      // ...and then nothing: the connection stays open.
    });
    const out = await attempt(server.url(), { idleTimeoutMs: 5_000 });
    expect(failureOf(out).message).toMatch(/\(HPE_HEADER_OVERFLOW\)$/);
    expect(out.ms).toBeLessThan(4_000);
  });
});

describe('broken and silent servers', () => {
  it('a Content-Length body cut short: "the body ended early", transient, the bytes before the cut kept', async () => {
    const body = randomBytesSeeded(5_000, 5);
    const server = await rawServer(async ({ socket }) => {
      socket.write(Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nETag: "e"\r\nContent-Length: 5000\r\n\r\n'), body.subarray(0, 100)]));
      await nextTurn();
      socket.write(body.subarray(100, 1_100));
      await nextTurn();
      socket.end(body.subarray(1_100, 4_999));
    });
    const out = await attempt(server.url());
    const failure = failureOf(out);
    expect(failure.transient).toBe(true);
    expect(failure.message).toMatch(/^the body ended early/);
    expect(out.file.equals(body.subarray(0, 4_999))).toBe(true);
    expect(out.bytes).toBe(4_999);
  });

  it.each([
    ['inside a chunk', 'a\r\n01234', 'hello01234'],
    ['inside a size line', '1', 'hello'],
    ['between the data and its CRLF', 'a\r\n0123456789', 'hello0123456789'],
    ['before the last chunk', 'a\r\n0123456789\r\n', 'hello0123456789'],
    ['inside the trailers', '0\r\nX-Trailer: 1\r\n', 'hello'],
  ])('a chunked body cut %s: "the body ended early", the bytes before the cut kept', async (_name, tail, delivered) => {
    const server = await rawServer(async ({ socket }) => {
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
      await nextTurn();
      socket.write('5\r\nhello\r\n');
      await nextTurn();
      socket.end(tail);
    });
    const out = await attempt(server.url());
    const failure = failureOf(out);
    expect(failure.transient).toBe(true);
    expect(failure.message).toMatch(/^the body ended early/);
    expect(out.file.toString()).toBe(delivered);
  });

  it('a malformed chunk size is a transient failure (HPE_INVALID_CHUNK_SIZE), the bytes before it kept', async () => {
    const server = await rawServer(async ({ socket }) => {
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
      await sleep(20);
      socket.write('zz\r\n');
    });
    const out = await attempt(server.url());
    expect(failureOf(out).message).toMatch(/\(HPE_INVALID_CHUNK_SIZE\)$/);
    expect(out.file.toString()).toBe('hello');
  });

  it('a server that sends nothing at all: "timeout: no data from the server" after the idle timeout', async () => {
    const server = await rawServer(() => undefined);
    const out = await attempt(server.url(), { idleTimeoutMs: 150 });
    const failure = failureOf(out);
    expect(failure).toMatchObject({ transient: true, message: 'timeout: no data from the server' });
    expect(out.ms).toBeGreaterThanOrEqual(140);
    await server.connections[0]!.closed;
  });

  it('a server that sends the head, some bytes, then nothing: a timeout, the bytes kept', async () => {
    const server = await rawServer(async ({ socket }) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n');
      await sleep(60);
      socket.write('abc'); // well within the idle timeout: it restarts the clock
    });
    const out = await attempt(server.url(), { idleTimeoutMs: 200 });
    expect(failureOf(out)).toMatchObject({ transient: true, message: 'timeout: no data from the server' });
    expect(out.file.toString()).toBe('abc');
    // 200 ms of silence after "abc", which came about 60 ms after the head.
    expect(out.ms).toBeGreaterThanOrEqual(240);
    await server.connections[0]!.closed;
  });

  it('times the connection and the wait for the head, not the wait for a free connection in the pool', async () => {
    const server = await httpServer((req, res) => {
      if (req.url !== '/slow') return void res.end('next');
      // Never silent for 150 ms, but 600 ms in all.
      res.writeHead(200, { 'content-length': '3' });
      let sent = 0;
      const timer = setInterval(() => {
        res.write('s');
        if (++sent === 3) {
          clearInterval(timer);
          res.end();
        }
      }, 100);
    });
    const pool: Agents = { http: new http.Agent({ keepAlive: true, maxSockets: 1 }), https: new https.Agent() };
    closers.push(() => pool.http.destroy());
    const slow = attempt(`${server.origin}/slow`, { agents: pool, idleTimeoutMs: 150 });
    const outNext = runAttempt({
      url: `${server.origin}/next`,
      headers: {},
      partialPath: path.join(dir, 'next'),
      meta: undefined,
      agents: pool,
      idleTimeoutMs: 150,
      signal: new AbortController().signal,
      limiters: () => [],
      onStart: () => undefined,
      onBytes: () => undefined,
    });
    expect((await slow).file.toString()).toBe('sss');
    expect((await outNext).size).toBe(4);
  });
});

describe('speed limits and the idle timer', () => {
  // Issue 9, point 7: the engine holding the body back is not the server's silence.
  it('a 1 KiB/s limit whose waits are longer than the idle timeout completes in one request', async () => {
    const body = randomBytesSeeded(3 * 1024, 31);
    const server = await rawServer(async ({ socket }) => {
      socket.write(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`), body.subarray(0, 2048)]));
      await sleep(800);
      socket.write(body.subarray(2048));
    });
    const limiter = new RateLimiter(1024);
    const out = await attempt(server.url('/slow'), { idleTimeoutMs: 300, limiters: () => [limiter] });
    expect(out.error).toBeUndefined();
    expect(out.file.equals(body)).toBe(true);
    expect(server.connections).toHaveLength(1);
    // 3 KiB at 1 KiB/s (the limiter lets 50 ms through at once).
    expect(out.ms).toBeGreaterThan(2_500);
  });

  it('still times out when the server goes silent after a wait of the limiter', async () => {
    const server = await rawServer(({ socket }) => socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 4096\r\n\r\n${'a'.repeat(1024)}`));
    const limiter = new RateLimiter(1024);
    const out = await attempt(server.url(), { idleTimeoutMs: 300, limiters: () => [limiter] });
    expect(failureOf(out).message).toBe('timeout: no data from the server');
    expect(out.file.toString()).toBe('a'.repeat(1024));
    // About 0.9 s of waiting for the limiter, then 0.3 s of the server's silence.
    expect(out.ms).toBeGreaterThan(1_100);
  });
});

describe('abort (pause, stop, cancel)', () => {
  it('before the head: rejects with the reason and closes the connection', async () => {
    const server = await rawServer(() => undefined);
    const controller = new AbortController();
    const pending = attempt(server.url(), { signal: controller.signal });
    while (server.connections.length === 0) await sleep(1);
    const reason = new Error('stopped by the user');
    controller.abort(reason);
    expect((await pending).error).toBe(reason);
    await server.connections[0]!.closed;
  });

  it('an already aborted signal sends nothing', async () => {
    const server = await rawServer(() => undefined);
    const reason = new Error('already');
    expect((await attempt(server.url(), { signal: AbortSignal.abort(reason) })).error).toBe(reason);
    await sleep(50);
    expect(server.connections).toEqual([]);
  });

  it('inside the body: every byte received is written before the connection closes', async () => {
    const server = await rawServer(async ({ socket }) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc');
    });
    const controller = new AbortController();
    const pending = attempt(server.url(), {
      signal: controller.signal,
      onBytes: () => setTimeout(() => controller.abort(new Error('paused')), 20),
    });
    const out = await pending;
    expect((out.error as Error).message).toBe('paused');
    expect(out.file.toString()).toBe('abc');
    await server.connections[0]!.closed;
  });

  it('while a speed limit holds a chunk back: the chunk is written at once, then the connection closes', async () => {
    const body = randomBytesSeeded(48 * 1024, 8);
    const server = await rawServer(({ socket }) => socket.write(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length * 4}\r\n\r\n`), body])));
    const controller = new AbortController();
    // 8 KiB/s: the first chunk alone waits for seconds.
    const limiter = new RateLimiter(8 * 1024);
    setTimeout(() => controller.abort(new Error('paused')), 300);
    const out = await attempt(server.url(), { signal: controller.signal, limiters: () => [limiter] });
    expect((out.error as Error).message).toBe('paused');
    expect(out.ms).toBeLessThan(1_500);
    // What arrived (all of it, on loopback) is on disk, not only what the limiter had let through.
    expect(out.file.length).toBe(body.length);
    expect(out.file.equals(body)).toBe(true);
    await server.connections[0]!.closed;
  });

  it('a segment (openRange): the signal ends the body too', async () => {
    const server = await rawServer(({ socket }) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\nAccept-Ranges: bytes\r\n\r\nabc'));
    const controller = new AbortController();
    const response = await openRange({ url: server.url(), headers: {}, agents: agentsFor(server.url(), '', {}), idleTimeoutMs: 5_000, signal: controller.signal });
    expect(response).toMatchObject({ status: 200, start: 0, meta: { total: 100, acceptsRanges: true } });
    const read = (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of response.body) chunks.push(chunk);
      return Buffer.concat(chunks).toString();
    })();
    await sleep(50);
    controller.abort(new Error('stop'));
    await expect(read).rejects.toThrow();
    await server.connections[0]!.closed;
  });
});

describe('redirects', () => {
  it('follows 300, 301, 302, 303, 307 and 308, relative and absolute, and names the file after the last URL', async () => {
    const b = await httpServer((req, res) => res.end(`final ${req.url}`));
    const a = await httpServer((req, res) => {
      const status = Number(/^\/(\d{3})/.exec(req.url ?? '')?.[1]);
      if (status) redirect(res, status, req.url?.endsWith('/far') ? `${b.origin}/end` : '/here');
      else res.end('here');
    });
    for (const status of [300, 301, 302, 303, 307, 308]) {
      const near = await attempt(`${a.origin}/${status}/near`);
      expect(near.result?.meta.url).toBe(`${a.origin}/here`);
      expect(near.file.toString()).toBe('here');
      const far = await attempt(`${a.origin}/${status}/far`);
      expect(far.result?.meta.url).toBe(`${b.origin}/end`);
      expect(far.file.toString()).toBe('final /end');
    }
  });

  const credentials = { authorization: 'Bearer secret', cookie: 'session=1', 'proxy-authorization': 'Basic cHJveHk=', host: 'files.example', 'x-custom': 'kept' };
  const { host: _host, ...withoutHost } = credentials;

  it('keeps credentials and a caller\'s Host on the same origin and drops them on the way to another', async () => {
    const b = await httpServer((_req, res) => res.end('done'));
    const a = await httpServer((req, res) => (req.url === '/one' ? redirect(res, 301, '/two') : redirect(res, 302, `${b.origin}/three`)));
    const out = await attempt(`${a.origin}/one`, { headers: credentials });
    expect(out.file.toString()).toBe('done');
    expect(a.seen).toHaveLength(2);
    for (const seen of a.seen) expect(seen.headers).toMatchObject(credentials);
    expect(b.seen).toHaveLength(1);
    const other = b.seen[0]!.headers;
    expect(other.authorization).toBeUndefined();
    expect(other.cookie).toBeUndefined();
    expect(other['proxy-authorization']).toBeUndefined();
    expect(other.host).toBe(b.origin.slice('http://'.length));
    expect(other['x-custom']).toBe('kept');
  });

  it('drops the credentials of the URL on the way to another origin', async () => {
    const b = await httpServer((_req, res) => res.end('done'));
    const a = await httpServer((_req, res) => redirect(res, 302, `${b.origin}/other`));
    await attempt(a.origin.replace('http://', 'http://user:pw@') + '/start');
    expect(a.seen[0]!.headers.authorization).toBe(`Basic ${Buffer.from('user:pw').toString('base64')}`);
    expect(b.seen[0]!.headers.authorization).toBeUndefined();
  });

  // got 14 judges the origin by host and port only: a redirect to another scheme on the same host and
  // port kept the credentials. Another scheme is another origin.
  it.each([
    ['http → https', 'http', 'https'],
    ['https → http', 'https', 'http'],
  ])('drops credentials on a redirect to another scheme on the same host and port (%s)', async (_name, from, to) => {
    let port = 0;
    const server = await dualServer((req, res) => (req.url === '/start' ? redirect(res, 302, `${to}://127.0.0.1:${port}/end`) : res.end('done')));
    port = server.port;
    const agents: Agents = { http: new http.Agent(), https: new https.Agent({ ca: server.ca }) };
    closers.push(() => {
      agents.http.destroy();
      agents.https.destroy();
    });
    // Over TLS, Node checks the certificate against a given Host: none then.
    const given = from === 'https' ? withoutHost : credentials;
    const out = await attempt(`${from}://127.0.0.1:${server.port}/start`, { headers: given, agents });
    expect(out.error).toBeUndefined();
    expect(out.file.toString()).toBe('done');
    expect(server.seen.map((s) => [s.path, s.secure])).toEqual([
      ['/start', from === 'https'],
      ['/end', to === 'https'],
    ]);
    expect(server.seen[0]!.headers).toMatchObject(given);
    const after = server.seen[1]!.headers;
    expect([after.authorization, after.cookie, after['proxy-authorization'], after['x-custom']]).toEqual([undefined, undefined, undefined, 'kept']);
    expect(after.host).toBe(`127.0.0.1:${server.port}`);
  });

  it('does not follow a redirect to a scheme other than http/https: a final failure naming the status', async () => {
    const a = await httpServer((_req, res) => redirect(res, 302, 'ftp://files.example/x.bin'));
    const failure = failureOf(await attempt(`${a.origin}/ftp`));
    expect(failure).toMatchObject({ transient: false, status: 302 });
    expect(failure.message).toMatch(/^HTTP status 302: redirect not followed/);
  });

  it('a 3xx without a Location, and a 304, are not followed', async () => {
    const a = await httpServer((req, res) => {
      res.writeHead(req.url === '/no-location' ? 302 : 304, req.url === '/no-location' ? { 'content-length': '0' } : { location: '/elsewhere' });
      res.end();
    });
    expect(failureOf(await attempt(`${a.origin}/no-location`)).status).toBe(302);
    expect(failureOf(await attempt(`${a.origin}/not-modified`)).status).toBe(304);
    expect(a.seen.map((s) => s.path)).toEqual(['/no-location', '/not-modified']);
  });

  it('follows 10 redirects, and fails at once with "too many redirects" on an endless loop', async () => {
    const a = await httpServer((req, res) => {
      const n = Number(/\/hop\/(\d+)/.exec(req.url ?? '')?.[1] ?? -1);
      if (n >= 0 && n < 10) redirect(res, 302, `/hop/${n + 1}`);
      else if (n === 10) res.end('hop 10');
      else redirect(res, 301, '/loop');
    });
    expect((await attempt(`${a.origin}/hop/0`)).file.toString()).toBe('hop 10');
    a.seen.length = 0;
    const failure = failureOf(await attempt(`${a.origin}/loop`));
    expect(failure).toMatchObject({ transient: false, message: 'too many redirects' });
    expect(a.seen).toHaveLength(11);
  });
});

describe('the engine\'s one HTTP client', () => {
  it('nothing in src-main/core opens a connection or makes a request but got (http-client.ts)', () => {
    const core = path.join(root, 'src-main/core');
    const files = fs.readdirSync(core).filter((name) => name.endsWith('.ts'));
    expect(files).not.toContain('raw-http.ts');
    expect(files).not.toContain('http-get.ts');
    for (const name of files) {
      const text = fs.readFileSync(path.join(core, name), 'utf8');
      expect(text, name).not.toMatch(/from 'node:(net|tls|dgram|http2)'/);
      expect(text, name).not.toMatch(/\b(https?\.(request|get)|net\.(connect|createConnection)|tls\.connect|fetch)\(/);
      if (name !== 'http-client.ts') expect(text, name).not.toMatch(/^import got\b|\bgot\.(stream|extend|get)\(/m);
    }
    expect(fs.readFileSync(path.join(core, 'http-client.ts'), 'utf8')).toMatch(/got\.extend\(/);
  });
});
