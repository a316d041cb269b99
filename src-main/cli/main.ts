import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { toErrorData } from '../../src-shared/codes.js';
import type { Bridge } from '../../src-shared/channels.js';
import { defaultDataDir } from '../core/paths.js';
import { VERSION } from '../core/version.js';
import { openEngine } from '../host/access.js';
import { createPageHandler } from '../host/browser-host.js';
import { desktopOpen } from '../host/desktop-open.js';
import { waitForTask, withEngine } from './engine-session.js';
import { createOutput, type Output } from './output.js';

/**
 * `vela-companion`: the engine without a window (API.md §5). Exit status: 0 success, 1 a fail code was
 * returned, 2 bad command-line usage (the message says what was wrong and how to see the right values).
 */

class UsageError extends Error {}

const EXIT_OK = 0;
const EXIT_FAIL = 1;
const EXIT_USAGE = 2;

function parseHeader(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const colon = value.indexOf(':');
  if (colon <= 0) throw new UsageError(`-H expects 'Name: value', got ${JSON.stringify(value)}`);
  return { ...previous, [value.slice(0, colon).trim()]: value.slice(colon + 1).trim() };
}

function parseBytesPerSecond(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--speed-limit expects bytes per second, got ${JSON.stringify(value)}`);
  return n;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--port expects 0-65535, got ${JSON.stringify(value)}`);
  return n;
}

const dataDirOption = () => new Option('--data-dir <dir>', 'folder of the store and the cache (default: the desktop app\'s)');
const jsonOption = () => new Option('--json', 'print one JSON object on one line');
const dataDirOf = (opts: { dataDir?: string }): string => path.resolve(opts.dataDir ?? defaultDataDir());

async function checkDevice(bridge: Bridge, device: string | undefined): Promise<void> {
  if (device === undefined) return;
  const profiles = await bridge.invoke('devices.list', {});
  if (!profiles.some((p) => p.id === device)) {
    throw new UsageError(`unknown device "${device}"; \`vela-companion devices\` lists the ids (${profiles.map((p) => p.id).join(', ')})`);
  }
}

