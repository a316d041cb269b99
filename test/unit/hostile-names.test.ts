/**
 * Hostile file names, property-based: whatever a server (Content-Disposition `filename` / `filename*`,
 * the URL's last segment) or a quick app (`filename`) hands us, the name that reaches the disk is one
 * plain name inside the cache, and its `internal://` URI keeps to the quick-app alphabet.
 */
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FailCode, VelaError } from '../../src-shared/codes.js';
import { parseInternalUri, toInternalUri } from '../../src-shared/uri.js';
import { validateFilename } from '../../src-shared/validate.js';
import { chooseFilename } from '../../src-main/core/filename.js';
import { sanitizeName } from '../../src-main/core/safe-name.js';

const CACHE_DIR = path.resolve('/tmp/vela-hostile/cache');
const RUNS = { numRuns: 400 };
const utf8 = new TextEncoder();

/** Windows device names, reserved in any case and with any extension (`con.txt`, `COM1.tar.gz`, `nul .x`). */
const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$|clock\$)$/i;
const isReserved = (name: string): boolean => RESERVED.test((name.split('.')[0] ?? '').trimEnd());

/** What every name that may reach the disk satisfies. */
function expectSafeName(name: string, context: unknown): void {
  const why = JSON.stringify(context);
  expect(typeof name, why).toBe('string');
  expect(name, why).not.toBe('');
  expect(name.trim(), why).not.toBe('');
  expect(name, why).not.toMatch(/[/\\]/);
  expect(name === '.' || name === '..', why).toBe(false);
  expect(name.split(/[/\\]/).includes('..'), why).toBe(false);
  expect(isReserved(name), `${why} → ${JSON.stringify(name)} is a Windows device name`).toBe(false);
  expect(utf8.encode(name).length, why).toBeLessThanOrEqual(255);
  const resolved = path.resolve(CACHE_DIR, name);
  expect(path.dirname(resolved), why).toBe(CACHE_DIR);
  expect(path.relative(CACHE_DIR, resolved), why).toBe(name);
}

// ---------------------------------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------------------------------

const HOSTILE_PIECES = [
  '..', '../', '..\\', '/..', '\\..', '.', '/', '\\', '%2e%2e%2f', '%2E%2E%5C', '%2e%2e', '%252e%252e%252f', '....//', '.../',
  'CON', 'con', 'PRN.txt', 'aux.tar.gz', 'NUL', 'nul.', 'Nul .txt', 'COM1', 'com9.log', 'LPT1.txt', 'lpt¹', 'COM²', 'CONIN$', 'conout$.x', 'CLOCK$',
  '\u0000', '\r\n', '\t', '\u0007', '\u007f', '\u0085', '\u202e', '\u200b', '\ufeff', '\u00ad',
  '"', "'", ':', '*', '?', '<', '>', '|', ' ', '  ', '.txt', '.exe', '.',
  '表盘', 'ファイル', 'é', 'e\u0301', '😀', '👨‍👩‍👧', '\ud800', '\udfff', 'C:', 'C:\\Windows\\', '\\\\server\\share\\', '~', '$HOME',
  'a'.repeat(300), '表'.repeat(100), '😀'.repeat(70),
];

const piece = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_PIECES) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 12 }) },
);

/** A hostile name: pieces glued together, now and then a huge one (10,000 characters). */
const hostileName = fc.oneof(
  { weight: 8, arbitrary: fc.array(piece, { maxLength: 8 }).map((parts) => parts.join('')) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('a', '表', '😀', '../', 'CON.', '\u0000'), fc.constantFrom('', '.txt', '.tar.gz', `.${'x'.repeat(40)}`)).map(([unit, ext]) => unit.repeat(10_000) + ext) },
);

const contentType = fc.option(
  fc.oneof(
    fc.constantFrom('image/png', 'text/html; charset=utf-8', 'application/octet-stream', 'application/x-msdownload', 'video/mp4', 'application/json', '', ';;', 'x/'),
    fc.string({ unit: 'binary-ascii', maxLength: 40 }),
  ),
  { nil: undefined },
);

/** RFC 8187 percent-encoding of every UTF-8 byte outside attr-char (lone surrogates become U+FFFD, as on the wire). */
const extValue = (s: string): string => {
  let out = '';
  for (const byte of utf8.encode(s)) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9!#$&+\-.^_`|~]/.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
};
/** A quoted-string with `"` and `\` escaped (other characters as they are, valid or not). */
const quoted = (s: string): string => `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`;

