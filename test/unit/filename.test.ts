/**
 * File naming (API.md §4). Content-Disposition parsing is judged on the greenbytes tc2231 suite
 * ("Test Cases for HTTP Content-Disposition header field (RFC 6266)", http://greenbytes.de/tech/tc2231/).
 *
 * Header strings are written as Node hands them to us: raw header octets decoded as ISO-8859-1, so
 * `\u00e4` below is the single octet 0xE4 and `\u00c3\u00a4` the two UTF-8 octets of "ä".
 *
 * Deliberately left differing from tc2231:
 * - attwithutf8fnplain: raw UTF-8 octets in `filename` are read as UTF-8 ("foo-ä.html"), as Chrome and
 *   Firefox do; tc2231 wants the Latin-1 reading "foo-Ã¤.html". Octets that are not valid UTF-8 are
 *   still read as ISO-8859-1 (attwithisofnplain passes).
 * - attabspath / attabspathwin / attwithfn2231abspathdisguised: the parser returns the raw name as
 *   tc2231 describes it ("/foo.html", "\foo.html"); the saved name drops the path part ("foo.html"),
 *   which tc2231 lists as an accepted outcome.
 * - attwithfn2231utf8comp: the decomposed "a + U+0308" comes back composed (NFC), which tc2231 asks for
 *   on Windows; we do it everywhere.
 * - attfnboth3: tc2231 accepts either name or neither; filename* wins over continuations, so
 *   "currency-sign=¤".
 * - attonly403 needs a live HTTP exchange (status handling), not a parser; not covered here.
 * Where tc2231 says a malformed header is ignored, we ignore it even when browsers are lenient (a
 * trailing `;` as in attwithasciifilenamenqs, two filenames as in attwith2filenames): the name then
 * comes from the URL.
 */
import { mkdtemp, mkdir, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import type * as Fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import contentDisposition from 'content-disposition';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { validateFilename } from '../../src-shared/validate.js';
import { filenameFromContentDisposition } from '../../src-main/core/content-disposition.js';
import { chooseFilename, ensureExtension, filenameFromUrl } from '../../src-main/core/filename.js';
import { numberedName, sanitizeName } from '../../src-main/core/safe-name.js';
import { commitFile } from '../../src-main/core/place-file.js';

/** Fault injection for commitFile's fallbacks; off unless a test turns it on. */
const faults = vi.hoisted(() => ({
  linkCode: undefined as string | undefined,
  renameCode: undefined as string | undefined,
  renameWhen: (_source: string): boolean => true,
  linkWhen: (_source: string): boolean => true,
  /** How many links were tried (a clash costs one each). */
  linkCalls: 0,
}));

// Naming the committed file under a free name uses the synchronous calls (place-file.ts).
vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof Fs>();
  const fail = (code: string, syscall: string): NodeJS.ErrnoException =>
    Object.assign(new Error(`${code}: injected, ${syscall}`), { code, syscall });
  const linkSync: typeof actual.linkSync = (existing, target) => {
    faults.linkCalls += 1;
    if (faults.linkCode && faults.linkWhen(String(existing))) throw fail(faults.linkCode, 'link');
    return actual.linkSync(existing, target);
  };
  const renameSync: typeof actual.renameSync = (from, to) => {
    if (faults.renameCode && faults.renameWhen(String(from))) throw fail(faults.renameCode, 'rename');
    return actual.renameSync(from, to);
  };
  return { ...actual, default: { ...actual, linkSync, renameSync }, linkSync, renameSync };
});

const byteLength = (s: string): number => Buffer.byteLength(s, 'utf8');

// --------------------------------------------------------------------------------------------------
// tc2231
// --------------------------------------------------------------------------------------------------

