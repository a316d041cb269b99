import { z } from 'zod';
import { FailCode, VelaError } from './codes.js';

/**
 * The argument rules of API.md §1/§2, once, as zod schemas with their own messages (custom issues).
 * Every front door uses them: the engine (through the `validate*` functions below, which turn the first
 * issue into a 202), the router, the CLI, the quick-app adapter, and the window's forms for their field
 * errors. Each issue also carries a stable `params.rule` key, so the window can say it in the user's
 * language; the message is the English text the quick-app `fail` callback receives.
 *
 * The character classes a filename may not hold are exported for core/filename.ts, which cleans names
 * that come from the network by the same rules instead of refusing them.
 */

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
const WINDOWS_DEVICE_NAME = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$|clock\$)$/i;
/** Half of a surrogate pair: not text, and written to disk as U+FFFD, so the name and its URI would not match the file. */
export const LONE_SURROGATE_SOURCE = '[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]';
const LONE_SURROGATE = new RegExp(LONE_SURROGATE_SOURCE);

export const MAX_URL_LENGTH = 64 * 1024;
export const MAX_HEADERS = 256;
export const MAX_FILENAME_BYTES = 255;

/** Whether a name's part before its first dot is a Windows device name (`CON`, `nul.tar.gz`, `COM1 .txt`). */
export function isWindowsDeviceName(name: string): boolean {
  return WINDOWS_DEVICE_NAME.test((name.split('.')[0] as string).trimEnd());
}

/** The stable keys of the rules, for messages in the window's language. */
export type ArgumentRule =
  | 'url.required' | 'url.tooLong' | 'url.invalid' | 'url.scheme' | 'url.noHost'
  | 'header.notObject' | 'header.tooMany' | 'header.name' | 'header.valueType' | 'header.crlf' | 'header.valueChars'
  | 'filename.type' | 'filename.dotdot' | 'filename.chars' | 'filename.empty' | 'filename.reserved' | 'filename.surrogate' | 'filename.tooLong'
  | 'token.required' | 'sha256.format';

type Ctx = z.RefinementCtx;
const refuse = (ctx: Ctx, rule: ArgumentRule, message: string): typeof z.NEVER => {
  ctx.addIssue({ code: 'custom', message, params: { rule } });
  return z.NEVER;
};

const truncate = (value: string, max = 120): string => (value.length > max ? `${value.slice(0, max)}…` : value);

