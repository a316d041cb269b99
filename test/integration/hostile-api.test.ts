/**
 * Hostile input over every door into the main side: the browser host's HTTP API, the Electron IPC
 * handler (the real `mountIpc`, with `electron` replaced by a recorder) and the router itself. Whatever
 * arrives, the answer is `ok: false` with 202 (a 4xx over HTTP) and a message without a stack, nothing
 * outside the cache is read or touched, and the process keeps answering.
 *
 * No byte leaves this machine: the active device profile does not support downloads, so a request
 * that passes every check is answered 203 and never started (checked at the end: no task exists).
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CHANNEL_NAMES, type ChannelName, type Reply } from '../../src-shared/channels.js';
import { FailCode } from '../../src-shared/codes.js';
import { MAX_HEADERS, MAX_URL_LENGTH } from '../../src-shared/validate.js';
import { MediaLibrary } from '../../src-main/core/media.js';
import { resolveInside } from '../../src-main/core/paths.js';
import { openEngine, type LocalAccess } from '../../src-main/host/access.js';
import { createPageHandler } from '../../src-main/host/browser-host.js';

// The Electron shell's IPC door, run for real: `electron` is replaced by a recorder of ipcMain.handle.
const ipcHandlers = vi.hoisted(() => new Map<string, (event: unknown, ...args: unknown[]) => Promise<unknown>>());
vi.mock('electron', () => ({
  ipcMain: {
    handle: (channel: string, handler: (event: unknown, ...args: unknown[]) => Promise<unknown>) => ipcHandlers.set(channel, handler),
    removeHandler: (channel: string) => ipcHandlers.delete(channel),
  },
}));
const { mountIpc } = await import('../../src-main/electron/ipc.js');

const UNSUPPORTED = 'band-8-pro';
const STACK = /\n\s+at /;
const SECRET_TEXT = 'outside the cache: never served, never touched';

interface Answer {
  status: number;
  reply: Reply<unknown>;
}

let dir: string;
let outside: string;
let access: LocalAccess;
let cacheDir: string;

/** POST /api/<channel> with the Bearer secret; the body as given (already serialized) or as JSON. */
function post(channel: string, payload: unknown, options: { raw?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; body: string }> {
  const body = options.raw ?? JSON.stringify(payload) ?? '';
  return request({ method: 'POST', path: `/api/${channel}`, body, headers: { 'content-type': 'application/json', ...options.headers } });
}

function request(options: { method: string; path: string; body?: string; headers?: Record<string, string> }): Promise<{ status: number; body: string }> {
  const port = access.host.port;
  const credentials = { authorization: `Bearer ${access.secret}` };
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: options.method, path: options.path, headers: { host: `127.0.0.1:${port}`, ...credentials, ...options.headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The HTTP answer as a Reply, checked for shape: JSON, a 4xx when refused, no stack anywhere. */
async function viaHttp(channel: string, payload: unknown): Promise<Answer> {
  const res = await post(channel, payload);
  expect(res.body, `${channel}: ${res.body.slice(0, 200)}`).not.toMatch(STACK);
  const reply = JSON.parse(res.body) as Reply<unknown>;
  // tasks.wait answers 200 at once and carries its outcome in the body (http-api.ts LONG_CHANNELS).
  if (!reply.ok && channel !== 'tasks.wait') expect(res.status, `${channel}: ${res.body.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
  if (!reply.ok) expect(res.status).toBeLessThan(500);
  return { status: res.status, reply };
}

/** The Electron IPC door: the sender is the app's own page; the payload is structured-cloned as IPC does. */
async function viaIpc(channel: unknown, payload: unknown): Promise<Answer> {
  const handler = ipcHandlers.get('vela:invoke');
  if (!handler) throw new Error('mountIpc registered no handler');
  const event = { senderFrame: { url: 'app://vela/index.html', parent: null } };
  const reply = (await handler(event, channel, structuredClone(payload))) as Reply<unknown>;
  return { status: 0, reply };
}

/** The router, as every transport calls it. */
async function viaRouter(channel: string, payload: unknown): Promise<Answer> {
  return { status: 0, reply: await access.router.call(channel, payload) };
}

const DOORS = { http: viaHttp, ipc: viaIpc, router: viaRouter } as const;

/** Refused with one of `codes`, a short message and no stack. */
function expectRefused(answer: Answer, codes: readonly number[], context: string): void {
  expect(answer.reply.ok, `${context} → ${JSON.stringify(answer.reply).slice(0, 300)}`).toBe(false);
  if (answer.reply.ok) return;
  const { code, message } = answer.reply.error;
  expect(codes, `${context} → ${code} ${message.slice(0, 300)}`).toContain(code);
  expect(typeof message).toBe('string');
  expect(message.length, context).toBeGreaterThan(0);
  expect(message, context).not.toMatch(STACK);
}

/** The process is unharmed: each door still answers a normal call. */
async function expectAlive(): Promise<void> {
  const info = await viaHttp('engine.info', {});
  expect(info).toMatchObject({ status: 200, reply: { ok: true, value: { pid: process.pid } } });
  expect((await viaIpc('tasks.list', {})).reply.ok).toBe(true);
  expect((await viaRouter('devices.list', {})).reply.ok).toBe(true);
}

/** Each file and link outside the cache, with its content: must be the same after every test. */
function snapshotOutside(): string {
  const entries = fs.readdirSync(outside, { recursive: true, withFileTypes: true });
  return JSON.stringify(
    entries
      .map((e) => {
        const full = path.join(e.parentPath, e.name);
        return `${path.relative(outside, full)}:${e.isFile() ? fs.readFileSync(full, 'utf8') : e.isDirectory() ? 'dir' : 'other'}`;
      })
      .sort(),
  );
}
let outsideBefore: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-hostile-'));
  outside = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-hostile-outside-'));
  const opened = await openEngine({ dataDir: dir, mode: 'run', pages: createPageHandler });
  if (opened.kind !== 'local') throw new Error('expected to own the fresh data dir');
  access = opened;
  mountIpc(access.router);
  cacheDir = access.engine.paths.cacheDir;

  // Whatever a test does, nothing is downloaded and nothing goes to the user's real gallery.
  const gallery = path.join(dir, 'gallery');
  const set = await access.router.call('settings.set', {
    activeProfile: UNSUPPORTED,
    galleryDirs: { image: path.join(gallery, 'image'), video: path.join(gallery, 'video'), audio: path.join(gallery, 'audio') },
  });
  expect(set.ok).toBe(true);

  // The cache: a real media file, a partial, and links that lead out. Outside: the sentinels.
  fs.mkdirSync(path.join(cacheDir, '.partial'), { recursive: true });
  fs.writeFileSync(path.join(cacheDir, 'face.png'), Buffer.from('89504e470d0a1a0a', 'hex'));
  fs.writeFileSync(path.join(cacheDir, '.partial', 'half.png'), 'half');
  fs.writeFileSync(path.join(outside, 'secret.png'), SECRET_TEXT);
  fs.mkdirSync(path.join(outside, 'folder'));
  fs.writeFileSync(path.join(outside, 'folder', 'inner.png'), SECRET_TEXT);
  fs.symlinkSync(path.join(outside, 'secret.png'), path.join(cacheDir, 'link.png'));
  fs.symlinkSync(path.join(outside, 'folder'), path.join(cacheDir, 'dirlink'));
  fs.symlinkSync(path.join(outside, 'nothing-yet.png'), path.join(cacheDir, 'dangling.png'));
  outsideBefore = snapshotOutside();
});

afterAll(async () => {
  await access?.close();
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(outside, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------------------------------

const HUGE = 'x'.repeat(900_000);
const deep = (depth: number): unknown => {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
  return value;
};

/** Anything but a string: what a field typed as a string must refuse. */
const notAString = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.jsonValue(), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue(), { maxKeys: 4 }),
  fc.constantFrom(deep(64), deep(1_000), [HUGE], { length: 1 }, { toString: 'x' }, { __proto__: { url: 'http://127.0.0.1:9/' } }),
);

/** Any value at all that survives JSON, the huge string included. */
const anyValue = fc.oneof(notAString, fc.string({ maxLength: 20 }), fc.constant(HUGE));

/** The fields each channel reads (so wrong types land where they matter). */
const FIELDS: Record<ChannelName, readonly string[]> = {
  'download.start': ['url', 'header', 'filename', 'description', 'device', 'sha256', 'speedLimit'],
  'tasks.get': ['token'],
  'tasks.list': [],
  'tasks.wait': ['token'],
  'tasks.pause': ['token'],
  'tasks.resume': ['token'],
  'tasks.cancel': ['token'],
  'tasks.retry': ['token', 'url', 'device'],
  'tasks.remove': ['token', 'deleteFile'],
  'tasks.downloadAgain': ['token'],
  'gallery.move': ['token', 'galleryHome'],
  'devices.list': [],
  'devices.save': ['id', 'name', 'supported', 'link', 'device', 'builtin'],
  'devices.remove': ['id'],
  'settings.get': [],
  'settings.set': ['concurrency', 'speedLimit', 'proxy', 'activeProfile', 'galleryDirs', 'language'],
  'engine.info': [],
  'media.list': [],
  'media.remove': ['items', 'galleryHome'],
  'media.moveToGallery': ['items', 'galleryHome'],
  'shell.reveal': ['token', 'partition', 'name'],
  'shell.open': ['token', 'partition', 'name'],
};

/** Channels where a string that is simply unknown (a token never issued) is a 1001, not a 202. */
const TOKEN_CHANNELS = new Set<string>(['tasks.get', 'tasks.wait', 'tasks.pause', 'tasks.resume', 'tasks.cancel', 'tasks.retry', 'tasks.remove', 'tasks.downloadAgain', 'gallery.move', 'shell.reveal', 'shell.open']);

// ---------------------------------------------------------------------------------------------------
// URLs
// ---------------------------------------------------------------------------------------------------

describe('URLs of every shape', () => {
  const start = (url: unknown) => ({ url, device: UNSUPPORTED });

  it('a well-formed http(s) URL passes every check (answered 203 by the unsupported device, never started)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.webUrl({ withQueryParameters: true, withFragments: true, authoritySettings: { withIPv4: true, withIPv6: true, withPort: true, withUserInfo: true } }), async (url) => {
        for (const [door, call] of Object.entries(DOORS)) {
          expectRefused(await call('download.start', start(url)), [FailCode.NotSupported], `${door} ${url}`);
        }
      }),
      { numRuns: 60, endOnFailure: true },
    );
  });

  it('any other string, scheme or type is a 202', async () => {
    const garbage = fc.oneof(
      fc.webUrl({ validSchemes: ['ftp', 'file', 'javascript', 'data', 'ws', 'wss', 'blob', 'app', 'vela-media', 'internal'] }),
      fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => {
        try {
          return !/^https?:$/.test(new URL(s.trim()).protocol);
        } catch {
          return true;
        }
      }),
      fc.constantFrom('', ' ', 'http://', 'https://[::1', 'http://a b/', 'http:// /', '//example.com/x', 'example.com/x', 'javascript:alert(1)',
        'file:///etc/passwd', 'data:text/plain,x', 'http:\\\\', 'HTTP', 'http://%zz/', 'http://[fe80::1%25/', 'about:blank', 'http://a%00b/', 'http://[::1]:99999/'),
      notAString,
    );
    await fc.assert(
      fc.asyncProperty(garbage, async (url) => {
        for (const [door, call] of Object.entries(DOORS)) {
          expectRefused(await call('download.start', start(url)), [FailCode.IllegalArgument], `${door} ${JSON.stringify(url)?.slice(0, 80)}`);
        }
      }),
      { numRuns: 120, endOnFailure: true },
    );
  });

  it('what the URL standard itself repairs is taken as a browser would (edge controls, tabs, extra slashes)', async () => {
    for (const url of ['\u0000http://x.example/', ' http://x.example/ ', 'http:///x.example', 'http:\\\\x.example\\a', 'ht\ttp://x.exa\nmple/', 'HTTP://X.EXAMPLE/']) {
      for (const [door, call] of Object.entries(DOORS)) {
        expectRefused(await call('download.start', start(url)), [FailCode.NotSupported], `${door} ${JSON.stringify(url)}`);
      }
    }
  });

  it('a 1 MB URL is a 202 whose message quotes a little of it; a body over 1 MiB is a 413 JSON', async () => {
    const long = `http://example.com/${'a'.repeat(1_000_000)}`;
    expect(long.length).toBeGreaterThan(MAX_URL_LENGTH);
    for (const [door, call] of Object.entries(DOORS)) {
      const answer = await call('download.start', start(long));
      expectRefused(answer, [FailCode.IllegalArgument], door);
      if (!answer.reply.ok) expect(answer.reply.error.message.length).toBeLessThan(300);
    }
    const tooBig = await post('download.start', undefined, { raw: JSON.stringify(start(`http://example.com/${'a'.repeat(1024 * 1024)}`)) });
    expect(tooBig.status).toBe(413);
    expect(JSON.parse(tooBig.body)).toEqual({ ok: false, error: { code: FailCode.IllegalArgument, message: 'request body larger than 1048576 bytes' } });
    await expectAlive();
  });
});

// ---------------------------------------------------------------------------------------------------
// Headers
// ---------------------------------------------------------------------------------------------------

describe('request headers', () => {
  const URL_OK = 'http://127.0.0.1:9/file.bin';
  const withHeader = (header: unknown) => ({ url: URL_OK, header, device: UNSUPPORTED });
  const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

  it('a name that is not an HTTP token is a 202', async () => {
    const badName = fc.string({ unit: 'binary', maxLength: 30 }).filter((s) => !TOKEN.test(s) && s !== '__proto__');
    await fc.assert(
      fc.asyncProperty(badName, fc.string({ unit: 'binary-ascii', maxLength: 10 }), async (name, value) => {
        for (const [door, call] of Object.entries(DOORS)) {
          expectRefused(await call('download.start', withHeader({ [name]: value })), [FailCode.IllegalArgument], `${door} ${JSON.stringify(name)}`);
          expectRefused(await call('download.start', withHeader(JSON.stringify({ [name]: value }))), [FailCode.IllegalArgument], `${door} as JSON`);
        }
      }),
      { numRuns: 80, endOnFailure: true },
    );
  });

  it('a value with CR, LF, NUL, another control character or a character above U+00FF is a 202', async () => {
    const badValue = fc
      .tuple(fc.string({ maxLength: 10 }), fc.constantFrom('\r', '\n', '\0', '\r\nX-Injected: 1', '\u0001', '\u001b', '\u007f', '表', '😀', '\u2028', '\ud800'), fc.string({ maxLength: 10 }))
      .map(([a, bad, b]) => a + bad + b);
    await fc.assert(
      fc.asyncProperty(badValue, async (value) => {
        for (const [door, call] of Object.entries(DOORS)) {
          const answer = await call('download.start', withHeader({ 'X-Test': value }));
          expectRefused(answer, [FailCode.IllegalArgument], `${door} ${JSON.stringify(value)}`);
          if (!answer.reply.ok) expect(answer.reply.error.message).toMatch(/^header X-Test /);
        }
      }),
      { numRuns: 80, endOnFailure: true },
    );
  });

  it('values that are objects, arrays or null are a 202; a header that is not an object is a 202', async () => {
    const wrongHeader = fc.oneof(
      fc.record({ 'X-Test': fc.oneof(fc.constant(null), fc.array(fc.jsonValue(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue(), { maxKeys: 3 }), fc.constant(deep(200))) }),
      fc.oneof(fc.integer(), fc.boolean(), fc.array(fc.jsonValue(), { minLength: 0, maxLength: 3 }), fc.constantFrom('not json', '[1,2]', '42', 'null', '"x"', '{"a":', '{"X":{"y":1}}')),
    );
    await fc.assert(
      fc.asyncProperty(wrongHeader, async (header) => {
        for (const [door, call] of Object.entries(DOORS)) {
          expectRefused(await call('download.start', withHeader(header)), [FailCode.IllegalArgument], `${door} ${JSON.stringify(header).slice(0, 80)}`);
        }
      }),
      { numRuns: 80, endOnFailure: true },
    );
  });

  it('10,000 headers (as an object or a JSON string) are a 202; numbers and booleans become strings', async () => {
    const many = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`X-H${i}`, String(i)]));
    for (const [door, call] of Object.entries(DOORS)) {
      for (const header of [many, JSON.stringify(many)]) {
        const answer = await call('download.start', withHeader(header));
        expectRefused(answer, [FailCode.IllegalArgument], door);
        if (!answer.reply.ok) expect(answer.reply.error.message).toBe(`too many headers (10000, at most ${MAX_HEADERS})`);
      }
      // Legal, so only the unsupported device stops it.
      expectRefused(await call('download.start', withHeader({ 'X-Number': 42, 'X-Flag': true, 'X-Latin': 'caf\u00e9' })), [FailCode.NotSupported], door);
    }
    // A valid header name a megabyte long is refused without quoting all of it.
    const answer = await viaHttp('download.start', withHeader({ [HUGE.slice(0, 500_000)]: {} }));
    expectRefused(answer, [FailCode.IllegalArgument], 'long name');
    if (!answer.reply.ok) expect(answer.reply.error.message.length).toBeLessThan(300);
    await expectAlive();
  });

  it('the host itself: 10,000 real request headers, a broken header line or an unparsable target get a JSON 4xx', async () => {
    const port = access.host.port;
    const rawRequest = (text: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1');
        let answer = '';
        socket.setEncoding('utf8');
        socket.on('data', (chunk: string) => (answer += chunk));
        socket.on('end', () => resolve(answer));
        socket.on('close', () => resolve(answer));
        socket.on('error', reject);
        socket.end(text);
      });
    const host = `Host: 127.0.0.1:${port}\r\nAuthorization: Bearer ${access.secret}\r\n`;
    const lots = Array.from({ length: 10_000 }, (_, i) => `X-H${i}: ${i}\r\n`).join('');
    const overflow = await rawRequest(`POST /api/tasks.list HTTP/1.1\r\n${host}${lots}Content-Length: 2\r\n\r\n{}`);
    expect(overflow).toMatch(/^HTTP\/1\.1 431 /);
    expect(JSON.parse(overflow.slice(overflow.indexOf('\r\n\r\n') + 4))).toEqual({ ok: false, error: { code: 202, message: 'request headers too large' } });
    const broken = await rawRequest(`POST /api/tasks.list HTTP/1.1\r\n${host}X-Bad: a\u0000b\r\nContent-Length: 2\r\n\r\n{}`);
    expect(broken).toMatch(/^HTTP\/1\.1 400 /);
    expect(broken).toContain('"malformed HTTP request"');
    const target = await rawRequest(`POST http://[ HTTP/1.1\r\n${host}Content-Length: 2\r\nConnection: close\r\n\r\n{}`);
    expect(target).toMatch(/^HTTP\/1\.1 400 /);
    expect(target).toContain('the request target is not a valid URL');
    await expectAlive();
  });
});

