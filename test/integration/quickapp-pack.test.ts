/**
 * The package as a TypeScript quick-app developer gets it (issue 12): `npm pack` of this checkout
 * (dist/ built by test/global-setup.ts), installed with vitest, typescript and tsx into a temp copy of
 * docs/examples/quickapp-ts. Then, in that copy:
 * - `tsc` (strict) on the example, and on test/types/quickapp: a page importing
 *   `vela-companion/system.request` and one importing `@system.request` through
 *   `vela-companion/quickapp`, whose `@ts-expect-error` lines (a token used as a number, an unknown
 *   option…) fail the check if the shipped types were missing or `any`;
 * - the example's own Vitest tests (Watch S4, Redmi Watch 4, a slow lossy link, offline);
 * - the page under Node 20 with `node --import tsx --import vela-companion/register src/main.ts`.
 * So a file missing from `files` or `exports` fails here. The install uses npm's cache first
 * (`--prefer-offline`) and the registry only for what the cache lacks.
 */
import { execFile, type ExecFileException } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytesSeeded, sha256, startServer, type TestServer } from '../helpers/server.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const EXAMPLE = path.join(ROOT, 'docs', 'examples', 'quickapp-ts');
const TYPE_TESTS = path.join(ROOT, 'test', 'types', 'quickapp');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
/** Each step runs a compiler, a test run or a page on a busy two-core machine. */
const SLOW_MS = 120_000;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The environment of a child that must behave as in a developer's shell: nothing of the `npm test`
 * and vitest run around this test (npm_* settings such as the prefix, VITEST_*, NODE_OPTIONS).
 */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig', 'npm_config_globalconfig']);
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|VITEST|NODE_OPTIONS$|NODE_ENV$|TEST$|VELA_|FORCE_COLOR$)/i.test(key) && !keep.has(key.toLowerCase())) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

function run(file: string, args: string[], options: { cwd: string; env?: Record<string, string>; timeoutMs: number }): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { cwd: options.cwd, env: cleanEnv(options.env), timeout: options.timeoutMs, maxBuffer: 16 * 1024 * 1024, shell: process.platform === 'win32' },
      (error: ExecFileException | null, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) + (error?.killed ? '\n(killed: timed out)' : '') });
      },
    );
  });
}

/** The run exited 0; otherwise the message shows what it printed. */
function expectSuccess(result: Run, what: string): void {
  expect(result.code, `${what} failed (exit ${result.code})\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`).toBe(0);
}

let work: string;
let project: string;
let server: TestServer;
const FACE = randomBytesSeeded(64 * 1024, 12);
const timings: Record<string, number> = {};

async function timed<T>(name: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await work();
  } finally {
    timings[name] = Date.now() - started;
  }
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-pack-'));
  // 1. The tarball, as `npm publish` would make it (dist/ is already built; no second build).
  const packed = await timed('pack', () => run(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: ROOT, timeoutMs: 60_000 }));
  expectSuccess(packed, 'npm pack');
  const [report] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as Array<{ filename: string }>;
  const tarball = path.join(work, report!.filename);

  // 2. A copy of the example (never its node_modules), with the type tests beside it.
  project = path.join(work, 'quickapp-ts');
  fs.cpSync(EXAMPLE, project, { recursive: true, filter: (source) => !/[\\/](node_modules|\.vela)([\\/]|$)/.test(path.relative(EXAMPLE, source)) && path.basename(source) !== 'package-lock.json' });
  fs.cpSync(TYPE_TESTS, path.join(project, 'type-tests'), { recursive: true });
  const pkgFile = path.join(project, 'package.json');
  const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8')) as { devDependencies: Record<string, string> };
  expect(pkg.devDependencies['vela-companion']).toBe('file:../../..');
  pkg.devDependencies['vela-companion'] = `file:${tarball}`;
  fs.writeFileSync(pkgFile, JSON.stringify(pkg, null, 2));

  // 3. Install: the tarball and its dependencies, vitest, typescript, tsx, @types/node.
  const installed = await timed('install', () =>
    run(NPM, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], { cwd: project, timeoutMs: 150_000 }),
  );
  expectSuccess(installed, 'npm install');

  server = await startServer({ '/face.bin': { body: FACE } });
}, 200_000);

