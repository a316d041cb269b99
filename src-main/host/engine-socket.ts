import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * The channel over which other processes (the CLI, the quick-app module, a second `serve`) reach the
 * data dir's running engine: a Unix domain socket, or a named pipe on Windows. A TCP port on 127.0.0.1
 * can be taken by any process of any user once the engine is gone, so whatever answers on a port named
 * in a stale engine.json would receive the secret, URLs and headers; a socket file owned by the user,
 * in a directory only the user can write (the 0700 data dir, or a private 0700 dir under the temp
 * folder when the data dir's path is too long), can only have been bound by the user's own process.
 *
 * Every engine binds a path of its own (`engine-<pid>-<random>.sock`), before it publishes itself in
 * engine.json: a fixed name would have to be bound after taking the lock (never unlink a live engine's
 * socket), and in that moment another process would find the fresh engine.json, fail to connect, and
 * take the data dir over as stale. Sockets left by dead processes are swept when the next engine binds.
 */

/** Unix socket paths longer than this may not bind: sun_path is 108 bytes on Linux, 104 on macOS, NUL included. */
export const MAX_SOCKET_PATH = 100;
const PIPE_PREFIX = '\\\\.\\pipe\\vela-companion-';
/** engine-<pid>-<hex>.sock in the data dir; <hash>-<pid>-<hex>.sock in the private temp dir. */
const SOCKET_NAME = /^(?:engine|[0-9a-f]{12})-(\d+)-[0-9a-f]+\.sock$/;

const fits = (p: string): boolean => Buffer.byteLength(p) <= MAX_SOCKET_PATH;
const dirHash = (dataDir: string): string => createHash('sha256').update(path.resolve(dataDir)).digest('hex');
const myUid = (): number | undefined => process.getuid?.();

/**
 * A fresh path for this process's engine socket. In the data dir when it fits; else in a private 0700
 * directory `vela-companion-<uid>` under the temp folder (verified to be a real directory owned by the
 * user, else a fresh random one is made), named by a hash of the data dir. engine.json carries the
 * path, so nobody has to compute it again.
 */
export function engineSocketPath(dataDir: string, platform: NodeJS.Platform = process.platform): string {
  const unique = `${process.pid}-${randomBytes(6).toString('hex')}`;
  if (platform === 'win32') return `${PIPE_PREFIX}${dirHash(dataDir).slice(0, 16)}-${unique}`;
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  makePrivate(dataDir);
  const inData = path.join(path.resolve(dataDir), `engine-${unique}.sock`);
  if (fits(inData)) {
    sweepDeadSockets(path.dirname(inData));
    return inData;
  }
  const name = `${dirHash(dataDir).slice(0, 12)}-${unique}.sock`;
  for (const base of new Set([os.tmpdir(), '/tmp'])) {
    if (!fits(path.join(base, `vela-companion-${myUid() ?? 'user'}`, name))) continue;
    const dir = privateDir(base);
    if (dir && fits(path.join(dir, name))) {
      sweepDeadSockets(dir);
      return path.join(dir, name);
    }
  }
  throw new Error(`no socket path of at most ${MAX_SOCKET_PATH} bytes could be made for ${dataDir}`);
}

/** Tighten a directory of ours to 0700 (the engine's files are the user's alone). */
function makePrivate(dir: string): void {
  try {
    const st = fs.statSync(dir);
    if (st.uid === myUid() && (st.mode & 0o077) !== 0) fs.chmodSync(dir, 0o700);
  } catch {
    // Not ours or not there: socketTrusted() will refuse it, and the engine is simply not reachable.
  }
}

/** `base/vela-companion-<uid>` when it is (or can be made) a real 0700 directory of ours, else a fresh mkdtemp one. */
function privateDir(base: string): string | undefined {
  const dir = path.join(base, `vela-companion-${myUid() ?? 'user'}`);
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch {
    // Already there (ours from an earlier run, or someone else's: checked below).
  }
  try {
    const st = fs.lstatSync(dir);
    if (st.isDirectory() && st.uid === myUid()) {
      if ((st.mode & 0o077) !== 0) fs.chmodSync(dir, 0o700);
      return dir;
    }
    // Squatted by another user (or a link): a random name of our own instead, 0700 by mkdtemp.
    return fs.mkdtempSync(path.join(base, 'vela-companion-'));
  } catch {
    return undefined;
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Remove sockets that engines killed with -9 left in `dir` (those whose process is gone). */
function sweepDeadSockets(dir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(SOCKET_NAME.exec(name)?.[1]);
    if (pid && pid !== process.pid && !processExists(pid)) removeSocketFile(path.join(dir, name));
  }
}

/** Unlink a socket file of ours (engine.json names the socket of a holder found stale); nothing else is touched. */
export function removeSocketFile(socketPath: string): void {
  if (process.platform === 'win32' || !SOCKET_NAME.test(path.basename(socketPath))) return;
  try {
    const st = fs.lstatSync(socketPath);
    if (st.isSocket() && st.uid === myUid()) fs.unlinkSync(socketPath);
  } catch {
    // Already gone.
  }
}

/**
 * Whether a socket named in engine.json can only have been bound by one of the user's own processes:
 * a socket (not a link) owned by the user, in a directory owned by the user that nobody else may write
 * to (so it cannot be swapped between this check and the connect). A named pipe must carry our prefix
 * (its random part is known only to readers of the 0600 engine.json).
 */
export function socketTrusted(socketPath: string, platform: NodeJS.Platform = process.platform): boolean {
  if (platform === 'win32') return socketPath.startsWith(PIPE_PREFIX);
  if (!path.isAbsolute(socketPath)) return false;
  try {
    const uid = myUid();
    const socket = fs.lstatSync(socketPath);
    const dir = fs.lstatSync(path.dirname(socketPath));
    return socket.isSocket() && socket.uid === uid && dir.isDirectory() && dir.uid === uid && (dir.mode & 0o077) === 0;
  } catch {
    return false;
  }
}

/** Connections accepted on an engine socket: http-api lets these through its Host check for `localhost`. */
const socketConnections = new WeakSet<object>();

export function isSocketConnection(socket: object): boolean {
  return socketConnections.has(socket);
}

/**
 * Listen on `socketPath` and hand every connection to `server` (an http.Server also listening on TCP),
 * so both serve the same API. A leftover socket file at the path is removed first; the socket is made
 * 0600 (its 0700 directory already keeps everyone else out).
 */
export async function listenOnSocket(server: http.Server, socketPath: string): Promise<net.Server> {
  const listener = net.createServer((connection) => {
    socketConnections.add(connection);
    server.emit('connection', connection);
  });
  if (process.platform !== 'win32') removeSocketFile(socketPath);
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(socketPath, () => {
      listener.removeListener('error', reject);
      resolve();
    });
  });
  if (process.platform !== 'win32') fs.chmodSync(socketPath, 0o600);
  return listener;
}

