import net from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * The fast path of a single-stream download over plain http with no proxy: one GET on its own TCP
 * connection whose body is read into one reused buffer (net.Socket's `onread`) and handed to the
 * caller synchronously, chunk by chunk.
 *
 * Why not node:http for these too: each socket read there is a fresh 64 KiB buffer, and for a fast
 * download the allocations, the page faults of fresh memory and the collections they cause cost the
 * CPU that decides the speed on two cores. A single 1 GiB download on loopback ran at about 0.7 of
 * curl's speed through node:http and above curl's through this reader (docs/performance.md, case 1).
 * https, proxies, segments and anything unusual go through node:http (http-get.ts).
 *
 * What it reads: a status line and headers (1xx answers skipped; at most 64 KiB of head), then a
 * body framed by Content-Length, by chunked transfer coding, or by the end of the connection. The
 * request says `Connection: close`, so a connection is never reused and never shared.
 */

const READ_BUFFER = 64 * 1024;

/**
 * Read buffers of closed connections, reused by the next ones. One buffer per connection is still
 * 64 KiB; 2,000 small files in a row allocated 125 MiB of them, which V8 frees only when it collects
 * (a peak of ~235 MiB instead of ~135). A buffer goes back only once its socket is closed, when
 * nothing can write into it any more.
 */
const spareBuffers: Buffer[] = [];
const MAX_SPARE_BUFFERS = 16;
const HEAD_LIMIT = 64 * 1024;

/** What the body sink answers for each chunk: a pause in ms before the next one, or false to stop. */
export type BodySink = (chunk: Buffer) => number | false;

export interface RawAnswer {
  statusCode: number;
  headers: IncomingHttpHeaders;
  /**
   * Delivers the body to `sink` until it ends (resolves), fails (rejects with an error that has a
   * `code`), or the sink returns false (resolves; the connection is closed). Call once.
   */
  pump(sink: BodySink): Promise<void>;
  /** Closes the connection (whether or not the body was read). */
  destroy(): void;
}

export interface RawGetOptions {
  url: URL;
  /** Lower-case names, already validated (no CR/LF can reach the request). */
  headers: Record<string, string>;
  idleTimeoutMs: number;
  connectTimeoutMs: number;
  signal?: AbortSignal;
}

class RawHttpError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'RawHttpError';
  }
}

/** Sends the GET and resolves with the answer's head; the body waits (the socket paused) for pump(). */
export function rawGet(options: RawGetOptions): Promise<RawAnswer> {
  return new RawExchange(options).head;
}

type Framing = { kind: 'length'; left: number } | { kind: 'chunked' } | { kind: 'close' };

class RawExchange {
  readonly head: Promise<RawAnswer>;
  #resolveHead!: (answer: RawAnswer) => void;
  #rejectHead!: (error: Error) => void;
  #socket: net.Socket;
  #headBytes: Buffer[] = [];
  #headLength = 0;
  #state: 'head' | 'waiting' | 'body' | 'done' = 'head';
  /** Body bytes that came with the head, delivered first. */
  #early: Buffer | undefined;
  #framing: Framing = { kind: 'close' };
  #chunked = new ChunkedDecoder();
  #sink: BodySink | undefined;
  #finish: ((error?: Error) => void) | undefined;
  #connectTimer: NodeJS.Timeout | undefined;
  #pauseTimer: NodeJS.Timeout | undefined;
  #failure: Error | undefined;
  /** The server closed its side (the end of a body framed by the connection). */
  #eof = false;

