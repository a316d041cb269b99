/**
 * One engine per data dir (API.md §5), across real CLI processes: resume after a `kill -9`, two
 * processes waiting on one task, and the hand-off to a running `serve`. The built CLI runs in child
 * processes; the files are throttled by the test server so the processes overlap for sure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openEngine, type EngineAccess } from '../../src-main/host/access.js';
import { readEngineFile, type EngineFile } from '../../src-main/host/engine-lock.js';
import { isSocketConnection, MAX_SOCKET_PATH } from '../../src-main/host/engine-socket.js';
import { cliRunner, fileSize, jsonLine, UUID, waitUntil, type CliRunner } from '../helpers/cli.js';
import { randomBytesSeeded, sha256, sha256File, startServer, type TestServer } from '../helpers/server.js';

const MiB = 1024 * 1024;

let tmp: string;
let dataDir: string;
let engineFile: string;
let server: TestServer;
let cli: CliRunner;
let watchers: NodeJS.Timeout[] = [];
/** Engines this test process opened itself (closed in afterEach). */
let ownEngines: EngineAccess[] = [];
/** Unrelated long-lived processes and servers a test started (stopped in afterEach). */
let sleepers: ChildProcess[] = [];
let hostiles: Array<() => Promise<void>> = [];

beforeEach(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-cli-engine-'));
  dataDir = path.join(tmp, 'data');
  engineFile = path.join(dataDir, 'engine.json');
  server = await startServer();
  cli = cliRunner({ home: tmp });
});

afterEach(async () => {
  for (const w of watchers) clearInterval(w);
  watchers = [];
  await cli.killAll();
  for (const access of ownEngines) await access.close();
  ownEngines = [];
  for (const child of sleepers) child.kill('SIGKILL');
  sleepers = [];
  for (const close of hostiles) await close();
  hostiles = [];
  await server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const withData = (...args: string[]): string[] => [...args, '--data-dir', dataDir];

/** Every distinct engine.json owner seen while the test runs (polled every 5 ms). */
function watchEngineOwners(): Map<string, EngineFile> {
  const seen = new Map<string, EngineFile>();
  const timer = setInterval(() => {
    const entry = readEngineFile(engineFile);
    if (entry) seen.set(`${entry.pid}:${entry.port}:${entry.secret}`, entry);
  }, 5);
  watchers.push(timer);
  return seen;
}

/** The pid of a live process that is no engine (as when a dead engine's pid is reused). */
function unrelatedPid(): number {
  const child = spawn('sleep', ['600'], { stdio: 'ignore' });
  sleepers.push(child);
  return child.pid!;
}

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * A server squatting where a stale engine.json points: it answers 503 to everything (as a starting
 * engine does) and keeps whatever reaches it. Listens on a TCP port of 127.0.0.1, or on a socket path.
 */
async function hostileServer(listenOn: { port: 0 } | { socket: string }): Promise<{ port: number; connections: () => number; received: Received[] }> {
  const received: Received[] = [];
  let connections = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: false, error: { code: 200, message: 'the engine is starting' } }));
    });
  });
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => ('socket' in listenOn ? server.listen(listenOn.socket, resolve) : server.listen(0, '127.0.0.1', resolve)));
  hostiles.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return { port: 'socket' in listenOn ? 0 : (server.address() as AddressInfo).port, connections: () => connections, received };
}

function gets(file: string) {
  return server.requestsFor(file).filter((r) => r.method === 'GET');
}

