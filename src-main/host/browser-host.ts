import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import mime from 'mime-types';
import type { Engine } from '../core/engine.js';
import { MediaLibrary } from '../core/media.js';
import { PACKAGE_ROOT } from '../core/package-root.js';
import { safeEqual, SESSION_COOKIE, hasSecret } from './http-api.js';

/**
 * The page side of the browser host: the built renderer, the secret-for-cookie exchange, and media
 * previews confined to the cache. Everything needs the session: the printed URL carries the secret
 * once (`/?secret=…`), which is swapped for an HttpOnly SameSite=Strict cookie and dropped from the URL.
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
    const given = url.searchParams.get('secret');
    if (given !== null) {
      if (!safeEqual(given, secret)) return sendText(res, 401, 'This link is not valid any more: open the URL that `vela-companion serve` printed.');
      url.searchParams.delete('secret');
      res.writeHead(303, {
        ...SECURITY_HEADERS,
        'set-cookie': `${SESSION_COOKIE}=${secret}; HttpOnly; SameSite=Strict; Path=/`,
        location: url.pathname + (url.search || ''),
        'cache-control': 'no-store',
      });
      res.end();
      return true;
    }
    if (!hasSecret(req, secret)) return sendText(res, 401, 'Open the URL that `vela-companion serve` printed (it carries this launch\'s secret).');

    if (url.pathname.startsWith('/media/')) return serveMedia(req, res, url, media);
    return serveStatic(req, res, url, rendererDir);
  };
}

async function serveMedia(req: http.IncomingMessage, res: http.ServerResponse, url: URL, media: MediaLibrary): Promise<boolean> {
  const [, , partition, ...rest] = url.pathname.split('/');
  let name: string;
  try {
    name = rest.map((s) => decodeURIComponent(s)).join('/');
  } catch {
    return sendText(res, 404, 'not found');
  }
  if (partition !== 'cache' && partition !== 'mass') return sendText(res, 404, 'not found');
  let file: string;
  try {
    file = await media.resolve({ partition, name });
  } catch {
    // Outside the cache, a partial file, or missing: all the same 404, so nothing can be probed.
    return sendText(res, 404, 'not found');
  }
  const size = fs.statSync(file).size;
  const type = mime.lookup(file) || 'application/octet-stream';
  const headers: http.OutgoingHttpHeaders = { ...SECURITY_HEADERS, 'content-type': type, 'accept-ranges': 'bytes', 'cache-control': 'no-store' };
  // Video and audio players seek with single ranges.
  const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
  if (range && (range[1] || range[2])) {
    const start = range[1] ? Number(range[1]) : Math.max(0, size - Number(range[2]));
    const end = range[1] && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
    if (start >= size || start > end) {
      res.writeHead(416, { ...headers, 'content-range': `bytes */${size}` });
      res.end();
      return true;
    }
    res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${end}/${size}`, 'content-length': end - start + 1 });
    if (req.method === 'HEAD') res.end();
    else pipeFile(fs.createReadStream(file, { start, end }), res);
    return true;
  }
  res.writeHead(200, { ...headers, 'content-length': size });
  if (req.method === 'HEAD') res.end();
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