// ---------------------------------------------------------------------------------------------------
// Wrong types on every channel
// ---------------------------------------------------------------------------------------------------

describe('wrong types for every channel', () => {
  it('a payload that is no object is a 202 on every channel and every door', async () => {
    const payloads = [0, -1, 1e308, true, false, 'tasks.list', HUGE, [], [{ token: 'x' }], deep(1_000)];
    for (const channel of CHANNEL_NAMES) {
      for (const payload of payloads) {
        for (const [door, call] of Object.entries(DOORS)) {
          const answer = await call(channel, payload);
          expectRefused(answer, [FailCode.IllegalArgument], `${door} ${channel} ${JSON.stringify(payload).slice(0, 40)}`);
          if (!answer.reply.ok) expect(answer.reply.error.message.length).toBeLessThan(2_000);
        }
      }
    }
    await expectAlive();
  });

  it('fields of the wrong type are a 202 (an unknown token is a 1001); the doors answer alike', async () => {
    const withFields = CHANNEL_NAMES.filter((c) => FIELDS[c].length > 0);
    const call = fc.constantFrom(...withFields).chain((channel) =>
      fc.tuple(
        fc.constant(channel),
        fc.record(Object.fromEntries(FIELDS[channel].map((field) => [field, field === 'token' ? anyValue : notAString])), { requiredKeys: [] }).filter((o) => Object.keys(o).length > 0),
      ),
    );
    await fc.assert(
      fc.asyncProperty(call, async ([channel, payload]) => {
        // A never-issued token (any non-empty string) is a 1001, and a removal of a profile that is
        // not there is nothing to refuse; anything else of the wrong type is a 202.
        const stringToken = typeof (payload as { token?: unknown }).token === 'string' && (payload as { token: string }).token !== '';
        const codes = TOKEN_CHANNELS.has(channel) && stringToken ? [FailCode.IllegalArgument, FailCode.TaskNotFound] : [FailCode.IllegalArgument];
        const answers: Answer[] = [];
        for (const [door, via] of Object.entries(DOORS)) {
          const answer = await via(channel, { ...(channel === 'download.start' ? { device: UNSUPPORTED } : {}), ...payload });
          expectRefused(answer, codes, `${door} ${channel} ${JSON.stringify(payload).slice(0, 120)}`);
          answers.push(answer);
        }
        // A payload over the host's 1 MB body limit is refused by HTTP (413) before any channel sees it.
        const [first, ...rest] = answers.filter((a) => a.status !== 413).map((a) => (a.reply.ok ? 'ok' : a.reply.error.code));
        for (const code of rest) expect(code).toBe(first);
      }),
      { numRuns: 150, endOnFailure: true },
    );
    await expectAlive();
  });

  it('unknown channels and channel names of the wrong type are a 202', async () => {
    for (const channel of ['', 'nope', 'toString', '__proto__', 'constructor', 'hasOwnProperty', 'tasks', 'download.start ', 'DOWNLOAD.START', HUGE.slice(0, 4_000), '../engine.info']) {
      const answer = await viaRouter(channel, {});
      expectRefused(answer, [FailCode.IllegalArgument], `router ${channel.slice(0, 20)}`);
      if (!answer.reply.ok) expect(answer.reply.error.message.length).toBeLessThan(200);
      expectRefused(await viaIpc(channel, {}), [FailCode.IllegalArgument], `ipc ${channel.slice(0, 20)}`);
    }
    for (const channel of [42, null, undefined, {}, ['tasks.list'], true]) {
      expectRefused(await viaIpc(channel, {}), [FailCode.IllegalArgument], `ipc ${String(channel)}`);
      expectRefused(await viaRouter(channel as never, {}), [FailCode.IllegalArgument], `router ${String(channel)}`);
    }
    for (const p of ['/api/toString', '/api/__proto__', '/api/constructor', '/api/', '/api/%E0%A4%A', `/api/${'a'.repeat(8_000)}`]) {
      const res = await request({ method: 'POST', path: p, body: '{}' });
      expect(res.status, p).toBeGreaterThanOrEqual(400);
      expect(res.status, p).toBeLessThan(500);
      expect(JSON.parse(res.body).ok).toBe(false);
    }
    await expectAlive();
  });

  it('the router never throws, whatever an in-process caller hands it', async () => {
    const circular: Record<string, unknown> = { url: 'http://127.0.0.1:9/' };
    circular.self = circular;
    const throwing = Object.defineProperty({}, 'url', { enumerable: true, get: () => { throw new Error('getter blew up'); } });
    const proxy = new Proxy({}, { get: () => { throw new Error('proxy blew up'); }, ownKeys: () => { throw new Error('proxy blew up'); } });
    const oddities = [circular, throwing, proxy, Symbol('x'), () => 1, 10n, new Date(0), new Map([['url', 'x']]), Object.create(null)];
    for (const channel of CHANNEL_NAMES) {
      for (const payload of oddities) {
        const reply = await access.router.call(channel, payload);
        if (!reply.ok) expect(reply.error.message, channel).not.toMatch(STACK);
      }
    }
    await expectAlive();
  });
});