describe('one engine per data dir, across CLI processes', () => {
  it('resumes after kill -9 of a download --wait: only the missing bytes are fetched, the dead lock is taken over', async () => {
    const size = 8 * MiB;
    const body = randomBytesSeeded(size, 21);
    server.setFile('/big.bin', { body, bytesPerSecond: 2 * MiB });
    const url = server.urlFor('/big.bin');

    const first = cli.spawn(withData('download', url, '--wait'));
    // Without --json the token comes first on stderr, before any byte.
    await first.until(() => /^[0-9a-f-]{36}\n/.test(first.stderr), 'the token on stderr');
    const token = first.stderr.split('\n')[0]!;
    expect(token).toMatch(UUID);
    const partial = path.join(dataDir, 'cache', '.partial', token);
    await waitUntil(() => fileSize(partial) > MiB, 'more than 1 MiB in the partial file', 15_000, 10);
    // A fresh single stream writes its sidecar (what makes its bytes resumable) just after its first
    // MiB: a kill before that refetches them by design (docs/engine.md), so wait until it is there.
    await waitUntil(() => fs.existsSync(`${partial}.json`), 'the sidecar', 15_000, 10);
    expect(readEngineFile(engineFile)?.pid).toBe(first.pid);

    first.child.kill('SIGKILL');
    const killed = await first.exited;
    expect(killed.signal).toBe('SIGKILL');
    const kept = fileSize(partial);
    expect(kept).toBeGreaterThan(MiB);
    expect(kept).toBeLessThan(size);
    // The dead process could not clean up: its engine.json is still there...
    expect(readEngineFile(engineFile)?.pid).toBe(first.pid);
    // ...and the server's side of the first response is closed before we go on.
    await waitUntil(() => gets('/big.bin').every((r) => r.endedAt !== undefined), 'the first response to close');

    // `list` (taking the dead lock over) shows the task queued again, with the bytes really on disk.
    const listed = await cli.run(withData('list', '--json'), 20_000);
    expect(listed.code, listed.stderr).toBe(0);
    expect((jsonLine(listed.stdout) as Array<{ token: string; state: string; bytes: number }>).find((t) => t.token === token)).toMatchObject({ state: 'queued', bytes: kept });

    // ...but it is not obeyed: the next CLI process takes the data dir over and finishes the task.
    const owners = watchEngineOwners();
    const res = await cli.run(withData('wait', token, '--json'), 20_000);
    expect(res.code, res.stderr).toBe(0);
    const done = jsonLine(res.stdout) as { token: string; uri: string; path: string };
    expect(done).toEqual({ token, uri: 'internal://cache/big.bin', path: path.join(dataDir, 'cache', 'big.bin') });
    expect(await sha256File(done.path)).toBe(sha256(body));

    const requests = gets('/big.bin');
    expect(requests).toHaveLength(2);
    expect(requests[0]!.range).toBeUndefined();
    // The second request resumed: Range from at most what was kept on disk, validated with If-Range.
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(requests[1]!.range ?? '')?.[1]);
    expect(resumedAt).toBeGreaterThan(MiB);
    expect(resumedAt).toBeLessThanOrEqual(kept);
    expect(requests[1]!.headers['if-range']).toBeTruthy();
    expect(requests[1]!.status).toBe(206);
    expect(server.bytesSentFor('/big.bin')).toBeLessThanOrEqual(size + MiB);

    // The dead process's lock was taken over by the waiting process alone, and given back when it was done.
    const takers = new Set([...owners.values()].map((o) => o.pid).filter((pid) => pid !== first.pid));
    expect(takers.size).toBe(1);
    expect(fs.existsSync(engineFile)).toBe(false);
    expect(fs.readdirSync(path.join(dataDir, 'cache', '.partial'))).toEqual([]);
  });

  it('two wait processes on one queued task: one engine drives it, the body is transferred once, both get the result', async () => {
    const size = 3 * MiB;
    const body = randomBytesSeeded(size, 22);
    server.setFile('/shared.bin', { body, bytesPerSecond: 2 * MiB });
    const started = await cli.run(withData('download', server.urlFor('/shared.bin'), '--json'));
    expect(started.code, started.stderr).toBe(0);
    const { token } = jsonLine(started.stdout) as { token: string };

    const owners = watchEngineOwners();
    const a = cli.spawn(withData('wait', token, '--json'));
    const b = cli.spawn(withData('wait', token, '--json'));
    const [ra, rb] = await Promise.all([a.exited, b.exited]);
    expect(ra.code, ra.stderr).toBe(0);
    expect(rb.code, rb.stderr).toBe(0);
    const expected = { token, uri: 'internal://cache/shared.bin', path: path.join(dataDir, 'cache', 'shared.bin') };
    expect(jsonLine(ra.stdout)).toEqual(expected);
    expect(jsonLine(rb.stdout)).toEqual(expected);
    expect(await sha256File(expected.path)).toBe(sha256(body));

    const requests = gets('/shared.bin');
    expect(requests.length).toBeGreaterThanOrEqual(1);
    // Never two transfers of the path at the same time, and the body went over the wire once.
    const sorted = [...requests].sort((x, y) => x.startedAt - y.startedAt);
    for (let i = 1; i < sorted.length; i += 1) expect(sorted[i]!.startedAt).toBeGreaterThanOrEqual(sorted[i - 1]!.endedAt!);
    expect(server.maxConcurrent).toBe(1);
    expect(server.bytesSentFor('/shared.bin')).toBe(size);
    expect(requests).toHaveLength(1);

    // Exactly one of the two processes ever held engine.json, and it was released.
    const pids = [...owners.values()].map((o) => o.pid);
    expect(pids).toHaveLength(1);
    expect([a.pid, b.pid]).toContain(pids[0]);
    expect(fs.existsSync(engineFile)).toBe(false);
  });

  it('hands work to a running serve: download returns a token, serve downloads it, list sees it; SIGTERM stops serve cleanly', async () => {
    const body = randomBytesSeeded(600_000, 23);
    server.setFile('/via-serve.bin', { body, bytesPerSecond: 2 * MiB });
    server.setFile('/before.bin', { body: Buffer.from('recorded before serve started\n') });
    // A task recorded while no engine ran: serve picks it up when it starts.
    const before = jsonLine((await cli.run(withData('download', server.urlFor('/before.bin'), '--json'))).stdout) as { token: string };

    const serve = cli.spawn(withData('serve', '--port', '0'));
    await serve.until(() => serve.stdout.includes('\n'), 'serve to print its URL');
    const printed = serve.stdout.trim();
    const match = /^http:\/\/127\.0\.0\.1:(\d+)\/#secret=(\S+)$/.exec(printed);
    expect(match, printed).not.toBeNull();
    const holder = readEngineFile(engineFile);
    expect(holder).toEqual({ pid: serve.pid, port: Number(match![1]), socket: expect.any(String), secret: match![2] });
    expect(fs.statSync(engineFile).mode & 0o777).toBe(0o600);
    // The hand-off's channel: a socket of serve's own in the 0700 data dir.
    expect(path.dirname(holder!.socket)).toBe(dataDir);
    expect(fs.lstatSync(holder!.socket).isSocket()).toBe(true);
    expect(fs.statSync(dataDir).mode & 0o777).toBe(0o700);

    const owners = watchEngineOwners();
    const started = await cli.run(withData('download', server.urlFor('/via-serve.bin'), '--json'));
    expect(started.code, started.stderr).toBe(0);
    const { token } = jsonLine(started.stdout) as { token: string };
    expect(token).toMatch(UUID);

    // serve downloads it; list, itself handed off to serve, sees it complete.
    let rows: Array<{ token: string; state: string; uri: string | null }> = [];
    await waitUntil(
      async () => {
        const listed = await cli.run(withData('list', '--json'));
        rows = jsonLine(listed.stdout) as typeof rows;
        return rows.every((r) => r.state === 'completed');
      },
      'serve to complete both tasks',
      15_000,
      100,
    );
    expect(rows.map((r) => r.token)).toEqual([before.token, token]);
    expect(rows[1]!.uri).toBe('internal://cache/via-serve.bin');
    expect(await sha256File(path.join(dataDir, 'cache', 'via-serve.bin'))).toBe(sha256(body));
    expect(fs.readFileSync(path.join(dataDir, 'cache', 'before.bin'), 'utf8')).toBe('recorded before serve started\n');
    expect(gets('/via-serve.bin')).toHaveLength(1);

    // wait through the hand-off answers at once with serve's result.
    const waited = await cli.run(withData('wait', token, '--json'));
    expect(waited.code, waited.stderr).toBe(0);
    expect(jsonLine(waited.stdout)).toEqual({ token, uri: 'internal://cache/via-serve.bin', path: path.join(dataDir, 'cache', 'via-serve.bin') });

    // A second serve on the same data dir refuses, naming the running one.
    const second = await cli.run(withData('serve', '--port', '0'));
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`pid ${serve.pid}`);

    // No CLI call took the data dir from serve.
    expect([...owners.values()].map((o) => o.pid)).toEqual([serve.pid]);

    serve.child.kill('SIGTERM');
    const stopped = await serve.exited;
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(fs.existsSync(engineFile)).toBe(false);
    expect(fs.existsSync(holder!.socket)).toBe(false);
  });
  it('two wait processes taking over a dead process\'s engine.json at once: one drives, the other hands off (never "the engine is starting")', async () => {
    const size = 512 * 1024;
    const body = randomBytesSeeded(size, 24);
    server.setFile('/stale.bin', { body, bytesPerSecond: 2 * MiB });
    // Several rounds: the loser's hand-off used to hit the winner while it confirmed its takeover.
    for (let round = 0; round < 3; round += 1) {
      const started = await cli.run(withData('download', server.urlFor('/stale.bin'), '--json'));
      const { token } = jsonLine(started.stdout) as { token: string };
      fs.writeFileSync(engineFile, JSON.stringify({ pid: 2 ** 22 + 17, port: 1, socket: path.join(dataDir, `engine-${2 ** 22 + 17}-0.sock`), secret: 'dead' }), { mode: 0o600 });
      server.reset();
      const [ra, rb] = await Promise.all([cli.spawn(withData('wait', token, '--json')).exited, cli.spawn(withData('wait', token, '--json')).exited]);
      expect(ra.code, `round ${round}: ${ra.stdout}${ra.stderr}`).toBe(0);
      expect(rb.code, `round ${round}: ${rb.stdout}${rb.stderr}`).toBe(0);
      expect(jsonLine(ra.stdout)).toEqual(jsonLine(rb.stdout));
      expect(server.bytesSentFor('/stale.bin')).toBe(size);
      expect(server.maxConcurrent).toBe(1);
      expect(fs.existsSync(engineFile)).toBe(false);
    }
  });

  it('a wait handed to a short-lived record-mode engine (as `list` or `download` without --wait hold one) still completes', async () => {
    const body = randomBytesSeeded(400_000, 25);
    server.setFile('/rec.bin', { body, bytesPerSecond: 2 * MiB });
    // This test process holds the data dir exactly as a `list` process does for its moment.
    const holder = await openEngine({ dataDir, mode: 'record' });
    ownEngines.push(holder);
    expect(holder.kind).toBe('local');
    // Which way each request reached us: the socket (true) or the TCP port (false).
    const viaSocket: boolean[] = [];
    if (holder.kind === 'local') holder.host.server.on('request', (req: http.IncomingMessage) => viaSocket.push(isSocketConnection(req.socket)));
    const { token } = await holder.bridge.invoke('download.start', { url: server.urlFor('/rec.bin') });
    const res = await cli.run(withData('wait', token, '--json'), 15_000);
    expect(res.code, res.stderr).toBe(0);
    expect(jsonLine(res.stdout)).toEqual({ token, uri: 'internal://cache/rec.bin', path: path.join(dataDir, 'cache', 'rec.bin') });
    expect(await sha256File(path.join(dataDir, 'cache', 'rec.bin'))).toBe(sha256(body));
    // It was handed off, not taken over, and over the socket alone.
    expect(readEngineFile(engineFile)?.pid).toBe(process.pid);
    expect(gets('/rec.bin')).toHaveLength(1);
    expect(viaSocket.length).toBeGreaterThan(0);
    expect(viaSocket.every(Boolean)).toBe(true);
  });

  it('Ctrl-C (SIGINT) of download --wait stops cleanly: exit 130, lock released, task queued and resumable', async () => {
    const size = 4 * MiB;
    const body = randomBytesSeeded(size, 26);
    server.setFile('/int.bin', { body, bytesPerSecond: 2 * MiB });
    const first = cli.spawn(withData('download', server.urlFor('/int.bin'), '--wait'));
    await first.until(() => /^[0-9a-f-]{36}\n/.test(first.stderr), 'the token on stderr');
    const token = first.stderr.split('\n')[0]!;
    const partial = path.join(dataDir, 'cache', '.partial', token);
    await waitUntil(() => fileSize(partial) > 512 * 1024, 'half a MiB in the partial file', 15_000, 10);
    first.child.kill('SIGINT');
    const stopped = await first.exited;
    expect(stopped.code).toBe(130);
    expect(fs.existsSync(engineFile)).toBe(false);
    const kept = fileSize(partial);
    expect(kept).toBeGreaterThan(512 * 1024);

    const listed = await cli.run(withData('list', '--json'));
    expect(jsonLine(listed.stdout)).toEqual([expect.objectContaining({ token, state: 'queued', bytes: kept, total: size })]);

    const res = await cli.run(withData('wait', token, '--json'));
    expect(res.code, res.stderr).toBe(0);
    expect(await sha256File(path.join(dataDir, 'cache', 'int.bin'))).toBe(sha256(body));
    const requests = gets('/int.bin');
    expect(requests).toHaveLength(2);
    expect(requests[1]!.range).toBe(`bytes=${kept}-`);
    expect(server.bytesSentFor('/int.bin')).toBeLessThanOrEqual(size + MiB);
  });

  it('SIGTERM stops serve mid-download: exit 0, lock released, the task resumes in the next engine', async () => {
    const size = 3 * MiB;
    const body = randomBytesSeeded(size, 27);
    server.setFile('/term.bin', { body, bytesPerSecond: 2 * MiB });
    const serve = cli.spawn(withData('serve'));
    await serve.until(() => serve.stdout.includes('\n'), 'serve to print its URL');
    const { token } = jsonLine((await cli.run(withData('download', server.urlFor('/term.bin'), '--json'))).stdout) as { token: string };
    const partial = path.join(dataDir, 'cache', '.partial', token);
    await waitUntil(() => fileSize(partial) > 512 * 1024, 'serve to be half a MiB in', 15_000, 10);
    serve.child.kill('SIGTERM');
    const stopped = await serve.exited;
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(fs.existsSync(engineFile)).toBe(false);
    const kept = fileSize(partial);

    const res = await cli.run(withData('wait', token, '--json'));
    expect(res.code, res.stderr).toBe(0);
    expect(await sha256File(path.join(dataDir, 'cache', 'term.bin'))).toBe(sha256(body));
    expect(gets('/term.bin')[1]?.range).toBe(`bytes=${kept}-`);
    expect(server.bytesSentFor('/term.bin')).toBeLessThanOrEqual(size + MiB);
  });
  it('a wait handed off to serve takes over when serve quits, and finishes the task itself', async () => {
    const size = 3 * MiB;
    const body = randomBytesSeeded(size, 28);
    server.setFile('/handover.bin', { body, bytesPerSecond: 2 * MiB });
    const serve = cli.spawn(withData('serve'));
    await serve.until(() => serve.stdout.includes('\n'), 'serve to print its URL');
    const { token } = jsonLine((await cli.run(withData('download', server.urlFor('/handover.bin'), '--json'))).stdout) as { token: string };
    const waiter = cli.spawn(withData('wait', token, '--json'));
    const partial = path.join(dataDir, 'cache', '.partial', token);
    await waitUntil(() => fileSize(partial) > 512 * 1024, 'serve to be half a MiB in', 15_000, 10);
    // The waiter handed off to serve (it never held the lock) and is still waiting.
    expect(readEngineFile(engineFile)?.pid).toBe(serve.pid);
    expect(waiter.done).toBe(false);
    serve.child.kill('SIGTERM');
    expect((await serve.exited).code).toBe(0);

    const res = await waiter.exited;
    expect(res.code, res.stderr).toBe(0);
    expect(jsonLine(res.stdout)).toEqual({ token, uri: 'internal://cache/handover.bin', path: path.join(dataDir, 'cache', 'handover.bin') });
    expect(await sha256File(path.join(dataDir, 'cache', 'handover.bin'))).toBe(sha256(body));
    const requests = gets('/handover.bin');
    expect(requests).toHaveLength(2);
    expect(requests[1]!.range).toMatch(/^bytes=\d+-$/);
    expect(server.bytesSentFor('/handover.bin')).toBeLessThanOrEqual(size + MiB);
    expect(fs.existsSync(engineFile)).toBe(false);
  });
});

