import type { MediaRef } from './types.js';

/**
 * Signed media URLs for the browser host. A preview is an <img>/<video>/<audio> load, which cannot
 * carry an `Authorization` header, and no cookie may carry authority on 127.0.0.1 (every local port
 * sees it). So each media URL carries its own short-lived proof instead: an HMAC-SHA256, keyed with
 * the launch's secret, of the file's partition, name and an expiry. It unlocks that one file until
 * then, and nothing else: not the API, not another file.
 *
 * Only the message format and the expiry rule live here (pure, shared); the page signs with
 * @noble/hashes (synchronous, so `mediaUrl` stays a plain function) and the host verifies with
 * node:crypto. A test checks that both give the same signature.
 */

/** The longest a signed URL may stay valid; the host refuses an expiry further away than this. */
export const MEDIA_URL_MAX_LIFETIME_S = 2 * 60 * 60;
/** Expiries are rounded up to this step, so a preview keeps one URL (and its cache) for a while. */
export const MEDIA_URL_STEP_S = 60 * 60;

/** What is signed: a fixed label (so no other HMAC of ours can be replayed as one), the file, the expiry. */
export function mediaSignaturePayload(ref: MediaRef, expires: number): string {
  return `vela-media\n${ref.partition}\n${ref.name}\n${expires}`;
}

/** The expiry a URL made now gets: the next full step, plus one step (valid for 1 to 2 hours). */
export function mediaUrlExpiry(nowMs: number): number {
  const now = Math.floor(nowMs / 1000);
  return (Math.floor(now / MEDIA_URL_STEP_S) + 2) * MEDIA_URL_STEP_S;
}

/** Whether an expiry given in a URL is acceptable now (not past, not further than the maximum). */
export function mediaExpiryValid(expires: number, nowMs: number): boolean {
  const now = Math.floor(nowMs / 1000);
  return Number.isSafeInteger(expires) && expires >= now && expires <= now + MEDIA_URL_MAX_LIFETIME_S;
}

/** The path part of a media URL: each segment of the name percent-encoded. */
export function mediaPath(ref: MediaRef): string {
  return `/media/${ref.partition}/${ref.name.split('/').map(encodeURIComponent).join('/')}`;
}
