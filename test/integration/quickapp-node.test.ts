/**
 * Quick-app code under Node (API.md §6), the way a developer runs it: real child processes
 * `node --import vela-companion/register page.mjs` against a real HTTP server on 127.0.0.1, with
 * `vela-companion` resolved from a `node_modules` in a temp dir (a link to this checkout, so the pages
 * import exactly what a user would: package.json `exports`, built dist/). dist/ is built once by
 * test/global-setup.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseInternalUri } from '../../src-shared/uri.js';
import { randomBytesSeeded, sha256, startServer, type TestServer } from '../helpers/server.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SEED = path.resolve(ROOT, '..', 'shared', 'seeds', '000_a69b388280a0b0e1.txt');

// The Vela reference's code, copied unchanged (the import line of "Import Module" and the two examples).
const SEED_IMPORT = "import request from '@system.request'";
const SEED_REQUIRE = "const request = require('@system.request')";
const SEED_DOWNLOAD =
  "request.download({ url : 'http://www.example.com' , success : function(data){ console.log(` handling success ${ data.token } `)} , fail : function(data , code){ console.log(` handling fail, code = ${ code } `)} })";
const SEED_ON_COMPLETE =
  "request.onDownloadComplete({ token : '123' , success : function(data){ console.log(` handling success ${ data.uri } `)} , fail : function(data , code){ console.log(` handling fail, code = ${ code } `)} })";

/** Only the URL string changes: the example's host becomes our local server. */
const example1 = (url: string): string => SEED_DOWNLOAD.replace("'http://www.example.com'", `'${url}'`);

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const CHILD_TIMEOUT_MS = 20_000;

interface PageResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

let server: TestServer;
let work: string;
const children = new Set<ChildProcess>();

/**
 * Run a page as a child process in `work` (where node_modules/vela-companion lives). `register: false`
 * runs it without `--import` (code that imports vela-companion/system.request itself). A page that does
 * not exit within the timeout is killed and reported as timed out: "exits by itself" is part of the test.
 */