describe('the hand-off goes only to the real engine', () => {
  it('a stale engine.json naming a live unrelated pid and a squatted port (503 to all): nothing reaches the squatter, the CLI takes over', async () => {
    server.setFile('/private.bin', { body: Buffer.from('for the user alone\n') });
    const url = `${server.urlFor('/private.bin')}?token=u-${randomBytes(4).toString('hex')}`;
    const secret = `stale-${randomBytes(8).toString('hex')}`;
    const squatter = await hostileServer({ port: 0 });
    // The same squatter on a socket in the shared temp folder (anyone can create entries there).
    const squattedSocket = path.join(os.tmpdir(), `vela-squat-${randomBytes(4).toString('hex')}.sock`);
    const socketSquatter = await hostileServer({ socket: squattedSocket });
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const stale = [
      // As an older version wrote it (no socket): a live pid and a port that answers are not proof.
      { pid: unrelatedPid(), port: squatter.port, secret },
      // Naming a socket no engine of ours can have bound.
      { pid: unrelatedPid(), port: squatter.port, socket: squattedSocket, secret },
    ];
    for (const [round, entry] of stale.entries()) {
      fs.writeFileSync(engineFile, JSON.stringify(entry), { mode: 0o600 });
      const args = withData('download', url, '-H', 'Authorization: Bearer s3cret', '--json', ...(round === 1 ? ['--wait'] : []));
      const res = await cli.run(args);
      expect(res.code, `round ${round}: ${res.stdout}${res.stderr}`).toBe(0);
      const { token } = jsonLine(res.stdout) as { token: string };
      expect(token).toMatch(UUID);
      // Nothing was handed to the squatters: no connection, so neither the secret, the URL nor the header.
      expect(squatter.received).toEqual([]);
      expect(squatter.connections()).toBe(0);
      expect(socketSquatter.received).toEqual([]);
      expect(socketSquatter.connections()).toBe(0);
      // The CLI took the data dir over, recorded (round 0) or ran (round 1) the task, and gave it back.
      expect(fs.existsSync(engineFile)).toBe(false);
      const listed = jsonLine((await cli.run(withData('list', '--json'))).stdout) as Array<{ token: string; url: string; state: string }>;
      expect(listed.find((t) => t.token === token)).toMatchObject({ url, state: round === 0 ? 'queued' : 'completed' });
    }
    // The user's header went where the user sent it: to the download server.
    const fetched = gets('/private.bin');
    expect(fetched.length).toBeGreaterThan(0);
    for (const r of fetched) expect(r.headers.authorization).toBe('Bearer s3cret');
    expect(fs.existsSync(squattedSocket)).toBe(true);
    fs.rmSync(squattedSocket, { force: true });
  });

  it('a socket file left by a kill -9\'d engine (its pid since reused) is taken over and removed', async () => {
    const body = randomBytesSeeded(300_000, 29);
    server.setFile('/after-kill.bin', { body });
    const serve = cli.spawn(withData('serve'));
    await serve.until(() => serve.stdout.includes('\n'), 'serve to print its URL');
    const held = readEngineFile(engineFile)!;
    expect(held.pid).toBe(serve.pid);
    serve.child.kill('SIGKILL');
    await serve.exited;
    // Left behind: the socket file (nobody listens) and engine.json, whose pid now names a live process.
    expect(fs.lstatSync(held.socket).isSocket()).toBe(true);
    fs.writeFileSync(engineFile, JSON.stringify({ ...held, pid: unrelatedPid() }), { mode: 0o600 });

    const started = await cli.run(withData('download', server.urlFor('/after-kill.bin'), '--json'));
    expect(started.code, started.stderr).toBe(0);
    const { token } = jsonLine(started.stdout) as { token: string };
    expect(fs.existsSync(held.socket)).toBe(false);
    expect(fs.existsSync(engineFile)).toBe(false);
    expect(fs.readdirSync(dataDir).filter((name) => name.endsWith('.sock'))).toEqual([]);

    const res = await cli.run(withData('wait', token, '--json'));
    expect(res.code, res.stderr).toBe(0);
    expect(jsonLine(res.stdout)).toEqual({ token, uri: 'internal://cache/after-kill.bin', path: path.join(dataDir, 'cache', 'after-kill.bin') });
    expect(await sha256File(path.join(dataDir, 'cache', 'after-kill.bin'))).toBe(sha256(body));
  });

  it('a data dir path of 150+ characters: the socket lives in a private temp dir, and the hand-off works', async () => {
    const longDir = path.join(tmp, `long-${'x'.repeat(70)}`, 'y'.repeat(70), 'data');
    expect(longDir.length).toBeGreaterThan(150);
    const body = randomBytesSeeded(200_000, 30);
    server.setFile('/long.bin', { body });
    const serve = cli.spawn(['serve', '--data-dir', longDir]);
    await serve.until(() => serve.stdout.includes('\n'), 'serve to print its URL');
    const held = readEngineFile(path.join(longDir, 'engine.json'))!;
    expect(held.pid).toBe(serve.pid);
    expect(held.socket.startsWith(longDir)).toBe(false);
    expect(Buffer.byteLength(held.socket)).toBeLessThanOrEqual(MAX_SOCKET_PATH);
    expect(fs.lstatSync(held.socket).isSocket()).toBe(true);
    const socketDir = fs.lstatSync(path.dirname(held.socket));
    expect(socketDir.isDirectory()).toBe(true);
    expect(socketDir.mode & 0o777).toBe(0o700);
    expect(socketDir.uid).toBe(process.getuid!());

    const started = await cli.run(['download', server.urlFor('/long.bin'), '--json', '--data-dir', longDir]);
    expect(started.code, started.stderr).toBe(0);
    const { token } = jsonLine(started.stdout) as { token: string };
    let rows: Array<{ token: string; state: string }> = [];
    await waitUntil(
      async () => {
        rows = jsonLine((await cli.run(['list', '--json', '--data-dir', longDir])).stdout) as typeof rows;
        return rows.length === 1 && rows[0]!.state === 'completed';
      },
      'serve to complete the task',
      15_000,
      100,
    );
    expect(rows[0]!.token).toBe(token);
    // Handed to serve, never taken from it.
    expect(readEngineFile(path.join(longDir, 'engine.json'))?.pid).toBe(serve.pid);
    expect(await sha256File(path.join(longDir, 'cache', 'long.bin'))).toBe(sha256(body));

    serve.child.kill('SIGTERM');
    expect((await serve.exited).code).toBe(0);
    expect(fs.existsSync(held.socket)).toBe(false);
  });
});
