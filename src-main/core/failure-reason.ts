import { FailCode, VelaError } from '../../src-shared/codes.js';
import type { FailureReason, ReasonInit, ReasonParams } from '../../src-shared/failure-reason.js';
import type { DeviceProfile } from '../../src-shared/profiles.js';
import { FailureKind } from './failure.js';

/**
 * A task's failure as data (`TaskRecord.error`, src-shared/failure-reason.ts), made from what was
 * thrown: an attempt's failure (its kind, its HTTP status, and the error it was classified from, kept
 * as its `cause`), or a VelaError with its reason. By class, kind and error code, never by message
 * text. The English message is made where it always was; this only adds the reason beside it.
 */

/** The fields of an attempt's failure (transfer.ts's AttemptFailure) this reads. */
interface AttemptLike extends Error {
  transient: boolean;
  status?: number;
  kind: FailureKind;
}

const KINDS: readonly string[] = Object.values(FailureKind);

function isAttemptFailure(error: unknown): error is AttemptLike {
  return error instanceof Error && typeof (error as AttemptLike).transient === 'boolean' && KINDS.includes((error as AttemptLike).kind);
}

/** What the reason may name that the error does not know. */
export interface ReasonContext {
  /** Where the bytes were being written (a full disk: "free space on …"). */
  folder?: string;
  /** How many attempts in a row failed before giving up. */
  attempts?: number;
}

/** An error code (errno or got's) of the error an attempt's failure was classified from. */
function causeCode(error: Error): string {
  const cause = error.cause as { code?: unknown } | undefined;
  return typeof cause?.code === 'string' ? cause.code : '';
}

/** The network failure's finer cause, from the error code (Node's errno, got's, OpenSSL's). */
export function networkDetail(code: string): string | undefined {
  switch (code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EAI_NODATA':
    case 'EAI_NONAME':
      return 'dns';
    case 'ECONNREFUSED':
      return 'refused';
    case 'ECONNRESET':
    case 'ECONNABORTED':
    case 'EPIPE':
      return 'reset';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENETDOWN':
    case 'EHOSTDOWN':
    case 'EADDRNOTAVAIL':
      return 'unreachable';
    case 'ESIMDROP':
      return 'drop';
    default:
      break;
  }
  if (code.startsWith('HPE_')) return 'protocol';
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(code)) return 'tls';
  return undefined;
}

function attemptReason(failure: AttemptLike, context: ReasonContext): FailureReason {
  const code = causeCode(failure);
  const params: ReasonParams = {};
  let detail: string | undefined;
  switch (failure.kind) {
    case FailureKind.Http:
      if (failure.status !== undefined && failure.status >= 300 && failure.status < 400) detail = 'redirect';
      break;
    case FailureKind.Timeout: {
      const phase = (failure.cause as { event?: unknown } | undefined)?.event;
      detail = phase === 'lookup' || phase === 'connect' || phase === 'secureConnect' ? 'connect' : 'idle';
      break;
    }
    case FailureKind.Network:
      detail = networkDetail(code);
      break;
    case FailureKind.Request:
      detail = code === 'ERR_TOO_MANY_REDIRECTS' ? 'redirects' : 'invalid';
      break;
    case FailureKind.NoSpace:
      if (context.folder) params.folder = context.folder;
      break;
    case FailureKind.Write:
      if (context.folder) params.folder = context.folder;
      if (code) params.errno = code;
      break;
    default:
      break;
  }
  if (context.attempts !== undefined) params.attempts = context.attempts;
  return {
    code: FailCode.DownloadFailed,
    kind: failure.kind,
    ...(failure.status !== undefined ? { status: failure.status } : {}),
    ...(detail ? { detail } : {}),
    ...(Object.keys(params).length > 0 ? { params } : {}),
  };
}

/** The reason a VelaError carries, else the one its code implies. */
function kindOfCode(code: number): ReasonInit['kind'] {
  switch (code) {
    case FailCode.IllegalArgument:
      return 'argument';
    case FailCode.NotSupported:
      return 'unsupported';
    case FailCode.TaskNotFound:
      return 'not-found';
    default:
      return 'internal';
  }
}

/** Why a task failed, from whatever its run threw (or answered with). */
export function reasonOf(error: unknown, context: ReasonContext = {}): FailureReason {
  if (isAttemptFailure(error)) return attemptReason(error, context);
  if (error instanceof VelaError) {
    const reason = error.reason ?? { code: error.code, kind: kindOfCode(error.code) };
    return context.attempts === undefined ? reason : { ...reason, params: { ...reason.params, attempts: context.attempts } };
  }
  return { code: FailCode.DownloadFailed, kind: 'internal' };
}

/** The device profile stayed offline past its timeout. */
export function offlineReason(profile: DeviceProfile): FailureReason {
  const timeoutMs = profile.link.offlineTimeoutMs;
  return { code: FailCode.DownloadFailed, kind: 'offline', params: { device: profile.name, ...(timeoutMs !== undefined ? { timeoutMs } : {}) } };
}

/** Nothing said why (an error inside the companion). */
export const internalReason = (): FailureReason => ({ code: FailCode.DownloadFailed, kind: 'internal' });