/** Every way the name can arrive in a Content-Disposition header. */
const disposition = fc.tuple(hostileName, fc.constantFrom('quoted', 'token', 'ext', 'ext-latin1', 'both', 'continuation', 'raw')).map(([name, form]) => {
  switch (form) {
    case 'quoted':
      return `attachment; filename=${quoted(name)}`;
    case 'token':
      return `attachment; filename=${name}`;
    case 'ext':
      return `attachment; filename*=UTF-8''${extValue(name)}`;
    case 'ext-latin1':
      return `attachment; filename*=iso-8859-1''${[...name].map((c) => (c.charCodeAt(0) < 256 ? `%${c.charCodeAt(0).toString(16).padStart(2, '0')}` : '_')).join('')}`;
    case 'both':
      return `attachment; filename="fallback.bin"; filename*=UTF-8''${extValue(name)}`;
    case 'continuation':
      return `attachment; filename*0*=UTF-8''${extValue(name.slice(0, 5))}; filename*1*=${extValue(name.slice(5))}`;
    default:
      return name; // the whole header is garbage
  }
});

/** The name as the URL's last path segment: percent-encoded, raw, or with an encoded `../`. */
const urlWith = fc.tuple(hostileName, fc.constantFrom('encoded', 'raw', 'dotdot', 'query')).map(([name, form]) => {
  const base = 'http://files.example/dir/';
  const candidates: Record<string, string> = {
    encoded: base + extValue(name),
    raw: base + name,
    dotdot: `${base}%2e%2e%2f${extValue(name)}%2f%2e%2e`,
    query: `${base}${extValue(name)}?name=../../etc/passwd#../x`,
  };
  try {
    return new URL(candidates[form] as string);
  } catch {
    return new URL(base);
  }
});

// ---------------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------------

describe('names from the network (Content-Disposition, URL) are cleaned into one safe name', () => {
  it('whatever the Content-Disposition header says', () => {
    fc.assert(
      fc.property(disposition, urlWith, contentType, (contentDisposition, url, type) => {
        const name = chooseFilename({ contentDisposition, url, contentType: type });
        expectSafeName(name, { contentDisposition: contentDisposition.slice(0, 200), url: url.href.slice(0, 200), type });
        expect(name).not.toContain('..');
        // A cleaned name is also one a quick app could have given (sanitizeName promises it).
        expect(validateFilename(name)).toBe(name);
      }),
      RUNS,
    );
  });

  it('whatever the URL\'s last segment is, with no Content-Disposition', () => {
    fc.assert(
      fc.property(urlWith, contentType, (url, type) => {
        const name = chooseFilename({ url, contentType: type });
        expectSafeName(name, { url: url.href.slice(0, 200), type });
        expect(name).not.toContain('..');
        expect(validateFilename(name)).toBe(name);
      }),
      RUNS,
    );
  });

  it('sanitizeName alone: undefined or a safe name', () => {
    fc.assert(
      fc.property(hostileName, (raw) => {
        const name = sanitizeName(raw);
        if (name === undefined) return;
        expectSafeName(name, raw.slice(0, 200));
        expect(name).not.toContain('..');
        expect(name).not.toMatch(/[\u0000-\u001f\u007f]/); // eslint-disable-line no-control-regex
      }),
      RUNS,
    );
  });

  it('known traversal and device-name attempts', () => {
    const url = new URL('http://files.example/x/');
    for (const header of [
      'attachment; filename="../../etc/passwd"',
      'attachment; filename="..\\..\\Windows\\win.ini"',
      "attachment; filename*=UTF-8''%2e%2e%2f%2e%2e%2fetc%2fpasswd",
      "attachment; filename*=UTF-8''..%2F..%2F",
      'attachment; filename="CON"',
      'attachment; filename="con.txt"',
      'attachment; filename="COM1.tar.gz"',
      'attachment; filename="LPT9 .log"',
      'attachment; filename=".."',
      'attachment; filename="."',
      'attachment; filename="   "',
      `attachment; filename="${'a'.repeat(10_000)}.pdf"`,
    ]) {
      const name = chooseFilename({ contentDisposition: header, url });
      expectSafeName(name, header.slice(0, 80));
    }
    expect(chooseFilename({ contentDisposition: 'attachment; filename="CON.txt"', url })).toBe('_CON.txt');
    expect(chooseFilename({ url: new URL('http://h.example/a/%2e%2e%2f%2e%2e%2fpasswd') })).toBe('passwd');
    expect(chooseFilename({ url: new URL('http://h.example/%2e%2e') })).toBe('download');
  });
});

