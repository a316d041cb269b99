import { protocol } from 'electron';
import type { MediaRef } from '../../src-shared/types.js';
import { createAppHandler } from './app-protocol.js';
import { createMediaHandler } from './media-protocol.js';
import { PRIVILEGED_SCHEMES } from './security-policy.js';
import { APP_SCHEME, MEDIA_SCHEME } from './urls.js';

/** Before `ready`, once: app: and vela-media: with their privileges (security-policy.ts says which). */
export function registerSchemes(): void {
  protocol.registerSchemesAsPrivileged(PRIVILEGED_SCHEMES);
}

/** After `ready`: the page from dist/renderer, previews from the data dir's media partitions. */
export function mountProtocols(media: { resolve(ref: MediaRef): Promise<string> }): void {
  protocol.handle(APP_SCHEME, createAppHandler());
  protocol.handle(MEDIA_SCHEME, createMediaHandler(media));
}
