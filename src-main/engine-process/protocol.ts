import path from 'node:path';
import type { EngineInfo, EventMap, EventName, Reply } from '../../src-shared/channels.js';
import type { ErrorData } from '../../src-shared/codes.js';
import { PACKAGE_ROOT } from '../core/package-root.js';

/**
 * The one message protocol between a parent (Electron's main process, or any Node process in tests)
 * and the engine process (entry.ts). The same messages travel over a utility process's parent port
 * and over `child_process.fork`'s IPC channel (with `serialization: 'advanced'`, structured clone like
 * the port). Plain data only: no functions, no class instances, nothing that would not clone.
 *
 * Parent → engine: calls of the router's channels, answers to the engine's shell requests, shutdown.
 * Engine → parent: exactly one of ready | busy | failed first, then replies, events (already coalesced
 * by the engine: progress arrives as a few batches a second, never per chunk) and shell requests.
 */

export type ShellOp = 'reveal' | 'open';

/** What the engine process tells its parent about itself once it drives the data dir. */
export interface ReadyInfo extends EngineInfo {
  /** The browser host's API port on 127.0.0.1 (the CLI hands off over the data dir's socket, not this). */
  port: number;
}

export type ToEngine =
  /** A call of a declared channel; the router validates `payload` as it does for every transport. */
  | { kind: 'invoke'; id: number; channel: string; payload: unknown }
  /** The answer to a `shell` request: whether the desktop showed or opened the file. */
  | { kind: 'shell-reply'; id: number; done: boolean }
  /** Stop transfers (resumable), write the store, give the lock back, then exit. */
  | { kind: 'shutdown' };

export type FromEngine =
  | { kind: 'ready'; info: ReadyInfo }
  /** Another process already is this data dir's engine; the engine process exits. */
  | { kind: 'busy'; holder: { pid: number; port: number } }
  /** It could not start (an unreadable data dir, say); the engine process exits with status 1. */
  | { kind: 'failed'; error: ErrorData }
  | { kind: 'reply'; id: number; reply: Reply<unknown> }
  | { kind: 'event'; event: EventName; payload: EventMap[EventName] }
  /** Reveal or open a file the router has already confined (a task's file, a media file). */
  | { kind: 'shell'; id: number; op: ShellOp; path: string }
  /** Shutdown finished: the store is written and the lock released. */
  | { kind: 'stopped' };

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/** A message from the parent, or undefined for anything else (the port is ours, but check what is read). */
export function asToEngine(value: unknown): ToEngine | undefined {
  if (!isRecord(value)) return undefined;
  switch (value.kind) {
    case 'invoke':
      return typeof value.id === 'number' && typeof value.channel === 'string' ? (value as ToEngine) : undefined;
    case 'shell-reply':
      return typeof value.id === 'number' && typeof value.done === 'boolean' ? (value as ToEngine) : undefined;
    case 'shutdown':
      return { kind: 'shutdown' };
    default:
      return undefined;
  }
}

/** A message from the engine process, or undefined for anything else. */
export function asFromEngine(value: unknown): FromEngine | undefined {
  if (!isRecord(value) || typeof value.kind !== 'string') return undefined;
  switch (value.kind) {
    case 'ready':
      return isRecord(value.info) ? (value as FromEngine) : undefined;
    case 'busy':
      return isRecord(value.holder) ? (value as FromEngine) : undefined;
    case 'failed':
      return isRecord(value.error) ? (value as FromEngine) : undefined;
    case 'reply':
      return typeof value.id === 'number' && isRecord(value.reply) ? (value as FromEngine) : undefined;
    case 'event':
      return typeof value.event === 'string' ? (value as FromEngine) : undefined;
    case 'shell':
      return typeof value.id === 'number' && (value.op === 'reveal' || value.op === 'open') && typeof value.path === 'string'
        ? (value as FromEngine)
        : undefined;
    case 'stopped':
      return { kind: 'stopped' };
    default:
      return undefined;
  }
}

/** The built entry (tsconfig.node.json emits it; electron-builder.yml packs dist/src-main). */
export const ENGINE_ENTRY = path.join(PACKAGE_ROOT, 'dist', 'src-main', 'engine-process', 'entry.js');

/** How the engine process is started: its data dir, and whether the parent reveals and opens files. */
export interface EngineArgs {
  dataDir: string;
  /** The parent answers `shell` requests (Electron's main); otherwise reveal/open answer with the path only. */
  desktop: boolean;
}

/** The engine process's command-line arguments (argv after the script). */
export function engineArgv(args: EngineArgs): string[] {
  return ['--data-dir', args.dataDir, ...(args.desktop ? ['--desktop'] : [])];
}

export function parseEngineArgv(argv: readonly string[]): EngineArgs {
  const at = argv.indexOf('--data-dir');
  const dataDir = at >= 0 ? argv[at + 1] : undefined;
  if (!dataDir) throw new Error('the engine process needs --data-dir <folder>');
  return { dataDir, desktop: argv.includes('--desktop') };
}
