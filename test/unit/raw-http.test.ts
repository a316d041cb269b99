import net from 'node:net';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { rawGet, type RawAnswer, type RawGetOptions } from '../../src-main/core/raw-http.js';
import { randomBytesSeeded } from '../helpers/server.js';

/**
 * The fast reader against real TCP servers that write exact bytes: framing, splits at awkward
 * points, informational answers, broken and silent servers, the sink's pause and stop.
 */

const servers = new Set<net.Server>();
const sockets = new Set<net.Socket>();
const answers = new Set<RawAnswer>();

afterEach(async () => {
  for (const answer of answers) answer.destroy();
  answers.clear();
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await Promise.all([...servers].map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  servers.clear();
});

interface Connection {
  socket: net.Socket;
  /** The request head as received (up to and with its blank line). */
  request: string;
  /** Settles when the server's side of the connection closed. */
  closed: Promise<void>;
}

interface RawServer {
  port: number;
  url: (path?: string) => string;
  connections: Connection[];
}

/**
 * A TCP server that calls `answer` once a connection's request head has arrived. It keeps reading
 * whatever comes after, so its own close is a FIN, never a reset for unread bytes.
 */
async function serve(answer: (connection: Connection) => unknown, host = '127.0.0.1'): Promise<RawServer> {
  const connections: Connection[] = [];
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
  servers.add(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  const authority = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return { port, url: (path = '/') => `http://${authority}${path}`, connections };
}

function get(url: string, options: Partial<RawGetOptions> = {}): Promise<RawAnswer> {
  return rawGet({ url: new URL(url), headers: {}, idleTimeoutMs: 5_000, connectTimeoutMs: 5_000, ...options }).then((answer) => {
    answers.add(answer);
    return answer;
  });
}

interface Collected {
  body: Buffer;
  /** Sizes of the chunks handed to the sink. */
  sizes: number[];
  error?: Error & { code?: string };
}

/** Pumps the whole body, copying each chunk (the sink's chunk is only valid during the call). */
async function collect(answer: RawAnswer, pause: (call: number) => number | false = () => 0): Promise<Collected> {
  const chunks: Buffer[] = [];
  let error: (Error & { code?: string }) | undefined;
  try {
    await answer.pump((chunk) => {
      chunks.push(Buffer.from(chunk));
      return pause(chunks.length - 1);
    });
  } catch (e) {
    error = e as Error & { code?: string };
  }
  return { body: Buffer.concat(chunks), sizes: chunks.map((c) => c.length), error };
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

/** The rejection of `promise`, failing the test if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

async function canListen(host: string): Promise<boolean> {
  const server = net.createServer();
  return new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(0, host, () => server.close(() => resolve(true)));
  });
}

const hasIpv6Loopback = await canListen('::1');

describe('rawGet: the request', () => {
  it('sends the request line (path and query, no fragment), host, the given headers and connection: close', async () => {
    const server = await serve(({ socket }) => socket.end('HTTP/1.1 204 No Content\r\n\r\n'));
    const answer = await get(`${server.url('/a/b%20c.bin')}?x=1&y=%2F#fragment`, {
      headers: { 'user-agent': 'vela-test/1', range: 'bytes=10-', 'if-range': '"etag"', connection: 'keep-alive', 'x-latin1': 'caf\u00e9' },
    });
    expect(answer.statusCode).toBe(204);
    // The server decodes latin1: "é" arrived as the one byte 0xE9, as node:http sends it.
    expect(server.connections[0]!.request).toBe(
      'GET /a/b%20c.bin?x=1&y=%2F HTTP/1.1\r\n' +
        `host: 127.0.0.1:${server.port}\r\n` +
        'user-agent: vela-test/1\r\n' +
        'range: bytes=10-\r\n' +
        'if-range: "etag"\r\n' +
        'x-latin1: caf\u00e9\r\n' +
        'connection: close\r\n\r\n',
    );
    expect(await collect(answer)).toEqual({ body: Buffer.alloc(0), sizes: [], error: undefined });
  });

  it('sends a host given by the caller instead of the URL\'s, once', async () => {
    const server = await serve(({ socket }) => socket.end('HTTP/1.1 204 No Content\r\n\r\n'));
    await get(server.url('/v'), { headers: { host: 'virtual.example', accept: '*/*' } });
    expect(server.connections[0]!.request).toBe('GET /v HTTP/1.1\r\nhost: virtual.example\r\naccept: */*\r\nconnection: close\r\n\r\n');
  });

  it('sends the credentials of the URL as Basic authorization, as node:http does (a given authorization wins)', async () => {
    const server = await serve(({ socket }) => socket.end('HTTP/1.1 204 No Content\r\n\r\n'));
    const url = `http://us%20er:p%40ss%3Aw@127.0.0.1:${server.port}/private`;
    await get(url);
    await get(url, { headers: { authorization: 'Bearer token' } });
    const [first, second] = server.connections.map((c) => c.request);
    expect(first).toContain(`\r\nauthorization: Basic ${Buffer.from('us er:p@ss:w').toString('base64')}\r\n`);
    expect(first).toMatch(/^GET \/private HTTP\/1\.1\r\nhost: 127\.0\.0\.1:\d+\r\n/);
    expect(second).toContain('\r\nauthorization: Bearer token\r\n');
    expect(second!.match(/authorization/g)).toHaveLength(1);
  });

  it.skipIf(!hasIpv6Loopback)('connects to an IPv6 literal (http://[::1]:port/) with the brackets in host', async () => {
    const server = await serve(({ socket }) => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nv6'), '::1');
    const answer = await get(server.url('/six'));
    expect(answer.statusCode).toBe(200);
    expect((await collect(answer)).body.toString()).toBe('v6');
    expect(server.connections[0]!.request).toBe(`GET /six HTTP/1.1\r\nhost: [::1]:${server.port}\r\nconnection: close\r\n\r\n`);
  });

  it('rejects a refused connection with its code', async () => {
    const server = await serve(() => undefined);
    const url = server.url();
    const only = [...servers].pop()!;
    await new Promise<void>((resolve) => only.close(() => resolve()));
    servers.delete(only);
    expect((await rejection(get(url))).code).toBe('ECONNREFUSED');
  });
});

