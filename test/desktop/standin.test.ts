/**
 * The Electron stand-in's own pieces, in plain Node: the mapping of custom schemes to the reserved
 * origins Chromium loads, the control channel, and the parts of `electron` that need no window.
 */
import { describe, expect, it } from 'vitest';
import { Rpc, type Endpoint } from '../electron-standin/control.js';
import { MessageChannelMain, nativeImage } from '../electron-standin/electron.js';
import { fromChromiumUrl, toChromiumUrl, translateCsp, translateResponseHeaders } from '../electron-standin/schemes.js';

const SCHEMES = ['app', 'vela-media'];

describe('custom schemes in Chromium', () => {
  it('map to reserved .invalid origins and back, path, query and fragment kept', () => {
    const cases: Array<[string, string]> = [
      ['app://vela/index.html', 'https://vela.app.invalid/index.html'],
      ['app://vela/index.html#/media', 'https://vela.app.invalid/index.html#/media'],
      ['app://vela/assets/a.js?v=1', 'https://vela.app.invalid/assets/a.js?v=1'],
      ['vela-media://cache/a%20b.png', 'https://cache.vela-media.invalid/a%20b.png'],
      ['app://vela.evil.example/x', 'https://vela.evil.example.app.invalid/x'],
    ];
    for (const [custom, chromium] of cases) {
      expect(toChromiumUrl(custom, SCHEMES)).toBe(chromium);
      expect(fromChromiumUrl(chromium, SCHEMES)).toBe(custom);
    }
  });

  it('leave every other URL alone', () => {
    for (const url of ['https://example.com/', 'http://vela.app.invalid/', 'https://app.invalid/', 'https://vela.app.invalid:8443/', 'file:///etc/passwd', 'not a url']) {
      expect(fromChromiumUrl(url, SCHEMES), url).toBeUndefined();
    }
    expect(toChromiumUrl('other://vela/x', SCHEMES)).toBeUndefined();
    expect(toChromiumUrl('https://example.com/', SCHEMES)).toBeUndefined();
  });

  it('turn a CSP scheme source into the scheme\'s reserved origins, and translate Location', () => {
    expect(translateCsp("img-src 'self' data: vela-media:; media-src 'self' vela-media:", SCHEMES)).toBe(
      "img-src 'self' data: https://*.vela-media.invalid; media-src 'self' https://*.vela-media.invalid",
    );
    expect(translateResponseHeaders({ Location: 'app://vela/index.html', 'x-other': 'vela-media:' }, SCHEMES)).toEqual({
      Location: 'https://vela.app.invalid/index.html',
      'x-other': 'vela-media:',
    });
  });
});

describe('the control channel', () => {
  function pair(): [Endpoint, Endpoint] {
    const listeners: [Array<(m: unknown) => void>, Array<(m: unknown) => void>] = [[], []];
    const end = (me: 0 | 1): Endpoint => ({
      send: (message) => setImmediate(() => listeners[me === 0 ? 1 : 0].forEach((l) => l(structuredClone(message)))),
      onMessage: (listener) => void listeners[me].push(listener),
    });
    return [end(0), end(1)];
  }

  it('answers calls, carries notes, and turns a thrown error into a rejection', async () => {
    const [a, b] = pair();
    type Calls = { add: (p: { x: number; y: number }) => number; boom: (p: null) => void };
    type Notes = { hello: (p: { name: string }) => void };
    const left = new Rpc<Calls, Notes, Record<string, never>, Record<string, never>>(a);
    const right = new Rpc<Record<string, never>, Record<string, never>, Calls, Notes>(b);
    const heard: string[] = [];
    right.handle('add', ({ x, y }) => x + y);
    right.handle('boom', () => {
      throw new Error('it broke');
    });
    right.handle('hello', ({ name }) => void heard.push(name));
    await expect(left.call('add', { x: 2, y: 3 })).resolves.toBe(5);
    await expect(left.call('boom', null)).rejects.toThrow('it broke');
    left.note('hello', { name: 'vela' });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(heard).toEqual(['vela']);
  });

  it('fails the calls in flight when the other side goes away', async () => {
    const [a] = pair();
    const left = new Rpc<{ never: (p: null) => void }, Record<string, never>, Record<string, never>, Record<string, never>>(a);
    const pending = left.call('never', null);
    left.close('gone');
    await expect(pending).rejects.toThrow('gone');
    await expect(left.call('never', null)).rejects.toThrow(/closed/);
  });
});

describe('the parts of electron that need no window', () => {
  it('MessageChannelMain: messages wait for start(), arrive as { data }, close reaches both ports', async () => {
    const { port1, port2 } = new MessageChannelMain();
    const got: unknown[] = [];
    port2.on('message', (event) => got.push(event.data));
    port1.postMessage({ n: 1 });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(got).toEqual([]);
    port2.start();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(got).toEqual([{ n: 1 }]);
    let closed = 0;
    port2.on('close', () => (closed += 1));
    port1.close();
    expect(closed).toBe(1);
  });

  it('nativeImage.createFromBitmap wants width × height × 4 bytes, as Electron does', () => {
    expect(() => nativeImage.createFromBitmap(Buffer.alloc(10), { width: 2, height: 2 })).toThrow('invalid buffer size');
    const image = nativeImage.createFromBitmap(Buffer.alloc(32 * 32 * 4), { width: 32, height: 32, scaleFactor: 2 });
    expect(image.getSize()).toEqual({ width: 16, height: 16 });
    expect(image.isEmpty()).toBe(false);
  });
});
