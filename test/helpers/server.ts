/**
 * A real HTTP file server on 127.0.0.1 for integration tests of the download engine.
 *
 * Built on `node:http` only. Every file is configured with a {@link ServedFile}: ranges, validators,
 * forced statuses, drops mid-body, stalls, throttling, gzip, missing or lying Content-Length,
 * redirects and delays. Every request is logged with the body bytes actually handed to the socket,
 * so a test can assert that a resume only fetched the missing bytes.
 *
 * Counting rules (per path, reset by `setFile`):
 * - `statusSequence` is indexed by every request to the path (GET and HEAD alike).
 * - `dropAfterBytes` as an array is indexed by body responses only (GET answered 200/206), so
 *   `{ statusSequence: [503], dropAfterBytes: [1000] }` means "503 first, then the first body drops
 *   after 1000 bytes, then normal".
 */
import http from 'node:http';
import type { IncomingMessage, ServerResponse, OutgoingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createCipheriv, createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';

export interface ServedFile {
  /** The content (the identity representation). */
  body: Buffer;
  /** Default: a strong ETag derived from the content hash; `null` = no ETag. */
  etag?: string | null;
  /** Default: a fixed HTTP date; `null` = no Last-Modified. */
  lastModified?: string | null;
  /** Default `application/octet-stream`; `null` = no Content-Type header. */
  contentType?: string | null;
  /**
   * Raw Content-Disposition value. Characters above U+00FF are sent as raw UTF-8 bytes (as some
   * real servers do); Node's client then shows them as latin1, so decode with
   * `Buffer.from(value, 'latin1').toString('utf8')`.
   */
  contentDisposition?: string;
  /**
   * Default true: honour `Range` (single range `bytes=N-`, `bytes=N-M`, `bytes=-N`) with 206 +
   * Content-Range (416 when unsatisfiable), and `If-Range` (ETag or date; mismatch → full 200).
   * Multi-range or malformed Range headers are ignored (full 200).
   * false: no Accept-Ranges header, Range is ignored, always 200 full.
   */
  acceptRanges?: boolean;
  /** Force a status (e.g. 404, 500) with a short text body. 200/206 mean "normal". */
  status?: number;
  /** Statuses for successive requests (GET and HEAD), e.g. [500, 200]; after the list, normal (or `status`). */
  statusSequence?: number[];
  /** Retry-After header sent with a forced status. */
  retryAfter?: string;
  /**
   * Close the connection after this many body bytes of a response (relative to that response's
   * body, so for a 206 counted from the range start). Array: per successive body response; after
   * the list, no drop. A value ≥ the body length means no drop.
   */
  dropAfterBytes?: number | number[];
  /** Send this many body bytes, then send nothing more while keeping the socket open. */
  stallAfterBytes?: number;
  /** Throttle each response of this file to this rate (token bucket, slices on a timer). */
  bytesPerSecond?: number;
  /**
   * If the request's Accept-Encoding allows gzip: send the gzip-compressed body with
   * `Content-Encoding: gzip`, no Content-Length, a weakened ETag, no Accept-Ranges, and Range
   * ignored. Always adds `Vary: Accept-Encoding`.
   */
  gzip?: boolean;
  /** Chunked transfer, no Content-Length. */
  noContentLength?: boolean;
  /**
   * Send this Content-Length, write min(body, this) bytes, then close the connection
   * (so with a value above the real length the body is cut short).
   */
  lieContentLength?: number;
  /** Answer with a redirect (`redirectStatus`, default 302) to this path or URL. */
  redirectTo?: string;
  /** Status for `redirectTo` (301, 302, 303, 307, 308). Default 302. */
  redirectStatus?: number;
  /** Wait this long before answering headers. */
  delayMs?: number;
  /** Extra response headers (values above U+00FF are sent as raw UTF-8 bytes). */
  headers?: Record<string, string | string[]>;
  /**
   * Escape hatch: take over the response entirely (after logging and `delayMs`). The log then
   * records the status but not the body bytes.
   */
  handler?: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
}

export type RequestOutcome = 'complete' | 'dropped' | 'stalled' | 'cut' | 'aborted';

export interface RequestLog {
  method: string;
  /** Decoded path without the query (the lookup key). */
  path: string;
  /** The raw request target as received. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  /** The request's Range header, if any. */
  range?: string;
  /** Status sent (0 until headers are sent). */
  status: number;
  /** Body bytes handed to the socket for this request (minus writes that failed). */
  bytesSent: number;
  /** Date.now() when the request arrived. */
  startedAt: number;
  /** Date.now() when the response closed (finished, dropped or aborted). */
  endedAt?: number;
  /** How the response ended; undefined while still open. */
  outcome?: RequestOutcome;
}

export interface TestServer {
  /** e.g. http://127.0.0.1:PORT */
  url: string;
  port: number;
  /** Absolute URL for a path (encoded as needed); absolute URLs are returned as they are. */
  urlFor(path: string): string;
  /** Add or replace a file at a path like '/a.bin' (query ignored); resets that path's counters. */
  setFile(path: string, file: ServedFile): void;
  removeFile(path: string): void;
  /** Every request, in order (a live array). */
  requests: RequestLog[];
  requestsFor(path: string): RequestLog[];
  /** Total body bytes written for that path across requests. */
  bytesSentFor(path: string): number;
  /** Highest number of simultaneously open responses observed (assignable, e.g. to reset it). */
  maxConcurrent: number;
  /** Number of responses open right now. */
  readonly activeResponses: number;
  /** Clear the request log and maxConcurrent, and reset every path's counters. */
  reset(): void;
  /** Closes the server, destroying open sockets; resolves quickly. Idempotent. */
  close(): Promise<void>;
}

const DEFAULT_LAST_MODIFIED = 'Wed, 21 Oct 2015 07:28:00 GMT';
const DEFAULT_CONTENT_TYPE = 'application/octet-stream';
const CHUNK = 64 * 1024;

interface Entry {
  file: ServedFile;
  /** Requests to this path since setFile (indexes statusSequence). */
  requestCount: number;
  /** Body responses since setFile (indexes dropAfterBytes arrays). */
  bodyCount: number;
  etag?: string | null;
  gzipped?: Buffer;
}

/** Lookup key: decoded path without query or fragment. */
function keyOf(target: string): string {
  let p = target;
  if (!p.startsWith('/')) {
    try {
      p = new URL(p).pathname;
    } catch {
      // keep as is
    }
  }
  const q = p.search(/[?#]/);
  if (q >= 0) p = p.slice(0, q);
  try {
    return decodeURIComponent(p);
  } catch {
    return p;
  }
}

/** Node only sends header values as latin1; turn anything wider into its raw UTF-8 bytes. */
function rawHeaderValue(v: string): string {
  // eslint-disable-next-line no-control-regex
  return /[^\u0000-\u00ff]/.test(v) ? Buffer.from(v, 'utf8').toString('latin1') : v;
}

function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  let gzipQ: number | undefined;
  let starQ: number | undefined;
  for (const part of header.split(',')) {
    const [name = '', ...params] = part.split(';');
    const coding = name.trim().toLowerCase();
    let q = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(p);
      if (m) q = Number(m[1]);
    }
    if (coding === 'gzip' || coding === 'x-gzip') gzipQ = q;
    else if (coding === '*') starQ = q;
  }
  return (gzipQ ?? starQ ?? 0) > 0;
}

/** Single byte range → [start, end) ; 'unsatisfiable' ; undefined = ignore the header. */
function parseRange(header: string, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return undefined;
  const a = m[1] ?? '';
  const b = m[2] ?? '';
  if (a === '' && b === '') return undefined;
  if (a === '') {
    const suffix = Number(b);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size };
  }
  const start = Number(a);
  const last = b === '' ? size - 1 : Number(b);
  if (b !== '' && last < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end: Math.min(last, size - 1) + 1 };
}

