import { readReason, type FailureReason, type ReasonInit } from './failure-reason.js';

/**
 * Fail codes of API.md §2. The renderer, the CLI and quick-app code switch on these numbers,
 * never on message text; messages are for people and never carry a stack.
 */
export const FailCode = {
  /** Bad parameters (quick-app framework's "illegal argument"). */
  IllegalArgument: 202,
  /** The active device profile does not support `system.request` downloads. */
  NotSupported: 203,
  /** The download failed: HTTP status, network, timeout, disk, quota, cancelled. */
  DownloadFailed: 1000,
  /** The token was never issued, or its record was removed. */
  TaskNotFound: 1001,
  /** Our own: something broke inside the companion. Never shown with a stack. */
  Internal: 500,
} as const;

export type FailCodeValue = (typeof FailCode)[keyof typeof FailCode];

/** The plain-data form of an error, as it crosses IPC, HTTP and the CLI's --json output. */
export interface ErrorData {
  code: number;
  message: string;
  /** Why, as data, for a message in the user's language (failure-reason.ts); the message stays English. */
  reason?: FailureReason;
}

/** An error that carries a fail code. Thrown by core and the shared validators; turned into ErrorData at every boundary. */
export class VelaError extends Error {
  readonly code: number;
  /** Why, as data (the kind, an HTTP status, the values the sentence names); optional. */
  readonly reason: FailureReason | undefined;
  constructor(code: number, message: string, reason?: ReasonInit | FailureReason) {
    super(message);
    this.name = 'VelaError';
    this.code = code;
    this.reason = reason ? { ...reason, code } : undefined;
  }

  toData(): ErrorData {
    return this.reason ? { code: this.code, message: this.message, reason: this.reason } : { code: this.code, message: this.message };
  }

  /** ErrorData that crossed a transport, as an error again (its reason checked, never trusted blindly). */
  static fromData(data: ErrorData): VelaError {
    return new VelaError(data.code, data.message, readReason(data.reason));
  }
}

export const isErrorData = (value: unknown): value is ErrorData =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as ErrorData).code === 'number' &&
  typeof (value as ErrorData).message === 'string';

/** Any thrown value as ErrorData: VelaErrors keep their code; anything else is an internal error without its stack. */
export function toErrorData(error: unknown): ErrorData {
  if (error instanceof VelaError) return error.toData();
  if (isErrorData(error)) {
    const reason = readReason(error.reason);
    return reason ? { code: error.code, message: error.message, reason } : { code: error.code, message: error.message };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: FailCode.Internal, message: `internal error: ${message}` };
}
