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
}

/** An error that carries a fail code. Thrown by core and the shared validators; turned into ErrorData at every boundary. */
export class VelaError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.name = 'VelaError';
    this.code = code;
  }

  toData(): ErrorData {
    return { code: this.code, message: this.message };
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
  if (isErrorData(error)) return { code: error.code, message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  return { code: FailCode.Internal, message: `internal error: ${message}` };
}