/** [tc2231 id, header, expected filename (undefined: the header or its filename is ignored)]. */
const TC2231: ReadonlyArray<readonly [string, string, string | undefined]> = [
  // Disposition-Type Inline
  ['inlonly', 'inline', undefined],
  ['inlonlyquoted', '"inline"', undefined],
  ['inlwithasciifilename', 'inline; filename="foo.html"', 'foo.html'],
  ['inlwithfnattach', 'inline; filename="Not an attachment!"', 'Not an attachment!'],
  ['inlwithasciifilenamepdf', 'inline; filename="foo.pdf"', 'foo.pdf'],
  // Disposition-Type Attachment
  ['attonly', 'attachment', undefined],
  ['attonlyquoted', '"attachment"', undefined],
  ['attonlyucase', 'ATTACHMENT', undefined],
  ['attwithasciifilename', 'attachment; filename="foo.html"', 'foo.html'],
  ['attwithasciifilename25', 'attachment; filename="0000000000111111111122222"', '0000000000111111111122222'],
  ['attwithasciifilename35', 'attachment; filename="00000000001111111111222222222233333"', '00000000001111111111222222222233333'],
  ['attwithasciifnescapedchar', 'attachment; filename="f\\oo.html"', 'foo.html'],
  ['attwithasciifnescapedquote', 'attachment; filename="\\"quoting\\" tested.html"', '"quoting" tested.html'],
  ['attwithquotedsemicolon', 'attachment; filename="Here\'s a semicolon;.html"', "Here's a semicolon;.html"],
  ['attwithfilenameandextparam', 'attachment; foo="bar"; filename="foo.html"', 'foo.html'],
  ['attwithfilenameandextparamescaped', 'attachment; foo="\\"\\\\";filename="foo.html"', 'foo.html'],
  ['attwithasciifilenameucase', 'attachment; FILENAME="foo.html"', 'foo.html'],
  ['attwithasciifilenamenq', 'attachment; filename=foo.html', 'foo.html'],
  ['attwithtokfncommanq', 'attachment; filename=foo,bar.html', undefined],
  ['attwithasciifilenamenqs', 'attachment; filename=foo.html ;', undefined],
  ['attemptyparam', 'attachment; ;filename=foo', undefined],
  ['attwithasciifilenamenqws', 'attachment; filename=foo bar.html', undefined],
  ['attwithfntokensq', "attachment; filename='foo.bar'", "'foo.bar'"],
  ['attwithisofnplain', 'attachment; filename="foo-\u00e4.html"', 'foo-ä.html'],
  ['attwithutf8fnplain (differs, see top)', 'attachment; filename="foo-\u00c3\u00a4.html"', 'foo-ä.html'],
  ['attwithfnrawpctenca', 'attachment; filename="foo-%41.html"', 'foo-%41.html'],
  ['attwithfnusingpct', 'attachment; filename="50%.html"', '50%.html'],
  ['attwithfnrawpctencaq', 'attachment; filename="foo-%\\41.html"', 'foo-%41.html'],
  ['attwithnamepct', 'attachment; name="foo-%41.html"', undefined],
  ['attwithfilenamepctandiso', 'attachment; filename="\u00e4-%41.html"', 'ä-%41.html'],
  ['attwithfnrawpctenclong', 'attachment; filename="foo-%c3%a4-%e2%82%ac.html"', 'foo-%c3%a4-%e2%82%ac.html'],
  ['attwithasciifilenamews1', 'attachment; filename ="foo.html"', 'foo.html'],
  ['attwith2filenames', 'attachment; filename="foo.html"; filename="bar.html"', undefined],
  ['attfnbrokentoken', 'attachment; filename=foo[1](2).html', undefined],
  ['attfnbrokentokeniso', 'attachment; filename=foo-\u00e4.html', undefined],
  ['attfnbrokentokenutf', 'attachment; filename=foo-\u00c3\u00a4.html', undefined],
  ['attmissingdisposition', 'filename=foo.html', undefined],
  ['attmissingdisposition2', 'x=y; filename=foo.html', undefined],
  ['attmissingdisposition3', '"foo; filename=bar;baz"; filename=qux', undefined],
  ['attmissingdisposition4', 'filename=foo.html, filename=bar.html', undefined],
  ['emptydisposition', '; filename=foo.html', undefined],
  ['doublecolon', ': inline; attachment; filename=foo.html', undefined],
  ['attandinline', 'inline; attachment; filename=foo.html', undefined],
  ['attandinline2', 'attachment; inline; filename=foo.html', undefined],
  ['attbrokenquotedfn', 'attachment; filename="foo.html".txt', undefined],
  ['attbrokenquotedfn2', 'attachment; filename="bar', undefined],
  ['attbrokenquotedfn3', 'attachment; filename=foo"bar;baz"qux', undefined],
  ['attmultinstances', 'attachment; filename=foo.html, attachment; filename=bar.html', undefined],
  ['attmissingdelim', 'attachment; foo=foo filename=bar', undefined],
  ['attmissingdelim2', 'attachment; filename=bar foo=foo', undefined],
  ['attmissingdelim3', 'attachment filename=bar', undefined],
  ['attreversed', 'filename=foo.html; attachment', undefined],
  ['attconfusedparam', 'attachment; xfilename=foo.html', undefined],
  ['attabspath (raw)', 'attachment; filename="/foo.html"', '/foo.html'],
  ['attabspathwin (raw)', 'attachment; filename="\\\\foo.html"', '\\foo.html'],
  // Additional parameters
  ['attcdate', 'attachment; creation-date="Wed, 12 Feb 1997 16:29:51 -0500"', undefined],
  ['attmdate', 'attachment; modification-date="Wed, 12 Feb 1997 16:29:51 -0500"', undefined],
  // Disposition-Type Extension (treated as attachment)
  ['dispext', 'foobar', undefined],
  ['dispextbadfn', 'attachment; example="filename=example.txt"', undefined],
  // RFC 2231/5987 encoding: character sets
  ['attwithisofn2231iso', "attachment; filename*=iso-8859-1''foo-%E4.html", 'foo-ä.html'],
  ['attwithfn2231utf8', "attachment; filename*=UTF-8''foo-%c3%a4-%e2%82%ac.html", 'foo-ä-€.html'],
  ['attwithfn2231noc', "attachment; filename*=''foo-%c3%a4-%e2%82%ac.html", undefined],
  ['attwithfn2231utf8comp', "attachment; filename*=UTF-8''foo-a%cc%88.html", 'foo-\u00e4.html'],
  ['attwithfn2231utf8-bad', "attachment; filename*=iso-8859-1''foo-%c3%a4-%e2%82%ac.html", undefined],
  ['attwithfn2231iso-bad', "attachment; filename*=utf-8''foo-%E4.html", undefined],
  ['attwithfn2231ws1', "attachment; filename *=UTF-8''foo-%c3%a4.html", undefined],
  ['attwithfn2231ws2', "attachment; filename*= UTF-8''foo-%c3%a4.html", 'foo-ä.html'],
  ['attwithfn2231ws3', "attachment; filename* =UTF-8''foo-%c3%a4.html", 'foo-ä.html'],
  ['attwithfn2231quot', "attachment; filename*=\"UTF-8''foo-%c3%a4.html\"", undefined],
  ['attwithfn2231quot2', 'attachment; filename*="foo%20bar.html"', undefined],
  ['attwithfn2231singleqmissing', "attachment; filename*=UTF-8'foo-%c3%a4.html", undefined],
  ['attwithfn2231nbadpct1', "attachment; filename*=UTF-8''foo%", undefined],
  ['attwithfn2231nbadpct2', "attachment; filename*=UTF-8''f%oo.html", undefined],
  ['attwithfn2231dpct', "attachment; filename*=UTF-8''A-%2541.html", 'A-%41.html'],
  ['attwithfn2231abspathdisguised (raw)', "attachment; filename*=UTF-8''%5cfoo.html", '\\foo.html'],
  // RFC 2231 encoding: continuations (optional in tc2231; supported)
  ['attfncont', 'attachment; filename*0="foo."; filename*1="html"', 'foo.html'],
  ['attfncontqs', 'attachment; filename*0="foo"; filename*1="\\b\\a\\r.html"', 'foobar.html'],
  ['attfncontenc', "attachment; filename*0*=UTF-8''foo-%c3%a4; filename*1=\".html\"", 'foo-ä.html'],
  ['attfncontlz', 'attachment; filename*0="foo"; filename*01="bar"', 'foo'],
  ['attfncontnc', 'attachment; filename*0="foo"; filename*2="bar"', 'foo'],
  ['attfnconts1', 'attachment; filename*1="foo."; filename*2="html"', undefined],
  ['attfncontord', 'attachment; filename*1="bar"; filename*0="foo"', 'foobar'],
  // Encoding fallback: filename and filename* together
  ['attfnboth', "attachment; filename=\"foo-ae.html\"; filename*=UTF-8''foo-%c3%a4.html", 'foo-ä.html'],
  ['attfnboth2', "attachment; filename*=UTF-8''foo-%c3%a4.html; filename=\"foo-ae.html\"", 'foo-ä.html'],
  ['attfnboth3', "attachment; filename*0*=ISO-8859-15''euro-sign%3d%a4; filename*=ISO-8859-1''currency-sign%3d%a4", 'currency-sign=¤'],
  ['attnewandfn', 'attachment; foobar=x; filename="foo.html"', 'foo.html'],
  // RFC 2047 encoding (must not be decoded)
  ['attrfc2047token', 'attachment; filename==?ISO-8859-1?Q?foo-=E4.html?=', undefined],
  ['attrfc2047quoted', 'attachment; filename="=?ISO-8859-1?Q?foo-=E4.html?="', '=?ISO-8859-1?Q?foo-=E4.html?='],
];