function runPage(page: string, options: { env?: Record<string, string>; register?: boolean } = {}): Promise<PageResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: path.join(work, 'home'), XDG_CONFIG_HOME: path.join(work, 'home', '.config') };
  delete env.VELA_DEVICE;
  delete env.VELA_DATA_DIR;
  delete env.NODE_OPTIONS;
  Object.assign(env, options.env);
  const args = options.register === false ? [page] : ['--import', 'vela-companion/register', page];
  const child = spawn(process.execPath, args, { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  let timedOut = false;
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, CHILD_TIMEOUT_MS);
  return new Promise((resolve) => {
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** The page exited by itself with status 0 (the message shows what it printed otherwise). */
function expectCleanExit(result: PageResult): void {
  const why = `exit ${result.code} signal ${result.signal}${result.timedOut ? ' (timed out: it did not exit by itself)' : ''}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
  expect(result.timedOut, why).toBe(false);
  expect(result.code, why).toBe(0);
}

function writePage(name: string, text: string): string {
  const file = path.join(work, name);
  fs.writeFileSync(file, text);
  return file;
}

let dataDirCount = 0;
const freshDataDir = (): string => path.join(work, `data-${++dataDirCount}`);

/** The files a data dir's cache holds (the partial-file folder aside). */
const cacheFiles = (dataDir: string): string[] =>
  fs.existsSync(path.join(dataDir, 'cache')) ? fs.readdirSync(path.join(dataDir, 'cache')).filter((n) => n !== '.partial').sort() : [];

/** The store the engine wrote (config.json in the data dir). */
const storedTasks = (dataDir: string): Array<{ token: string; profileId: string; state: string; uri?: string }> =>
  Object.values((JSON.parse(fs.readFileSync(path.join(dataDir, 'config.json'), 'utf8')) as { tasks: Record<string, never> }).tasks);

/** The absolute path an `internal://cache/…` URI names in a data dir. */
function cachePath(dataDir: string, uri: string): string {
  const parsed = parseInternalUri(uri);
  expect(parsed, `not an internal://cache URI: ${uri}`).not.toBeNull();
  expect(parsed!.partition).toBe('cache');
  return path.join(dataDir, 'cache', parsed!.name);
}

const HTML = Buffer.from('<!doctype html><html><head><title>Example Domain</title></head><body><h1>Example Domain</h1></body></html>\n');
const BLOB = randomBytesSeeded(256 * 1024, 7);

beforeAll(async () => {
  for (const built of ['register.js', 'hooks.js', 'system-request.js', 'system-request-cjs.cjs']) {
    const file = path.join(ROOT, 'dist', 'src-main', 'quickapp', built);
    if (!fs.existsSync(file)) throw new Error(`${file} is missing: dist/ is built by test/global-setup.ts (npm run build)`);
  }
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-quickapp-'));
  fs.mkdirSync(path.join(work, 'node_modules'));
  fs.mkdirSync(path.join(work, 'home'));
  // What `npm install /path/to/vela-companion` makes: a link to the package.
  fs.symlinkSync(ROOT, path.join(work, 'node_modules', 'vela-companion'), 'dir');
  server = await startServer({
    '/': { body: HTML, contentType: 'text/html; charset=UTF-8' },
    '/blob.bin': { body: BLOB },
    '/watch-face.bin': { body: BLOB },
    '/slow.bin': { body: BLOB, delayMs: 1_500 },
    '/slower.bin': { body: BLOB, delayMs: 3_000 },
    '/other.bin': { body: HTML },
  });
});

afterAll(async () => {
  await server?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

beforeEach(() => {
  server.reset();
});

afterEach(async () => {
  // A page that hung is killed here at the latest (runPage kills it on its own timeout too).
  const waits = [...children].map((child) => new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once('close', resolve))));
  for (const child of children) child.kill('SIGKILL');
  await Promise.all(waits);
  children.clear();
});

describe('the Vela reference examples, unchanged', () => {
  it.skipIf(!fs.existsSync(SEED))('are copied verbatim from the reference page', () => {
    const text = fs.readFileSync(SEED, 'utf8');
    expect(text).toContain(`${SEED_IMPORT} // or ${SEED_REQUIRE}`);
    expect(text).toContain(SEED_DOWNLOAD);
    expect(text).toContain(SEED_ON_COMPLETE);
  });

  it('example 1 (download) prints " handling success <token> " and the file lands in the cache', async () => {
    const dataDir = freshDataDir();
    const page = writePage('example-1.mjs', `${SEED_IMPORT}\n${example1(server.url)}\n`);
    const result = await runPage(page, { env: { VELA_DATA_DIR: dataDir } });
    expectCleanExit(result);
    expect(result.stdout).toMatch(new RegExp(`^ handling success ${UUID} \\n$`));
    // The process stayed until the task it started was done, then exited by itself.
    expect(server.requestsFor('/').map((r) => [r.method, r.status])).toEqual([['GET', 200]]);
    const files = cacheFiles(dataDir);
    expect(files).toHaveLength(1);
    expect(fs.readFileSync(path.join(dataDir, 'cache', files[0]!))).toEqual(HTML);
    const token = /handling success (\S+)/.exec(result.stdout)![1];
    expect(storedTasks(dataDir)).toMatchObject([{ token, state: 'completed', profileId: 'desktop' }]);
  });

  it("example 2 (onDownloadComplete, token '123') prints \" handling fail, code = 1001 \"", async () => {
    const page = writePage('example-2.mjs', `${SEED_IMPORT}\n${SEED_ON_COMPLETE}\n`);
    const result = await runPage(page, { env: { VELA_DATA_DIR: freshDataDir() } });
    expectCleanExit(result);
    expect(result.stdout).toBe(' handling fail, code = 1001 \n');
    expect(server.requests).toEqual([]);
  });

  it("both examples through require('@system.request') in a .cjs page", async () => {
    const dataDir = freshDataDir();
    const one = writePage('example-1.cjs', `${SEED_REQUIRE}\n${example1(server.url)}\n`);
    const two = writePage('example-2.cjs', `${SEED_REQUIRE}\n${SEED_ON_COMPLETE}\n`);
    const first = await runPage(one, { env: { VELA_DATA_DIR: dataDir } });
    expectCleanExit(first);
    expect(first.stdout).toMatch(new RegExp(`^ handling success ${UUID} \\n$`));
    const second = await runPage(two, { env: { VELA_DATA_DIR: dataDir } });
    expectCleanExit(second);
    expect(second.stdout).toBe(' handling fail, code = 1001 \n');
    expect(cacheFiles(dataDir)).toHaveLength(1);
  });
});

describe('download, then onDownloadComplete', () => {
  const chainPage = (url: string): string => `
    request.download({
      url: '${url}',
      success: function (data) {
        request.onDownloadComplete({
          token: data.token,
          success: function (result) { console.log('uri ' + result.uri) },
          fail: function (data, code) { console.log('fail ' + code + ' ' + data) },
        })
      },
      fail: function (data, code) { console.log('download fail ' + code + ' ' + data) },
    })
  `;

  it('logs the uri; the file is byte-exact under <dataDir>/cache/; the process exits by itself', async () => {
    const dataDir = freshDataDir();
    const page = writePage('chain.mjs', `import request from '@system.request'\n${chainPage(server.urlFor('/blob.bin'))}`);
    const result = await runPage(page, { env: { VELA_DATA_DIR: dataDir } });
    expectCleanExit(result);
    expect(result.stdout).toBe('uri internal://cache/blob.bin\n');
    const file = cachePath(dataDir, 'internal://cache/blob.bin');
    expect(sha256(fs.readFileSync(file))).toBe(sha256(BLOB));
    expect(cacheFiles(dataDir)).toEqual(['blob.bin']);
    // The engine gave the data dir back when the process ended.
    expect(fs.existsSync(path.join(dataDir, 'engine.json'))).toBe(false);
  });

  it("the same from a .cjs page with require('@system.request')", async () => {
    const dataDir = freshDataDir();
    const page = writePage('chain.cjs', `const request = require('@system.request')\n${chainPage(server.urlFor('/blob.bin'))}`);
    const result = await runPage(page, { env: { VELA_DATA_DIR: dataDir } });
    expectCleanExit(result);
    expect(result.stdout).toBe('uri internal://cache/blob.bin\n');
    expect(sha256(fs.readFileSync(cachePath(dataDir, 'internal://cache/blob.bin')))).toBe(sha256(BLOB));
  });

  it('callbacks run in order and never inside the call; every listener is answered once', async () => {
    const dataDir = freshDataDir();
    const page = writePage(
      'order.mjs',
      `import request from '@system.request'
      const log = (line) => console.log(line)
      let returned = false
      log('before download')
      const value = request.download({
        url: '${server.urlFor('/blob.bin')}',
        success: (data) => {
          log('download success, call returned: ' + returned)
          let listening = false
          for (const name of ['first', 'second']) {
            request.onDownloadComplete({
              token: data.token,
              success: (result) => log(name + ' success ' + result.uri + ', call returned: ' + listening),
              fail: (data, code) => log(name + ' fail ' + code),
              complete: () => log(name + ' complete'),
            })
          }
          listening = true
          log('listeners added')
        },
        fail: (data, code) => log('download fail ' + code),
        complete: () => log('download complete'),
      })
      returned = true
      log('download returned ' + value)
      `,
    );
    const result = await runPage(page, { env: { VELA_DATA_DIR: dataDir } });
    expectCleanExit(result);
    expect(result.stdout.split('\n')).toEqual([
      'before download',
      'download returned undefined',
      'download success, call returned: true',
      'listeners added',
      'download complete',
      'first success internal://cache/blob.bin, call returned: true',
      'first complete',
      'second success internal://cache/blob.bin, call returned: true',
      'second complete',
      '',
    ]);
  });

  it('the promise form (no callbacks) works with await', async () => {
    const dataDir = freshDataDir();
    const page = writePage(
      'promise.mjs',
      `import request from '@system.request'
      const started = request.download({ url: '${server.urlFor('/blob.bin')}' })
      console.log('is a promise: ' + (started instanceof Promise))
      const { data } = await started
      console.log('token ' + typeof data.token)
      const done = await request.onDownloadComplete({ token: data.token })
      console.log(JSON.stringify(done))
      try {
        await request.onDownloadComplete({ token: '123' })
      } catch (error) {
        console.log('rejected ' + JSON.stringify(error))
      }
      try {
        await request.download({ url: 'ftp://127.0.0.1/x' })
      } catch (error) {
        console.log('rejected ' + error.code)
      }
      try {
        await request.onDownloadComplete({ token: '' })
      } catch (error) {
        console.log('rejected ' + error.code)
      }
      `,
    );
    const result = await runPage(page, { env: { VELA_DATA_DIR: dataDir } });
    expectCleanExit(result);
    expect(result.stdout.split('\n')).toEqual([
      'is a promise: true',
      'token string',
      '{"data":{"uri":"internal://cache/blob.bin"}}',
      'rejected {"data":"download task does not exist: 123","code":1001}',
      'rejected 202',
      'rejected 202',
      '',
    ]);
    expect(sha256(fs.readFileSync(cachePath(dataDir, 'internal://cache/blob.bin')))).toBe(sha256(BLOB));
  });

  it('two pages at once on one data dir: the second hands its work to the first one’s engine', async () => {
    const dataDir = freshDataDir();
    const slow = writePage('two-1.mjs', `import request from '@system.request'\n${chainPage(server.urlFor('/slower.bin'))}`);
    const quick = writePage('two-2.mjs', `import request from '@system.request'\n${chainPage(server.urlFor('/other.bin'))}`);
    const first = runPage(slow, { env: { VELA_DATA_DIR: dataDir } });
    // The first page's engine holds the data dir (and /slower.bin answers only after 3 s).
    const engineFile = path.join(dataDir, 'engine.json');
    for (let i = 0; i < 200 && !fs.existsSync(engineFile); i++) await new Promise((resolve) => setTimeout(resolve, 25));
    expect(fs.existsSync(engineFile)).toBe(true);
    const holder = (JSON.parse(fs.readFileSync(engineFile, 'utf8')) as { pid: number }).pid;
    const second = await runPage(quick, { env: { VELA_DATA_DIR: dataDir } });
    expectCleanExit(second);
    expect(second.stdout).toBe('uri internal://cache/other.bin\n');
    expect((JSON.parse(fs.readFileSync(engineFile, 'utf8')) as { pid: number }).pid).toBe(holder);
    const firstResult = await first;
    expectCleanExit(firstResult);
    expect(firstResult.stdout).toBe('uri internal://cache/slower.bin\n');
    expect(cacheFiles(dataDir)).toEqual(['other.bin', 'slower.bin']);
    expect(storedTasks(dataDir).map((t) => t.state)).toEqual(['completed', 'completed']);
  });

  it('a token from an earlier process still answers, from the stored record', async () => {
    const dataDir = freshDataDir();
    const first = await runPage(writePage('start.mjs', `import request from '@system.request'\n${example1(server.urlFor('/blob.bin'))}\n`), {
      env: { VELA_DATA_DIR: dataDir },
    });
    expectCleanExit(first);
    const token = /handling success (\S+)/.exec(first.stdout)?.[1];
    expect(token).toBeDefined();
    const later = writePage('later.mjs', `import request from '@system.request'\n${SEED_ON_COMPLETE.replace("'123'", `'${token}'`)}\n`);
    const second = await runPage(later, { env: { VELA_DATA_DIR: dataDir } });
    expectCleanExit(second);
    expect(second.stdout).toBe(' handling success internal://cache/blob.bin \n');
    expect(server.requestsFor('/blob.bin')).toHaveLength(1);
  });
});

describe('device profiles (VELA_DEVICE)', () => {
  it('redmi-watch-4: download fails with 203 and no request reaches the server', async () => {
    const dataDir = freshDataDir();
    const page = writePage('device-1.mjs', `${SEED_IMPORT}\n${example1(server.urlFor('/watch-face.bin'))}\n`);
    const result = await runPage(page, { env: { VELA_DATA_DIR: dataDir, VELA_DEVICE: 'redmi-watch-4' } });
    expectCleanExit(result);
    expect(result.stdout).toBe(' handling fail, code = 203 \n');
    expect(server.requests).toEqual([]);
    expect(cacheFiles(dataDir)).toEqual([]);
  });

  it('watch-s4: the download goes through and the task records its profile', async () => {
    const dataDir = freshDataDir();
    const page = writePage('device-2.mjs', `${SEED_IMPORT}\n${example1(server.urlFor('/watch-face.bin'))}\n`);
    const result = await runPage(page, { env: { VELA_DATA_DIR: dataDir, VELA_DEVICE: 'watch-s4' } });
    expectCleanExit(result);
    expect(result.stdout).toMatch(new RegExp(`^ handling success ${UUID} \\n$`));
    expect(server.requestsFor('/watch-face.bin')).toHaveLength(1);
    expect(storedTasks(dataDir)).toMatchObject([{ profileId: 'watch-s4', state: 'completed', uri: 'internal://cache/watch-face.bin' }]);
    expect(sha256(fs.readFileSync(path.join(dataDir, 'cache', 'watch-face.bin')))).toBe(sha256(BLOB));
  });

  it("a custom profile with hapjs's rules (listenerRule 'last', storage 'mass'): only the latest listener answers", async () => {
    const dataDir = freshDataDir();
    fs.mkdirSync(dataDir);
    const profile = { id: 'hapjs-like', name: 'hapjs-like', builtin: false, supported: true, link: {}, device: { listenerRule: 'last', storage: 'mass' } };
    fs.writeFileSync(path.join(dataDir, 'config.json'), JSON.stringify({ version: 1, tasks: {}, profiles: [profile] }));
    const page = writePage(
      'last.mjs',
      `import request from '@system.request'
      request.download({
        url: '${server.urlFor('/slow.bin')}',
        success: (data) => {
          for (const name of ['first', 'second']) {
            request.onDownloadComplete({ token: data.token, success: (r) => console.log(name + ' ' + r.uri), complete: () => console.log(name + ' complete') })
          }
        },
      })
      `,
    );
    const result = await runPage(page, { env: { VELA_DATA_DIR: dataDir, VELA_DEVICE: 'hapjs-like' } });
    expectCleanExit(result);
    expect(result.stdout).toBe('second internal://mass/download/slow.bin\nsecond complete\n');
    expect(result.stderr).toMatch(/\[system\.request\] onDownloadComplete: an earlier listener of \S+ was replaced/);
    expect(sha256(fs.readFileSync(path.join(dataDir, 'mass', 'download', 'slow.bin')))).toBe(sha256(BLOB));
  });

  it('an unknown device id: 202 whose message says where to find the ids', async () => {
    const page = writePage('device-3.mjs', `import request from '@system.request'
      request.download({ url: '${server.urlFor('/watch-face.bin')}', fail: (data, code) => console.log(code + ' ' + data) })
    `);
    const result = await runPage(page, { env: { VELA_DATA_DIR: freshDataDir(), VELA_DEVICE: 'no-such-watch' } });
    expectCleanExit(result);
    expect(result.stdout).toMatch(/^202 unknown device profile "no-such-watch".*vela-companion devices/);
    expect(server.requests).toEqual([]);
  });
});

describe('configure({ device, dataDir }) from code', () => {
  it('picks the device and the data dir, overriding the environment', async () => {
    const dataDir = freshDataDir();
    const envDir = freshDataDir();
    const page = writePage(
      'configure.mjs',
      `import request, { configure } from 'vela-companion/system.request'
      configure({ device: 'redmi-watch-4', dataDir: ${JSON.stringify(dataDir)} })
      try {
        await request.download({ url: '${server.urlFor('/watch-face.bin')}' })
      } catch (error) {
        console.log('redmi-watch-4 ' + error.code)
      }
      request.configure({ device: 'watch-s4' })
      const { data } = await request.download({ url: '${server.urlFor('/watch-face.bin')}' })
      const { data: done } = await request.onDownloadComplete({ token: data.token })
      console.log('watch-s4 ' + done.uri)
      `,
    );
    // No --import: code that imports vela-companion/system.request itself needs no hook.
    const result = await runPage(page, { register: false, env: { VELA_DATA_DIR: envDir, VELA_DEVICE: 'band-8-pro' } });
    expectCleanExit(result);
    expect(result.stdout).toBe('redmi-watch-4 203\nwatch-s4 internal://cache/watch-face.bin\n');
    expect(server.requestsFor('/watch-face.bin')).toHaveLength(1);
    expect(storedTasks(dataDir)).toMatchObject([{ profileId: 'watch-s4', state: 'completed' }]);
    expect(fs.existsSync(envDir)).toBe(false);
  });

  it('a custom profile as device: saved into the data dir before the next download, refused with 202 when invalid', async () => {
    const dataDir = freshDataDir();
    const page = writePage(
      'configure-profile.mjs',
      `import request, { configure } from 'vela-companion/system.request'
      configure({ dataDir: ${JSON.stringify(dataDir)}, device: { id: 'no-downloads', supported: false } })
      await request.download({ url: '${server.urlFor('/watch-face.bin')}' }).catch((e) => console.log('no-downloads ' + e.code))
      configure({ device: { id: 'hapjs-mass', name: 'Like hapjs', device: { storage: 'mass' } } })
      const { data } = await request.download({ url: '${server.urlFor('/watch-face.bin')}' })
      const { data: done } = await request.onDownloadComplete({ token: data.token })
      console.log('hapjs-mass ' + done.uri)
      configure({ device: { id: 'watch-s4', link: { bandwidth: 1 } } })
      await request.download({ url: '${server.urlFor('/watch-face.bin')}' }).catch((e) => console.log('built-in ' + e.code + ' ' + e.data))
      configure({ device: { id: 'Bad Id' } })
      await request.download({ url: '${server.urlFor('/watch-face.bin')}' }).catch((e) => console.log('bad id ' + e.code))
      `,
    );
    const result = await runPage(page, { register: false });
    expectCleanExit(result);
    expect(result.stdout.split('\n')).toEqual([
      'no-downloads 203',
      'hapjs-mass internal://mass/download/watch-face.bin',
      expect.stringMatching(/^built-in 202 .*"watch-s4" is a built-in profile/),
      'bad id 202',
      '',
    ]);
    expect(server.requestsFor('/watch-face.bin')).toHaveLength(1);
    const store = JSON.parse(fs.readFileSync(path.join(dataDir, 'config.json'), 'utf8')) as { profiles: Array<{ id: string; name: string; supported: boolean }> };
    expect(store.profiles.map((p) => [p.id, p.name, p.supported])).toEqual([
      ['no-downloads', 'no-downloads', false],
      ['hapjs-mass', 'Like hapjs', true],
    ]);
    expect(storedTasks(dataDir)).toMatchObject([{ profileId: 'hapjs-mass', state: 'completed' }]);
  });

  it("a new dataDir applies to later calls; what earlier calls started still finishes and answers", async () => {
    const first = freshDataDir();
    const second = freshDataDir();
    const page = writePage(
      'configure-later.mjs',
      `import request, { configure } from '@system.request'
      configure({ dataDir: ${JSON.stringify(first)} })
      request.download({
        url: '${server.urlFor('/slow.bin')}',
        success: (data) => {
          request.onDownloadComplete({ token: data.token, success: (r) => console.log('slow ' + r.uri), fail: (d, c) => console.log('slow fail ' + c) })
          configure({ dataDir: ${JSON.stringify(second)} })
          request.download({
            url: '${server.urlFor('/other.bin')}',
            success: (d) => request.onDownloadComplete({ token: d.token, success: (r) => console.log('other ' + r.uri) }),
          })
        },
      })
      `,
    );
    const result = await runPage(page, { env: { VELA_DATA_DIR: freshDataDir() } });
    expectCleanExit(result);
    // /slow.bin answers after 1.5 s, so the second download finishes first.
    expect(result.stdout).toBe('other internal://cache/other.bin\nslow internal://cache/slow.bin\n');
    expect(cacheFiles(first)).toEqual(['slow.bin']);
    expect(cacheFiles(second)).toEqual(['other.bin']);
    expect(sha256(fs.readFileSync(path.join(first, 'cache', 'slow.bin')))).toBe(sha256(BLOB));
    expect(fs.existsSync(path.join(first, 'engine.json'))).toBe(false);
    expect(fs.existsSync(path.join(second, 'engine.json'))).toBe(false);
  });
});
