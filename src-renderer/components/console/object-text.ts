/**
 * Reads the object a person types into the API console, never with eval: strict JSON, plus what people
 * write in quick-app code: 'single quotes', unquoted keys, trailing commas and comments. Only data comes
 * out (objects, arrays, strings, numbers, booleans, null); anything else is an error with a position.
 */

export type ObjectTextErrorCode =
  | 'empty'
  | 'notObject'
  | 'unexpected'
  | 'end'
  | 'unterminated'
  | 'escape'
  | 'number'
  | 'depth'
  | 'trailing';

export interface ObjectTextError {
  code: ObjectTextErrorCode;
  /** 1-based line and column of the problem. */
  line: number;
  column: number;
  /** The character found there, when there is one. */
  found?: string;
}

export type ObjectTextResult = { ok: true; value: Record<string, unknown> } | { ok: false; error: ObjectTextError };

const MAX_DEPTH = 64;
const IDENT_START = /[A-Za-z_$]/;
const IDENT_PART = /[\w$]/;
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', '0': '\0', '\\': '\\', "'": "'", '"': '"', '/': '/', '`': '`' };

class Failure {
  constructor(
    readonly code: ObjectTextErrorCode,
    readonly at: number,
  ) {}
}

/** An own, enumerable property even for "__proto__": data never reaches a prototype. */
const define = (target: object, key: string, value: unknown): void => {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
};

function parse(text: string): unknown {
  let pos = 0;

  const skip = (): void => {
    for (;;) {
      const c = text[pos];
      if (c === undefined) return;
      if (/\s/.test(c) || c === '\uFEFF') {
        pos += 1;
      } else if (c === '/' && text[pos + 1] === '/') {
        while (pos < text.length && text[pos] !== '\n') pos += 1;
      } else if (c === '/' && text[pos + 1] === '*') {
        const end = text.indexOf('*/', pos + 2);
        if (end < 0) throw new Failure('end', text.length);
        pos = end + 2;
      } else {
        return;
      }
    }
  };

  const expect = (c: string): void => {
    skip();
    if (pos >= text.length) throw new Failure('end', pos);
    if (text[pos] !== c) throw new Failure('unexpected', pos);
    pos += 1;
  };

  const string = (): string => {
    const quote = text[pos];
    pos += 1;
    let out = '';
    for (;;) {
      const c = text[pos];
      if (c === undefined || c === '\n' || c === '\r') throw new Failure('unterminated', pos);
      if (c === quote) {
        pos += 1;
        return out;
      }
      if (c === '\\') {
        const e = text[pos + 1];
        if (e === undefined) throw new Failure('unterminated', pos + 1);
        if (e === 'u') {
          const hex = text.slice(pos + 2, pos + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new Failure('escape', pos);
          out += String.fromCharCode(parseInt(hex, 16));
          pos += 6;
        } else if (e === '\n') {
          pos += 2; // a line continuation
        } else if (Object.hasOwn(ESCAPES, e)) {
          out += ESCAPES[e];
          pos += 2;
        } else {
          throw new Failure('escape', pos);
        }
        continue;
      }
      out += c;
      pos += 1;
    }
  };

  const number = (): number => {
    const match = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?/.exec(text.slice(pos));
    if (!match) throw new Failure('number', pos);
    const value = Number(match[0]);
    if (!Number.isFinite(value)) throw new Failure('number', pos);
    pos += match[0].length;
    return value;
  };

  const word = (): string => {
    const start = pos;
    while (pos < text.length && IDENT_PART.test(text[pos]!)) pos += 1;
    return text.slice(start, pos);
  };

  const value = (depth: number): unknown => {
    if (depth > MAX_DEPTH) throw new Failure('depth', pos);
    skip();
    const c = text[pos];
    if (c === undefined) throw new Failure('end', pos);
    if (c === '{') return object(depth + 1);
    if (c === '[') return array(depth + 1);
    if (c === '"' || c === "'") return string();
    if (c === '-' || c === '+' || c === '.' || /\d/.test(c)) return number();
    if (IDENT_START.test(c)) {
      const start = pos;
      const w = word();
      if (w === 'true') return true;
      if (w === 'false') return false;
      if (w === 'null') return null;
      throw new Failure('unexpected', start);
    }
    throw new Failure('unexpected', pos);
  };

  const key = (): string => {
    const c = text[pos];
    if (c === '"' || c === "'") return string();
    if (c !== undefined && IDENT_START.test(c)) return word();
    if (c === undefined) throw new Failure('end', pos);
    throw new Failure('unexpected', pos);
  };

  const object = (depth: number): Record<string, unknown> => {
    pos += 1; // {
    const out: Record<string, unknown> = {};
    for (;;) {
      skip();
      if (text[pos] === '}') {
        pos += 1;
        return out;
      }
      const k = key();
      expect(':');
      define(out, k, value(depth));
      skip();
      if (text[pos] === ',') {
        pos += 1;
        continue;
      }
      if (text[pos] === '}') continue;
      throw new Failure(pos >= text.length ? 'end' : 'unexpected', pos);
    }
  };

  const array = (depth: number): unknown[] => {
    pos += 1; // [
    const out: unknown[] = [];
    for (;;) {
      skip();
      if (text[pos] === ']') {
        pos += 1;
        return out;
      }
      out.push(value(depth));
      skip();
      if (text[pos] === ',') {
        pos += 1;
        continue;
      }
      if (text[pos] === ']') continue;
      throw new Failure(pos >= text.length ? 'end' : 'unexpected', pos);
    }
  };

  skip();
  if (pos >= text.length) throw new Failure('empty', 0);
  const result = value(0);
  skip();
  if (pos < text.length) throw new Failure('trailing', pos);
  return result;
}

function locate(text: string, at: number): { line: number; column: number } {
  const before = text.slice(0, at);
  const lines = before.split('\n');
  return { line: lines.length, column: (lines.at(-1)?.length ?? 0) + 1 };
}

/** Parse the text of one object as a quick app would write it. */
export function parseObjectText(text: string): ObjectTextResult {
  try {
    const value = parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return { ok: false, error: { code: 'notObject', line: 1, column: 1 } };
    }
    return { ok: true, value: value as Record<string, unknown> };
  } catch (error) {
    if (!(error instanceof Failure)) throw error;
    const found = text[error.at];
    return { ok: false, error: { code: error.code, ...locate(text, error.at), ...(found === undefined ? {} : { found }) } };
  }
}
