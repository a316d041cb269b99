import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import mime from 'mime-types';
import { mediaExpiryValid, mediaSignaturePayload } from '../../src-shared/media-signature.js';
import type { MediaRef } from '../../src-shared/types.js';
import { parseRange } from '../core/byte-range.js';
import type { Engine } from '../core/engine.js';
import { MediaLibrary } from '../core/media.js';
import { mediaResponseHeaders } from '../core/media-response.js';
import { PACKAGE_ROOT } from '../core/package-root.js';
import { hasSecret, safeEqual } from './http-api.js';

/**
 * The page side of the browser host: the built renderer and media previews confined to the cache.
 * No cookie carries authority here: cookies on 127.0.0.1 are sent to, and can be planted by, every
 * other local port. The printed URL carries the secret in its fragment (`/#secret=…`, never sent to a
 * server); the page keeps it in sessionStorage and sends it as `Authorization: Bearer` on each API
 * call. Media loads (<img>, <video>) cannot send headers, so each media URL carries a short-lived
 * signature for that one file instead (media-signature.ts). docs/security.md has the whole model.
 */

export const RENDERER_DIR = path.join(PACKAGE_ROOT, 'dist', 'renderer');

/** The page may load only itself; media and API calls stay on this origin. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

export function createPageHandler(engine: Engine, secret: string, rendererDir = RENDERER_DIR) {
  const media = new MediaLibrary(engine);
  return async (req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<boolean> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    if (url.pathname.startsWith('/media/')) return serveMedia(req, res, url, media, secret);
    // The page itself is public code (the built renderer): it holds nothing until the user's fragment
    // gives it the secret, and every call it makes is checked on its own.
    return serveStatic(req, res, url, rendererDir);
  };
}

/** A media URL's signature (media-signature.ts), checked in constant time against this launch's secret. */
export function signMediaRef(ref: MediaRef, expires: number, secret: string): string {
  return createHmac('sha256', secret).update(mediaSignaturePayload(ref, expires)).digest('hex');
}

function signatureValid(ref: MediaRef, url: URL, secret: string): boolean {
  const expires = Number(url.searchParams.get('expires'));
  const signature = url.searchParams.get('sig') ?? '';
  return mediaExpiryValid(expires, Date.now()) && safeEqual(signature, signMediaRef(ref, expires, secret));
}

async function serveMedia(req: http.IncomingMessage, res: http.ServerResponse, url: URL, media: MediaLibrary, secret: string): Promise<boolean> {
  const [, , partition, ...rest] = url.pathname.split('/');
  let name: string;
  try {
    name = rest.map((s) => decodeURIComponent(s)).join('/');
  } catch {
    return sendText(res, 404, 'not found');
  }
  if (partition !== 'cache' && partition !== 'mass') return sendText(res, 404, 'not found');
  const ref: MediaRef = { partition, name };
  if (!signatureValid(ref, url, secret) && !hasSecret(req, secret)) {
    return sendText(res, 403, 'This media link has expired or is not valid: open the file again from the window.');
  }
  let file: string;
  try {
    file = await media.resolve(ref);
  } catch {
    // Outside the cache, a partial file, or missing: all the same 404, so nothing can be probed.
    return sendText(res, 404, 'not found');
  }
  const size = fs.statSync(file).size;
  const headers: http.OutgoingHttpHeaders = mediaResponseHeaders({ fileName: file });
  // Video and audio players seek with single ranges.
  const range = parseRange(req.headers.range, size);
  if (range.kind === 'unsatisfiable') {
    res.writeHead(416, { ...headers, 'content-range': `bytes */${size}` });
    res.end();
    return true;
  }
  if (range.kind === 'partial') {
    const { start, end } = range;
    res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${end}/${size}`, 'content-length': end - start + 1 });
    if (req.method === 'HEAD') res.end();
    else pipeFile(fs.createReadStream(file, { start, end }), res);
    return true;
  }
  res.writeHead(200, { ...headers, 'content-length': size });
  if (req.method === 'HEAD' || size === 0) res.end();
  else pipeFile(fs.createReadStream(file), res);
  return true;
}

/**
 * A read stream without an 'error' listener takes the process down when the file vanishes between
 * the stat and the open (deleted, moved to the gallery): end that one response instead.
 */
function pipeFile(stream: fs.ReadStream, res: http.ServerResponse): void {
  stream.once('error', () => res.destroy());
  stream.pipe(res);
}

function serveStatic(req: http.IncomingMessage, res: http.ServerResponse, url: URL, rendererDir: string): boolean {
  let relative: string;
  try {
    relative = decodeURIComponent(url.pathname).replace(/^\/+/, '');
  } catch {
    return sendText(res, 404, 'not found');
  }
  let file = path.resolve(rendererDir, relative || 'index.html');
  if (!file.startsWith(rendererDir + path.sep) && file !== rendererDir) return sendText(res, 404, 'not found');
  if (!fs.existsSync(file) || fs.statSync(file).isDirectory()) {
    // The page routes in the browser: any unknown path without an extension is the page itself.
    if (path.extname(relative)) return sendText(res, 404, 'not found');
    file = path.join(rendererDir, 'index.html');
  }
  if (!fs.existsSync(file)) {
    return sendText(res, 503, 'The window is not built: run `npm run build` first.');
  }
  const body = fs.readFileSync(file);
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'content-type': mime.contentType(path.extname(file)) || 'application/octet-stream',
    'content-length': body.length,
    'cache-control': file.endsWith('index.html') ? 'no-store' : 'public, max-age=31536000, immutable',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}

function sendText(res: http.ServerResponse, status: number, text: string): true {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`${text}\n`);
  return true;
}
