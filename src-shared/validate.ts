import { FailCode, VelaError } from './codes.js';

/**
 * The argument rules of API.md §1/§2, as pure functions shared by every front door (router, CLI,
 * quick-app adapter). Each failure is a 202 whose message says exactly what was wrong.
 */

const illegal = (message: string): VelaError => new VelaError(FailCode.IllegalArgument, message);

/** RFC 9110 token: the characters a header name may use. */
const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/**
 * A given filename may not hold these (as hapjs refuses them); see API.md §1. "A control character"
 * includes the C1 controls U+0080-U+009F, which sanitizeName strips from names off the network too.
 */
// eslint-disable-next-line no-control-regex
const ILLEGAL_FILENAME_CHARS = /[/\\"':|*?<>\u0000-\u001f\u007f-\u009f]/;
/**
 * Windows device names, reserved in any case and with any extension (`CON`, `con.txt`, `NUL .tar.gz`):
 * opening `cache\CON` on Windows opens the console, not a file. A name from the network gets a `_`
 * prefix (filename.ts sanitizeName); a name the app gives is used as it is, so it is refused here.
 */
const RESERVED_FILENAME = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$|clock\$)$/i;
/** Half of a surrogate pair: not text, and written to disk as U+FFFD, so the name and its URI would not match the file. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export const MAX_URL_LENGTH = 64 * 1024;
export const MAX_HEADERS = 256;

export function validateUrl(url: unknown): URL {
  if (typeof url !== 'string' || url.trim() === '') throw illegal('url is required and must be a non-empty string');
  if (url.length > MAX_URL_LENGTH) throw illegal(`url is too long (${url.length} characters, at most ${MAX_URL_LENGTH})`);
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw illegal(`url is not a valid URL: ${truncate(url)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw illegal(`url scheme must be http or https, got ${parsed.protocol.replace(/:$/, '')}`);
  }
  if (!parsed.hostname) throw illegal(`url has no host: ${truncate(url)}`);
  return parsed;
}

/** `header` may be an object or a string holding a JSON object (API.md §1); every value becomes a string. */
export function validateHeaders(header: unknown): Record<string, string> {
  if (header === undefined || header === null || header === '') return {};
  let source: unknown = header;
  if (typeof header === 'string') {
    try {
      source = JSON.parse(header);
    } catch {
      throw illegal('header must be an object or a string holding a JSON object');
    }
  }
  if (typeof source !== 'object' || source === null || Array.isArray(source)) {
    throw illegal('header must be an object or a string holding a JSON object');
  }
  const entries = Object.entries(source as Record<string, unknown>);
  if (entries.length > MAX_HEADERS) throw illegal(`too many headers (${entries.length}, at most ${MAX_HEADERS})`);
  const headers: Record<string, string> = {};
  for (const [name, raw] of entries) {
    // A valid token can still be a megabyte long: messages quote at most 120 characters of it.
    const shown = truncate(name);
    if (!HTTP_TOKEN.test(name)) throw illegal(`header name is not a valid HTTP token: ${JSON.stringify(truncate(name))}`);
    if (raw === undefined || raw === null || typeof raw === 'object' || typeof raw === 'function') {
      throw illegal(`header ${shown} must have a string value`);
    }
    const value = String(raw);
    if (/[\r\n\0]/.test(value)) throw illegal(`header ${shown} has a value with CR, LF or NUL`);
    // Any other control character, or one above U+00FF, can never be sent either: Node refuses it when
    // the request is made (ERR_INVALID_CHAR), which surfaced as a 1000 "network error" after every
    // retry. RFC 9110 field-value: HTAB, SP, VCHAR and obs-text (0x80-0xFF) only.
    if (/[^\t\x20-\x7e\x80-\xff]/.test(value)) {
      throw illegal(`header ${shown} has a value with a character an HTTP header cannot carry (a control character, or one above U+00FF)`);
    }
    headers[name] = value;
  }
  return headers;
}

/** A filename given by the caller: refused (202) rather than cleaned, as hapjs does. */
export function validateFilename(filename: unknown): string | undefined {
  if (filename === undefined || filename === null || filename === '') return undefined;
  if (typeof filename !== 'string') throw illegal('filename must be a string');
  if (filename.includes('..')) throw illegal(`filename may not contain "..": ${JSON.stringify(truncate(filename))}`);
  if (ILLEGAL_FILENAME_CHARS.test(filename)) {
    throw illegal(`filename may not contain / \\ " ' : | * ? < > or control characters: ${JSON.stringify(truncate(filename))}`);
  }
  if (filename.trim() === '' || /^\.+$/.test(filename)) throw illegal('filename is empty');
  if (RESERVED_FILENAME.test((filename.split('.')[0] as string).trimEnd())) {
    throw illegal(`filename is a reserved device name on Windows: ${JSON.stringify(truncate(filename))}`);
  }
  if (LONE_SURROGATE.test(filename)) throw illegal('filename is not well-formed Unicode (a lone surrogate)');
  if (new TextEncoder().encode(filename).length > 255) throw illegal('filename is longer than 255 bytes');
  return filename;
}

export function validateToken(token: unknown): string {
  if (typeof token !== 'string' || token === '') throw illegal('token is required and must be a non-empty string');
  return token;
}

export function validateSha256(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || !/^[0-9a-fA-F]{64}$/.test(value)) throw illegal('sha256 must be 64 hex digits');
  return value.toLowerCase();
}

function truncate(value: string, max = 120): string {
  return value.length > max ? `${value.slice(0, max)}…` : value;
}
