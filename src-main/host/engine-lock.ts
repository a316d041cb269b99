import fs from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { removeSocketFile, socketFetch, socketTrusted } from './engine-socket.js';

/**
 * One engine drives a data dir at a time (API.md §5). The engine that holds it publishes itself in
 * `DATA_DIR/engine.json` (mode 0600): its pid, the socket (or Windows named pipe) other processes
 * reach it on, the TCP port of the page, and the secret. A file left by a dead process is taken over,
 * never obeyed forever. Hand-off never uses the TCP port: once the engine is gone, any process of any
 * user may listen there, and would receive the secret, the URL and the headers of the request.
 */
export interface EngineFile {
  pid: number;
  /** The browser page's port on 127.0.0.1 (shown to people); never used for the hand-off. */
  port: number;
  /** Unix socket path or Windows pipe name of the engine's API (engine-socket.ts). */
  socket: string;
  secret: string;
}

export function readEngineFile(file: string): EngineFile | undefined {
  try {
    const data = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<EngineFile>;
    if (typeof data.pid === 'number' && typeof data.port === 'number' && typeof data.socket === 'string' && typeof data.secret === 'string') {
      return data as EngineFile;
    }
  } catch {
    // Missing or half-written: treated as no engine.
  }
  // (A file without a socket, as older versions wrote it, is no engine we could reach: taken over.)
  return undefined;
}

/** Whether a process with this pid may be our engine: it exists and belongs to us (EPERM: another user's). */
function processMayBeEngine(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    // ESRCH: gone. EPERM: another user's process, which cannot be the engine of our 0700 data dir.
    return false;
  }
}

/** How long a holder still starting (503 after the host's own 2 s wait) is given before it counts as stale. */
const STARTING_GRACE_MS = 10_000;

/**
 * Whether the engine the file names is alive and answering (its pid may have been reused). It must
 * answer over its socket, with the secret accepted (else 401) and `engine.info` giving the file's pid.
 * A 503 ("starting") proves nothing and is asked again for a while; no answer, a refused connection or
 * a socket file left behind means stale.
 *
 * No challenge-response: the socket must be one only our user can have bound (socketTrusted: owned by
 * us, in a directory of ours nobody else can write to), and a process of our user that could bind it
 * could as well read engine.json and answer any challenge. The risk that remains is none we can close.
 */
export async function engineAlive(entry: EngineFile): Promise<boolean> {
  if (entry.pid === process.pid || !processMayBeEngine(entry.pid)) return false;
  if (!socketTrusted(entry.socket)) return false;
  const call = socketFetch(entry.socket);
  const deadline = Date.now() + STARTING_GRACE_MS;
  for (;;) {
    try {
      const res = await call('http://localhost/api/engine.info', {
        method: 'POST',
        headers: { authorization: `Bearer ${entry.secret}`, 'content-type': 'application/json' },
        body: '{}',
        signal: AbortSignal.timeout(3_000),
      });
      if (res.status === 503 && Date.now() < deadline) {
        await res.body?.cancel();
        await delay(100);
        continue;
      }
      const reply = (await res.json()) as { ok?: boolean; value?: { pid?: number } };
      return res.status === 200 && reply.ok === true && reply.value?.pid === entry.pid;
    } catch {
      return false;
    }
  }
}

export type LockResult = { acquired: true; release: () => void } | { acquired: false; holder: EngineFile };

/**
 * Try to become the data dir's engine. Creating the file is atomic (link of a finished temp file, so
 * nobody reads half of it); a stale file is replaced, and the replacement is checked a moment later so
 * that of two processes taking over at once, exactly one keeps it.
 */
export async function acquireEngineLock(file: string, mine: EngineFile): Promise<LockResult> {
  const content = JSON.stringify(mine);
  const tmp = `${file}.${process.pid}.tmp`;
  for (let round = 0; round < 20; round += 1) {
    fs.writeFileSync(tmp, content, { mode: 0o600 });
    try {
      fs.linkSync(tmp, file);
      fs.rmSync(tmp, { force: true });
      return { acquired: true, release: () => releaseEngineLock(file, mine) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        fs.rmSync(tmp, { force: true });
        throw error;
      }
    }
    const holder = readEngineFile(file);
    if (holder && (await engineAlive(holder))) {
      fs.rmSync(tmp, { force: true });
      return { acquired: false, holder };
    }
    if (!holder) {
      // Being written by someone else right now, or garbage: give a writer a moment, then take it over.
      await delay(50);
      if (readEngineFile(file)) continue;
    }
    // Stale: replace it atomically, then make sure nobody else replaced it in the same moment.
    fs.renameSync(tmp, file);
    await delay(100 + Math.random() * 50);
    if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === content) {
      // The dead holder's socket file (a kill -9 leaves it behind) goes with its lock.
      if (holder) removeSocketFile(holder.socket);
      return { acquired: true, release: () => releaseEngineLock(file, mine) };
    }
  }
  fs.rmSync(tmp, { force: true });
  throw new Error(`could not take over ${file}: another process keeps replacing it`);
}

/** Remove the file only if it is still ours. Synchronous so it also works in an `exit` handler. */
export function releaseEngineLock(file: string, mine: EngineFile): void {
  try {
    const current = readEngineFile(file);
    if (current && current.pid === mine.pid && current.secret === mine.secret) fs.rmSync(file, { force: true });
  } catch {
    // Nothing to release.
  }
}
