import http from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { FailCode, type ErrorData } from '../../src-shared/codes.js';
import { EVENT_NAMES } from '../../src-shared/channels.js';
import type { Router } from '../router/router.js';
import { closeSocket, isSocketConnection, listenOnSocket } from './engine-socket.js';

/**
 * The browser host's API: the router over HTTP (POST /api/<channel>) and its events as server-sent
 * events (GET /api/events). Loopback only, a per-launch secret checked before routing (only ever as
 * `Authorization: Bearer`, from the page and the CLI alike: never a cookie, which every other port on
 * 127.0.0.1 would receive and could plant), `Host` checked against DNS rebinding, the `Origin` of
 * state-changing requests checked, no CORS headers, JSON errors, never a stack; idle and half-open
 * connections closed by timeouts.
 */

const MAX_BODY = 1024 * 1024;

/**
 * How long the server waits on a client before closing its connection (any local process can open
 * connections without the secret; none may hold them forever). Responses may last hours (the event
 * stream, `tasks.wait`): these bound only what the client sends and silence on the socket, and both
 * long answers write something every 15 s.
 */
export const HOST_TIMEOUTS = {
  /** The request head must arrive within this (also closes a connection that sends nothing). */
  headersMs: 10_000,
  /** The whole request (head and body). */
  requestMs: 30_000,
  /** An idle keep-alive connection between requests. */
  keepAliveMs: 5_000,
  /** Nothing read or written on the socket for this long. */
  idleSocketMs: 60_000,
  /** How often Node checks the head and request timeouts. */
  checkIntervalMs: 2_000,
} as const;

/** What the host needs of a router (access.ts hands a record-mode engine's host a wrapper). */
export type HostRouter = Pick<Router, 'call' | 'subscribe'>;