describe('filenameFromContentDisposition: tc2231', () => {
  it.each(TC2231)('%s: %s', (_id, header, expected) => {
    expect(filenameFromContentDisposition(header)).toBe(expected);
  });

  it('covers the suite broadly', () => {
    expect(TC2231.length).toBeGreaterThanOrEqual(80);
  });

  it('saves a path-bearing tc2231 name without its path (attabspath, attabspathwin, attwithfn2231abspathdisguised)', () => {
    const url = new URL('https://example.com/dl/fallback.bin');
    for (const header of [
      'attachment; filename="/foo.html"',
      'attachment; filename="\\\\foo.html"',
      "attachment; filename*=UTF-8''%5cfoo.html",
    ]) {
      expect(chooseFilename({ contentDisposition: header, url })).toBe('foo.html');
    }
  });

  it('falls back to the URL for every header tc2231 says to ignore', () => {
    const url = new URL('https://example.com/dl/from-url.bin');
    for (const [, header, expected] of TC2231) {
      if (expected === undefined) expect(chooseFilename({ contentDisposition: header, url })).toBe('from-url.bin');
    }
  });
});

describe('filenameFromContentDisposition: beyond tc2231', () => {
  it.each([
    ['no header', undefined, undefined],
    ['empty header', '', undefined],
    ['blank header', '   ', undefined],
    ['surrounding whitespace', '  attachment; filename="a.txt"  ', 'a.txt'],
    ['tabs around parameters', 'attachment;\tfilename\t=\t"a.txt"', 'a.txt'],
    ['empty quoted filename', 'attachment; filename=""', undefined],
    ['trailing semicolon is malformed (tc2231 rule)', 'attachment; filename="report.pdf";', undefined],
    ['unknown disposition type counts as attachment', 'foobar; filename="x.zip"', 'x.zip'],
    ['bad filename* falls back to filename', "attachment; filename=\"plain.txt\"; filename*=utf-8''foo-%E4.html", 'plain.txt'],
    ['unknown charset falls back to filename', "attachment; filename=\"plain.txt\"; filename*=x-bogus''foo.html", 'plain.txt'],
    ['quoted filename* falls back to filename', "attachment; filename=\"plain.txt\"; filename*=\"UTF-8''x.html\"", 'plain.txt'],
    ['filename* with a language tag', "attachment; filename*=UTF-8'zh-CN'%E8%A1%A8%E7%9B%98.txt", '表盘.txt'],
    ['filename* in lower-case utf8 label', "attachment; filename*=utf8''%E2%82%AC.txt", '€.txt'],
    ['filename* in GBK (as Chrome decodes other charsets)', "attachment; filename*=GBK''%D6%D0%CE%C4.txt", '中文.txt'],
    ['filename* in Shift_JIS', "attachment; filename*=Shift_JIS''%83e%83X%83g.txt", 'テスト.txt'],
    ['ISO-8859-1 C1 octet is invalid', "attachment; filename*=iso-8859-1''foo-%80.html", undefined],
    ['US-ASCII with a high octet is invalid', "attachment; filename*=us-ascii''foo-%E4.html", undefined],
    ['raw UTF-8 Chinese in a quoted filename', `attachment; filename="${Buffer.from('表盘.zip').toString('latin1')}"`, '表盘.zip'],
    ['already-decoded Unicode in a quoted filename', 'attachment; filename="表盘.zip"', '表盘.zip'],
    ['control character in a quoted string is malformed', 'attachment; filename="a\u0001b.txt"', undefined],
    ['repeated extension parameter is malformed', 'attachment; foo=1; foo=2; filename=a.txt', undefined],
    ['name is never a filename', 'attachment; name="a.txt"', undefined],
    ['encoded continuation without charset', 'attachment; filename*0="a"; filename*1*=%41', undefined],
  ])('%s', (_label, header, expected) => {
    expect(filenameFromContentDisposition(header)).toBe(expected);
  });

  it('reads back whatever jshttp content-disposition writes', () => {
    for (const name of ['plain.txt', 'Here is "it".pdf', '表盘 (1).png', 'naïve café.txt', '🎉 party.mp4', '50% off.html', "it's.txt", 'a;b=c.txt']) {
      expect(filenameFromContentDisposition(contentDisposition(name))).toBe(name.normalize('NFC'));
      expect(filenameFromContentDisposition(contentDisposition(name, { type: 'inline', fallback: false }))).toBe(name);
    }
  });
});