function firstHeader(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function ifRangeMatches(ifRange: string | undefined, etag: string | null, lastModified: string | null): boolean {
  if (ifRange === undefined) return true;
  const v = ifRange.trim();
  if (v.startsWith('W/')) return false; // weak validators never match If-Range
  if (v.startsWith('"')) return etag !== null && !etag.startsWith('W/') && v === etag;
  if (lastModified === null) return false;
  if (v === lastModified) return true;
  const a = Date.parse(v);
  const b = Date.parse(lastModified);
  return Number.isFinite(a) && Number.isFinite(b) && a === b;
}

class Throttle {
  private start = performance.now();
  private sent = 0;
  private readonly slice: number;
  private readonly burst: number;

  constructor(private readonly bps: number) {
    this.slice = Math.max(1, Math.min(CHUNK, Math.round(bps / 50)));
    this.burst = 2 * this.slice;
  }

  /** How many of `want` bytes may be sent now, or how many ms to wait first. */
  poll(want: number): { bytes: number } | { waitMs: number } {
    const now = performance.now();
    let allowed = Math.floor((this.bps * (now - this.start)) / 1000) - this.sent;
    if (allowed > this.burst) {
      // Behind (slow reader): do not catch up in a burst.
      this.start = now - ((this.sent + this.burst) / this.bps) * 1000;
      allowed = this.burst;
    }
    const need = Math.min(want, this.slice);
    if (allowed >= need) {
      const bytes = Math.min(want, allowed);
      this.sent += bytes;
      return { bytes };
    }
    return { waitMs: Math.max(1, Math.ceil(((need - allowed) / this.bps) * 1000)) };
  }
}

function statusBody(status: number): string {
  return `${status} ${http.STATUS_CODES[status] ?? 'Status'}\n`;
}

/** Deterministic pseudo-random bytes (AES-128-CTR keystream of the seed), fast for 64 MiB. */
export function randomBytesSeeded(size: number, seed = 1): Buffer {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`bad size ${size}`);
  const key = createHash('sha256').update(`randomBytesSeeded:${seed}`).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  const out = Buffer.allocUnsafe(size);
  const zeros = Buffer.alloc(Math.min(size, 1 << 20));
  for (let off = 0; off < size; off += zeros.length) {
    const n = Math.min(zeros.length, size - off);
    cipher.update(zeros.subarray(0, n)).copy(out, off);
  }
  return out;
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

export async function startServer(files: Record<string, ServedFile> = {}): Promise<TestServer> {
  const entries = new Map<string, Entry>();
  const requests: RequestLog[] = [];
  const sockets = new Set<Socket>();
  const cancels = new Set<() => void>();
  let active = 0;
  let maxConcurrent = 0;
  let closing = false;
  let closePromise: Promise<void> | undefined;

  const setFile = (path: string, file: ServedFile): void => {
    entries.set(keyOf(path), { file, requestCount: 0, bodyCount: 0 });
  };
  for (const [p, f] of Object.entries(files)) setFile(p, f);

  /** Resolves true after ms, false if the response closes or the server shuts down first. */
  const sleep = (ms: number, res: ServerResponse): Promise<boolean> =>
    new Promise((resolve) => {
      if (closing || res.destroyed) return resolve(false);
      const finish = (ok: boolean): void => {
        clearTimeout(timer);
        res.off('close', onClose);
        cancels.delete(onClose);
        resolve(ok);
      };
      const onClose = (): void => finish(false);
      const timer = setTimeout(() => finish(true), ms);
      res.once('close', onClose);
      cancels.add(onClose);
    });

  /** Resolves true on 'drain', false if the response closes or the server shuts down. */
  const drained = (res: ServerResponse): Promise<boolean> =>
    new Promise((resolve) => {
      if (closing || res.destroyed) return resolve(false);
      const finish = (ok: boolean): void => {
        res.off('drain', onDrain);
        res.off('close', onClose);
        cancels.delete(onClose);
        resolve(ok);
      };
      const onDrain = (): void => finish(true);
      const onClose = (): void => finish(false);
      res.once('drain', onDrain);
      res.once('close', onClose);
      cancels.add(onClose);
    });

  const etagOf = (entry: Entry): string | null => {
    if (entry.file.etag !== undefined) return entry.file.etag;
    if (entry.etag === undefined) entry.etag = `"${sha256(entry.file.body).slice(0, 32)}"`;
    return entry.etag;
  };

  const sendStatus = (
    req: IncomingMessage,
    res: ServerResponse,
    log: RequestLog,
    status: number,
    headers: OutgoingHttpHeaders = {},
  ): void => {
    const noBody = status < 200 || status === 204 || status === 304;
    const text = noBody ? '' : statusBody(status);
    log.status = status;
    res.writeHead(status, {
      ...headers,
      ...(noBody ? {} : { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) }),
    });
    if (req.method === 'HEAD' || noBody) res.end();
    else res.end(text);
  };

  /** Flush what was written, then close the connection (FIN, then destroy). */
  const cutConnection = (res: ServerResponse): void => {
    if (!res.headersSent) res.flushHeaders();
    const socket = res.socket;
    if (!socket || socket.destroyed) return;
    socket.end(() => socket.destroy());
  };

  const writeBody = async (
    res: ServerResponse,
    log: RequestLog,
    data: Buffer,
    opts: { bytesPerSecond?: number; dropAfter?: number; stallAfter?: number; cutAtEnd: boolean },
  ): Promise<void> => {
    let limit = data.length;
    let mode: 'end' | 'cut' | 'drop' | 'stall' = opts.cutAtEnd ? 'cut' : 'end';
    if (opts.stallAfter !== undefined && opts.stallAfter < limit) {
      limit = Math.max(0, opts.stallAfter);
      mode = 'stall';
    }
    if (opts.dropAfter !== undefined && opts.dropAfter < data.length && opts.dropAfter <= limit) {
      limit = Math.max(0, opts.dropAfter);
      mode = 'drop';
    }
    const throttle = opts.bytesPerSecond && opts.bytesPerSecond > 0 ? new Throttle(opts.bytesPerSecond) : undefined;
    if (throttle) res.flushHeaders(); // headers go out at once; only the body is slow
    let pos = 0;
    while (pos < limit) {
      if (closing || res.destroyed) return;
      let n = Math.min(CHUNK, limit - pos);
      if (throttle) {
        const r = throttle.poll(n);
        if ('waitMs' in r) {
          if (!(await sleep(r.waitMs, res))) return;
          continue;
        }
        n = r.bytes;
      }
      const chunk = data.subarray(pos, pos + n);
      pos += n;
      log.bytesSent += n;
      const ok = res.write(chunk, (err) => {
        if (err) log.bytesSent -= n;
      });
      if (!ok && !(await drained(res))) return;
    }
    if (closing || res.destroyed) return;
    switch (mode) {
      case 'end':
        res.end();
        return;
      case 'cut':
      case 'drop':
        log.outcome = mode === 'cut' ? 'cut' : 'dropped';
        cutConnection(res);
        return;
      case 'stall':
        log.outcome = 'stalled';
        if (!res.headersSent) res.flushHeaders();
        return; // keep the socket open until the client or close() ends it
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, log: RequestLog): Promise<void> => {
    const method = req.method ?? 'GET';
    const entry = entries.get(log.path);
    if (!entry) return sendStatus(req, res, log, 404);
    const { file } = entry;
    const index = entry.requestCount++;

    if (file.delayMs && file.delayMs > 0 && !(await sleep(file.delayMs, res))) return;
    if (file.handler) return file.handler(req, res);
    if (method !== 'GET' && method !== 'HEAD') return sendStatus(req, res, log, 405, { Allow: 'GET, HEAD' });

    const forced = file.statusSequence?.[index] ?? file.status;
    if (forced !== undefined && forced !== 200 && forced !== 206) {
      return sendStatus(req, res, log, forced, file.retryAfter !== undefined ? { 'Retry-After': file.retryAfter } : {});
    }

    if (file.redirectTo !== undefined) {
      return sendStatus(req, res, log, file.redirectStatus ?? 302, { Location: rawHeaderValue(file.redirectTo) });
    }

    const useGzip = file.gzip === true && acceptsGzip(req.headers['accept-encoding']);
    const body = useGzip ? (entry.gzipped ??= gzipSync(file.body)) : file.body;
    const size = body.length;
    const etag = etagOf(entry);
    const lastModified = file.lastModified === undefined ? DEFAULT_LAST_MODIFIED : file.lastModified;

    const contentType = file.contentType === undefined ? DEFAULT_CONTENT_TYPE : file.contentType;
    if (contentType !== null) res.setHeader('Content-Type', contentType);
    if (file.contentDisposition !== undefined) res.setHeader('Content-Disposition', rawHeaderValue(file.contentDisposition));
    if (etag !== null) res.setHeader('ETag', useGzip && !etag.startsWith('W/') ? `W/${etag}` : etag);
    if (lastModified !== null) res.setHeader('Last-Modified', lastModified);
    if (file.gzip) res.setHeader('Vary', 'Accept-Encoding');
    if (useGzip) res.setHeader('Content-Encoding', 'gzip');
    for (const [name, value] of Object.entries(file.headers ?? {})) {
      res.setHeader(name, Array.isArray(value) ? value.map(rawHeaderValue) : rawHeaderValue(value));
    }

    let status = 200;
    let start = 0;
    let end = size;
    if (!useGzip && file.acceptRanges !== false) {
      res.setHeader('Accept-Ranges', 'bytes');
      const range = req.headers.range;
      if (range !== undefined && ifRangeMatches(firstHeader(req.headers['if-range']), etag, lastModified)) {
        const r = parseRange(range, size);
        if (r === 'unsatisfiable') {
          return sendStatus(req, res, log, 416, { 'Content-Range': `bytes */${size}` });
        }
        if (r) {
          status = 206;
          start = r.start;
          end = r.end;
          res.setHeader('Content-Range', `bytes ${start}-${end - 1}/${size}`);
        }
      }
    }

    if (file.lieContentLength !== undefined) res.setHeader('Content-Length', file.lieContentLength);
    else if (!useGzip && !file.noContentLength) res.setHeader('Content-Length', end - start);

    log.status = status;
    res.writeHead(status);
    if (method === 'HEAD') {
      res.end();
      return;
    }

    const bodyIndex = entry.bodyCount++;
    const drop = Array.isArray(file.dropAfterBytes) ? file.dropAfterBytes[bodyIndex] : file.dropAfterBytes;
    let data = body.subarray(start, end);
    if (file.lieContentLength !== undefined) data = data.subarray(0, Math.max(0, file.lieContentLength));
    await writeBody(res, log, data, {
      bytesPerSecond: file.bytesPerSecond,
      dropAfter: drop,
      stallAfter: file.stallAfterBytes,
      cutAtEnd: file.lieContentLength !== undefined,
    });
  };

  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    const log: RequestLog = {
      method: req.method ?? 'GET',
      path: keyOf(url),
      url,
      headers: req.headers,
      range: req.headers.range,
      status: 0,
      bytesSent: 0,
      startedAt: Date.now(),
    };
    requests.push(log);
    active++;
    maxConcurrent = Math.max(maxConcurrent, active);
    res.once('close', () => {
      active--;
      log.endedAt = Date.now();
      if (log.status === 0 && res.headersSent) log.status = res.statusCode; // e.g. from a custom handler
      log.outcome ??= res.writableFinished ? 'complete' : 'aborted';
    });
    handle(req, res, log).catch((err: unknown) => {
      if (res.destroyed) return;
      if (!res.headersSent) {
        try {
          sendStatus(req, res, log, 500);
          return;
        } catch {
          // fall through
        }
      }
      res.destroy(err instanceof Error ? err : new Error(String(err)));
    });
  });

  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // A client that resets mid-response must not crash the test process.
  server.on('clientError', (_err, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;

  const requestsFor = (path: string): RequestLog[] => {
    const key = keyOf(path);
    return requests.filter((r) => r.path === key);
  };

  const api: TestServer = {
    url: base,
    port,
    urlFor: (path) => new URL(path, base).href,
    setFile,
    removeFile: (path) => {
      entries.delete(keyOf(path));
    },
    requests,
    requestsFor,
    bytesSentFor: (path) => requestsFor(path).reduce((sum, r) => sum + r.bytesSent, 0),
    get maxConcurrent() {
      return maxConcurrent;
    },
    set maxConcurrent(v: number) {
      maxConcurrent = v;
    },
    get activeResponses() {
      return active;
    },
    reset: () => {
      requests.length = 0;
      maxConcurrent = active;
      for (const e of entries.values()) {
        e.requestCount = 0;
        e.bodyCount = 0;
      }
    },
    close: () => {
      closePromise ??= new Promise<void>((resolve) => {
        closing = true;
        for (const cancel of [...cancels]) cancel();
        server.close(() => resolve());
        server.closeAllConnections();
        for (const s of sockets) s.destroy();
      });
      return closePromise;
    },
  };
  return api;
}
