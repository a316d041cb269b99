import { describe, expect, it } from 'vitest';
import { FailCode, VelaError, toErrorData } from '../../src-shared/codes.js';
import { BUILTIN_PROFILES } from '../../src-shared/profiles.js';
import { encodeUriSegment, parseInternalUri, toInternalUri } from '../../src-shared/uri.js';
import { argumentProblem, filenameSchema, headerSchema, urlSchema, validateFilename, validateHeaders, validateToken, validateUrl } from '../../src-shared/validate.js';

const codeOf = (fn: () => unknown): number | undefined => {
  try {
    fn();
  } catch (error) {
    return (error as VelaError).code;
  }
  return undefined;
};

describe('internal URIs', () => {
  it('percent-encodes every byte outside the quick-app set, as API.md §1 shows', () => {
    expect(toInternalUri('cache', '表盘.txt')).toBe('internal://cache/%E8%A1%A8%E7%9B%98.txt');
    expect(toInternalUri('cache', 'a (1).png')).toBe('internal://cache/a%20%281%29.png');
    expect(encodeUriSegment("!~*'()")).toBe('%21%7E%2A%27%28%29');
    expect(toInternalUri('mass', 'x.bin')).toBe('internal://mass/download/x.bin');
  });

  it('never yields `..` and only uses the allowed characters', () => {
    expect(encodeUriSegment('..')).toBe('%2E%2E');
    for (const name of ['..', 'a..b', '日本語 file!.txt', '%41', 'a:b']) {
      expect(toInternalUri('cache', name)).toMatch(/^internal:\/\/cache\/[0-9A-Za-z_\-./%]+$/);
      expect(toInternalUri('cache', name).slice('internal://cache/'.length)).not.toBe('..');
    }
  });

  it('parses back, and refuses URIs that try to leave the partition', () => {
    expect(parseInternalUri('internal://cache/%E8%A1%A8%E7%9B%98.txt')).toEqual({ partition: 'cache', name: '表盘.txt' });
    expect(parseInternalUri('internal://cache/../x')).toBeNull();
    expect(parseInternalUri('internal://cache/%2e%2e/x')).toBeNull();
    expect(parseInternalUri('internal://cache/a%2Fb')).toBeNull();
    expect(parseInternalUri('internal://cache/%E0%A4%A')).toBeNull();
    expect(parseInternalUri('file:///etc/passwd')).toBeNull();
  });
});

describe('argument validation (202)', () => {
  it('accepts http and https URLs only', () => {
    expect(validateUrl('https://example.com/a').href).toBe('https://example.com/a');
    for (const bad of [undefined, 42, '', 'not a url', 'ftp://x/y', 'file:///etc/passwd', 'javascript:alert(1)', 'http://']) {
      expect(codeOf(() => validateUrl(bad))).toBe(FailCode.IllegalArgument);
    }
    expect(codeOf(() => validateUrl(`http://x/${'a'.repeat(1_000_000)}`))).toBe(FailCode.IllegalArgument);
  });

  it('takes header as an object or a JSON string, refuses bad names and CR/LF/NUL values', () => {
    expect(validateHeaders({ 'X-A': 1 })).toEqual({ 'X-A': '1' });
    expect(validateHeaders('{"Accept":"*/*"}')).toEqual({ Accept: '*/*' });
    expect(validateHeaders(undefined)).toEqual({});
    for (const bad of ['{not json', '[1]', 5, { 'Bad Name': 'x' }, { 'X-A': 'a\r\nInjected: 1' }, { 'X-A': 'a\nb' }, { 'X-A': 'a\0b' }, { 'X-A': { nested: 1 } }, { '': 'x' }]) {
      expect(codeOf(() => validateHeaders(bad))).toBe(FailCode.IllegalArgument);
    }
  });

  it('refuses a given filename with path parts or forbidden characters instead of cleaning it', () => {
    expect(validateFilename('watch face.png')).toBe('watch face.png');
    expect(validateFilename(undefined)).toBeUndefined();
    for (const bad of ['a/b', 'a\\b', '..', '../x', 'a..b', 'a:b', 'a*b', 'a?b', 'a"b', "a'b", 'a|b', 'a<b', 'a>b', 'a\u0001b', '   ', 'x'.repeat(256), 7]) {
      expect(codeOf(() => validateFilename(bad))).toBe(FailCode.IllegalArgument);
    }
  });

  it('needs a non-empty token', () => {
    expect(codeOf(() => validateToken(''))).toBe(FailCode.IllegalArgument);
    expect(codeOf(() => validateToken(undefined))).toBe(FailCode.IllegalArgument);
    expect(validateToken('t')).toBe('t');
  });
});

describe('errors and profiles', () => {
  it('keeps codes and hides stacks', () => {
    expect(toErrorData(new VelaError(1001, 'gone'))).toEqual({ code: 1001, message: 'gone' });
    const data = toErrorData(new Error('boom'));
    expect(data.code).toBe(FailCode.Internal);
    expect(data.message).not.toMatch(/\n\s+at /);
  });

  it('has the Vela support table', () => {
    const supported = Object.fromEntries(BUILTIN_PROFILES.map((p) => [p.id, p.supported]));
    expect(supported).toEqual({
      desktop: true,
      's1-pro': true,
      'band-8-pro': false,
      'watch-s3': true,
      'redmi-watch-4': false,
      'ecg-recorder': false,
      'watch-s4': true,
      'redmi-watch-5': true,
    });
  });
});

describe('gallery home over the contract', () => {
  it('takes only an absolute path, as the CLI resolves it', async () => {
    const { galleryInputSchema } = await import('../../src-shared/schemas.js');
    expect(galleryInputSchema.safeParse({ token: 't', galleryHome: '/home/me/gallery' }).success).toBe(true);
    expect(galleryInputSchema.safeParse({ token: 't', galleryHome: 'C:\\Users\\me' }).success).toBe(true);
    expect(galleryInputSchema.safeParse({ token: 't' }).success).toBe(true);
    for (const bad of ['relative/dir', '../up', '', '/a\0b']) {
      expect(galleryInputSchema.safeParse({ token: 't', galleryHome: bad }).success, bad).toBe(false);
    }
  });
});

describe('argument rules as schemas', () => {
  it('keeps a header named __proto__ as a header (it used to set the object\'s prototype and vanish)', () => {
    const headers = validateHeaders('{"__proto__": "x", "constructor": "y"}');
    expect(Object.keys(headers).sort()).toEqual(['__proto__', 'constructor']);
    expect(Object.getPrototypeOf(headers)).toBe(Object.prototype);
  });

  it('names the rule of each refusal, so a window can say it in its language', () => {
    expect(argumentProblem(filenameSchema, 'a/../b')).toEqual({ rule: 'filename.dotdot', message: 'filename may not contain "..": "a/../b"' });
    expect(argumentProblem(filenameSchema, 'NUL .tar.gz')?.rule).toBe('filename.reserved');
    expect(argumentProblem(headerSchema, { 'a b': 'x' })?.rule).toBe('header.name');
    expect(argumentProblem(headerSchema, { a: 'x\ny' })?.rule).toBe('header.crlf');
    expect(argumentProblem(urlSchema, 'ftp://x/')?.rule).toBe('url.scheme');
    expect(argumentProblem(filenameSchema, 'face.png')).toBeUndefined();
  });
});
