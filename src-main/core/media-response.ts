import path from 'node:path';
import contentDisposition from 'content-disposition';
import mime from 'mime-types';

/**
 * The headers of every answer that serves a downloaded file to a browser: the browser host's
 * `/media/…` and Electron's `vela-media://` alike. A downloaded file comes from a server we do not
 * trust, so whatever its name and bytes, it must never become a document that runs script with the
 * app's authority (an `.html`, an `.svg` with `<script>`, a `.js` pulled in by one of those):
 *
 * - `Content-Security-Policy: sandbox` with `default-src 'none'`: opened as a document, it gets an
 *   opaque origin and may run nothing and fetch nothing (only its own image or media);
 * - `X-Content-Type-Options: nosniff`, and a type that is never script: only passive media types
 *   (raster images, video, audio, plus SVG so that `<img>` can show it) keep their own type; anything
 *   else is `application/octet-stream`, which no browser runs as a script or renders as a page;
 * - `Content-Disposition: attachment` for everything that is not passive media (SVG included: as an
 *   `<img>` it is inert, but opened as a page it would be a document), so a navigation saves it;
 * - `Cross-Origin-Resource-Policy: same-origin`: no other site may embed it.
 *
 * Previews stay `<img>`, `<video>` and `<audio>`, which ignore the disposition and the sandbox.
 */

export const MEDIA_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "img-src 'self' data:",
  "media-src 'self'",
  "style-src 'unsafe-inline'",
  'sandbox',
].join('; ');

/** A type a browser shows without running anything (SVG is listed apart: shown inline only in <img>). */
function isPassiveMedia(type: string): boolean {
  if (type === 'image/svg+xml') return false;
  return type.startsWith('image/') || type.startsWith('video/') || type.startsWith('audio/');
}

export interface MediaHeaderOptions {
  /** The file's name on disk (its extension picks the preview type). */
  fileName: string;
}

export function mediaResponseHeaders({ fileName }: MediaHeaderOptions): Record<string, string> {
  const byName = mime.lookup(fileName) || '';
  const previewable = isPassiveMedia(byName) || byName === 'image/svg+xml';
  const headers: Record<string, string> = {
    'content-type': previewable ? byName : 'application/octet-stream',
    'content-security-policy': MEDIA_CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'cross-origin-resource-policy': 'same-origin',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
    'accept-ranges': 'bytes',
  };
  if (!isPassiveMedia(byName)) headers['content-disposition'] = contentDisposition(path.basename(fileName), { type: 'attachment' });
  return headers;
}