export interface HostOptions {
  /** The router, or a getter that returns undefined while the engine is still starting (waited for, then 503). */
  router: HostRouter | (() => HostRouter | undefined);
  secret: string;
  port?: number;
  /** Also serve the API on this Unix socket / Windows pipe (engine-socket.ts): the channel of the hand-off. */
  socketPath?: string;
  /** Extra handler for non-API paths (the renderer, media files); answers 404 when absent or when it returns false. */
  fallback?: (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => boolean | Promise<boolean>;
}

export interface RunningHost {
  port: number;
  url: string;
  server: http.Server;
  /** The socket or pipe it also listens on, when asked to. */
  socketPath?: string;
  /** Let the process exit although the host still listens (TCP and socket). */
  unref(): void;
  /** Requests and event streams still open: a short-lived engine waits for these before it exits. */
  readonly inFlight: number;
  onIdle(callback: () => void): void;
  close(): Promise<void>;
}

export async function startHost(options: HostOptions): Promise<RunningHost> {
  let inFlight = 0;
  const currentRouter = (): HostRouter | undefined => (typeof options.router === 'function' ? options.router() : options.router);
  let closing = false;
  /**
   * A process that finds us in engine.json may call between our taking the lock and our engine being
   * ready (a takeover of a stale lock alone waits 100-150 ms to confirm it). Answering 503 at once
   * failed its hand-off ("error 500: the engine is starting", exit 1), so wait for the engine a
   * moment; 2 s stays below engine-lock's 3 s liveness probe.
   */
  async function routerWhenReady(): Promise<HostRouter | undefined> {
    for (let waited = 0; !currentRouter() && !closing && waited < 2_000; waited += 20) await delay(20);
    return currentRouter();
  }
  const idleCallbacks: Array<() => void> = [];
  const track = (res: http.ServerResponse): void => {
    inFlight += 1;
    res.once('close', () => {
      inFlight -= 1;
      if (inFlight === 0) for (const callback of idleCallbacks) callback();
    });
  };

  const server = http.createServer(
    {
      headersTimeout: HOST_TIMEOUTS.headersMs,
      requestTimeout: HOST_TIMEOUTS.requestMs,
      keepAliveTimeout: HOST_TIMEOUTS.keepAliveMs,
      connectionsCheckingInterval: HOST_TIMEOUTS.checkIntervalMs,
    },
    (req, res) => {
      track(res);
      handle(req, res).catch(() => sendError(res, 500, { code: FailCode.Internal, message: 'internal error' }));
    },
  );
  // A socket silent in both directions (a half-open connection, a client that stopped reading) is closed.
  server.setTimeout(HOST_TIMEOUTS.idleSocketMs, (socket) => socket.destroy());
  // A request Node's parser refuses (10,000 headers, a header line with a bare CR or NUL, a bad method)
  // gets a JSON error like any other, not Node's bare status line. Written straight to the socket, as
  // there is no response object; only when nothing has been written on it yet (as Node's own does).
  server.on('clientError', (error: NodeJS.ErrnoException, duplex) => {
    const socket = duplex as Socket; // typed as a Duplex, always a net.Socket for an http.Server
    if (error.code === 'ECONNRESET' || !socket.writable || socket.bytesWritten > 0) {
      socket.destroy();
      return;
    }
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    const body = JSON.stringify({
      ok: false,
      error: { code: FailCode.IllegalArgument, message: tooLarge ? 'request headers too large' : 'malformed HTTP request' },
    });
    socket.end(
      `HTTP/1.1 ${tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\n` +
        'content-type: application/json; charset=utf-8\r\n' +
        `content-length: ${Buffer.byteLength(body)}\r\n` +
        'cache-control: no-store\r\nx-content-type-options: nosniff\r\nconnection: close\r\n\r\n' +
        body,
    );
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const address = server.address() as AddressInfo;
    // Over the engine socket no browser can be the client (no DNS rebinding): the one Host is `localhost`.
    if (isSocketConnection(req.socket) ? req.headers.host !== 'localhost' : !allowedHost(req.headers.host, address.port)) {
      return sendError(res, 421, { code: FailCode.IllegalArgument, message: 'this host name is not served here' });
    }
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://127.0.0.1:${address.port}`);
    } catch {
      // An absolute-form target that is no URL (`http://[`): the client's mistake, not a 500.
      return sendError(res, 400, { code: FailCode.IllegalArgument, message: 'the request target is not a valid URL' });
    }
    const stateChanging = req.method !== 'GET' && req.method !== 'HEAD';
    const origin = req.headers.origin;
    if (stateChanging && origin !== undefined && !allowedOrigin(origin, address.port)) {
      return sendError(res, 403, { code: FailCode.IllegalArgument, message: 'cross-origin requests are refused' });
    }
    if (url.pathname === '/api' || url.pathname.startsWith('/api/')) {
      if (!hasSecret(req, options.secret)) {
        return sendError(res, 401, { code: FailCode.IllegalArgument, message: 'missing or wrong session secret' });
      }
      if (url.pathname === '/api/events' && req.method === 'GET') return streamEvents(res, await routerWhenReady());
      const channel = url.pathname.slice('/api/'.length);
      if (req.method !== 'POST') {
        return sendError(res, 405, { code: FailCode.IllegalArgument, message: 'use POST for API calls' });
      }
      let payload: unknown;
      try {
        payload = await readJson(req);
      } catch (error) {
        const tooBig = error instanceof BodyTooLarge;
        return sendError(res, tooBig ? 413 : 400, {
          code: FailCode.IllegalArgument,
          message: tooBig ? `request body larger than ${MAX_BODY} bytes` : 'request body is not valid JSON',
        });
      }
      const router = await routerWhenReady();
      if (!router) return sendError(res, 503, { code: FailCode.Internal, message: 'the engine is starting' });
      if (LONG_CHANNELS.has(channel)) return answerLong(res, router.call(channel, payload));
      const reply = await router.call(channel, payload);
      if (reply.ok) return sendJson(res, 200, reply);
      return sendJson(res, statusFor(reply.error.code), reply);
    }
    if (options.fallback && (await options.fallback(req, res, url))) return;
    sendError(res, 404, { code: FailCode.IllegalArgument, message: 'not found' });
  }

  function streamEvents(res: http.ServerResponse, router: HostRouter | undefined): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-content-type-options': 'nosniff',
    });
    res.write(': connected\n\n');
    if (!router) {
      res.end();
      return;
    }
    const unsubscribe = router.subscribe((event, payload) => {
      if (EVENT_NAMES.includes(event)) res.write(`event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`);
    });
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
    ping.unref();
    res.once('close', () => {
      clearInterval(ping);
      unsubscribe();
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let socketServer: Awaited<ReturnType<typeof listenOnSocket>> | undefined;
  if (options.socketPath) {
    try {
      socketServer = await listenOnSocket(server, options.socketPath);
    } catch (error) {
      await new Promise((resolve) => server.close(resolve));
      throw error;
    }
  }
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    server,
    socketPath: options.socketPath,
    unref() {
      server.unref();
      socketServer?.unref();
    },
    get inFlight() {
      return inFlight;
    },
    onIdle(callback) {
      idleCallbacks.push(callback);
    },
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        const socketClosed = socketServer ? closeSocket(socketServer, options.socketPath!) : Promise.resolve();
        server.close(() => void socketClosed.then(() => resolve()));
        server.closeAllConnections();
      }),
  };
}

