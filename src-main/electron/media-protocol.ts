import fs from 'node:fs';
import { Readable } from 'node:stream';
import type { MediaRef } from '../../src-shared/types.js';
import { parseRange } from '../core/byte-range.js';
import { mediaResponseHeaders } from '../core/media-response.js';
import { SECURITY_HEADERS } from './security-policy.js';
import { mediaRefFromUrl } from './urls.js';

/**
 * `vela-media://cache/<name>` (and `vela-media://mass/<name>`): media previews, confined by core's
 * `resolveMediaFile` (what MediaLibrary.resolve uses) to the partition folders (no `..`, no links out,
 * no `.partial`, no dot files). Anything it refuses, or a file that is missing, is the same 404, so
 * nothing can be probed. Ranges let <video> seek; files are streamed, never read whole. No electron
 * here (schemes.ts mounts it). Every file answer carries the same sandboxing headers as the browser
 * host's /media/ (media-response.ts): a downloaded .html or .svg opened as a page runs nothing.
 */

const notFound = (): Response =>
  new Response('not found\n', { status: 404, headers: { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' } });

const stream = (file: string, start: number, end: number): ReadableStream<Uint8Array> =>
  Readable.toWeb(fs.createReadStream(file, { start, end })) as unknown as ReadableStream<Uint8Array>;

export function createMediaHandler(media: { resolve(ref: MediaRef): Promise<string> }): (request: Request) => Promise<Response> {
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return notFound();
    const ref = mediaRefFromUrl(request.url);
    if (!ref) return notFound();
    let file: string;
    let size: number;
    try {
      file = await media.resolve(ref);
      size = (await fs.promises.stat(file)).size;
    } catch {
      return notFound();
    }
    const headers = mediaResponseHeaders({ fileName: file });
    const head = request.method === 'HEAD';
    const range = parseRange(request.headers.get('range'), size);
    if (range.kind === 'unsatisfiable') {
      return new Response(null, { status: 416, headers: { ...headers, 'content-range': `bytes */${size}` } });
    }
    if (range.kind === 'partial') {
      const { start, end } = range;
      return new Response(head ? null : stream(file, start, end), {
        status: 206,
        headers: { ...headers, 'content-range': `bytes ${start}-${end}/${size}`, 'content-length': String(end - start + 1) },
      });
    }
    return new Response(head || size === 0 ? null : stream(file, 0, size - 1), {
      status: 200,
      headers: { ...headers, 'content-length': String(size) },
    });
  };
}
