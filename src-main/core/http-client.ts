import got, { type NormalizedOptions, type PlainResponse, type Request } from 'got';
import type { IncomingHttpHeaders } from 'node:http';
import type { Agents } from './agents.js';
import { ORIGIN_BOUND_HEADERS } from './origin-bound.js';

/**
 * The engine's one HTTP client: got 14. Every GET of a download (a single stream, a resume, a segment)
 * is a `got.stream` made here, and nothing else in core opens a connection.
 *
 * What a download needs from it, and how it is asked:
 * - identity bodies (`decompress: false`, `accept-encoding: identity`): a compressed body hides the
 *   length and its offsets cannot be resumed;
 * - a body cut short is an error, never a short file (`strictContentLength`; a cut chunked body is a
 *   read error of its own);
 * - no retries of its own (`retry.limit: 0`): got's stream retry restarts from byte 0, the engine
 *   resumes from its partial file instead;
 * - statuses are the caller's business (`throwHttpErrors: false`);
 * - redirects: at most {@link MAX_REDIRECTS}, only to http/https, and credentials and a caller's Host
 *   never go to another origin (scheme, host or port);
 * - timeouts per phase, never a total one (which would kill large downloads): lookup, connect and
 *   TLS handshake, the wait for the answer's head, and socket inactivity (the idle timeout). The
 *   engine's own holding back of the socket (a speed limit) is not inactivity: {@link holdIdleTimer}.
 */

export const USER_AGENT = 'VelaCompanion/0.1 (+quick-app system.request mirror)';
export const MAX_REDIRECTS = 10;
const CONNECT_TIMEOUT_MS = 15_000;

/** The statuses whose Location is followed (not 304, which got would otherwise follow too). */
const REDIRECTS = new Set([300, 301, 302, 303, 307, 308]);

export interface GetRequest {
  url: string;
  /** The caller's headers; names in any case. */
  headers: Record<string, string>;
  agents: Agents;
  /** No byte for this long (waiting for the head or inside the body) fails the request. */
  idleTimeoutMs: number;
  /** Bytes [start, end) (end omitted: to the end), asked with If-Range. */
  range?: { start: number; end?: number; ifRange: string };
}

/** The final answer's head (redirects followed). */
export interface Head {
  statusCode: number;
  headers: IncomingHttpHeaders;
  /** The URL that answered, after redirects. */
  url: string;
}

/** The body of an answer: got's stream, read with `pipeline` or `for await`, never `.pipe()`. */
export type Body = Request;

const client = got.extend({
  decompress: false,
  throwHttpErrors: false,
  retry: { limit: 0 },
  strictContentLength: true,
  maxRedirects: MAX_REDIRECTS,
  followRedirect: followable,
  hooks: { beforeRedirect: [keepCredentialsOnOrigin] },
});

/** Sends the GET. The answer arrives through {@link headOf}; the stream is the body. */
export function startGet(options: GetRequest): Body {
  const headers: Record<string, string> = { 'user-agent': USER_AGENT };
  for (const [name, value] of Object.entries(options.headers)) headers[name.toLowerCase()] = value;
  headers['accept-encoding'] = 'identity';
  delete headers.range;
  delete headers['if-range'];
  const { range } = options;
  if (range) {
    headers.range = `bytes=${range.start}-${range.end === undefined ? '' : range.end - 1}`;
    headers['if-range'] = range.ifRange;
  }
  let url = options.url;
  if (headers.authorization !== undefined) {
    // An authorization given by the caller wins over credentials in the URL (as node:http does).
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    url = parsed.href;
  }
  const body = client.stream(url, {
    headers,
    agent: options.agents,
    timeout: {
      lookup: CONNECT_TIMEOUT_MS,
      connect: CONNECT_TIMEOUT_MS,
      secureConnect: CONNECT_TIMEOUT_MS,
      response: options.idleTimeoutMs,
      socket: options.idleTimeoutMs,
    },
  });
  // An error between the head and the reader taking the stream must not be uncaught; the reader
  // (pipeline, for await) still sees it, since the stream is destroyed with it.
  body.on('error', () => undefined);
  return body;
}

/** The final answer's head, or got's error (with its `code`) if none came. */
export function headOf(body: Body): Promise<Head> {
  return new Promise<Head>((resolve, reject) => {
    const onError = (error: Error): void => {
      body.off('response', onResponse);
      reject(error);
    };
    const onResponse = (response: PlainResponse): void => {
      body.off('error', onError);
      resolve({ statusCode: response.statusCode, headers: response.headers, url: response.url });
    };
    body.once('response', onResponse);
    body.once('error', onError);
  });
}

/**
 * Stops the idle timer while the engine itself holds the body back (a speed limit's wait: no byte is
 * read then, by choice), and starts it again after. Only while the answer is still arriving: once it
 * is complete, the connection may already serve another request.
 */
export function holdIdleTimer(body: Body, idleTimeoutMs: number): () => void {
  const socket = body.socket;
  if (!socket || !body.response || body.response.complete) return () => undefined;
  socket.setTimeout(0);
  return () => {
    if (!socket.destroyed && body.response && !body.response.complete) socket.setTimeout(idleTimeoutMs);
  };
}

/** Whether got follows this answer: a redirect status with a Location to http or https. */
function followable(response: PlainResponse): boolean {
  const location = response.headers.location;
  if (!REDIRECTS.has(response.statusCode) || !location) return false;
  try {
    // As got reads it: the header's bytes as UTF-8.
    const next = new URL(Buffer.from(location, 'binary').toString(), response.url);
    return next.protocol === 'http:' || next.protocol === 'https:';
  } catch {
    return false; // an unreadable Location: the 3xx itself is the answer
  }
}

/**
 * Across origins (scheme, host or port), credentials and a caller's Host stay behind. got drops some
 * of them by itself, but judges the origin by host and port only (an https → http redirect on the
 * default ports kept them) and keeps proxy-authorization; this runs after it, for every redirect.
 */
function keepCredentialsOnOrigin(options: NormalizedOptions, response: PlainResponse): void {
  if (options.url?.origin === new URL(response.url).origin) return;
  for (const name of ORIGIN_BOUND_HEADERS) delete options.headers[name];
  options.username = '';
  options.password = '';
}