// --------------------------------------------------------------------------------------------------
// URL
// --------------------------------------------------------------------------------------------------

describe('filenameFromUrl', () => {
  it.each([
    ['https://example.com/files/report.pdf', 'report.pdf'],
    ['https://example.com/files/report.pdf?download=1#x', 'report.pdf'],
    ['https://example.com/files/dir/', 'dir'],
    ['https://example.com/a//b//', 'b'],
    ['https://example.com/', undefined],
    ['https://example.com', undefined],
    ['https://example.com/%E8%A1%A8%E7%9B%98.txt', '表盘.txt'],
    ['https://example.com/a%20%281%29.png', 'a (1).png'],
    ['https://example.com/files/%2e%2e%2f%2e%2e%2fetc%2fpasswd', '../../etc/passwd'],
    ['https://example.com/a/%2e%2e/%2e%2e/', undefined],
    ['https://example.com/bad-%E4.txt', undefined],
    ['https://example.com/bad-%zz.txt', undefined], // a "%" that starts no escape cannot be decoded
  ])('%s', (url, expected) => {
    expect(filenameFromUrl(new URL(url))).toBe(expected);
  });
});

// --------------------------------------------------------------------------------------------------
// sanitizeName
// --------------------------------------------------------------------------------------------------

describe('sanitizeName', () => {
  it.each([
    ['plain.txt', 'plain.txt'],
    ['表盘.txt', '表盘.txt'],
    // traversal and path parts
    ['../../etc/passwd', 'passwd'],
    ['..\\..\\x', 'x'],
    ['C:\\Windows\\system32\\evil.dll', 'evil.dll'],
    ['/foo.html', 'foo.html'],
    ['dir/', 'dir'],
    ['../', undefined],
    ['..', undefined],
    ['.', undefined],
    ['', undefined],
    ['   ', undefined],
    // dots and spaces
    ['  report.pdf  ', 'report.pdf'],
    ['.htaccess', 'htaccess'],
    ['name.', 'name'],
    ['a..b...c.txt', 'a.b.c.txt'],
    // control, invisible and illegal characters
    ['a\u0000b\u001fc\u007fd\u0085.txt', 'abcd.txt'],
    ['line\nbreak\ttab.txt', 'line break tab.txt'],
    ['invoice\u202Efdp.exe', 'invoicefdp.exe'],
    ['"quoting" tested.html', '_quoting_ tested.html'],
    ["Here's a semicolon;.html", 'Here_s a semicolon;.html'],
    ['a<b>c:d|e?f*g.txt', 'a_b_c_d_e_f_g.txt'],
    ['=?ISO-8859-1?Q?foo-=E4.html?=', '=_ISO-8859-1_Q_foo-=E4.html_='],
    ['???', undefined],
    ['lone\ud800surrogate.txt', 'lone_surrogate.txt'],
    ['foo-a\u0308.html', 'foo-\u00e4.html'],
    // reserved Windows names, any case, any extension
    ['CON', '_CON'],
    ['con.txt', '_con.txt'],
    ['NUL.tar.gz', '_NUL.tar.gz'],
    ['Com1.log', '_Com1.log'],
    ['lpt9', '_lpt9'],
    ['aux.', '_aux'],
    ['CON .txt', '_CON .txt'],
    ['PRN', '_PRN'],
    ['CONSOLE.txt', 'CONSOLE.txt'],
    ['COM10.txt', 'COM10.txt'],
    ['icon.png', 'icon.png'],
  ])('%j → %j', (input, expected) => {
    expect(sanitizeName(input)).toBe(expected);
  });

  it('keeps at most 255 UTF-8 bytes, truncating the stem and keeping the extension', () => {
    const name = '表'.repeat(100) + '.txt'; // 304 bytes
    const out = sanitizeName(name) as string;
    expect(byteLength(out)).toBeLessThanOrEqual(255);
    expect(out).toBe('表'.repeat(83) + '.txt'); // 249 + 4 bytes: one more 表 would not fit
  });

  it('never cuts a multi-byte character or a grapheme cluster in half', () => {
    const thumbs = '👍🏽'; // 8 bytes, two code points, one grapheme
    const out = sanitizeName(thumbs.repeat(40) + '.png') as string;
    expect(byteLength(out)).toBeLessThanOrEqual(255);
    expect(out.endsWith('.png')).toBe(true);
    expect(out.slice(0, -4)).toBe(thumbs.repeat(Math.floor(251 / 8)));
    expect(out).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
  });

  it('truncates a name without a usable extension from the end', () => {
    const out = sanitizeName('é'.repeat(200)) as string;
    expect(out).toBe('é'.repeat(127));
    const longExt = sanitizeName('a.' + 'b'.repeat(300)) as string;
    expect(byteLength(longExt)).toBe(255);
  });

  it('only ever yields names the quick-app filename rule accepts', () => {
    const nasty = [
      '../../etc/passwd', '..\\..\\x', 'a..b', '"\'*:<>?|.txt', 'CON', ' . ', 'x\u0000y', '表'.repeat(200),
      '..%2f..%2f', '....x', '. .hidden. .', 'a/../b', 'nul.txt', '\u202Egnp.exe', 'ok name (1).png',
    ];
    for (const input of nasty) {
      const out = sanitizeName(input);
      if (out !== undefined) expect(validateFilename(out), input).toBe(out);
    }
  });
});