/** `url`: a non-empty http or https URL with a host, at most 64 KiB. */
export const urlSchema = z.unknown().transform((url, ctx): URL => {
  if (typeof url !== 'string' || url.trim() === '') return refuse(ctx, 'url.required', 'url is required and must be a non-empty string');
  if (url.length > MAX_URL_LENGTH) return refuse(ctx, 'url.tooLong', `url is too long (${url.length} characters, at most ${MAX_URL_LENGTH})`);
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    return refuse(ctx, 'url.invalid', `url is not a valid URL: ${truncate(url)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return refuse(ctx, 'url.scheme', `url scheme must be http or https, got ${parsed.protocol.replace(/:$/, '')}`);
  }
  if (!parsed.hostname) return refuse(ctx, 'url.noHost', `url has no host: ${truncate(url)}`);
  return parsed;
});

/** One header name: an RFC 9110 token. */
export const headerNameSchema = z.string().superRefine((name, ctx) => {
  // A valid token can still be a megabyte long: messages quote at most 120 characters of it.
  if (!HTTP_TOKEN.test(name)) refuse(ctx, 'header.name', `header name is not a valid HTTP token: ${JSON.stringify(truncate(name))}`);
});

/**
 * One header value. Besides CR, LF and NUL, any other control character or one above U+00FF can never
 * be sent either: Node refuses it when the request is made (ERR_INVALID_CHAR), which surfaced as a 1000
 * "network error" after every retry. RFC 9110 field-value: HTAB, SP, VCHAR and obs-text (0x80-0xFF) only.
 */
export const headerValueSchema = (shownName: string) =>
  z.string().superRefine((value, ctx) => {
    if (/[\r\n\0]/.test(value)) refuse(ctx, 'header.crlf', `header ${shownName} has a value with CR, LF or NUL`);
    else if (/[^\t\x20-\x7e\x80-\xff]/.test(value)) {
      refuse(ctx, 'header.valueChars', `header ${shownName} has a value with a character an HTTP header cannot carry (a control character, or one above U+00FF)`);
    }
  });

/** `header`: an object, or a string holding a JSON object (API.md §1); every value becomes a string. */
export const headerSchema = z.unknown().transform((header, ctx): Record<string, string> => {
  if (header === undefined || header === null || header === '') return {};
  let source: unknown = header;
  if (typeof header === 'string') {
    try {
      source = JSON.parse(header);
    } catch {
      return refuse(ctx, 'header.notObject', 'header must be an object or a string holding a JSON object');
    }
  }
  if (typeof source !== 'object' || source === null || Array.isArray(source)) {
    return refuse(ctx, 'header.notObject', 'header must be an object or a string holding a JSON object');
  }
  const entries = Object.entries(source as Record<string, unknown>);
  if (entries.length > MAX_HEADERS) return refuse(ctx, 'header.tooMany', `too many headers (${entries.length}, at most ${MAX_HEADERS})`);
  // Built without a prototype, so a header named `__proto__` is a header like any other.
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, raw] of entries) {
    const shown = truncate(name);
    const nameCheck = headerNameSchema.safeParse(name);
    if (!nameCheck.success) return forward(ctx, nameCheck.error);
    if (raw === undefined || raw === null || typeof raw === 'object' || typeof raw === 'function') {
      return refuse(ctx, 'header.valueType', `header ${shown} must have a string value`);
    }
    const value = String(raw);
    const valueCheck = headerValueSchema(shown).safeParse(value);
    if (!valueCheck.success) return forward(ctx, valueCheck.error);
    headers[name] = value;
  }
  return { ...headers };
});

/** A filename given by the caller: refused (202) rather than cleaned, as hapjs does. Empty means none. */
export const filenameSchema = z.unknown().transform((filename, ctx): string | undefined => {
  if (filename === undefined || filename === null || filename === '') return undefined;
  if (typeof filename !== 'string') return refuse(ctx, 'filename.type', 'filename must be a string');
  const shown = JSON.stringify(truncate(filename));
  if (filename.includes('..')) return refuse(ctx, 'filename.dotdot', `filename may not contain "..": ${shown}`);
  if (ILLEGAL_FILENAME_CHARS.test(filename)) {
    return refuse(ctx, 'filename.chars', `filename may not contain / \\ " ' : | * ? < > or control characters: ${shown}`);
  }
  if (filename.trim() === '' || /^\.+$/.test(filename)) return refuse(ctx, 'filename.empty', 'filename is empty');
  if (isWindowsDeviceName(filename)) return refuse(ctx, 'filename.reserved', `filename is a reserved device name on Windows: ${shown}`);
  if (LONE_SURROGATE.test(filename)) return refuse(ctx, 'filename.surrogate', 'filename is not well-formed Unicode (a lone surrogate)');
  if (new TextEncoder().encode(filename).length > MAX_FILENAME_BYTES) {
    return refuse(ctx, 'filename.tooLong', `filename is longer than ${MAX_FILENAME_BYTES} bytes`);
  }
  return filename;
});

export const tokenSchema = z.unknown().transform((token, ctx): string => {
  if (typeof token !== 'string' || token === '') return refuse(ctx, 'token.required', 'token is required and must be a non-empty string');
  return token;
});

export const sha256Schema = z.unknown().transform((value, ctx): string | undefined => {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || !/^[0-9a-fA-F]{64}$/.test(value)) return refuse(ctx, 'sha256.format', 'sha256 must be 64 hex digits');
  return value.toLowerCase();
});

/** Passes a nested schema's first issue on, keeping its message and rule. */
function forward(ctx: Ctx, error: z.ZodError): typeof z.NEVER {
  const [issue] = error.issues;
  const rule = (issue as { params?: { rule?: ArgumentRule } } | undefined)?.params?.rule ?? 'header.name';
  return refuse(ctx, rule, issue?.message ?? 'invalid header');
}

/** The first issue of a failed check, for a field error in the window or a 202. */
export interface ArgumentProblem {
  rule: ArgumentRule | undefined;
  message: string;
}

/** Checks one value against one of the schemas above: undefined when it passes. */
export function argumentProblem(schema: z.ZodType, value: unknown): ArgumentProblem | undefined {
  const result = schema.safeParse(value);
  if (result.success) return undefined;
  const [issue] = result.error.issues;
  return { rule: (issue as { params?: { rule?: ArgumentRule } } | undefined)?.params?.rule, message: issue?.message ?? 'invalid argument' };
}

/** Parses with one of the schemas above; a failure is a 202 with the rule's message. */
function parse202<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const [issue] = result.error.issues;
  const rule = (issue as { params?: { rule?: ArgumentRule } } | undefined)?.params?.rule;
  // The rule travels as the reason's detail: the window says it with its own `rules.*` sentence.
  throw new VelaError(FailCode.IllegalArgument, issue?.message ?? 'invalid argument', { kind: 'argument', ...(rule ? { detail: rule } : {}) });
}

export const validateUrl = (url: unknown): URL => parse202(urlSchema, url);
export const validateHeaders = (header: unknown): Record<string, string> => parse202(headerSchema, header);
export const validateFilename = (filename: unknown): string | undefined => parse202(filenameSchema, filename);
export const validateToken = (token: unknown): string => parse202(tokenSchema, token);
export const validateSha256 = (value: unknown): string | undefined => parse202(sha256Schema, value);
