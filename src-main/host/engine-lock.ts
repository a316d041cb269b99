import fs from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * One engine drives a data dir at a time (API.md §5). The engine that holds it publishes where it
 * listens in `DATA_DIR/engine.json` (mode 0600). A file left by a dead process is taken over, never
 * obeyed forever: the holder is alive only if its process exists and its API answers with its secret.
 */
export interface EngineFile {
  pid: number;
  port: number;
  secret: string;
}

export function readEngineFile(file: string): EngineFile | undefined {
  try {
    const data = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<EngineFile>;
    if (typeof data.pid === 'number' && typeof data.port === 'number' && typeof data.secret === 'string') return data as EngineFile;
  } catch {
    // Missing or half-written: treated as no engine.
  }
  return undefined;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the engine the file names is alive and answering (its pid may have been reused). */
export async function engineAlive(entry: EngineFile): Promise<boolean> {
  if (entry.pid === process.pid || !processAlive(entry.pid)) return false;
  try {
    const res = await fetch(`http://127.0.0.1:${entry.port}/api/engine.info`, {
      method: 'POST',
      headers: { authorization: `Bearer ${entry.secret}`, 'content-type': 'application/json' },
      body: '{}',
      signal: AbortSignal.timeout(3_000),
    });
    // 503: it is alive and holds the secret, only still starting.
    if (res.status === 503) return true;
    const reply = (await res.json()) as { ok?: boolean; value?: { pid?: number } };
    return reply.ok === true && reply.value?.pid === entry.pid;
  } catch {
    return false;
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