// --------------------------------------------------------------------------------------------------
// ensureExtension
// --------------------------------------------------------------------------------------------------

describe('ensureExtension', () => {
  it.each([
    ['report', 'application/pdf', 'report.pdf'],
    ['photo', 'image/jpeg', 'photo.jpg'],
    ['photo', 'IMAGE/JPEG; charset=binary', 'photo.jpg'],
    ['song', 'audio/mpeg', 'song.mp3'],
    ['clip', 'video/mp4', 'clip.mp4'],
    ['notes', 'text/plain; charset=utf-8', 'notes.txt'],
    ['page', 'text/html', 'page.html'],
    ['watchface', 'application/zip', 'watchface.zip'],
    ['data', 'application/octet-stream', 'data'],
    ['data', 'binary/octet-stream', 'data'],
    ['data', 'application/force-download', 'data'],
    ['data', 'foo/bar', 'data'],
    ['data', '', 'data'],
    ['data', undefined, 'data'],
    ['page.html', 'application/pdf', 'page.html'],
    ['archive.tar.gz', 'application/gzip', 'archive.tar.gz'],
    ['.env', 'text/plain', '.env.txt'],
  ])('%j + %j → %j', (name, type, expected) => {
    expect(ensureExtension(name, type)).toBe(expected);
  });
});

