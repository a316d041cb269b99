// @vitest-environment happy-dom
/**
 * The browser host's session in the page: the secret comes from the printed URL's fragment, is kept
 * for this tab only and leaves the address bar; media URLs carry a signature the host accepts.
 */
import { createHmac } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { signedMediaUrl, takeSessionSecret } from '../../src-renderer/session.js';
import { mediaSignaturePayload } from '../../src-shared/media-signature.js';

beforeEach(() => {
  sessionStorage.clear();
  window.history.replaceState(null, '', '/');
});

describe('session', () => {
  it('takes the secret from the fragment, keeps it for this tab and removes it from the address bar', () => {
    window.history.replaceState(null, '', '/#secret=abc_DEF-123');
    expect(takeSessionSecret()).toBe('abc_DEF-123');
    expect(window.location.hash).toBe('');
    expect(window.location.href).not.toContain('abc_DEF-123');
    // A reload (or a view change, #/media) finds it in sessionStorage.
    window.history.replaceState(null, '', '/#/media');
    expect(takeSessionSecret()).toBe('abc_DEF-123');
    expect(window.location.hash).toBe('#/media');
  });

  it('has no session without the fragment, and never reads a cookie', () => {
    document.cookie = 'vela_session=planted';
    expect(takeSessionSecret()).toBeUndefined();
  });

  it('signs a media URL exactly as the host checks it (HMAC-SHA256 of partition, name and expiry)', () => {
    const ref = { partition: 'cache' as const, name: 'faces/表盘 (1).png' };
    const url = new URL(signedMediaUrl(ref, 's3cret', Date.UTC(2026, 11, 2, 10, 30)), 'http://127.0.0.1');
    expect(url.pathname).toBe('/media/cache/faces/%E8%A1%A8%E7%9B%98%20(1).png');
    const expires = Number(url.searchParams.get('expires'));
    expect(expires).toBe(Date.UTC(2026, 11, 2, 12, 0) / 1000);
    const expected = createHmac('sha256', 's3cret').update(mediaSignaturePayload(ref, expires)).digest('hex');
    expect(url.searchParams.get('sig')).toBe(expected);
  });
});
