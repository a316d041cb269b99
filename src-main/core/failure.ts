/**
 * What kind of failure an attempt met, so that callers branch on a kind, never on message text
 * (got and ky do the same with one error class per kind). The message stays for people.
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