// --------------------------------------------------------------------------------------------------
// chooseFilename
// --------------------------------------------------------------------------------------------------

describe('chooseFilename', () => {
  const url = new URL('https://example.com/files/from-url.bin');

  it('uses a requested (already validated) name as-is', () => {
    expect(chooseFilename({ requested: 'mine', contentDisposition: 'attachment; filename="cd.txt"', url, contentType: 'application/pdf' })).toBe('mine');
  });

  it('prefers Content-Disposition, then the URL, then "download"', () => {
    expect(chooseFilename({ contentDisposition: 'attachment; filename="cd.txt"', url })).toBe('cd.txt');
    expect(chooseFilename({ contentDisposition: 'attachment; filename="cd.txt";', url })).toBe('from-url.bin');
    expect(chooseFilename({ url })).toBe('from-url.bin');
    expect(chooseFilename({ url: new URL('https://example.com/') })).toBe('download');
  });

  it('adds the extension from Content-Type when the chosen name has none', () => {
    expect(chooseFilename({ url: new URL('https://example.com/'), contentType: 'image/png' })).toBe('download.png');
    expect(chooseFilename({ url: new URL('https://example.com/get/report'), contentType: 'application/pdf' })).toBe('report.pdf');
    expect(chooseFilename({ contentDisposition: 'attachment; filename=readme', url, contentType: 'text/plain' })).toBe('readme.txt');
    expect(chooseFilename({ url, contentType: 'application/pdf' })).toBe('from-url.bin');
  });

  it('moves on when a name cleans up to nothing', () => {
    expect(chooseFilename({ contentDisposition: 'attachment; filename="???"', url })).toBe('from-url.bin');
    expect(chooseFilename({ contentDisposition: "attachment; filename*=UTF-8''%2e%2e%2f", url: new URL('https://example.com/%2e%2e%2f') })).toBe('download');
  });

  it('takes only the last path segment from traversal attempts', () => {
    expect(chooseFilename({ contentDisposition: 'attachment; filename="../../etc/passwd"', url })).toBe('passwd');
    // In a quoted-string `\.` is just an escaped dot, so this header says "....x".
    expect(chooseFilename({ contentDisposition: 'attachment; filename="..\\..\\x"', url })).toBe('x');
    expect(chooseFilename({ contentDisposition: 'attachment; filename="..\\\\..\\\\x"', url })).toBe('x');
    expect(chooseFilename({ contentDisposition: "attachment; filename*=UTF-8''..%2F..%2Fetc%2Fpasswd", url })).toBe('passwd');
    expect(chooseFilename({ contentDisposition: "attachment; filename*=UTF-8''..%5C..%5Cboot.ini", url })).toBe('boot.ini');
    expect(chooseFilename({ url: new URL('https://example.com/files/%2e%2e%2f%2e%2e%2fetc%2fpasswd') })).toBe('passwd');
    expect(chooseFilename({ url: new URL('https://example.com/x/%2e%2e%5c%2e%2e%5cwin.ini') })).toBe('win.ini');
  });

  it('cleans reserved names and keeps a long name with its new extension within 255 bytes', () => {
    expect(chooseFilename({ contentDisposition: 'attachment; filename="nul"', url, contentType: 'text/plain' })).toBe('_nul.txt');
    const long = chooseFilename({ contentDisposition: `attachment; filename*=UTF-8''${encodeURIComponent('表'.repeat(120))}`, url, contentType: 'application/pdf' });
    expect(byteLength(long)).toBeLessThanOrEqual(255);
    expect(long).toBe('表'.repeat(83) + '.pdf');
  });

  it('composes a decomposed name (tc2231 attwithfn2231utf8comp)', () => {
    expect(chooseFilename({ contentDisposition: "attachment; filename*=UTF-8''foo-a%cc%88.html", url })).toBe('foo-\u00e4.html');
  });
});