async function waitAndReport(dataDir: string, task: string | ((bridge: Bridge) => Promise<string>), out: Output, token: () => string): Promise<number> {
  try {
    const result = await waitForTask(dataDir, task, (p) => out.progress(p));
    out.endProgress();
    out.result({ token: result.token, uri: result.uri, path: result.path }, `${result.uri}\n${result.path}`);
    return EXIT_OK;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    out.endProgress();
    const data = toErrorData(error);
    // A failure before a token exists (202, 203) has no token in its answer.
    out.failure(token() ? { ...data, token: token() } : data);
    return EXIT_FAIL;
  }
}

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('vela-companion')
    .description('Vela Companion: the Xiaomi Vela quick-app download API (system.request) on the desktop')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  program
    .command('download')
    .description('start a download and print its token (with --wait, wait for it like onDownloadComplete)')
    .argument('<url>', 'http or https URL')
    .option('-H, --header <header>', "request header 'Name: value' (repeatable)", parseHeader)
    .option('--filename <name>', 'name of the saved file')
    .option('--device <id>', 'device profile id (see `devices`)')
    .option('--sha256 <hex>', 'expected sha256, checked before the file takes its name')
    .option('--speed-limit <bytesPerSecond>', 'limit this task\'s speed', parseBytesPerSecond)
    .option('--description <text>', 'a title for the task')
    .addOption(dataDirOption())
    .option('--wait', 'wait until the download ends')
    .addOption(jsonOption())
    .action(async (url: string, opts: { header?: Record<string, string>; filename?: string; device?: string; sha256?: string; speedLimit?: number; description?: string; dataDir?: string; wait?: boolean; json?: boolean }) => {
      const out = createOutput(!!opts.json);
      const dataDir = dataDirOf(opts);
      const input = {
        url,
        header: opts.header,
        filename: opts.filename,
        device: opts.device,
        sha256: opts.sha256,
        speedLimit: opts.speedLimit,
        description: opts.description,
        // One id for this command, sent again with every retry of the hand-off: a retry after an answer
        // that was lost (the engine made the task, the reply never arrived) gets that task, not a second one.
        requestId: randomUUID(),
      };
      const start = async (bridge: Bridge): Promise<string> => {
        await checkDevice(bridge, opts.device);
        return (await bridge.invoke('download.start', input)).token;
      };
      try {
        if (!opts.wait) {
          const token = await withEngine(dataDir, start);
          out.result({ token }, token);
          return setExit(EXIT_OK);
        }
        // With --wait the task is started by whichever engine will run it, then waited for.
        let token = '';
        const code = await waitAndReport(
          dataDir,
          async (bridge) => {
            token = await start(bridge);
            if (!out.json) process.stderr.write(`${token}\n`);
            return token;
          },
          out,
          () => token,
        );
        return setExit(code);
      } catch (error) {
        if (error instanceof UsageError) throw error;
        out.failure(toErrorData(error));
        return setExit(EXIT_FAIL);
      }
    });

  program
    .command('wait')
    .description('wait for a task to end, as onDownloadComplete does (runs the engine if none is running)')
    .argument('<token>')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (token: string, opts: { dataDir?: string; json?: boolean }) => {
      setExit(await waitAndReport(dataDirOf(opts), token, createOutput(!!opts.json), () => token));
    });

  program
    .command('list')
    .description('list the tasks of the data dir')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (opts: { dataDir?: string; json?: boolean }) => {
      const out = createOutput(!!opts.json);
      const tasks = await withEngine(dataDirOf(opts), (bridge) => bridge.invoke('tasks.list', {}));
      const rows = tasks.map((t) => ({
        token: t.token,
        url: t.url,
        state: t.state,
        bytes: t.bytes,
        total: t.total,
        uri: t.uri ?? null,
        ...(t.path ? { path: t.path } : {}),
        ...(t.state === 'failed' || t.state === 'cancelled' ? { code: t.code, message: t.message } : {}),
        profile: t.profileId,
        createdAt: t.createdAt,
      }));
      const human = rows.length
        ? rows.map((r) => `${r.token}  ${r.state.padEnd(9)}  ${r.uri ?? r.url}${r.code ? `  (${r.code}: ${r.message})` : ''}`).join('\n')
        : 'no tasks';
      out.result(rows, human);
      setExit(EXIT_OK);
    });

  program
    .command('devices')
    .description('list the device profiles and whether each supports request.download')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (opts: { dataDir?: string; json?: boolean }) => {
      const out = createOutput(!!opts.json);
      const profiles = await withEngine(dataDirOf(opts), (bridge) => bridge.invoke('devices.list', {}));
      const human = profiles
        .map((p) => `${p.id.padEnd(16)} ${p.supported ? 'supported    ' : 'not supported'}  ${p.name}${p.builtin ? '' : ' (custom)'}`)
        .join('\n');
      out.result(profiles, human);
      setExit(EXIT_OK);
    });

  program
    .command('move-to-gallery')
    .description("move a finished image, video or audio file from the cache to the user's media folders")
    .argument('<token>')
    .addOption(dataDirOption())
    .option('--gallery-dir <dir>', "stands in for the user's home: DIR/Pictures/Vela Companion/…")
    .addOption(jsonOption())
    .action(async (token: string, opts: { dataDir?: string; galleryDir?: string; json?: boolean }) => {
      const out = createOutput(!!opts.json);
      try {
        const galleryHome = opts.galleryDir ? path.resolve(opts.galleryDir) : undefined;
        const moved = await withEngine(dataDirOf(opts), (bridge) => bridge.invoke('gallery.move', { token, galleryHome }));
        out.result(moved, moved.path);
        setExit(EXIT_OK);
      } catch (error) {
        out.failure({ ...toErrorData(error), token });
        setExit(EXIT_FAIL);
      }
    });

  program
    .command('serve')
    .description('run the engine and the browser host API for this data dir, and print the URL')
    .addOption(dataDirOption())
    .option('--port <n>', 'port on 127.0.0.1 (0 = any free port)', parsePort, 0)
    .option('--gallery-dir <dir>', "stands in for the user's home when moving to the gallery: DIR/Pictures/Vela Companion/…")
    .action(async (opts: { dataDir?: string; port: number; galleryDir?: string }) => {
      const galleryHome = opts.galleryDir ? path.resolve(opts.galleryDir) : undefined;
      const access = await openEngine({
        dataDir: dataDirOf(opts),
        mode: 'run',
        port: opts.port,
        pages: createPageHandler,
        engine: { ownsProcess: true, galleryHome },
        // The page's Open and Show in folder act on this machine, the user's own (host/desktop-open.ts).
        shell: desktopOpen({ launcher: process.env.VELA_OPENER }),
      });
      if (access.kind === 'remote') {
        process.stderr.write(`an engine already runs for this data dir (pid ${access.holder.pid}) at http://127.0.0.1:${access.holder.port}/\n`);
        return setExit(EXIT_FAIL);
      }
      // The secret rides in the fragment: browsers never send it to a server, a log or a Referer.
      process.stdout.write(`${access.host.url}/#secret=${access.secret}\n`);
      process.stderr.write('open that URL in a browser; the engine runs until Ctrl-C\n');
      // `on`, not `once`: npm may pass a Ctrl-C on twice, and a second signal must not kill the process
      // before it has stopped its transfers and written its store.
      await new Promise<void>((resolve) => {
        process.on('SIGINT', () => resolve());
        process.on('SIGTERM', () => resolve());
      });
      await access.close();
      setExit(EXIT_OK);
    });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  let exitCode = EXIT_OK;
  const program = buildProgram((code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return EXIT_OK;
      return EXIT_USAGE;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`error: ${error.message}\n`);
      return EXIT_USAGE;
    }
    const data = toErrorData(error);
    process.stderr.write(`error ${data.code}: ${data.message}\n`);
    return EXIT_FAIL;
  }
}

const code = await main(process.argv);
process.exitCode = code;
