/**
 * The command line of API.md §5, run as the built `bin/vela-companion.js` in child processes against
 * a real HTTP server on 127.0.0.1: output shapes (--json and human), exit statuses, usage errors.
 * Each test has its own data dir; no engine runs between commands, so each command is its own engine.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cliRunner, jsonLine, UUID, type CliRunner } from '../helpers/cli.js';
import { mediaBytes } from '../helpers/media-bytes.js';
import { randomBytesSeeded, sha256, sha256File, startServer, type TestServer } from '../helpers/server.js';

let tmp: string;
let dataDir: string;
let server: TestServer;
let cli: CliRunner;

beforeEach(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-cli-'));
  dataDir = path.join(tmp, 'data');
  server = await startServer();
  cli = cliRunner({ home: tmp });
});

afterEach(async () => {
  await cli.killAll();
  await server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const withData = (...args: string[]): string[] => [...args, '--data-dir', dataDir];

interface ListRow {
  token: string;
  url: string;
  state: string;
  bytes: number;
  total: number | null;
  uri: string | null;
  path?: string;
  code?: number;
  message?: string;
}

async function listJson(): Promise<ListRow[]> {
  const res = await cli.run(withData('list', '--json'));
  expect(res.code, res.stderr).toBe(0);
  const rows = jsonLine(res.stdout);
  expect(Array.isArray(rows)).toBe(true);
  return rows as ListRow[];
}

describe('download and wait', () => {
  it('download --wait --json prints one line {token, uri, path}, exits 0, and the file is byte-exact', async () => {
    const body = randomBytesSeeded(300_000, 7);
    server.setFile('/files/data.bin', { body });
    const res = await cli.run(withData('download', server.urlFor('/files/data.bin'), '--wait', '--json'));
    expect(res.code, res.stderr).toBe(0);
    const out = jsonLine(res.stdout) as Record<string, string>;
    expect(Object.keys(out).sort()).toEqual(['path', 'token', 'uri']);
    expect(out.token).toMatch(UUID);
    expect(out.uri).toBe('internal://cache/data.bin');
    expect(out.path).toBe(path.join(dataDir, 'cache', 'data.bin'));
    expect(await sha256File(out.path!)).toBe(sha256(body));
    // Nothing half-done is left behind, and the engine lock went with the process.
    expect(fs.readdirSync(path.join(dataDir, 'cache', '.partial'))).toEqual([]);
    expect(fs.existsSync(path.join(dataDir, 'engine.json'))).toBe(false);
    const [get] = server.requestsFor('/files/data.bin');
    expect(get?.headers['user-agent']).toMatch(/VelaCompanion/);
  });

  it('download without --wait prints {token} at once and records the task as queued; wait completes it', async () => {
    const body = randomBytesSeeded(200_000, 8);
    server.setFile('/q.bin', { body });
    const url = server.urlFor('/q.bin');
    const started = await cli.run(withData('download', url, '--json'));
    expect(started.code, started.stderr).toBe(0);
    const { token, ...rest } = jsonLine(started.stdout) as { token: string };
    expect(token).toMatch(UUID);
    expect(rest).toEqual({});
    // Recorded, not run: no engine drove it, no byte was asked for.
    expect(server.requests).toHaveLength(0);
    expect(fs.existsSync(path.join(dataDir, 'engine.json'))).toBe(false);

    const queued = await listJson();
    expect(queued).toHaveLength(1);
    expect(queued[0]).toMatchObject({ token, url, state: 'queued', bytes: 0, total: null, uri: null });
    expect(queued[0]).not.toHaveProperty('code');
    expect(server.requests).toHaveLength(0);

    const waited = await cli.run(withData('wait', token, '--json'));
    expect(waited.code, waited.stderr).toBe(0);
    const done = jsonLine(waited.stdout) as Record<string, string>;
    expect(done).toEqual({ token, uri: 'internal://cache/q.bin', path: path.join(dataDir, 'cache', 'q.bin') });
    expect(await sha256File(done.path!)).toBe(sha256(body));

    const completed = await listJson();
    expect(completed[0]).toMatchObject({ token, url, state: 'completed', bytes: body.length, total: body.length, uri: 'internal://cache/q.bin' });
    expect(completed[0]).not.toHaveProperty('code');
    // A second wait on a finished task answers at once with the stored result, without a request.
    const requestsBefore = server.requests.length;
    const again = await cli.run(withData('wait', token, '--json'));
    expect(again.code).toBe(0);
    expect(jsonLine(again.stdout)).toEqual(done);
    expect(server.requests).toHaveLength(requestsBefore);
  });

  it('sends -H headers and saves under --filename', async () => {
    const body = Buffer.from('hello headers\n');
    server.setFile('/h.bin', { body });
    const res = await cli.run(
      withData('download', server.urlFor('/h.bin'), '-H', 'X-Test: 1', '--header', 'X-Other:two words', '--filename', 'custom-name.txt', '--wait', '--json'),
    );
    expect(res.code, res.stderr).toBe(0);
    const out = jsonLine(res.stdout) as Record<string, string>;
    expect(out.uri).toBe('internal://cache/custom-name.txt');
    expect(out.path).toBe(path.join(dataDir, 'cache', 'custom-name.txt'));
    expect(fs.readFileSync(out.path!, 'utf8')).toBe('hello headers\n');
    const [req] = server.requestsFor('/h.bin');
    expect(req?.headers['x-test']).toBe('1');
    expect(req?.headers['x-other']).toBe('two words');
  });
});

describe('failures: JSON shapes and exit statuses', () => {
  it('an HTTP 404 answers {token, code 1000, message} and exit 1; list shows the failure', async () => {
    server.setFile('/missing.bin', { body: Buffer.alloc(0), status: 404 });
    const res = await cli.run(withData('download', server.urlFor('/missing.bin'), '--wait', '--json'));
    expect(res.code).toBe(1);
    const out = jsonLine(res.stdout) as Record<string, unknown>;
    expect(Object.keys(out).sort()).toEqual(['code', 'message', 'token']);
    expect(out).toMatchObject({ code: 1000, message: expect.stringMatching(/404/) });
    expect(out.token).toMatch(UUID);

    const [row] = await listJson();
    expect(row).toMatchObject({ token: out.token, state: 'failed', code: 1000, message: expect.stringMatching(/404/), uri: null });
    // A failed task leaves no file under a final name.
    expect(fs.readdirSync(path.join(dataDir, 'cache')).filter((n) => n !== '.partial')).toEqual([]);
  });

  it('wait on a token that was never issued answers 1001 with that token, exit 1', async () => {
    const res = await cli.run(withData('wait', 'no-such-token', '--json'));
    expect(res.code).toBe(1);
    expect(jsonLine(res.stdout)).toEqual({ token: 'no-such-token', code: 1001, message: expect.any(String) });
  });

  it('an ftp URL answers {code 202, message} without a token, exit 1, with or without --wait', async () => {
    for (const extra of [[], ['--wait']]) {
      const res = await cli.run(withData('download', 'ftp://127.0.0.1/file.bin', ...extra, '--json'));
      expect(res.code, extra.join(' ')).toBe(1);
      expect(jsonLine(res.stdout)).toEqual({ code: 202, message: expect.stringMatching(/ftp|scheme/) });
    }
    // Other bad parameters of API.md §2 answer the same way.
    const bad = [
      ['download', 'not a url'],
      ['download', server.urlFor('/f.bin'), '--filename', '../escape.bin'],
      ['download', server.urlFor('/f.bin'), '-H', 'Bad Name: 1'],
      ['download', server.urlFor('/f.bin'), '-H', 'X-Ok: 1', '--sha256', 'xyz'],
    ];
    const results = await Promise.all(bad.map((args) => cli.run(withData(...args, '--wait', '--json'))));
    for (const [i, args] of bad.entries()) {
      const res = results[i]!;
      expect(res.code, args.join(' ')).toBe(1);
      expect(jsonLine(res.stdout), args.join(' ')).toEqual({ code: 202, message: expect.any(String) });
    }
    expect(server.requests).toHaveLength(0);
    expect(await listJson()).toEqual([]);
  });

  it('an unsupported device answers 203, exit 1, and no request reaches the server', async () => {
    server.setFile('/x.bin', { body: Buffer.from('x') });
    for (const extra of [[], ['--wait']]) {
      const res = await cli.run(withData('download', server.urlFor('/x.bin'), '--device', 'redmi-watch-4', ...extra, '--json'));
      expect(res.code, extra.join(' ')).toBe(1);
      expect(jsonLine(res.stdout)).toEqual({ code: 203, message: expect.stringMatching(/Redmi Watch 4/) });
    }
    expect(server.requests).toHaveLength(0);
    expect(await listJson()).toEqual([]);
  });

  it('a supported device id is accepted and recorded on the task', async () => {
    server.setFile('/s4.bin', { body: Buffer.from('s4') });
    const res = await cli.run(withData('download', server.urlFor('/s4.bin'), '--device', 'watch-s4', '--wait', '--json'));
    expect(res.code, res.stderr).toBe(0);
    const [row] = (await listJson()) as Array<ListRow & { profile?: string }>;
    expect(row?.profile).toBe('watch-s4');
  });

  it('bad usage exits 2 with a message that says what was wrong, and nothing is requested', async () => {
    server.setFile('/u.bin', { body: Buffer.from('u') });
    const url = server.urlFor('/u.bin');
    const cases: Array<{ args: string[]; stderr: RegExp[] }> = [
      { args: ['frobnicate'], stderr: [/unknown command 'frobnicate'/, /--help/] },
      { args: withData('list', '--bogus'), stderr: [/unknown option '--bogus'/, /--help/] },
      { args: withData('download', url, '--bogus', '--json'), stderr: [/unknown option '--bogus'/] },
      { args: withData('download', url, '-H', 'NoColonHere', '--json'), stderr: [/-H/, /Name: value/, /NoColonHere/] },
      { args: withData('download', url, '-H', ': empty name', '--json'), stderr: [/-H/, /Name: value/] },
      { args: withData('download', url, '--device', 'pebble-2', '--wait', '--json'), stderr: [/unknown device "pebble-2"/, /vela-companion devices/, /watch-s4/] },
      { args: withData('download'), stderr: [/missing required argument 'url'/] },
      { args: withData('wait'), stderr: [/missing required argument 'token'/] },
      { args: withData('serve', '--port', 'http'), stderr: [/--port expects 0-65535/] },
      { args: withData('download', url, '--speed-limit', 'fast'), stderr: [/--speed-limit expects bytes per second/] },
    ];
    // Independent of each other: run them side by side to keep the suite quick.
    const results = await Promise.all(cases.map((c) => cli.run(c.args)));
    for (const [i, c] of cases.entries()) {
      const res = results[i]!;
      expect(res.code, `${c.args.join(' ')}\n${res.stderr}`).toBe(2);
      expect(res.stdout, c.args.join(' ')).toBe('');
      for (const re of c.stderr) expect(res.stderr, c.args.join(' ')).toMatch(re);
    }
    expect(server.requests).toHaveLength(0);
    expect(await listJson()).toEqual([]);
  });
});

describe('devices, list', () => {
  it('devices --json prints an array of profiles with id, name, builtin, supported and the simulation settings', async () => {
    const res = await cli.run(withData('devices', '--json'));
    expect(res.code, res.stderr).toBe(0);
    const profiles = jsonLine(res.stdout) as Array<Record<string, unknown>>;
    expect(Array.isArray(profiles)).toBe(true);
    expect(profiles.find((p) => p.id === 'watch-s4')).toMatchObject({
      id: 'watch-s4',
      name: 'Xiaomi Watch S4',
      builtin: true,
      supported: true,
      link: expect.any(Object),
      device: expect.any(Object),
    });
    expect(profiles.find((p) => p.id === 'redmi-watch-4')).toMatchObject({ name: 'Redmi Watch 4', builtin: true, supported: false });
    expect(profiles.find((p) => p.id === 'desktop')).toMatchObject({ builtin: true, supported: true });
    // The Vela support table (API.md §3) plus Desktop.
    const supported = Object.fromEntries(profiles.map((p) => [p.name, p.supported]));
    expect(supported).toMatchObject({
      'Xiaomi S1 Pro Sports Health Watch': true,
      'Xiaomi Band 8 Pro': false,
      'Xiaomi Watch S3': true,
      'Redmi Watch 4': false,
      'Xiaomi Wrist ECG Blood Pressure Recorder': false,
      'Xiaomi Watch S4': true,
      'REDMI Watch 5': true,
      Desktop: true,
    });
    for (const p of profiles) expect(typeof p.id).toBe('string');
  });

  it('list --json rows carry token, url, state, bytes, total, uri, and code/message only when failed', async () => {
    server.setFile('/ok.bin', { body: randomBytesSeeded(5_000, 3) });
    server.setFile('/gone.bin', { body: Buffer.alloc(0), status: 410 });
    const ok = jsonLine((await cli.run(withData('download', server.urlFor('/ok.bin'), '--wait', '--json'))).stdout) as { token: string };
    const bad = jsonLine((await cli.run(withData('download', server.urlFor('/gone.bin'), '--wait', '--json'))).stdout) as { token: string };
    const queued = jsonLine((await cli.run(withData('download', server.urlFor('/ok.bin'), '--json'))).stdout) as { token: string };
    const rows = await listJson();
    expect(rows.map((r) => r.token)).toEqual([ok.token, bad.token, queued.token]);
    for (const r of rows) {
      for (const key of ['token', 'url', 'state', 'bytes', 'total', 'uri']) expect(r, key).toHaveProperty(key);
    }
    expect(rows[0]).toMatchObject({ state: 'completed', bytes: 5_000, total: 5_000, uri: 'internal://cache/ok.bin', url: server.urlFor('/ok.bin') });
    expect(rows[0]).not.toHaveProperty('code');
    expect(rows[1]).toMatchObject({ state: 'failed', code: 1000, message: expect.stringMatching(/410/), uri: null });
    expect(rows[2]).toMatchObject({ state: 'queued', bytes: 0, total: null, uri: null });
    expect(rows[2]).not.toHaveProperty('code');
  });

  it('list and devices without --json print plain lines', async () => {
    const empty = await cli.run(withData('list'));
    expect(empty.code).toBe(0);
    expect(empty.stdout).toBe('no tasks\n');
    const devices = await cli.run(withData('devices'));
    expect(devices.code).toBe(0);
    expect(devices.stdout).toMatch(/^watch-s4\s+supported\s+Xiaomi Watch S4$/m);
    expect(devices.stdout).toMatch(/^redmi-watch-4\s+not supported\s+Redmi Watch 4$/m);
  });
});

describe('move-to-gallery', () => {
  it('moves a finished .png under DIR/Pictures/Vela Companion/ and prints {token, path}', async () => {
    const png = mediaBytes('png', 4_096, 11); // real PNG bytes: the bytes decide, not the Content-Type
    server.setFile('/img/photo.png', { body: png, contentType: 'image/png' });
    const done = jsonLine((await cli.run(withData('download', server.urlFor('/img/photo.png'), '--wait', '--json'))).stdout) as { token: string; path: string };
    const gallery = path.join(tmp, 'gallery');
    const res = await cli.run(withData('move-to-gallery', done.token, '--gallery-dir', gallery, '--json'));
    expect(res.code, res.stderr).toBe(0);
    const moved = jsonLine(res.stdout) as { token: string; path: string };
    expect(moved).toEqual({ token: done.token, path: path.join(gallery, 'Pictures', 'Vela Companion', 'photo.png') });
    expect(await sha256File(moved.path)).toBe(sha256(png));
    expect(fs.existsSync(done.path)).toBe(false);
    // The task shows where the file now lives.
    const [row] = await listJson();
    expect(row?.path).toBe(moved.path);
  });

  it('refuses a .txt with 202 (not a media file), exit 1, and the file stays in the cache', async () => {
    server.setFile('/notes.txt', { body: Buffer.from('just text\n'), contentType: 'text/plain' });
    const done = jsonLine((await cli.run(withData('download', server.urlFor('/notes.txt'), '--wait', '--json'))).stdout) as { token: string; path: string };
    const gallery = path.join(tmp, 'gallery');
    const res = await cli.run(withData('move-to-gallery', done.token, '--gallery-dir', gallery, '--json'));
    expect(res.code).toBe(1);
    expect(jsonLine(res.stdout)).toEqual({ token: done.token, code: 202, message: expect.stringMatching(/not a media file/) });
    expect(fs.readFileSync(done.path, 'utf8')).toBe('just text\n');
    expect(fs.existsSync(path.join(gallery, 'Pictures', 'Vela Companion', 'notes.txt'))).toBe(false);
  });

  it('an unknown token answers 1001, exit 1', async () => {
    const res = await cli.run(withData('move-to-gallery', 'nope', '--gallery-dir', path.join(tmp, 'g'), '--json'));
    expect(res.code).toBe(1);
    expect(jsonLine(res.stdout)).toEqual({ token: 'nope', code: 1001, message: expect.any(String) });
  });
});

describe('human output', () => {
  it('download without --json prints the bare token; wait prints the uri and the path', async () => {
    server.setFile('/plain.bin', { body: Buffer.from('plain') });
    const started = await cli.run(withData('download', server.urlFor('/plain.bin')));
    expect(started.code).toBe(0);
    expect(started.stdout).toMatch(/^[0-9a-f-]{36}\n$/);
    const token = started.stdout.trim();
    const waited = await cli.run(withData('wait', token));
    expect(waited.code, waited.stderr).toBe(0);
    expect(waited.stdout).toBe(`internal://cache/plain.bin\n${path.join(dataDir, 'cache', 'plain.bin')}\n`);
  });

  it('when piped, download --wait gives the token, then progress as plain lines (no \\r), then uri and path', async () => {
    const body = randomBytesSeeded(1_200_000, 12);
    server.setFile('/slow.bin', { body, bytesPerSecond: 500_000 });
    const res = await cli.run(withData('download', server.urlFor('/slow.bin'), '--wait'));
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toBe(`internal://cache/slow.bin\n${path.join(dataDir, 'cache', 'slow.bin')}\n`);
    expect(res.stderr).not.toContain('\r');
    expect(res.stderr).not.toContain('\u001b');
    const lines = res.stderr.split('\n').filter(Boolean);
    expect(lines[0]).toMatch(UUID);
    const progress = lines.slice(1);
    expect(progress.length).toBeGreaterThanOrEqual(1);
    for (const line of progress) expect(line).toMatch(/^\d+\.\d% .* of 1\.1 MiB at .*\/s/);
    expect(await sha256File(path.join(dataDir, 'cache', 'slow.bin'))).toBe(sha256(body));
  });

  it('a failure without --json goes to stderr as "error <code>: <message>", stdout stays empty', async () => {
    server.setFile('/nope.bin', { body: Buffer.alloc(0), status: 404 });
    const res = await cli.run(withData('download', server.urlFor('/nope.bin'), '--wait'));
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/^error 1000: .*404/m);
    const unknown = await cli.run(withData('wait', 'nope'));
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toMatch(/^error 1001: /m);
  });
});