describe('rawGet: framing', () => {
  it('delivers a Content-Length body byte-exact, written in odd-sized pieces, and nothing past its length', async () => {
    const body = randomBytesSeeded(3 * 1024 * 1024 + 17, 7);
    const server = await serve(async ({ socket }) => {
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
      // Bytes past Content-Length are not part of this body.
      socket.write('HTTP/1.1 200 OK\r\n\r\ngarbage');
    });
    const answer = await get(server.url('/big'));
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['content-length']).toBe(String(body.length));
    const got = await collect(answer);
    expect(got.error).toBeUndefined();
    expect(got.body.length).toBe(body.length);
    expect(got.body.equals(body)).toBe(true);
    expect(Math.max(...got.sizes)).toBeLessThanOrEqual(64 * 1024);
    // The reader closes its connection at the end of the body (it asked for connection: close).
    await server.connections[0]!.closed;
  });

  it('decodes a chunked body split at awkward points, with a chunk extension and trailers, without waiting for the close', async () => {
    const big = randomBytesSeeded(0x12345, 3);
    const wire = Buffer.concat([
      Buffer.from('5;name="quoted;value";flag\r\nhello\r\n', 'latin1'),
      Buffer.from('1A ; ext=1\r\nabcdefghijklmnopqrstuvwxyz\r\n', 'latin1'),
      Buffer.from('1\r\n\n\r\n', 'latin1'), // a chunk whose one byte is LF
      Buffer.from('12345\r\n', 'latin1'),
      big,
      Buffer.from('\r\n0\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n', 'latin1'),
    ]);
    const expected = Buffer.concat([Buffer.from('hello'), Buffer.from('abcdefghijklmnopqrstuvwxyz'), Buffer.from('\n'), big]);
    const bigStart = wire.indexOf(big);
    const server = await serve(async ({ socket }) => {
      // The head and the first bytes of the first size line in one write ("5;na").
      socket.write(Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'), wire.subarray(0, 4)]));
      await nextTurn();
      // Byte by byte: the size lines, extensions, data and CRLFs of the small chunks.
      await dribble(socket, wire.subarray(4, bigStart - 3));
      // A split inside "\r\n" after the big chunk's size, then the data in odd pieces.
      await dribble(socket, wire.subarray(bigStart - 3, bigStart + 1000), 333);
      await dribble(socket, wire.subarray(bigStart + 1000, bigStart + big.length - 1), 50_001);
      // The data's last byte, its CRLF, the last chunk and the trailers, byte by byte. The server
      // keeps the connection open: the end of the body is the decoder's business.
      await dribble(socket, wire.subarray(bigStart + big.length - 1));
    });
    const answer = await get(server.url());
    expect(answer.headers['transfer-encoding']).toBe('chunked');
    const got = await collect(answer);
    expect(got.error).toBeUndefined();
    expect(got.body.equals(expected)).toBe(true);
    // The split was real: many small deliveries, not one.
    expect(got.sizes.length).toBeGreaterThan(20);
    await server.connections[0]!.closed;
  });

  it('decodes chunked data that came with the head in the same read', async () => {
    const server = await serve(({ socket }) => {
      socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n');
    });
    const answer = await get(server.url());
    const got = await collect(answer);
    expect(got.error).toBeUndefined();
    expect(got.body.toString()).toBe('abcdefg');
  });

  it('reads a body without length or chunked coding until the connection closes', async () => {
    const body = randomBytesSeeded(200_000, 11);
    const server = await serve(async ({ socket }) => {
      socket.write('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n');
      await nextTurn();
      socket.write(body.subarray(0, 1));
      await nextTurn();
      socket.write(body.subarray(1, 100_000));
      await nextTurn();
      socket.end(body.subarray(100_000));
    });
    const answer = await get(server.url());
    expect(answer.statusCode).toBe(200);
    const got = await collect(answer);
    expect(got.error).toBeUndefined();
    expect(got.body.equals(body)).toBe(true);
  });

  it('reads a close-delimited body that came whole, with the close, before pump() was called', async () => {
    let finished!: Promise<void>;
    const server = await serve(({ socket }) => {
      finished = new Promise((resolve) => socket.once('finish', resolve));
      socket.end('HTTP/1.1 200 OK\r\n\r\nall of it');
    });
    const answer = await get(server.url());
    await finished;
    await sleep(20);
    expect((await collect(answer)).body.toString()).toBe('all of it');
  });

  it('ends an empty Content-Length: 0 body at once, without calling the sink or waiting for the close', async () => {
    const server = await serve(({ socket }) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
    const answer = await get(server.url());
    expect(answer.headers['content-length']).toBe('0');
    let calls = 0;
    await answer.pump(() => {
      calls++;
      return 0;
    });
    expect(calls).toBe(0);
    await server.connections[0]!.closed;
  });
});

describe('rawGet: the head', () => {
  it('skips a 100 Continue and a 103 Early Hints before the real answer', async () => {
    const server = await serve(async ({ socket }) => {
      socket.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n');
      await nextTurn();
      await dribble(socket, '\r\nHTTP/1.1 206 Partial Content\r\nContent-Range: bytes 2-4/10\r\n', 7);
      socket.write('Content-Length: 3\r\n\r\ncde');
    });
    const answer = await get(server.url());
    expect(answer.statusCode).toBe(206);
    expect(answer.headers).toEqual({ 'content-range': 'bytes 2-4/10', 'content-length': '3' });
    expect((await collect(answer)).body.toString()).toBe('cde');
  });

  it('joins obs-folded lines and duplicate headers (", "), keeps the first of single-valued ones, and set-cookie as a list', async () => {
    const head = [
      'HTTP/1.1 200 Fine Thanks',
      'X-Folded: first',
      '   second',
      '\tthird',
      'X-Dup: a',
      'x-dup: b',
      'Cache-Control: no-cache',
      'CACHE-CONTROL: no-store',
      'Content-Type: text/plain',
      'Content-Type: text/html',
      'Location: /first',
      'Location: /second',
      'ETag: "one"',
      'ETag: "two"',
      'Set-Cookie: a=1; Path=/',
      'Set-Cookie: b=2, c=3',
      'Content-Length: 2',
      'Spaces:    padded value  ',
    ].join('\r\n');
    const server = await serve(({ socket }) => socket.end(`${head}\r\n\r\nok`));
    const answer = await get(server.url());
    expect(answer.statusCode).toBe(200);
    expect(answer.headers).toEqual({
      'x-folded': 'first second third',
      'x-dup': 'a, b',
      'cache-control': 'no-cache, no-store',
      'content-type': 'text/plain',
      location: '/first',
      etag: '"one"',
      'set-cookie': ['a=1; Path=/', 'b=2, c=3'],
      'content-length': '2',
      spaces: 'padded value',
    });
    expect((await collect(answer)).body.toString()).toBe('ok');
  });

  it('accepts a head of exactly 64 KiB', async () => {
    const head = headOfSize(64 * 1024, 'Content-Length: 2\r\n');
    const server = await serve(({ socket }) => socket.end(Buffer.concat([head, Buffer.from('ok')])));
    const answer = await get(server.url());
    expect(answer.statusCode).toBe(200);
    expect((await collect(answer)).body.toString()).toBe('ok');
  });

  it.each([
    ['one byte over 64 KiB', 64 * 1024 + 1],
    ['of 100 KiB', 100 * 1024],
  ])('rejects a complete head %s with HPE_HEADER_OVERFLOW', async (_name, size) => {
    const head = headOfSize(size, 'Content-Length: 2\r\n');
    const server = await serve(async ({ socket }) => {
      socket.write(head.subarray(0, 64 * 1024));
      await nextTurn();
      socket.end(Buffer.concat([head.subarray(64 * 1024), Buffer.from('ok')]));
    });
    const error = await rejection(get(server.url()));
    expect(error.code).toBe('HPE_HEADER_OVERFLOW');
  });

  it('rejects a head that keeps growing past 64 KiB without waiting for its end', async () => {
    const server = await serve(async ({ socket }) => {
      socket.write('HTTP/1.1 200 OK\r\n');
      for (let i = 0; i < 20; i++) {
        socket.write(`X-Filler-${i}: ${'f'.repeat(4000)}\r\n`);
        await nextTurn();
      }
      // ...and then nothing: the connection stays open.
    });
    const error = await rejection(get(server.url(), { idleTimeoutMs: 5_000 }));
    expect(error.code).toBe('HPE_HEADER_OVERFLOW');
    await server.connections[0]!.closed;
  });

  it.each([
    ['a Shoutcast answer', 'ICY 200 OK\r\nicy-name: radio\r\n\r\n'],
    ['an SSH banner', 'SSH-2.0-OpenSSH_9.6\r\n\r\n'],
    ['HTTP/2 text', 'HTTP/2.0 200 OK\r\n\r\n'],
    ['a status that is not three digits', 'HTTP/1.1 20 OK\r\n\r\n'],
  ])('rejects %s with HPE_INVALID_CONSTANT', async (_name, text) => {
    const server = await serve(({ socket }) => socket.write(text));
    const error = await rejection(get(server.url()));
    expect(error.code).toBe('HPE_INVALID_CONSTANT');
    await server.connections[0]!.closed;
  });

  // Regression (review): the first of two different Content-Lengths won, so a broken proxy's answer
  // could be cut short and committed as complete; llhttp (node:http) refuses both of these heads.
  it.each([
    ['two different Content-Lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 6\r\n\r\nabcdef'],
    ['Content-Length with Transfer-Encoding', 'HTTP/1.1 200 OK\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n0\r\n\r\n'],
  ])('refuses a body of ambiguous length: %s', async (_name, text) => {
    const server = await serve(({ socket }) => socket.write(text));
    const error = await rejection(get(server.url()));
    expect(error.code).toBe('HPE_UNEXPECTED_CONTENT_LENGTH');
  });

  it('takes headers named like Object.prototype members as plain headers', async () => {
    const server = await serve(({ socket }) => socket.end('HTTP/1.1 200 OK\r\nConstructor: a\r\n__proto__: b\r\ntoString: c\r\nContent-Length: 2\r\n\r\nok'));
    const answer = await get(server.url());
    expect(answer.headers.constructor).toBe('a');
    expect(answer.headers.__proto__).toBe('b');
    expect(answer.headers.tostring).toBe('c');
    expect((await collect(answer)).body.toString()).toBe('ok');
  });

  it('accepts the same Content-Length sent twice', async () => {
    const server = await serve(({ socket }) => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc'));
    const got = await collect(await get(server.url()));
    expect(got.error).toBeUndefined();
    expect(got.body.toString()).toBe('abc');
  });

  it.each([
    ['nothing', ''],
    ['half a head', 'HTTP/1.1 200 OK\r\nContent-Len'],
  ])('rejects a connection closed after %s with ECONNRESET "socket hang up"', async (_name, text) => {
    const server = await serve(({ socket }) => socket.end(text));
    const error = await rejection(get(server.url()));
    expect(error.code).toBe('ECONNRESET');
    expect(error.message).toBe('socket hang up');
  });
});

describe('rawGet: broken and silent servers', () => {
  it('rejects a Content-Length body cut short with ECONNRESET "aborted", after delivering the bytes before the cut', async () => {
    const body = randomBytesSeeded(5_000, 5);
    const server = await serve(async ({ socket }) => {
      socket.write(Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n'), body.subarray(0, 100)]));
      await nextTurn();
      socket.write(body.subarray(100, 1_100));
      await nextTurn();
      socket.end(body.subarray(1_100, 4_999));
    });
    const answer = await get(server.url());
    const got = await collect(answer);
    expect(got.error?.code).toBe('ECONNRESET');
    expect(got.error?.message).toBe('aborted');
    expect(got.body.equals(body.subarray(0, 4_999))).toBe(true);
  });

  it.each([
    ['inside a chunk', 'a\r\n01234', 'hello01234'],
    ['inside a size line', '1', 'hello'],
    ['between the data and its CRLF', 'a\r\n0123456789', 'hello0123456789'],
    ['before the last chunk', 'a\r\n0123456789\r\n', 'hello0123456789'],
    ['inside the trailers', '0\r\nX-Trailer: 1\r\n', 'hello'],
  ])('rejects a chunked body cut %s with ECONNRESET "aborted", after delivering the bytes before the cut', async (_name, tail, delivered) => {
    const server = await serve(async ({ socket }) => {
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
      await nextTurn();
      socket.write('5\r\nhello\r\n');
      await nextTurn();
      socket.end(tail);
    });
    const answer = await get(server.url());
    const got = await collect(answer);
    expect(got.error?.code).toBe('ECONNRESET');
    expect(got.error?.message).toBe('aborted');
    expect(got.body.toString()).toBe(delivered);
  });

  it('rejects a malformed chunk size with HPE_INVALID_CHUNK_SIZE', async () => {
    const server = await serve(async ({ socket }) => {
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
      await sleep(20);
      socket.write('zz\r\n');
    });
    const got = await collect(await get(server.url()));
    expect(got.error?.code).toBe('HPE_INVALID_CHUNK_SIZE');
    expect(got.body.toString()).toBe('hello');
  });

  it('rejects with ETIMEDOUT when the server sends nothing at all', async () => {
    const server = await serve(() => undefined);
    const started = Date.now();
    const error = await rejection(get(server.url(), { idleTimeoutMs: 100 }));
    expect(error.code).toBe('ETIMEDOUT');
    expect(error.message).toMatch(/^timeout:/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    await server.connections[0]!.closed;
  });

  it('rejects the body with ETIMEDOUT when the server sends the head, some bytes, then nothing', async () => {
    const server = await serve(async ({ socket }) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n');
      await sleep(40);
      socket.write('abc'); // well within the idle timeout: it restarts the clock
    });
    const answer = await get(server.url(), { idleTimeoutMs: 200 });
    const started = performance.now();
    const got = await collect(answer);
    expect(got.error?.code).toBe('ETIMEDOUT');
    expect(got.error?.message).toMatch(/^timeout:/);
    expect(got.body.toString()).toBe('abc');
    // 200 ms of silence after "abc", which came about 40 ms after the head.
    expect(performance.now() - started).toBeGreaterThanOrEqual(220);
    await server.connections[0]!.closed;
  });
});

describe('rawGet: the sink', () => {
  it('stops and closes the connection when the sink returns false (the server sees the close)', async () => {
    const body = randomBytesSeeded(1024 * 1024, 9);
    const server = await serve(({ socket }) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length * 8}\r\n\r\n`);
      socket.write(body);
    });
    const answer = await get(server.url());
    let calls = 0;
    await answer.pump(() => {
      calls++;
      return false;
    });
    expect(calls).toBe(1);
    await server.connections[0]!.closed;
  });

  it('pauses reading for the time the sink asks, without losing bytes', async () => {
    const body = randomBytesSeeded(512 * 1024, 13);
    const server = await serve(({ socket }) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`);
      socket.write(body);
    });
    const answer = await get(server.url());
    const times: number[] = [];
    const got = await collect(answer, (call) => {
      times.push(performance.now());
      return call < 2 ? 50 : 0;
    });
    expect(got.error).toBeUndefined();
    expect(got.body.equals(body)).toBe(true);
    expect(times.length).toBeGreaterThanOrEqual(3);
    // Timers may fire up to a millisecond early.
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(48);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(48);
  });

  it('does not count its own pause as the server\'s silence (a pause longer than the idle timeout)', async () => {
    const server = await serve(async ({ socket }) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabc');
      await sleep(20);
      socket.write('def');
    });
    const answer = await get(server.url(), { idleTimeoutMs: 60 });
    const started = performance.now();
    const got = await collect(answer, (call) => (call === 0 ? 150 : 0));
    expect(got.error).toBeUndefined();
    expect(got.body.toString()).toBe('abcdef');
    expect(performance.now() - started).toBeGreaterThanOrEqual(148);
  });

  it('still times out when the server goes silent after a pause', async () => {
    const server = await serve(({ socket }) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabc'));
    const answer = await get(server.url(), { idleTimeoutMs: 60 });
    const got = await collect(answer, () => 100);
    expect(got.error?.code).toBe('ETIMEDOUT');
    expect(got.body.toString()).toBe('abc');
  });

  it('rejects with what the sink throws and closes the connection', async () => {
    const server = await serve(({ socket }) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'));
    const answer = await get(server.url());
    const thrown = new Error('disk full');
    await expect(
      answer.pump(() => {
        throw thrown;
      }),
    ).rejects.toBe(thrown);
    await server.connections[0]!.closed;
  });

  it('destroy() before pump() closes the connection', async () => {
    const server = await serve(({ socket }) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'));
    const answer = await get(server.url());
    answer.destroy();
    await server.connections[0]!.closed;
  });
});

describe('rawGet: abort', () => {
  it('rejects with the reason of a signal aborted before the head, and closes the connection', async () => {
    const server = await serve(() => undefined);
    const controller = new AbortController();
    const pending = get(server.url(), { signal: controller.signal });
    while (server.connections.length === 0) await sleep(1);
    const reason = new Error('stopped by the user');
    controller.abort(reason);
    expect(await rejection(pending)).toBe(reason);
    await server.connections[0]!.closed;
  });

  it('rejects at once with the reason of a signal already aborted', async () => {
    const server = await serve(() => undefined);
    const reason = new Error('already');
    expect(await rejection(get(server.url(), { signal: AbortSignal.abort(reason) }))).toBe(reason);
  });

  it('ignores the signal once the head arrived (the caller ends the body itself)', async () => {
    const server = await serve(async ({ socket }) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabc');
      await sleep(20);
      socket.write('def');
    });
    const controller = new AbortController();
    const answer = await get(server.url(), { signal: controller.signal });
    controller.abort(new Error('late'));
    const got = await collect(answer);
    expect(got.error).toBeUndefined();
    expect(got.body.toString()).toBe('abcdef');
  });
});

/** "HTTP/1.1 200 OK", `extra`, filler headers and the blank line: exactly `size` bytes. */
function headOfSize(size: number, extra: string): Buffer {
  const start = `HTTP/1.1 200 OK\r\n${extra}`;
  let text = start;
  let i = 0;
  // Filler lines of up to 1000 bytes, then one that makes the length exact.
  while (size - text.length - 4 > 1000) text += `X-Fill-${String(i++).padStart(4, '0')}: ${'v'.repeat(1000 - 19)}\r\n`;
  // The last line, its CRLF and the blank line's CRLF.
  text += `X-Last: ${'w'.repeat(size - text.length - 'X-Last: '.length - 4)}\r\n\r\n`;
  const head = Buffer.from(text, 'latin1');
  if (head.length !== size) throw new Error(`head of ${head.length} bytes, not ${size}`);
  return head;
}
