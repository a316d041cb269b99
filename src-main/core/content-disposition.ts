/**
 * The file name a Content-Disposition header gives (RFC 6266, with RFC 8187/5987 ext-values and the
 * optional RFC 2231 continuations), judged on the greenbytes tc2231 suite. It returns the raw name;
 * cleaning it is safe-name.ts's job, choosing among names filename.ts's.
 *
 * The parser is our own rather than jshttp's `content-disposition.parse`, which disagrees with tc2231
 * where it matters for a download manager: it throws away the whole header when only `filename*` is
 * bad (tc2231 wants that one parameter ignored so `filename` still counts), it turns invalid UTF-8 into
 * U+FFFD instead of ignoring the parameter (attwithfn2231iso-bad), it accepts C1 octets as ISO-8859-1
 * (attwithfn2231utf8-bad), knows no other charset, and has no RFC 2231 continuations.
 */

const utf8 = new TextEncoder();

/** RFC 9110 tchar. */
const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
/** RFC 8187 ext-value: charset "'" [ language ] "'" value-chars. */
const EXT_VALUE = /^([A-Za-z0-9!#$%&+\-^_`{}~]+)'([A-Za-z0-9-]*)'(.*)$/;
const VALUE_CHARS = /^(?:%[0-9A-Fa-f]{2}|[A-Za-z0-9!#$&+\-.^_`|~])*$/;
/** RFC 2231 continuation: `filename*0`, `filename*1*`, … (no leading zeros). */
const CONTINUATION = /^filename\*(0|[1-9][0-9]{0,3})(\*?)$/;

interface DispositionParam {
  value: string;
  quoted: boolean;
}

/**
 * Strict RFC 6266 structure: `type *( OWS ";" OWS name OWS "=" OWS ( token / quoted-string ) ) OWS`.
 * Any deviation (missing type, stray `;`, missing `;`, broken quotes, a repeated parameter) makes the
 * whole header invalid, which RFC 6266 and tc2231 say means "ignore it".
 */
function parseDisposition(header: string): { type: string; params: Map<string, DispositionParam> } | undefined {
  const s = header.replace(/^[ \t]+|[ \t]+$/g, '');
  let i = 0;
  const skipOws = (): void => {
    while (s[i] === ' ' || s[i] === '\t') i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < s.length && TCHAR.test(s[i] as string)) i++;
    return s.slice(start, i);
  };
  const readQuoted = (): string | undefined => {
    // s[i] is the opening quote.
    let out = '';
    for (i++; i < s.length; i++) {
      const ch = s[i] as string;
      if (ch === '"') {
        i++;
        return out;
      }
      if (ch === '\\') {
        i++;
        const next = s[i];
        if (next === undefined || !isQdChar(next, true)) return undefined;
        out += next;
        continue;
      }
      if (!isQdChar(ch, false)) return undefined;
      out += ch;
    }
    return undefined; // no closing quote
  };

  const type = readToken().toLowerCase();
  if (!type) return undefined;
  const params = new Map<string, DispositionParam>();
  for (;;) {
    skipOws();
    if (i >= s.length) break;
    if (s[i] !== ';') return undefined;
    i++;
    skipOws();
    const name = readToken().toLowerCase();
    if (!name) return undefined; // `attachment; ;filename=foo`, `filename=foo.html ;`
    skipOws();
    if (s[i] !== '=') return undefined;
    i++;
    skipOws();
    let param: DispositionParam;
    if (s[i] === '"') {
      const value = readQuoted();
      if (value === undefined) return undefined;
      param = { value, quoted: true };
    } else {
      const value = readToken();
      if (!value) return undefined;
      param = { value, quoted: false };
    }
    if (params.has(name)) return undefined; // RFC 6266 §4.1: parameter names MUST NOT be repeated
    params.set(name, param);
  }
  return { type, params };
}

/** qdtext (HTAB, SP, VCHAR except `"` and `\`, obs-text), or the character after a backslash. */
function isQdChar(ch: string, escaped: boolean): boolean {
  const c = ch.codePointAt(0) as number;
  if (c === 0x09 || (c >= 0x20 && c <= 0x7e)) return escaped || (ch !== '"' && ch !== '\\');
  // obs-text; a caller that already decoded the header to Unicode may hand us code points above 0xFF.
  return c >= 0x80;
}

/** Percent-decodes value-chars to octets (already validated against VALUE_CHARS). */
function percentBytes(value: string): number[] {
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    if (value[i] === '%') {
      bytes.push(parseInt(value.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(value.charCodeAt(i));
    }
  }
  return bytes;
}

/** Decodes octets in a declared charset, strictly: undefined when they are not valid in it. */
function decodeCharset(charset: string, bytes: number[]): string | undefined {
  const label = charset.toLowerCase();
  if (label === 'iso-8859-1' || label === 'iso_8859-1' || label === 'latin1' || label === 'l1') {
    // 0x80-0x9F are not ISO-8859-1 characters (tc2231 attwithfn2231utf8-bad). Decoded by hand because
    // the WHATWG TextDecoder treats this label as windows-1252.
    if (bytes.some((b) => b >= 0x80 && b <= 0x9f)) return undefined;
    return Buffer.from(bytes).toString('latin1');
  }
  if (label === 'us-ascii' || label === 'ascii') {
    return bytes.some((b) => b >= 0x80) ? undefined : Buffer.from(bytes).toString('latin1');
  }
  try {
    // UTF-8 and, as Chrome does, whatever other charset the platform knows (GBK, Shift_JIS, EUC-KR…).
    return new TextDecoder(label, { fatal: true, ignoreBOM: true }).decode(Uint8Array.from(bytes));
  } catch {
    return undefined; // unknown label or invalid octets: ignore the parameter
  }
}

function decodeExtValue(param: DispositionParam): string | undefined {
  if (param.quoted) return undefined; // tc2231 attwithfn2231quot: an ext-value is never a quoted-string
  const m = EXT_VALUE.exec(param.value);
  if (!m || !VALUE_CHARS.test(m[3] as string)) return undefined;
  return decodeCharset(m[1] as string, percentBytes(m[3] as string));
}

/**
 * Raw 8-bit header text arrives as ISO-8859-1 (Node and fetch decode header bytes that way). When those
 * octets happen to form valid UTF-8, read them as UTF-8, as Chrome and Firefox do (deliberately differs
 * from tc2231 attwithutf8fnplain, which wants the Latin-1 mojibake; servers in the wild mean UTF-8).
 */
function sniffUtf8(value: string): string {
  if (!/[\u0080-\u00ff]/.test(value) || /[^\u0000-\u00ff]/.test(value)) return value; // eslint-disable-line no-control-regex
  const bytes = Uint8Array.from(value, (ch) => ch.charCodeAt(0));
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return value;
  }
}

/** RFC 2231 continuations (`filename*0`, `filename*1*`, …); tc2231 lists them as optional, Firefox supports them. */
function joinContinuations(params: Map<string, DispositionParam>): string | undefined {
  const parts = new Map<number, { param: DispositionParam; encoded: boolean }>();
  for (const [name, param] of params) {
    const m = CONTINUATION.exec(name);
    if (m) parts.set(Number(m[1]), { param, encoded: m[2] === '*' });
  }
  const first = parts.get(0);
  if (!first) return undefined; // tc2231 attfnconts1: must start at 0
  let charset: string | undefined;
  const bytes: number[] = [];
  // Stop at the first gap (tc2231 attfncontnc, attfncontlz).
  for (let n = 0; parts.has(n); n++) {
    const { param, encoded } = parts.get(n) as { param: DispositionParam; encoded: boolean };
    if (!encoded) {
      for (const ch of param.value) bytes.push(...(ch.charCodeAt(0) <= 0xff ? [ch.charCodeAt(0)] : utf8.encode(ch)));
      continue;
    }
    if (param.quoted) return undefined;
    let value = param.value;
    if (n === 0) {
      const m = EXT_VALUE.exec(value);
      if (!m) return undefined;
      charset = m[1];
      value = m[3] as string;
    } else if (charset === undefined) {
      return undefined; // an encoded segment needs the charset that only segment 0 can declare
    }
    if (!VALUE_CHARS.test(value)) return undefined;
    bytes.push(...percentBytes(value));
  }
  if (charset !== undefined) return decodeCharset(charset, bytes);
  return sniffUtf8(Buffer.from(bytes).toString('latin1'));
}

/**
 * RFC 6266 parse of a Content-Disposition header; prefers filename* (UTF-8 / ISO-8859-1) over filename.
 * A malformed header returns undefined (the name then comes from the URL, as RFC 6266 says), never
 * guessed from debris. Returns the raw (unsanitized) name, in Unicode composed form (NFC).
 *
 * - The disposition type is not checked: `inline` filenames are used (a "save" of inline content uses
 *   them, tc2231 inlwithasciifilename) and an unknown type counts as `attachment` (RFC 6266 §4.2, dispext).
 * - A bad `filename*` (unknown charset, invalid octets, quoted, malformed) is ignored on its own and
 *   `filename` is used instead (RFC 6266 §4.3).
 * - `filename` is taken literally: no percent-decoding (tc2231 attwithfnrawpctenca) and no RFC 2047
 *   decoding (attrfc2047quoted); only raw UTF-8 octets are read as UTF-8 (see sniffUtf8).
 */
export function filenameFromContentDisposition(header: string | undefined): string | undefined {
  if (typeof header !== 'string' || header.trim() === '') return undefined;
  const parsed = parseDisposition(header);
  if (!parsed) return undefined;
  const { params } = parsed;
  const candidates: Array<() => string | undefined> = [
    () => {
      const ext = params.get('filename*');
      return ext ? decodeExtValue(ext) : undefined;
    },
    () => joinContinuations(params),
    () => {
      const plain = params.get('filename');
      return plain ? sniffUtf8(plain.value) : undefined;
    },
  ];
  for (const candidate of candidates) {
    const name = candidate();
    if (name) return name.normalize('NFC');
  }
  return undefined;
}