afterAll(async () => {
  await server?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
  console.log(`quickapp-pack timings (ms): ${JSON.stringify(timings)}`);
});

describe('the packed package in a TypeScript quick-app project (docs/examples/quickapp-ts)', () => {
  const bin = (name: string): string => path.join(project, 'node_modules', name);

  it('ships the declarations and entry points the exports name', () => {
    const installed = path.join(project, 'node_modules', 'vela-companion');
    const pkg = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8')) as { exports: Record<string, string | Record<string, string>> };
    const targets = Object.values(pkg.exports).flatMap((target) => (typeof target === 'string' ? [target] : Object.values(target)));
    expect(targets.filter((t) => t.endsWith('.d.ts'))).toHaveLength(Object.keys(pkg.exports).length - 1); // every entry but ./package.json
    for (const target of targets) expect(fs.existsSync(path.join(installed, target)), `${target} is in exports but not in the tarball`).toBe(true);
  });

  it('the example type-checks (strict): page logic as for the watch, its tests, the Vitest config', async () => {
    const result = await timed('tsc example', () => run(process.execPath, [bin('typescript/bin/tsc'), '-p', '.'], { cwd: project, timeoutMs: 60_000 }));
    expectSuccess(result, 'tsc -p .');
  }, SLOW_MS);

  it('strict pages importing vela-companion/system.request and @system.request compile; each wrong use is an error', async () => {
    const result = await timed('tsc type-tests', () => run(process.execPath, [bin('typescript/bin/tsc'), '-p', 'type-tests'], { cwd: project, timeoutMs: 60_000 }));
    expectSuccess(result, 'tsc -p type-tests');
    // The wrong uses really are marked (a file without them would pass with `any` types too).
    const marked = ['module-page.ts', 'ambient-page.ts'].map((f) => fs.readFileSync(path.join(project, 'type-tests', f), 'utf8').split('@ts-expect-error').length - 1);
    expect(marked[0]).toBeGreaterThanOrEqual(8);
    expect(marked[1]).toBeGreaterThanOrEqual(3);
  }, SLOW_MS);

  it("the example's Vitest tests pass: Watch S4, Redmi Watch 4 (203), a slow lossy link, offline (1000)", async () => {
    const leftovers = (): string[] => fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('vela-companion-vitest-'));
    const before = new Set(leftovers());
    const result = await timed('vitest example', () =>
      run(process.execPath, [bin('vitest/vitest.mjs'), 'run', '--reporter=verbose'], { cwd: project, env: { NO_COLOR: '1' }, timeoutMs: 90_000 }),
    );
    expectSuccess(result, 'vitest run');
    expect(result.stdout).toMatch(/Tests\s+4 passed \(4\)/);
    // The plugin's temp folder of data dirs is gone once the run ended.
    expect(leftovers().filter((n) => !before.has(n))).toEqual([]);
  }, SLOW_MS);

  it('the page runs under Node 20 with node --import tsx --import vela-companion/register', async () => {
    const dataDir = path.join(work, 'tsx-data');
    const env = { VELA_DEVICE: 'watch-s4', VELA_DATA_DIR: dataDir, HOME: path.join(work, 'home') };
    const args = ['--import', 'tsx', '--import', 'vela-companion/register', 'src/main.ts'];
    const ok = await timed('tsx page', () => run(process.execPath, [...args, server.urlFor('/face.bin')], { cwd: project, env, timeoutMs: 30_000 }));
    expectSuccess(ok, 'the page under tsx');
    expect(ok.stdout).toBe('ready internal://cache/face.bin\n');
    expect(sha256(fs.readFileSync(path.join(dataDir, 'cache', 'face.bin')))).toBe(sha256(FACE));

    const refused = await run(process.execPath, [...args, server.urlFor('/face.bin')], { cwd: project, env: { ...env, VELA_DEVICE: 'redmi-watch-4' }, timeoutMs: 30_000 });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('failed 203: This watch cannot download watch faces.\n');
    expect(server.requestsFor('/face.bin')).toHaveLength(1);
  }, SLOW_MS);
});
