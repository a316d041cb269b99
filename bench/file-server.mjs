#!/usr/bin/env node
// The benchmarks' static file server: one process on 127.0.0.1 serves every client, so only the
// clients differ. node:http + fs streams, keep-alive, single byte ranges with If-Range, strong ETags.
//
//   node bench/file-server.mjs --root DIR [--port 0] [--cap BYTES_PER_SECOND]
//
// GET /files/<path>   the file under DIR, as fast as the machine allows
// GET /capped/<path>  the same file, each connection capped at --cap bytes per second (case 3)
// GET /drop/<N>/<path> the same file, but a response that would pass byte offset N is cut there (the
//                     connection is destroyed after the bytes before N): a link that breaks once (case 5)
// GET /__stats        {requests, bodyBytes} since start or the last /__stats?reset=1; bodyBytes counts
//                     what was written to sockets for file bodies (an upper bound of what clients got)
//
// Prints one line `{"port":N}` on stdout when listening; stops on SIGTERM or when stdin closes.

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    root: { type: 'string' },
    port: { type: 'string', default: '0' },
    cap: { type: 'string', default: String(25 * 1024 * 1024) },
  },
});
if (!values.root) {
  process.stderr.write('usage: file-server.mjs --root DIR [--port N] [--cap BYTES_PER_SECOND]\n');
  process.exit(2);
}
const ROOT = path.resolve(values.root);
const CAP = Number(values.cap);
const READ_CHUNK = 512 * 1024;
/** Largest slice the capped path sends at once, so a capped connection flows smoothly. */
const CAP_SLICE = 64 * 1024;

const stats = { requests: 0, bodyBytes: 0 };
/** Files do not change during a run: one stat per path, not one per request. */
const statCache = new Map();

function fileInfo(rel) {
  let info = statCache.get(rel);
  if (info) return info;
  const file = path.join(ROOT, rel);
  if (!file.startsWith(ROOT + path.sep)) return undefined;
  let st;
  try {
    st = fs.statSync(file);
  } catch {
    return undefined;
  }
  if (!st.isFile()) return undefined;
  info = {
    file,
    size: st.size,
    etag: `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`,
    lastModified: st.mtime.toUTCString(),
  };
  statCache.set(rel, info);
  return info;
}

/** A single `bytes=a-b`, `bytes=a-` or `bytes=-n`; null = ignore the header, 'bad' = 416. */
function parseRange(header, size) {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start;
  let end;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) return 'bad';
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return 'bad';
  return { start, end };
}

/** Per connection: the time (ms) at which its bucket is free again. */
const capClock = new WeakMap();

/** Paces one response at CAP bytes per second for its connection (a token bucket with a 50 ms burst). */
function capper(socket) {
  return new Transform({
    highWaterMark: CAP_SLICE,
    transform(chunk, _enc, callback) {
      let offset = 0;
      const next = () => {
        if (offset >= chunk.length) return callback();
        const slice = chunk.subarray(offset, offset + CAP_SLICE);
        offset += slice.length;
        const now = performance.now();
        const startAt = Math.max(capClock.get(socket) ?? 0, now - 50);
        const free = startAt + (slice.length * 1000) / CAP;
        capClock.set(socket, free);
        const wait = free - now - 50;
        if (wait <= 0) {
          this.push(slice);
          next();
        } else {
          setTimeout(() => {
            this.push(slice);
            next();
          }, wait);
        }
      };
      next();
    },
  });
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (url.pathname === '/__stats') {
    const body = JSON.stringify(stats);
    if (url.searchParams.has('reset')) Object.assign(stats, { requests: 0, bodyBytes: 0 });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  const match = /^\/(files|capped|drop\/(\d+))\/(.+)$/.exec(url.pathname);
  const info = match && fileInfo(decodeURIComponent(match[3]));
  if (!info || (req.method !== 'GET' && req.method !== 'HEAD')) {
    res.writeHead(info ? 405 : 404, { 'content-length': 0 });
    res.end();
    return;
  }
  stats.requests += 1;
  const capped = match[1] === 'capped';
  const dropAt = match[2] === undefined ? undefined : Number(match[2]);
  const headers = {
    'content-type': 'application/octet-stream',
    'accept-ranges': 'bytes',
    etag: info.etag,
    'last-modified': info.lastModified,
  };
  let status = 200;
  let start = 0;
  let end = info.size - 1;
  const rangeHeader = req.headers.range;
  const ifRange = req.headers['if-range'];
  const rangeAllowed = ifRange === undefined || ifRange === info.etag || ifRange === info.lastModified;
  if (rangeHeader && rangeAllowed) {
    const range = parseRange(rangeHeader, info.size);
    if (range === 'bad') {
      res.writeHead(416, { ...headers, 'content-range': `bytes */${info.size}`, 'content-length': 0 });
      res.end();
      return;
    }
    if (range) {
      status = 206;
      ({ start, end } = range);
      headers['content-range'] = `bytes ${start}-${end}/${info.size}`;
    }
  }
  const length = info.size === 0 ? 0 : end - start + 1;
  headers['content-length'] = length;
  res.writeHead(status, headers);
  if (req.method === 'HEAD' || length === 0) {
    res.end();
    return;
  }
  const socket = req.socket;
  const before = socket.bytesWritten;
  const counted = () => {
    stats.bodyBytes += Math.max(0, socket.bytesWritten - before);
  };
  res.once('close', counted);
  if (dropAt !== undefined && start < dropAt && dropAt <= end) {
    // Send the bytes before the drop point, then break the connection mid-body.
    const head = fs.createReadStream(info.file, { start, end: dropAt - 1, highWaterMark: READ_CHUNK });
    head.on('data', (chunk) => {
      if (!res.write(chunk)) {
        head.pause();
        res.once('drain', () => head.resume());
      }
    });
    // end(), not destroy(): the bytes before the drop point reach the client, then the connection closes.
    head.once('end', () => socket.end());
    head.once('error', () => socket.destroy());
    return;
  }
  const source = fs.createReadStream(info.file, { start, end, highWaterMark: capped ? CAP_SLICE : READ_CHUNK });
  try {
    if (capped) await pipeline(source, capper(socket), res);
    else await pipeline(source, res);
  } catch {
    // The client went away (a pause, a cancel, a killed process): nothing to do.
  }
}

const server = http.createServer({ keepAlive: true, noDelay: true }, (req, res) => {
  handle(req, res).catch((error) => {
    process.stderr.write(`file-server: ${error.stack}\n`);
    if (!res.headersSent) res.writeHead(500);
    res.end();
  });
});
server.keepAliveTimeout = 60_000;
server.headersTimeout = 65_000;
server.requestTimeout = 0;
server.maxRequestsPerSocket = 0;

server.listen(Number(values.port), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});

const stop = () => {
  server.close();
  server.closeAllConnections();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();