/** Stop listening and remove the socket file. */
export function closeSocket(listener: net.Server, socketPath: string): Promise<void> {
  return new Promise<void>((resolve) => {
    listener.close(() => {
      removeSocketFile(socketPath);
      resolve();
    });
  });
}

const NULL_BODY_STATUS = new Set([101, 204, 205, 304]);

/**
 * A `fetch` that sends every request to the engine's socket, whatever the URL's host (only its path
 * and query are used; `Host: localhost` is sent). Responses stream (`tasks.wait` sends whitespace
 * until its answer, `/api/events` never ends), and a response cut off before its end errors its body,
 * as fetch does. Errors connecting reject like fetch (`TypeError` with the system error as `cause`,
 * e.g. ECONNREFUSED or ENOENT: the request was never sent).
 */
export function socketFetch(socketPath: string): typeof fetch {
  const socketFetch = (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => {
      headers[name] = value;
    });
    headers.host = 'localhost';
    const body = init.body;
    if (body != null && typeof body !== 'string' && !(body instanceof Uint8Array)) {
      return Promise.reject(new TypeError('socketFetch sends only string or byte bodies'));
    }
    const signal = init.signal ?? undefined;
    return new Promise<Response>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const req = http.request({ socketPath, method: init.method ?? 'GET', path: url.pathname + url.search, headers, agent: false });
      const onAbort = (): void => {
        req.destroy(signal?.reason instanceof Error ? signal.reason : new DOMException('aborted', 'AbortError'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      req.once('error', (error) => {
        signal?.removeEventListener('abort', onAbort);
        reject(signal?.aborted ? signal.reason : new TypeError('fetch failed', { cause: error }));
      });
      req.once('response', (res) => {
        const status = res.statusCode ?? 0;
        if (status < 200 || status > 599) {
          res.destroy();
          return reject(new TypeError(`fetch failed: HTTP status ${status}`));
        }
        const responseHeaders = new Headers();
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) responseHeaders.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
        if (NULL_BODY_STATUS.has(status)) {
          res.resume();
          signal?.removeEventListener('abort', onAbort);
          return resolve(new Response(null, { status, statusText: res.statusMessage ?? '', headers: responseHeaders }));
        }
        let settled = false;
        const stream = new ReadableStream<Uint8Array>({
          start(controller) {
            res.on('data', (chunk: Buffer) => {
              if (settled) return;
              controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
              if ((controller.desiredSize ?? 1) <= 0) res.pause();
            });
            res.once('end', () => {
              if (settled) return;
              settled = true;
              signal?.removeEventListener('abort', onAbort);
              controller.close();
            });
            // Cut off (the engine quit, or the caller aborted): the body errors instead of ending short.
            res.once('close', () => {
              signal?.removeEventListener('abort', onAbort);
              if (settled) return;
              settled = true;
              controller.error(signal?.aborted ? signal.reason : new TypeError('terminated: the response ended before its end'));
            });
            res.on('error', () => {
              // Reported through 'close' above.
            });
          },
          pull() {
            res.resume();
          },
          cancel() {
            settled = true;
            res.destroy();
          },
        });
        resolve(
          new Response(stream, {
            status,
            statusText: res.statusMessage ?? '',
            headers: responseHeaders,
          }),
        );
      });
      req.end(body ?? undefined);
    });
  };
  return socketFetch as typeof fetch;
}