// ---------------------------------------------------------------------------------------------------
// Media names: never out of the cache
// ---------------------------------------------------------------------------------------------------

/** Names that try to leave the cache, reach a partial file, or follow a link out. */
const HOSTILE_MEDIA = [
  '..', '../secret.png', '../../etc/passwd', 'a/../../x', '..\\secret.png', '..\\..\\x', 'dirlink/../../x',
  '%2e%2e', '%2e%2e/secret.png', '%2e%2e%2fsecret.png', '%252e%252e%252fsecret.png',
  `/${'etc'}/passwd`, path.join(os.tmpdir(), 'x'), 'C:\\Windows\\win.ini', '\\\\server\\share\\x',
  'face.png\u0000', '\u0000', 'a\u0000/../x', '.partial/half.png', '.partial', '.partial\\half.png', '.', '', ' ',
  'link.png', 'dirlink/inner.png', 'dirlink', 'dangling.png', 'no-such-file.png',
];

describe('media paths', () => {
  it('MediaLibrary.resolve refuses each hostile name with 202; resolveInside refuses traversal, absolute paths, NUL and links out', async () => {
    const media = new MediaLibrary(access.engine);
    for (const name of HOSTILE_MEDIA) {
      await expect(media.resolve({ partition: 'cache', name }), JSON.stringify(name)).rejects.toMatchObject({ code: FailCode.IllegalArgument });
    }
    expect(await media.resolve({ partition: 'cache', name: 'face.png' })).toBe(path.join(cacheDir, 'face.png'));
    for (const name of ['..', '../x', 'a/../../x', '..\\x', '/etc/passwd', 'a\u0000', '', '.', 'link.png', 'dirlink/inner.png', 'dirlink', 'dangling.png']) {
      await expect(resolveInside(cacheDir, name), JSON.stringify(name)).rejects.toMatchObject({ code: FailCode.IllegalArgument });
    }
  });

  it('resolveInside: whatever the name, a 202 or a path strictly inside the folder that no link leads out of', async () => {
    const piece = fc.oneof(fc.constantFrom('..', '.', '', '%2e%2e', 'link.png', 'dirlink', 'dangling.png', 'face.png', '.partial', '\\', '\u0000', '/', 'C:'), fc.string({ unit: 'binary', maxLength: 6 }));
    const name = fc.array(piece, { minLength: 1, maxLength: 5 }).map((parts) => parts.join('/'));
    const realCache = fs.realpathSync(cacheDir);
    await fc.assert(
      fc.asyncProperty(name, async (relative) => {
        let resolved: string;
        try {
          resolved = await resolveInside(cacheDir, relative);
        } catch (error) {
          expect((error as { code?: number }).code, JSON.stringify(relative)).toBe(FailCode.IllegalArgument);
          return;
        }
        const rel = path.relative(cacheDir, resolved);
        expect(rel === '' || rel.startsWith('..') || path.isAbsolute(rel), JSON.stringify(relative)).toBe(false);
        if (fs.existsSync(resolved)) {
          const real = fs.realpathSync(resolved);
          expect(real.startsWith(realCache + path.sep), `${JSON.stringify(relative)} → ${real}`).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('/media/cache/… answers 404 for every hostile name, and never the content of a file outside', async () => {
    const targets = [
      // Each name as one encoded segment (so `/` arrives as %2F and `..` inside it stays).
      ...HOSTILE_MEDIA.filter((n) => n !== '').map((name) => `/media/cache/${encodeURIComponent(name)}`),
      '/media/cache/..%2f..%2fsecret.png', '/media/cache/%2e%2e%2fsecret.png', '/media/cache/%252e%252e%252fsecret.png', '/media/cache/..%5Csecret.png',
      '/media/cache/%2Fetc%2Fpasswd', '/media/cache//etc/passwd', '/media/cache/face.png%00', '/media/cache/.partial%2Fhalf.png', '/media/cache/%E0%A4%A',
      '/media/mass/..%2f..%2fsecret.png', '/media/other/face.png', '/media/cache', '/media/', '/media/cache/link.png', '/media/cache/dirlink/inner.png',
    ];
    for (const target of targets) {
      const res = await request({ method: 'GET', path: target });
      expect(res.status, target).toBe(404);
      expect(res.body, target).not.toContain(SECRET_TEXT);
    }
    // Raw dot segments are resolved by the URL parser before routing: they never reach /media/, and the
    // answer is the page (the client-side router's fallback) or a 404, never the file.
    for (const target of ['/media/cache/../../secret.png', '/media/cache/%2e%2e/%2e%2e/secret.png', '/media/cache/..\\..\\secret.png', `/media/cache/../../../../../..${outside}/secret.png`]) {
      const res = await request({ method: 'GET', path: target });
      expect([200, 404], target).toContain(res.status);
      expect(res.body, target).not.toContain(SECRET_TEXT);
    }
    expect((await request({ method: 'GET', path: '/media/cache/face.png' })).status).toBe(200);
    await expectAlive();
  });

  it('/media/cache/ with any name never serves a file outside the cache', async () => {
    const name = fc.array(fc.oneof(fc.constantFrom('..', '%2e%2e', '%252e%252e', '%2f', '%5c', '%00', 'link.png', 'dirlink', 'secret.png', '.partial'), fc.webSegment()), { minLength: 1, maxLength: 5 });
    await fc.assert(
      fc.asyncProperty(name, async (parts) => {
        const target = `/media/cache/${parts.join('/')}`;
        const res = await request({ method: 'GET', path: target });
        expect(res.status, target).toBeLessThan(500);
        expect(res.body, target).not.toContain(SECRET_TEXT);
      }),
      { numRuns: 100, endOnFailure: true },
    );
  });

  it('shell.reveal, shell.open, media.remove and media.moveToGallery refuse hostile names with 202 and touch nothing outside', async () => {
    for (const name of HOSTILE_MEDIA.filter((n) => n !== '')) {
      const ref = { partition: 'cache', name };
      for (const [door, call] of Object.entries(DOORS)) {
        const context = `${door} ${JSON.stringify(name)}`;
        expectRefused(await call('shell.reveal', ref), [FailCode.IllegalArgument], `reveal ${context}`);
        expectRefused(await call('shell.open', ref), [FailCode.IllegalArgument], `open ${context}`);
        for (const channel of ['media.remove', 'media.moveToGallery'] as const) {
          const answer = await call(channel, { items: [ref] });
          // Each item has its own outcome: the call answers, the item carries the 202.
          expect(answer.reply.ok, `${channel} ${context}`).toBe(true);
          if (answer.reply.ok) {
            const [outcome] = answer.reply.value as Array<{ error?: { code: number; message: string }; path?: string }>;
            expect(outcome?.error?.code, `${channel} ${context}`).toBe(FailCode.IllegalArgument);
            expect(outcome?.path).toBeUndefined();
            expect(outcome?.error?.message).not.toMatch(STACK);
          }
        }
      }
    }
    // The same calls with a real cache file work: the refusals above are about the names.
    for (const channel of ['shell.reveal', 'shell.open'] as const) {
      expect((await viaRouter(channel, { partition: 'cache', name: 'face.png' })).reply, channel).toEqual({
        ok: true,
        // No desktop behind this router: the path only, and why.
        value: { path: path.join(cacheDir, 'face.png'), done: false, reason: 'unavailable' },
      });
    }
    // An empty name is refused by the schema itself.
    expectRefused(await viaHttp('media.remove', { items: [{ partition: 'cache', name: '' }] }), [FailCode.IllegalArgument], 'empty name');
    expect(snapshotOutside()).toBe(outsideBefore);
    expect(fs.readlinkSync(path.join(cacheDir, 'link.png'))).toBe(path.join(outside, 'secret.png'));
    expect(fs.existsSync(path.join(cacheDir, 'face.png'))).toBe(true);
    expect(fs.existsSync(path.join(cacheDir, '.partial', 'half.png'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'gallery'))).toBe(false);
    await expectAlive();
  });
});

describe('afterwards', () => {
  it('no task was ever accepted, nothing outside changed, and every door still answers', async () => {
    expect(access.engine.list()).toEqual([]);
    expect(snapshotOutside()).toBe(outsideBefore);
    await expectAlive();
  });
});
