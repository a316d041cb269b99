/**
 * Why something failed, as data: a task's failure (`TaskRecord.error`) and a refused call
 * (`ErrorData.reason`). The window words it in the user's language from `kind`, `status`, `detail` and
 * `params` (src-renderer/components/downloads/failure-text.ts); the English `message` beside it stays
 * what the quick-app API, the CLI and logs show. Nothing here ever holds a stack.
 */

/** An attempt's FailureKind (src-main/core/failure.ts): the same strings. */
export const ATTEMPT_REASON_KINDS = ['no-space', 'write', 'http', 'timeout', 'body', 'request', 'network'] as const;

/** What the engine itself fails a task for, besides an attempt's failure. */
export const ENGINE_REASON_KINDS = [
  /** The device profile's cache quota: the file does not fit, or grew past it. */
  'quota',
  /** The file's sha256 is not the expected one. */
  'checksum',
  /** The device profile stayed offline past its timeout. */
  'offline',
  /** Something broke inside the companion. */
  'internal',
] as const;

/** Why a call was refused (ErrorData.reason). */
export const CALL_REASON_KINDS = [
  /** 202 by one of the shared argument rules (src-shared/validate.ts): `detail` is the rule. */
  'argument',
  /** 203: the device profile does not support downloads; `params.device` is its name. */
  'unsupported',
  /** 1001: no such task; `params.token`. */
  'not-found',
  /** 202: the action does not fit the task's state; `params.action`, `params.state`. */
  'state',
  /** 202: a file whose bytes are not image, video or audio cannot go to the gallery; `params.name`. */
  'not-media',
  /** 1000: a move to the gallery failed; `detail` the step (`missing`, `read`, `folder`, `move`), `params.name`/`folder`/`errno`. */
  'gallery',
] as const;

export const REASON_KINDS = [...ATTEMPT_REASON_KINDS, ...ENGINE_REASON_KINDS, ...CALL_REASON_KINDS] as const;
export type ReasonKind = (typeof REASON_KINDS)[number];

/**
 * The finer cause within a kind, a small fixed vocabulary (never an error's text):
 * - network: `dns` (host not found), `refused`, `reset`, `unreachable`, `tls` (certificate or
 *   handshake), `protocol` (a malformed answer), `drop` (the device profile's simulated drop);
 * - timeout: `connect` (no connection in time), `idle` (connected, then no data: stalled);
 * - request: `redirects` (too many), `invalid` (the URL or a header cannot be sent);
 * - http: `redirect` for a 3xx that was not followed;
 * - quota: `too-large` (the whole file cannot fit), `grew` (a body without a length went past it);
 * - argument: the rule key (`url.scheme`, `header.name`, …).
 */
export type ReasonDetail = string;

/** Values a sentence names: sizes in bytes, a file or device name, a status, a count. */
export type ReasonParams = Record<string, string | number>;

export interface FailureReason {
  /** The fail code (API.md §2): 1000 for every download failure. */
  code: number;
  kind: ReasonKind;
  /** The HTTP status that caused it, when one did. */
  status?: number;
  detail?: ReasonDetail;
  /**
   * `attempts` (given up after that many in a row), `quota`/`total`/`used` (bytes), `folder` (where
   * the disk is full), `errno`, `expected`/`actual` (sha256), `timeoutMs`, `device`, `token`,
   * `action`/`state`, `name`.
   */
  params?: ReasonParams;
}

/** The reason without its code, as a VelaError is given it (the error has the code). */
export type ReasonInit = Omit<FailureReason, 'code'>;

export const isReasonKind = (value: unknown): value is ReasonKind => typeof value === 'string' && (REASON_KINDS as readonly string[]).includes(value);

/** A reason that crossed a transport, checked: anything malformed is dropped (the message still says why). */
export function readReason(value: unknown): FailureReason | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const r = value as Partial<FailureReason>;
  if (typeof r.code !== 'number' || !isReasonKind(r.kind)) return undefined;
  const reason: FailureReason = { code: r.code, kind: r.kind };
  if (typeof r.status === 'number') reason.status = r.status;
  if (typeof r.detail === 'string') reason.detail = r.detail;
  if (typeof r.params === 'object' && r.params !== null) {
    const params: ReasonParams = {};
    for (const [key, v] of Object.entries(r.params)) if (typeof v === 'string' || typeof v === 'number') params[key] = v;
    reason.params = params;
  }
  return reason;
}
