import { protocol } from 'electron';
import type { MediaLibrary } from '../core/media.js';
import { createAppHandler } from './app-protocol.js';
import { createMediaHandler } from './media-protocol.js';
import { PRIVILEGED_SCHEMES } from './security-policy.js';
import { APP_SCHEME, MEDIA_SCHEME } from './urls.js';

/** Before `ready`, once: app: and vela-media: with their privileges (security-policy.ts says which). */
export function registerSchemes(): void {
  protocol.registerSchemesAsPrivileged(PRIVILEGED_SCHEMES);
}

/** After `ready`: the page from dist/renderer, previews from the media library. */
export function mountProtocols(media: MediaLibrary): void {
  protocol.handle(APP_SCHEME, createAppHandler());
  protocol.handle(MEDIA_SCHEME, createMediaHandler(media));
}
