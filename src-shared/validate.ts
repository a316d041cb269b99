import { FailCode, VelaError } from './codes.js';

/**
 * The argument rules of API.md §1/§2, as pure functions shared by every front door (router, CLI,
 * quick-app adapter). Each failure is a 202 whose message says exactly what was wrong.
 */

const illegal = (message: string): VelaError => new VelaError(FailCode.IllegalArgument, message);

/** RFC 9110 token: the characters a header name may use. */
const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A given filename may not hold these (as hapjs refuses them); see API.md §1. */
// eslint-disable-next-line no-control-regex
const ILLEGAL_FILENAME_CHARS = /[/\\"':|*?<>\u0000-\u001f\u007f]/;

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
    if (!HTTP_TOKEN.test(name)) throw illegal(`header name is not a valid HTTP token: ${JSON.stringify(truncate(name))}`);
    if (raw === undefined || raw === null || typeof raw === 'object' || typeof raw === 'function') {
      throw illegal(`header ${name} must have a string value`);
    }
    const value = String(raw);
    if (/[\r\n\0]/.test(value)) throw illegal(`header ${name} has a value with CR, LF or NUL`);
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
