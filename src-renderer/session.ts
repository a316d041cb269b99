import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { mediaPath, mediaSignaturePayload, mediaUrlExpiry } from '../src-shared/media-signature.js';
import type { MediaRef } from '../src-shared/types.js';

/**
 * The browser host's session, in the page. `vela-companion serve` prints `http://127.0.0.1:PORT/#secret=…`:
 * the fragment never reaches a server, a log or a Referer. The page takes it from there once, keeps it in
 * sessionStorage (this tab only; a reload keeps it, a second tab opened from the printed URL gets its own
 * copy from its own fragment) and removes it from the address bar. No cookie is ever involved: on
 * 127.0.0.1 every other local port would receive it, and could plant its own.
 */

const STORAGE_KEY = 'vela.session';
const FRAGMENT = /^#secret=([A-Za-z0-9_-]+)$/;

/** Read the secret from the URL's fragment (then drop it from the address bar) or from this tab's storage. */
export function takeSessionSecret(): string | undefined {
  const match = FRAGMENT.exec(window.location.hash);
  if (match?.[1]) {
    sessionStorage.setItem(STORAGE_KEY, match[1]);
    window.history.replaceState(window.history.state, '', `${window.location.pathname}${window.location.search}`);
    return match[1];
  }
  return sessionStorage.getItem(STORAGE_KEY) ?? undefined;
}

/**
 * A media URL for <img>/<video>/<audio>, which cannot send `Authorization`: it carries an HMAC of this
 * one file and an expiry, keyed with the secret (checked by the host, src-main/host/browser-host.ts).
 * The expiry moves in whole hours, so a preview keeps the same URL while the user looks at it.
 */
export function signedMediaUrl(ref: MediaRef, secret: string, nowMs = Date.now()): string {
  const expires = mediaUrlExpiry(nowMs);
  const signature = bytesToHex(hmac(sha256, utf8ToBytes(secret), utf8ToBytes(mediaSignaturePayload(ref, expires))));
  return `${mediaPath(ref)}?expires=${expires}&sig=${signature}`;
}

/**
 * A printed URL opened in a tab that already shows the page only changes the fragment (no new
 * document): take the secret from it all the same, so it never stays in the address bar, and start
 * afresh when it is a new one (a restarted `serve`).
 */
export function watchSessionFragment(): void {
  window.addEventListener('hashchange', () => {
    if (!FRAGMENT.test(window.location.hash)) return;
    const before = sessionStorage.getItem(STORAGE_KEY);
    if (takeSessionSecret() !== before) window.location.reload();
  });
}