// --------------------------------------------------------------------------------------------------
// numberedName
// --------------------------------------------------------------------------------------------------

describe('numberedName', () => {
  it.each([
    ['a.txt', 0, 'a.txt'],
    ['a.txt', 1, 'a-1.txt'],
    ['a.txt', 12, 'a-12.txt'],
    ['README', 2, 'README-2'],
    ['.env', 1, '.env-1'],
    ['.config.json', 1, '.config-1.json'],
    ['archive.tar.gz', 1, 'archive.tar-1.gz'],
    ['表盘.png', 3, '表盘-3.png'],
    ['a (1).png', 1, 'a (1)-1.png'],
  ])('%j, %i → %j', (name, n, expected) => {
    expect(numberedName(name, n)).toBe(expected);
  });

  it('stays within 255 bytes, shortening the stem and keeping the extension', () => {
    const name = '表'.repeat(83) + '.txt'; // 253 bytes
    const out = numberedName(name, 12);
    expect(byteLength(out)).toBeLessThanOrEqual(255);
    expect(out).toBe('表'.repeat(82) + '-12.txt'); // 246 + 7 bytes
  });
});

// --------------------------------------------------------------------------------------------------
// commitFile
// --------------------------------------------------------------------------------------------------

describe('commitFile', () => {
  let root: string;
  let partials: string;
  let dir: string;

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'vela-filename-'));
    partials = path.join(root, 'partials');
    dir = path.join(root, 'cache');
    await mkdir(partials);
    faults.linkCode = undefined;
    faults.renameCode = undefined;
    faults.renameWhen = () => true;
    faults.linkWhen = () => true;
  });

  afterEach(async () => {
    faults.linkCode = undefined;
    faults.renameCode = undefined;
    await rm(root, { recursive: true, force: true });
  });

  const makePartial = async (label: string, content: string): Promise<string> => {
    const p = path.join(partials, `${label}.part`);
    await writeFile(p, content);
    return p;
  };

  it('moves the partial to dir/name, creating dir', async () => {
    const p = await makePartial('one', 'hello');
    const nested = path.join(dir, 'deeper', 'still');
    expect(await commitFile(p, nested, 'a.txt')).toBe('a.txt');
    expect(await readFile(path.join(nested, 'a.txt'), 'utf8')).toBe('hello');
    expect(await readdir(partials)).toEqual([]);
  });

  it('never overwrites: a clash becomes name-1, then name-2', async () => {
    await mkdir(dir);
    await writeFile(path.join(dir, 'a.txt'), 'old');
    expect(await commitFile(await makePartial('p1', 'new1'), dir, 'a.txt')).toBe('a-1.txt');
    expect(await commitFile(await makePartial('p2', 'new2'), dir, 'a.txt')).toBe('a-2.txt');
    expect(await readFile(path.join(dir, 'a.txt'), 'utf8')).toBe('old');
    expect(await readFile(path.join(dir, 'a-1.txt'), 'utf8')).toBe('new1');
    expect(await readFile(path.join(dir, 'a-2.txt'), 'utf8')).toBe('new2');
  });

  it('among thousands of taken numbered names, lists the folder once instead of trying each (the event loop stays free)', async () => {
    await mkdir(dir);
    await writeFile(path.join(dir, 'a.txt'), 'old');
    for (let n = 1; n <= 3_000; n += 1) await writeFile(path.join(dir, `a-${n}.txt`), '');
    faults.linkCalls = 0;
    expect(await commitFile(await makePartial('p', 'new'), dir, 'a.txt')).toBe('a-3001.txt');
    expect(faults.linkCalls).toBeLessThanOrEqual(20);
    expect(await readFile(path.join(dir, 'a-3001.txt'), 'utf8')).toBe('new');
  });

  it('treats a dangling symlink at the name as taken and leaves it alone', async () => {
    await mkdir(dir);
    await symlink(path.join(root, 'nowhere'), path.join(dir, 'a.txt'));
    expect(await commitFile(await makePartial('p', 'data'), dir, 'a.txt')).toBe('a-1.txt');
    await expect(readFile(path.join(root, 'nowhere'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  const raceTen = async (): Promise<void> => {
    await mkdir(dir);
    const sources = await Promise.all(Array.from({ length: 10 }, (_, i) => makePartial(`race${i}`, `content ${i}`)));
    const names = await Promise.all(sources.map((p) => commitFile(p, dir, 'same.bin')));
    const expected = ['same.bin', ...Array.from({ length: 9 }, (_, i) => `same-${i + 1}.bin`)];
    expect(new Set(names).size).toBe(10);
    expect([...names].sort()).toEqual([...expected].sort());
    expect((await readdir(dir)).sort()).toEqual([...expected].sort());
    for (const [i, name] of names.entries()) {
      expect(await readFile(path.join(dir, name), 'utf8')).toBe(`content ${i}`);
    }
    expect(await readdir(partials)).toEqual([]);
  };

  it('gives 10 concurrent commits of the same name 10 distinct names, losing nothing', raceTen);

  it.each(['EPERM', 'ENOTSUP', 'EISDIR'])('falls back to placeholder + rename when link fails with %s, still race-free', async (code) => {
    faults.linkCode = code;
    await raceTen();
  });

  it('falls back on a clash too when link is unsupported', async () => {
    faults.linkCode = 'EPERM';
    await mkdir(dir);
    await writeFile(path.join(dir, 'a.txt'), 'old');
    expect(await commitFile(await makePartial('p', 'new'), dir, 'a.txt')).toBe('a-1.txt');
    expect(await readFile(path.join(dir, 'a.txt'), 'utf8')).toBe('old');
    expect(await readFile(path.join(dir, 'a-1.txt'), 'utf8')).toBe('new');
  });

  it('copies across devices (EXDEV) through a staging file, never showing a partial name', async () => {
    // Only the partial lives on another device; the staging copy beside the destination can be linked.
    faults.linkCode = 'EXDEV';
    faults.linkWhen = (source) => source.startsWith(partials);
    faults.renameCode = 'EXDEV';
    faults.renameWhen = (source) => source.startsWith(partials);
    await mkdir(dir);
    await writeFile(path.join(dir, 'a.txt'), 'old');
    const p = await makePartial('x', 'cross-device');
    expect(await commitFile(p, dir, 'a.txt')).toBe('a-1.txt');
    expect(await readFile(path.join(dir, 'a-1.txt'), 'utf8')).toBe('cross-device');
    expect((await readdir(dir)).sort()).toEqual(['a-1.txt', 'a.txt']);
    expect(await readdir(partials)).toEqual([]);
  });

  it('reports other failures and leaves no placeholder behind', async () => {
    faults.linkCode = 'EPERM';
    faults.renameCode = 'EIO';
    const p = await makePartial('x', 'keep me');
    await expect(commitFile(p, dir, 'a.txt')).rejects.toMatchObject({ code: 'EIO' });
    expect(await readdir(dir)).toEqual([]);
    expect(await readFile(p, 'utf8')).toBe('keep me');
  });

  it('reports a missing partial', async () => {
    await expect(commitFile(path.join(partials, 'gone.part'), dir, 'a.txt')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
