import { describe, expect, it } from 'vitest';
import { APP_ENTRY_URL, isAppUrl, mediaRefFromUrl, mediaUrl, pathSegments } from '../../src-main/electron/urls.js';

describe('the app origin', () => {
  it('accepts the app:// pages and nothing else', () => {
    expect(isAppUrl(APP_ENTRY_URL)).toBe(true);
    expect(isAppUrl('app://vela/')).toBe(true);
    expect(isAppUrl('app://vela/assets/index-abc.js?x=1#top')).toBe(true);
    for (const url of [
      'app://evil/index.html',
      'app://vela.evil/index.html',
      'app://vela:8080/index.html',
      'app://user:pw@vela/index.html',
      'https://vela/index.html',
      'file:///index.html',
      'vela-media://cache/a.png',
      'http://127.0.0.1:5173/',
      'about:blank',
      'devtools://devtools/bundled/inspector.html',
      'javascript:alert(1)',
      'app:vela',
      '',
      'not a url',
    ]) {
      expect(isAppUrl(url), url).toBe(false);
    }
    expect(isAppUrl(undefined)).toBe(false);
    expect(isAppUrl(42)).toBe(false);
  });
});

describe('path segments', () => {
  it('decodes plain names, and the root is no segment', () => {
    expect(pathSegments('/')).toEqual([]);
    expect(pathSegments('')).toEqual([]);
    expect(pathSegments('/assets/index-abc.js')).toEqual(['assets', 'index-abc.js']);
    expect(pathSegments('/%E8%A1%A8%E7%9B%98%20(1).png')).toEqual(['表盘 (1).png']);
  });

  it('refuses anything that is not a plain file name once decoded', () => {
    for (const pathname of ['/..', '/%2e%2e', '/%2E%2E/x', '/.', '/%2e', '/a//b', '/a%2Fb', '/a%5Cb', '/a%00b', '/%E0%A4%A', '/a/']) {
      expect(pathSegments(pathname), pathname).toBeNull();
    }
  });
});

describe('media URLs', () => {
  it('round-trip a name through vela-media://, each segment encoded', () => {
    const url = mediaUrl({ partition: 'cache', name: '表盘 #1?.png' });
    expect(url).toBe('vela-media://cache/%E8%A1%A8%E7%9B%98%20%231%3F.png');
    expect(mediaRefFromUrl(url)).toEqual({ partition: 'cache', name: '表盘 #1?.png' });
    expect(mediaRefFromUrl(mediaUrl({ partition: 'mass', name: 'sub/clip.mp4' }))).toEqual({ partition: 'mass', name: 'sub/clip.mp4' });
    expect(mediaUrl({ partition: 'cache', name: '..' })).toBe('vela-media://cache/..');
  });

  it('refuse other hosts and schemes, traversal, encoded separators and empty names', () => {
    for (const url of [
      'vela-media://gallery/a.png',
      'vela-media://cache/',
      'vela-media://cache',
      'vela-media://cache/..%2Fconfig.json',
      'vela-media://cache/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd',
      'vela-media://cache/a%5C..%5Cb',
      'vela-media://cache/a%00.png',
      'vela-media://cache//etc/passwd',
      'vela-media://cache:1/a.png',
      'vela-media://u@cache/a.png',
      'app://vela/a.png',
      'file:///etc/passwd',
      'garbage',
    ]) {
      expect(mediaRefFromUrl(url), url).toBeNull();
    }
  });

  it('cannot climb out of the partition: the URL parser clamps dot segments at the root, as Chromium does', () => {
    // The data dir's config.json sits next to cache/: the name that reaches the library is cache/config.json.
    expect(mediaRefFromUrl('vela-media://cache/%2e%2e/config.json')).toEqual({ partition: 'cache', name: 'config.json' });
    expect(mediaRefFromUrl('vela-media://cache/../../config.json')).toEqual({ partition: 'cache', name: 'config.json' });
    expect(mediaRefFromUrl('vela-media://cache/a/%2E%2E/b.png')).toEqual({ partition: 'cache', name: 'b.png' });
  });

  it('leaves `.partial` and dot files to MediaLibrary.resolve, which refuses them (see electron-protocols)', () => {
    expect(mediaRefFromUrl('vela-media://cache/.partial/abc')).toEqual({ partition: 'cache', name: '.partial/abc' });
  });

  it('throws on a reference that is not one', () => {
    expect(() => mediaUrl({ partition: 'gallery' as never, name: 'a' })).toThrow(TypeError);
  });
});