  constructor(private readonly options: RawGetOptions) {
    this.head = new Promise<RawAnswer>((resolve, reject) => {
      this.#resolveHead = resolve;
      this.#rejectHead = reject;
    });
    const { url, signal } = options;
    const port = Number(url.port || 80);
    // URL keeps the brackets of an IPv6 literal; net wants the bare address.
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const readBuffer = spareBuffers.pop() ?? Buffer.allocUnsafe(READ_BUFFER);
    this.#socket = net.connect({
      host,
      port,
      onread: { buffer: readBuffer, callback: (n: number, buffer: Buffer) => this.#onRead(buffer.subarray(0, n)) },
    });
    this.#connectTimer = setTimeout(() => this.#fail(new RawHttpError(`timeout: could not connect within ${options.connectTimeoutMs} ms`, 'ETIMEDOUT')), options.connectTimeoutMs);
    this.#socket.once('connect', () => {
      clearTimeout(this.#connectTimer);
      // latin1, as node:http writes heads: header values may hold bytes 0x80-0xFF (validate.ts).
      this.#socket.write(this.#request(), 'latin1');
    });
    this.#socket.setTimeout(options.idleTimeoutMs, () => this.#fail(new RawHttpError('timeout: no data from the server', 'ETIMEDOUT')));
    this.#socket.on('error', (error) => this.#fail(error));
    this.#socket.on('end', () => this.#onEnd());
    this.#socket.on('close', () => {
      this.#onEnd();
      if (spareBuffers.length < MAX_SPARE_BUFFERS) spareBuffers.push(readBuffer);
    });
    if (signal) {
      const onAbort = (): void => {
        // Only until the head: after it the caller ends the body itself (destroy()).
        if (this.#state === 'head') this.#fail(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      };
      if (signal.aborted) onAbort();
      else {
        signal.addEventListener('abort', onAbort, { once: true });
        this.head.then(
          () => signal.removeEventListener('abort', onAbort),
          () => signal.removeEventListener('abort', onAbort),
        );
      }
    }
  }

  #request(): string {
    const { url, headers } = this.options;
    // A Host given by the caller wins, as with node:http (virtual hosts on a test server).
    let text = `GET ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${headers.host ?? url.host}\r\n`;
    for (const [name, value] of Object.entries(headers)) {
      // A GET has no body: a caller's framing headers would only make the server wait for one.
      if (name === 'host' || name === 'connection' || name === 'content-length' || name === 'transfer-encoding') continue;
      text += `${name}: ${value}\r\n`;
    }
    // Credentials in the URL (http://user:pass@host/) go as Basic authorization, as node:http sends
    // them, unless the caller gave an authorization of its own.
    if ((url.username || url.password) && headers.authorization === undefined) {
      text += `authorization: Basic ${Buffer.from(`${decodeUserinfo(url.username)}:${decodeUserinfo(url.password)}`).toString('base64')}\r\n`;
    }
    return `${text}connection: close\r\n\r\n`;
  }

  /** Returns false to pause the socket (Node's `onread` contract). */
  #onRead(data: Buffer): boolean {
    if (this.#state === 'done') return false;
    if (this.#state === 'head') {
      this.#readHead(data);
      // Paused once the head is read: the body waits for pump().
      return this.#reading();
    }
    if (this.#state === 'waiting') {
      // Not expected (the socket is paused while waiting), but never lose bytes: keep them for pump().
      this.#early = this.#early ? Buffer.concat([this.#early, data]) : Buffer.from(data);
      return false;
    }
    return this.#deliver(data);
  }

  #reading(): boolean {
    return this.#state === 'head' || this.#state === 'body';
  }

  #readHead(data: Buffer): void {
    this.#headBytes.push(Buffer.from(data));
    this.#headLength += data.length;
    let all = this.#headBytes.length === 1 ? this.#headBytes[0]! : Buffer.concat(this.#headBytes);
    for (;;) {
      const end = all.indexOf('\r\n\r\n');
      if (end < 0) {
        this.#headBytes = [all];
        if (this.#headLength > HEAD_LIMIT) this.#fail(new RawHttpError('the answer head is larger than 64 KiB', 'HPE_HEADER_OVERFLOW'));
        return;
      }
      // The limit counts the head's bytes even when its end came in the read that crossed the limit.
      if (end + 4 > HEAD_LIMIT) {
        this.#fail(new RawHttpError('the answer head is larger than 64 KiB', 'HPE_HEADER_OVERFLOW'));
        return;
      }
      const parsed = parseHead(all.subarray(0, end).toString('latin1'));
      const rest = all.subarray(end + 4);
      if (!parsed) {
        this.#fail(new RawHttpError('the server sent an answer that is not HTTP/1.x', 'HPE_INVALID_CONSTANT'));
        return;
      }
      if (parsed.conflict) {
        // As llhttp refuses them: the body's length would be a guess, and a wrong guess a wrong file.
        this.#fail(new RawHttpError(`the server sent a body of ambiguous length (${parsed.conflict})`, 'HPE_UNEXPECTED_CONTENT_LENGTH'));
        return;
      }
      if (parsed.statusCode >= 100 && parsed.statusCode < 200) {
        // An informational answer (100 Continue, 103 Early Hints): the real one follows.
        all = rest;
        this.#headLength = rest.length;
        continue;
      }
      this.#headBytes = [];
      this.#early = rest.length > 0 ? rest : undefined;
      this.#framing = framingOf(parsed.headers);
      this.#state = 'waiting';
      this.#resolveHead({
        statusCode: parsed.statusCode,
        headers: parsed.headers,
        pump: (sink) => this.#pump(sink),
        destroy: () => this.#close(),
      });
      return;
    }
  }

  #pump(sink: BodySink): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.#failure) {
        reject(this.#failure);
        return;
      }
      this.#sink = sink;
      this.#finish = (error) => (error ? reject(error) : resolve());
      this.#state = 'body';
      const early = this.#early;
      this.#early = undefined;
      if (early && !this.#deliver(early) && this.#state !== 'body') return;
      if (this.#state !== 'body') return;
      if ((this.#framing.kind === 'length' && this.#framing.left === 0) || (this.#framing.kind === 'close' && this.#eof)) this.#end();
      else if (this.#eof) this.#fail(new RawHttpError('aborted', 'ECONNRESET'));
      else if (!this.#pauseTimer) this.#socket.resume();
    });
  }

  /** Hands body bytes to the sink; false when reading should pause (or it ended). */
  #deliver(data: Buffer): boolean {
    let body: Buffer[];
    const framing = this.#framing;
    try {
      if (framing.kind === 'length') {
        const take = Math.min(framing.left, data.length);
        body = take > 0 ? [data.subarray(0, take)] : [];
        framing.left -= take;
      } else if (framing.kind === 'chunked') body = this.#chunked.push(data);
      else body = [data];
    } catch (error) {
      this.#fail(error as Error);
      return false;
    }
    let pause = 0;
    for (const piece of body) {
      let answer: number | false;
      try {
        answer = this.#sink!(piece);
      } catch (error) {
        this.#fail(error as Error);
        return false;
      }
      if (answer === false) {
        this.#end();
        return false;
      }
      pause = Math.max(pause, answer);
    }
    if ((framing.kind === 'length' && framing.left === 0) || (framing.kind === 'chunked' && this.#chunked.done)) {
      this.#end();
      return false;
    }
    if (pause > 0) {
      // Our own pause (a speed limit) is not the server's silence: no idle timeout meanwhile.
      this.#socket.setTimeout(0);
      this.#pauseTimer = setTimeout(() => {
        this.#pauseTimer = undefined;
        if (this.#state !== 'body') return;
        this.#socket.setTimeout(this.options.idleTimeoutMs);
        this.#socket.resume();
      }, pause);
      return false;
    }
    return true;
  }

  #onEnd(): void {
    if (this.#state === 'done') return;
    this.#eof = true;
    if (this.#state === 'head') this.#fail(new RawHttpError('socket hang up', 'ECONNRESET'));
    // Waiting for pump(): it sees #eof once it has delivered the bytes that came with the head.
    else if (this.#state === 'body') {
      if (this.#framing.kind === 'close') this.#end();
      // A length or chunked body cut short: the connection closed before every byte arrived.
      else this.#fail(new RawHttpError('aborted', 'ECONNRESET'));
    }
  }

  #end(): void {
    if (this.#state === 'done') return;
    this.#state = 'done';
    this.#close();
    this.#finish?.();
  }

  #fail(error: Error): void {
    if (this.#state === 'done') return;
    const wasHead = this.#state === 'head';
    this.#state = 'done';
    this.#failure = error;
    this.#close();
    if (wasHead) this.#rejectHead(error);
    else this.#finish?.(error);
  }

  #close(): void {
    clearTimeout(this.#connectTimer);
    clearTimeout(this.#pauseTimer);
    this.#socket.destroy();
  }
}

/** A user name or password of a URL, percent-decoded as node:http does (kept as it is if malformed). */
function decodeUserinfo(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function parseHead(text: string): { statusCode: number; headers: IncomingHttpHeaders; conflict?: string } | undefined {
  const lines = text.split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(lines[0] ?? '');
  if (!status) return undefined;
  // No prototype, as node:http's own: a header named "constructor" or "__proto__" is just a header.
  const headers: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  let conflict: string | undefined;
  let last: string | undefined;
  for (const line of lines.slice(1)) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && last) {
      // obs-fold: a continuation of the previous header's value.
      const value = headers[last];
      if (typeof value === 'string') headers[last] = `${value} ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    last = name;
    const before = headers[name];
    if (name === 'content-length' && before !== undefined && before !== value) conflict ??= 'two different Content-Length headers';
    if (name === 'set-cookie') headers[name] = [...(Array.isArray(before) ? before : []), value];
    else if (before === undefined) headers[name] = value;
    // As node:http does: the first Content-Length/Content-Type/… counts; others are joined.
    else if (!SINGLE.has(name)) headers[name] = `${String(before)}, ${value}`;
  }
  if (headers['content-length'] !== undefined && headers['transfer-encoding'] !== undefined) conflict ??= 'Content-Length with Transfer-Encoding';
  return { statusCode: Number(status[1]), headers, ...(conflict ? { conflict } : {}) };
}

/** Headers node:http keeps only once (the first one wins); two different Content-Lengths are refused above. */
const SINGLE = new Set(['content-length', 'content-type', 'content-range', 'etag', 'last-modified', 'location', 'retry-after', 'content-disposition']);

function framingOf(headers: IncomingHttpHeaders): Framing {
  const coding = headers['transfer-encoding'];
  if (typeof coding === 'string' && /(^|,)\s*chunked\s*$/i.test(coding)) return { kind: 'chunked' };
  const length = headers['content-length'];
  if (typeof length === 'string' && /^\d+$/.test(length)) return { kind: 'length', left: Number(length) };
  return { kind: 'close' };
}

/** Chunked transfer coding (RFC 9112 §7.1): sizes, data, CRLFs, trailers. Throws on malformed input. */
class ChunkedDecoder {
  done = false;
  #state: 'size' | 'data' | 'data-end' | 'trailer' = 'size';
  #line = '';
  #left = 0;

  push(data: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let i = 0;
    while (i < data.length && !this.done) {
      if (this.#state === 'data') {
        const take = Math.min(this.#left, data.length - i);
        out.push(data.subarray(i, i + take));
        i += take;
        this.#left -= take;
        if (this.#left === 0) this.#state = 'data-end';
        continue;
      }
      // Line-oriented states: read up to LF.
      const lf = data.indexOf(0x0a, i);
      const end = lf < 0 ? data.length : lf;
      this.#line += data.subarray(i, end).toString('latin1');
      if (this.#line.length > 4096) throw new RawHttpError('a chunk line is too long', 'HPE_CHUNK_EXTENSIONS_OVERFLOW');
      i = end;
      if (lf < 0) break;
      i += 1;
      const line = this.#line.replace(/\r$/, '');
      this.#line = '';
      if (this.#state === 'size') {
        const size = /^([0-9a-fA-F]+)\s*(;.*)?$/.exec(line);
        if (!size) throw new RawHttpError('a malformed chunk size', 'HPE_INVALID_CHUNK_SIZE');
        this.#left = parseInt(size[1]!, 16);
        this.#state = this.#left === 0 ? 'trailer' : 'data';
      } else if (this.#state === 'data-end') {
        if (line !== '') throw new RawHttpError('a chunk without its closing CRLF', 'HPE_INVALID_CHUNK_SIZE');
        this.#state = 'size';
      } else if (line === '') this.done = true; // the empty line after the trailers
    }
    return out;
  }
}