describe('names from the user (a quick app\'s `filename`) pass as they are, or fail with 202', () => {
  const userName = fc.oneof(hostileName, fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }), fc.string({ unit: 'binary', maxLength: 300 }));

  it('validateFilename: either a safe name, or a VelaError 202 with a short message', () => {
    fc.assert(
      fc.property(userName, (raw) => {
        let name: string | undefined;
        try {
          name = validateFilename(raw);
        } catch (error) {
          expect(error).toBeInstanceOf(VelaError);
          expect((error as VelaError).code).toBe(FailCode.IllegalArgument);
          expect((error as VelaError).message.length).toBeLessThan(1_000);
          return;
        }
        if (raw === '') {
          expect(name).toBeUndefined();
          return;
        }
        expect(name).toBe(raw);
        expectSafeName(name as string, raw.slice(0, 200));
        // chooseFilename takes a validated name as it is.
        expect(chooseFilename({ requested: name, url: new URL('http://h.example/other.bin') })).toBe(name);
      }),
      RUNS,
    );
  });

  it('refuses traversal, separators, device names, ill-formed text and more than 255 bytes', () => {
    for (const bad of [
      '..', '.', '...', '../a', 'a/..', '..\\a', 'a/b', 'a\\b', '%2e%2e/x', 'a..b', 'CON', 'con.txt', 'Nul.tar.gz', 'COM1', 'lpt9.log', 'AUX .txt', 'com¹',
      'conin$', 'a\u0000b', 'a\nb', 'a\u0085b', '\u009b.txt', 'a:b', 'a*b', 'a?b', '"a"', "a'b", 'a|b', '<a>', ' ', '\t', `${'a'.repeat(252)}.txt`, `${'表'.repeat(85)}.`, 'a\ud800b', '\udfff.txt',
    ]) {
      expect(() => validateFilename(bad), JSON.stringify(bad)).toThrow(expect.objectContaining({ code: FailCode.IllegalArgument }));
    }
    for (const good of ['a.txt', '表盘.txt', 'a (1).png', 'console.log', 'CONFIG', 'com10', 'nul-ish.txt', 'e\u0301.txt', '😀.png', `${'a'.repeat(251)}.txt`]) {
      expect(validateFilename(good), good).toBe(good);
    }
  });

  it('refuses what is not a string with 202', () => {
    for (const bad of [42, true, {}, [], ['a.txt'], { toString: () => 'a.txt' }, 1n]) {
      expect(() => validateFilename(bad), String(typeof bad)).toThrow(expect.objectContaining({ code: FailCode.IllegalArgument }));
    }
    for (const none of [undefined, null, '']) expect(validateFilename(none)).toBeUndefined();
  });
});

describe('internal:// URIs', () => {
  const URI = /^internal:\/\/cache\/[0-9A-Za-z_\-./%:]+$/;
  const hasDotDotSegment = (uri: string): boolean => uri.replace(/^internal:\/\/[a-z]+\//, '').split('/').includes('..');

  it('of any name keep to the quick-app alphabet and never hold a `..` segment', () => {
    fc.assert(
      fc.property(fc.oneof(hostileName, fc.string({ unit: 'binary', minLength: 1 })).filter((s) => s !== ''), (name) => {
        const uri = toInternalUri('cache', name);
        expect(uri).toMatch(URI);
        expect(hasDotDotSegment(uri), uri).toBe(false);
        expect(uri.slice('internal://cache/'.length)).not.toMatch(/(^|\/)\.\.?(\/|$)/);
        // Whatever it is, parsing never yields a name that leaves the partition.
        const parsed = parseInternalUri(uri);
        if (parsed) expect(parsed.name.split(/[/\\]/).some((s) => s === '..' || s === '.' || s === '')).toBe(false);
      }),
      RUNS,
    );
  });

  it('round-trip every name that can be on disk (cleaned, or given and valid)', () => {
    const onDisk = fc.oneof(
      hostileName.map((raw) => sanitizeName(raw)),
      fc.oneof(hostileName, fc.string({ unit: 'grapheme', minLength: 1 })).map((raw) => {
        try {
          return validateFilename(raw);
        } catch {
          return undefined;
        }
      }),
    ).filter((name): name is string => name !== undefined);
    fc.assert(
      fc.property(onDisk, (name) => {
        const uri = toInternalUri('cache', name);
        expect(uri).toMatch(URI);
        expect(parseInternalUri(uri)).toEqual({ partition: 'cache', name });
      }),
      RUNS,
    );
  });

  it('round-trip the mass partition\'s nested names and refuse crafted ones', () => {
    expect(parseInternalUri(toInternalUri('mass', 'a b/表盘.txt'))).toEqual({ partition: 'mass', name: 'a b/表盘.txt' });
    expect(toInternalUri('cache', '..')).toBe('internal://cache/%2E%2E');
    expect(toInternalUri('cache', '.')).toBe('internal://cache/%2E');
    for (const crafted of [
      'internal://cache/..', 'internal://cache/../x', 'internal://cache/%2e%2e', 'internal://cache/%2E%2E/x', 'internal://cache/a/%2e%2e/%2e%2e/x',
      'internal://cache/a%2Fb', 'internal://cache/a%5Cb', 'internal://cache/a%00', 'internal://cache/', 'internal://cache//x', 'internal://cache/%E0%A4%A',
      'internal://cache/.', 'internal://other/x', 'file:///etc/passwd',
    ]) {
      expect(parseInternalUri(crafted), crafted).toBeNull();
    }
  });
});
