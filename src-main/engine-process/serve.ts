import type { EngineInfo } from '../../src-shared/channels.js';
import { toErrorData } from '../../src-shared/codes.js';
import { openEngine, type LocalAccess } from '../host/access.js';
import type { DesktopShell } from '../router/handlers.js';
import type { ParentLink } from './parent-link.js';
import { asToEngine, type EngineArgs, type ShellOp } from './protocol.js';

/** A shell request the parent never answers counts as "not done" after this long. */
const SHELL_TIMEOUT_MS = 30_000;

/**
 * The engine process: becomes the data dir's engine with `openEngine` (the lock, the browser host's
 * API, the CLI's hand-off socket, the store with conf) and serves the router to its parent over one
 * message protocol (protocol.ts). It answers every invoke with the router's Reply, pushes the router's
 * events (progress already coalesced), and asks the parent to reveal or open files when the parent is
 * a desktop. It ends on `shutdown`, on SIGTERM, or when a forking parent disconnects, always by
 * stopping transfers (resumable), writing the store and releasing the lock.
 */
export async function serveEngineProcess(link: ParentLink, args: EngineArgs, exit: (code: number) => void = (code) => process.exit(code)): Promise<void> {
  let access: LocalAccess | undefined = undefined;
  /** Settles once openEngine has (the engine, or undefined when this process is not the engine). */
  let opening: Promise<LocalAccess | undefined> = Promise.resolve(undefined);
  const early: Array<{ id: number; channel: string; payload: unknown }> = [];
  const shellWaiters = new Map<number, (done: boolean) => void>();
  let nextShell = 1;
  let stopping: Promise<void> | undefined;

  const stop = (code: number): Promise<void> => {
    stopping ??= (async () => {
      try {
        // Told to stop while still opening: wait for something to close (or for nothing to be there).
        await (await opening)?.close();
      } finally {
        link.post({ kind: 'stopped' }, () => exit(code));
      }
    })();
    return stopping;
  };

  const call = (id: number, channel: string, payload: unknown): void => {
    if (!access) {
      early.push({ id, channel, payload });
      return;
    }
    void access.router.call(channel, payload).then((reply) => link.post({ kind: 'reply', id, reply }));
  };

  link.onMessage((raw) => {
    const message = asToEngine(raw);
    if (!message) return;
    if (message.kind === 'invoke') call(message.id, message.channel, message.payload);
    else if (message.kind === 'shell-reply') shellWaiters.get(message.id)?.(message.done);
    else void stop(0);
  });
  link.onGone(() => void stop(0));
  process.once('SIGTERM', () => void stop(0));
  // A terminal's Ctrl-C reaches the whole process group: the parent decides (it sends `shutdown`, or
  // disconnects by dying), so the engine is not gone while a window still shows it.
  process.on('SIGINT', () => {});

  /** Reveal/open are the desktop's: ask the parent, which applies its own policy (open-policy.ts). */
  const askParent = (op: ShellOp, path: string): Promise<boolean> =>
    new Promise((resolve) => {
      const id = nextShell++;
      const timer = setTimeout(() => settle(false), SHELL_TIMEOUT_MS);
      const settle = (done: boolean): void => {
        clearTimeout(timer);
        shellWaiters.delete(id);
        resolve(done);
      };
      shellWaiters.set(id, settle);
      link.post({ kind: 'shell', id, op, path });
    });
  const shell: DesktopShell | undefined = args.desktop
    ? { kind: 'electron', reveal: (path) => askParent('reveal', path), open: (path) => askParent('open', path) }
    : undefined;

  const opened = openEngine({ dataDir: args.dataDir, mode: 'run', shell });
  opening = opened.then((a) => (a.kind === 'local' ? a : undefined), () => undefined);
  let result;
  try {
    result = await opened;
  } catch (error) {
    link.post({ kind: 'failed', error: toErrorData(error) }, () => exit(1));
    return;
  }
  if (result.kind === 'remote') {
    await result.close();
    link.post({ kind: 'busy', holder: { pid: result.holder.pid, port: result.holder.port } }, () => exit(0));
    return;
  }
  access = result;
  if (stopping) return;
  access.router.subscribe((event, payload) => link.post({ kind: 'event', event, payload }));
  const info = await access.router.call('engine.info', {});
  link.post({ kind: 'ready', info: { ...(info.ok ? (info.value as EngineInfo) : { pid: process.pid, dataDir: args.dataDir, version: '' }), port: access.host.port } });
  for (const { id, channel, payload } of early.splice(0)) call(id, channel, payload);
}
