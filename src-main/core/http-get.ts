import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { ORIGIN_BOUND_HEADERS } from './origin-bound.js';
import { rawGet, type RawAnswer } from './raw-http.js';

/**
 * One GET over node:http(s): redirects, a connect timeout and an idle timeout, nothing else. The
 * engine asks for `identity` bodies, retries and resumes by itself, and streams every body to disk,
 * so this is all it needs from an HTTP client.
 *
 * got did this job before. Measured on many small downloads (docs/performance.md, case 2), got's
 * per-request option handling cost about a third of the CPU of each request, and objects it keeps
 * for a while were promoted to V8's old generation by megabytes per second, which set the process's
 * peak memory with 10,000 tasks; node:http alone does neither.
 */

export interface Agents {
  http: http.Agent;
  https: https.Agent;
}

export interface GetOptions {
  url: string;
  /** Sent as given (lower-case names); on a redirect to another origin, credentials are dropped. */
  headers: Record<string, string>;
  agents: Agents;
  /** No byte for this long (waiting for the answer or inside the body) fails the request. */
  idleTimeoutMs: number;
  connectTimeoutMs?: number;
  maxRedirects?: number;
  /**
   * Aborts the request. With `signalEndsBody: false` it only applies until the answer's head
   * arrives: the caller then ends the body itself (to keep what the body still buffers).
   */
  signal?: AbortSignal;
  signalEndsBody?: boolean;
  /**
   * Plain-http hops go through raw-http.ts (one connection each, the body read into a reused buffer)
   * instead of node:http. Only for a direct connection (no proxy) and a body the caller pumps.
   */
  fastPlainHttp?: boolean;
}

/** The last answer (redirects followed): its head, and its body as a stream or (fast path) a raw reader. */
export interface GetResult {
  statusCode: number;
  headers: IncomingHttpHeaders;
  /** The URL that answered, after redirects. */
  url: string;
  body: { kind: 'stream'; stream: IncomingMessage } | { kind: 'raw'; raw: RawAnswer };
  /** Closes the connection, read or not. */
  destroy(): void;
}

/** Errors with the codes the engine classifies (transfer.ts, classifyError). */
export class HttpGetError extends Error {
  constructor(
    message: string,
    readonly code: 'ETIMEDOUT' | 'ERR_TOO_MANY_REDIRECTS',
  ) {
    super(message);
    this.name = 'HttpGetError';
  }
}

/** The statuses whose Location is followed (as got and browsers do; 304 never is). */
const REDIRECTS = new Set([300, 301, 302, 303, 307, 308]);

export async function httpGet(options: GetOptions): Promise<GetResult> {
  let url = new URL(options.url);
  const headers = { ...options.headers };
  const maxRedirects = options.maxRedirects ?? 10;
  for (let redirects = 0; ; redirects++) {
    const answer = options.fastPlainHttp && url.protocol === 'http:' ? await rawOnce(url, headers, options) : await nodeOnce(url, headers, options);
    const location = answer.headers.location;
    if (!REDIRECTS.has(answer.statusCode) || !location) return answer;
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      return answer; // an unreadable Location: the 3xx itself is the answer
    }
    // Only http and https are followed; anything else is answered with the 3xx (not followed).
    if (next.protocol !== 'http:' && next.protocol !== 'https:') return answer;
    answer.destroy();
    if (redirects >= maxRedirects) throw new HttpGetError(`too many redirects (more than ${maxRedirects})`, 'ERR_TOO_MANY_REDIRECTS');
    if (next.origin !== url.origin) for (const name of ORIGIN_BOUND_HEADERS) delete headers[name];
    url = next;
  }
}

async function rawOnce(url: URL, headers: Record<string, string>, options: GetOptions): Promise<GetResult> {
  const raw = await rawGet({ url, headers, idleTimeoutMs: options.idleTimeoutMs, connectTimeoutMs: options.connectTimeoutMs ?? 15_000, signal: options.signal });
  return { statusCode: raw.statusCode, headers: raw.headers, url: url.href, body: { kind: 'raw', raw }, destroy: () => raw.destroy() };
}

async function nodeOnce(url: URL, headers: Record<string, string>, options: GetOptions): Promise<GetResult> {
  const stream = await requestOnce(url, headers, options);
  return { statusCode: stream.statusCode ?? 0, headers: stream.headers, url: url.href, body: { kind: 'stream', stream }, destroy: () => stream.destroy() };
}

function requestOnce(url: URL, headers: Record<string, string>, options: GetOptions): Promise<IncomingMessage> {
  const { signal } = options;
  return new Promise<IncomingMessage>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const secure = url.protocol === 'https:';
    const request = (secure ? https : http).request(url, {
      method: 'GET',
      headers,
      agent: secure ? options.agents.https : options.agents.http,
    });
    let response: IncomingMessage | undefined;
    const fail = (error: Error): void => {
      // Destroying the response, not only the request, makes its reader see this error itself.
      if (response && !response.readableEnded) response.destroy(error);
      request.destroy(error);
    };
    // From the moment a new socket connects, not from the request: waiting in the agent's queue for a
    // free socket (many segments on one host) is not a connection that fails to open.
    let connectTimer: NodeJS.Timeout | undefined;
    request.once('socket', (socket) => {
      if (!socket.connecting) return;
      const ms = options.connectTimeoutMs ?? 15_000;
      connectTimer = setTimeout(() => fail(new HttpGetError(`timeout: could not connect within ${ms} ms`, 'ETIMEDOUT')), ms);
      socket.once('connect', () => clearTimeout(connectTimer));
    });
    // Socket inactivity: waiting for the answer, or for the next bytes of its body.
    request.setTimeout(options.idleTimeoutMs, () => fail(new HttpGetError('timeout: no data from the server', 'ETIMEDOUT')));
    const onAbort = (): void => fail(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    request.once('response', (answer: IncomingMessage) => {
      clearTimeout(connectTimer);
      response = answer;
      // Its reader (an async iterator) sees errors by itself; this keeps an error that comes while
      // nobody reads (a body being closed unread) from being an uncaught exception.
      answer.on('error', () => undefined);
      if (!options.signalEndsBody) signal?.removeEventListener('abort', onAbort);
      else answer.once('close', () => signal?.removeEventListener('abort', onAbort));
      resolve(answer);
    });
    // `on`, not `once`: a second error (e.g. a timeout after a reset) must not be uncaught.
    request.on('error', (error) => {
      clearTimeout(connectTimer);
      signal?.removeEventListener('abort', onAbort);
      reject(error); // no-op once the answer resolved the promise: its reader sees the error
    });
    request.end();
  });
}