/**
 * Calls that answer only when a download ends (`tasks.wait`, i.e. onDownloadComplete) may take hours.
 * HTTP clients give up on silent responses (Node's fetch after 300 s without headers or data), so these
 * answer 200 at once and send a space every 15 s until the JSON reply (leading whitespace is valid JSON).
 * The reply's `ok`/`error` carries the outcome, as on every call.
 */
const LONG_CHANNELS = new Set(['tasks.wait']);
const KEEP_ALIVE_MS = 15_000;

async function answerLong(res: http.ServerResponse, reply: Promise<unknown>): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.write(' ');
  const timer = setInterval(() => res.write(' '), KEEP_ALIVE_MS);
  try {
    res.end(JSON.stringify(await reply));
  } finally {
    clearInterval(timer);
  }
}

function statusFor(code: number): number {
  switch (code) {
    case FailCode.IllegalArgument:
    case FailCode.NotSupported:
      return 400;
    case FailCode.TaskNotFound:
      return 404;
    case FailCode.Internal:
      return 500;
    default:
      return 409;
  }
}

export function allowedHost(host: string | undefined, port: number): boolean {
  return host === `127.0.0.1:${port}` || host === `localhost:${port}` || host === `[::1]:${port}`;
}

function allowedOrigin(origin: string, port: number): boolean {
  return origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}` || origin === `http://[::1]:${port}`;
}

/** The secret, as `Authorization: Bearer`. Cookies are ignored on purpose (see the top of this file). */
export function hasSecret(req: http.IncomingMessage, secret: string): boolean {
  const auth = req.headers.authorization;
  return auth?.startsWith('Bearer ') === true && safeEqual(auth.slice(7).trim(), secret);
}

export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** A request body over MAX_BODY (answered with 413). */
class BodyTooLarge extends Error {
  constructor() {
    super('too large');
    this.name = 'BodyTooLarge';
  }
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  // Read to the end even when too large (discarding the excess), so the client gets our 413 instead of a reset.
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= MAX_BODY) chunks.push(chunk as Buffer);
  }
  if (size > MAX_BODY) throw new BodyTooLarge();
  const text = Buffer.concat(chunks).toString('utf8');
  return text.trim() === '' ? {} : JSON.parse(text);
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(text);
}

function sendError(res: http.ServerResponse, status: number, error: ErrorData): void {
  sendJson(res, status, { ok: false, error });
}
