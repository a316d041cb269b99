import fs from 'node:fs/promises';
import path from 'node:path';
import mime from 'mime-types';
import { RENDERER_DIR } from '../host/browser-host.js';
import { SECURITY_HEADERS } from './security-policy.js';
import { isAppUrl, pathSegments } from './urls.js';

/**
 * `app://vela/…`: the built renderer (dist/renderer), never file://. Every answer carries the CSP. No
 * electron here: the handler takes a fetch Request and gives a Response, so it is tested in Node;
 * schemes.ts mounts it with `protocol.handle`.
 */

/** The file an app:// URL names inside rendererDir, or null (another origin, `..`, `%2e%2e`, `%2F`, NUL). */
export function rendererFileFor(url: string, rendererDir: string): string | null {
  if (!isAppUrl(url)) return null;
  const segments = pathSegments(new URL(url).pathname);
  if (segments === null) return null;
  const root = path.resolve(rendererDir);
  const file = path.resolve(root, ...(segments.length > 0 ? segments : ['index.html']));
  const rel = path.relative(root, file);
  if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) return null;
  return file;
}

const text = (status: number, body: string): Response =>
  new Response(`${body}\n`, { status, headers: { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' } });

const isFile = async (file: string): Promise<boolean> => (await fs.stat(file).catch(() => undefined))?.isFile() === true;

export function createAppHandler(rendererDir: string = RENDERER_DIR): (request: Request) => Promise<Response> {
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return text(405, 'method not allowed');
    let file = rendererFileFor(request.url, rendererDir);
    if (file === null) return text(404, 'not found');
    const page = path.join(path.resolve(rendererDir), 'index.html');
    if (!(await isFile(file))) {
      // A path without an extension is the page itself (it routes in the browser); a missing asset is a 404.
      if (file !== page && path.extname(file) !== '') return text(404, 'not found');
      file = page;
      if (!(await isFile(file))) return text(503, 'The window is not built: run `npm run build` first.');
    }
    const body = await fs.readFile(file);
    return new Response(request.method === 'HEAD' ? null : body, {
      status: 200,
      headers: {
        ...SECURITY_HEADERS,
        'content-type': mime.contentType(path.extname(file)) || 'application/octet-stream',
        'content-length': String(body.length),
        'cache-control': file.endsWith('.html') ? 'no-store' : 'public, max-age=31536000, immutable',
      },
    });
  };
}
