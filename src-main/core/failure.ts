import { ReadError, TimeoutError } from 'got';
import { VelaError } from '../../src-shared/codes.js';

/**
 * What went wrong with an attempt, as data: a kind to branch on and whether another attempt may help.
 * Callers branch on the kind, never on message text (got and ky do the same with one error class per
 * kind); the message stays for people. Both the single stream (transfer.ts) and the connections of a
 * segmented download (segmented.ts) fail with these.
 */
export enum FailureKind {
  /** The disk or the device profile's quota is full: the partial file goes too. */
  NoSpace = 'no-space',
  /** The file cannot be written (permissions, a read-only disk). */
  Write = 'write',
  /** An HTTP status judged a failure. */
  Http = 'http',
  /** No answer in time (connect or idle). */
  Timeout = 'timeout',
  /** The body ended before every byte arrived, or the answer did not match what was asked. */
  Body = 'body',
  /** The request cannot be made at all (bad URL, header, redirect rules). */
  Request = 'request',
  /** Resets, refused connections, unknown hosts, the link simulation's drops. */
  Network = 'network',
}

/** A failed attempt. `transient` ones are retried by the engine, resuming from the partial file. */
export class AttemptFailure extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
    readonly retryAfterMs?: number,
    /** The HTTP status that caused it, when one did. */
    readonly status?: number,
    /** What went wrong, for callers to branch on (never the message). */
    readonly kind: FailureKind = status === undefined ? FailureKind.Network : FailureKind.Http,
  ) {
    super(message);
    this.name = 'AttemptFailure';
  }
}

/** The resource changed under a segmented download: its bytes are worthless; start over in one stream. */
export class SegmentsInvalidated extends AttemptFailure {
  constructor(why: string) {
    super(`${why}; restarting from byte 0`, true);
    this.name = 'SegmentsInvalidated';
  }
}

const bodyEndedEarly = (): AttemptFailure =>
  new AttemptFailure('the body ended early (the connection closed before every byte arrived)', true, undefined, undefined, FailureKind.Body);

/**
 * Turns anything thrown by got, fs or the engine's checks into an AttemptFailure; an abort stays an
 * abort. By error class and `code`, never by message text.
 */
export function classifyError(error: unknown, signal: AbortSignal): unknown {
  const failure = classify(error, signal);
  // Kept as the cause, so the task's failure reason can name it (failure-reason.ts: refused, DNS, …).
  if (failure instanceof AttemptFailure && failure !== error && failure.cause === undefined) failure.cause = error;
  return failure;
}

function classify(error: unknown, signal: AbortSignal): unknown {
  if (signal.aborted) return signal.reason ?? error;
  if (error instanceof AttemptFailure) return error;
  // Thrown by the engine's own onStart (the quota check): final as it is, not a network error to retry.
  if (error instanceof VelaError) return error;
  const err = error as NodeJS.ErrnoException;
  const code = err?.code ?? '';
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new AttemptFailure('insufficient space: the disk is full', false, undefined, undefined, FailureKind.NoSpace);
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new AttemptFailure(`cannot write the file (${code})`, false, undefined, undefined, FailureKind.Write);
    case 'ESIMDROP':
      return new AttemptFailure(err.message, true);
    case 'ERR_HTTP_CONTENT_LENGTH_MISMATCH':
      // got's strictContentLength: the connection ended inside a Content-Length body.
      return bodyEndedEarly();
    case 'ECONNRESET':
      // A reset inside the body (got reports it as a read error; a cut chunked body is one too).
      if (error instanceof ReadError) return bodyEndedEarly();
      break;
    case 'ETIMEDOUT': {
      const phase = error instanceof TimeoutError ? error.event : undefined;
      if (phase === 'lookup' || phase === 'connect' || phase === 'secureConnect') return new AttemptFailure('timeout: could not connect to the server', true, undefined, undefined, FailureKind.Timeout);
      return new AttemptFailure('timeout: no data from the server', true, undefined, undefined, FailureKind.Timeout);
    }
    case 'ENOTFOUND':
      return new AttemptFailure('network error: host not found', false);
    case 'ERR_TOO_MANY_REDIRECTS':
      return new AttemptFailure('too many redirects', false, undefined, undefined, FailureKind.Request);
    case 'ERR_INVALID_URL':
    case 'ERR_UNSUPPORTED_PROTOCOL':
    case 'ERR_INVALID_CHAR':
    case 'ERR_INVALID_HTTP_TOKEN':
    case 'ERR_HTTP_INVALID_HEADER_VALUE':
      // The request cannot be made at all: another attempt would fail the same way.
      return new AttemptFailure(`the request cannot be sent: ${err.message} (${code})`, false, undefined, undefined, FailureKind.Request);
    default:
      break;
  }
  // Resets, refused connections, malformed answers, premature closes: the network's fault, worth another try.
  return new AttemptFailure(`network error: ${err?.message ?? String(error)}${code ? ` (${code})` : ''}`, true);
}
