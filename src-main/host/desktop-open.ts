import { spawn, type SpawnOptions } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import open from 'open';
import { mayOpen } from '../core/open-policy.js';
import type { DesktopShell } from '../router/handlers.js';

/**
 * Open and reveal for the browser host. `serve` runs on the user's own machine (it binds 127.0.0.1
 * only), so "Open" and "Show in folder" in its page do there what the desktop app's do: the file opens
 * in the system's default app and is shown in the file manager. Opening goes through the `open` package
 * (xdg-open, macOS `open`, Windows `Start`); revealing selects the file where the system can
 * (macOS `open -R`, Windows `explorer /select,`, the freedesktop FileManager1 D-Bus call that Electron's
 * `showItemInFolder` makes on Linux), else opens its folder.
 *
 * The router has already confined the path to a task's file or a media file, and "open" to images,
 * video and audio (core/open-policy.ts); it is checked here again. Only ever an argument vector, never
 * a shell command line.
 *
 * `launcher` (the `VELA_OPENER` environment variable of `serve`) stands in for the system's launcher:
 * `open` starts it through its `app` option with the file as last argument, after `--reveal` for a
 * reveal. The end-to-end tests point it at a script that records what it was given.
 */
export interface DesktopOpenOptions {
  launcher?: string;
  platform?: NodeJS.Platform;
}

/** How long the D-Bus reveal may take before the folder is opened instead. */
const DBUS_TIMEOUT_MS = 3_000;

export function desktopOpen(options: DesktopOpenOptions = {}): DesktopShell {
  const platform = options.platform ?? process.platform;
  const launcher = options.launcher || undefined;
  return {
    kind: 'browser',
    open: async (file) => {
      if (!mayOpen(file)) return false;
      return launched(launcher ? open(file, { app: { name: launcher } }) : open(file));
    },
    reveal: async (file) => {
      if (launcher) return launched(open(file, { app: { name: launcher, arguments: ['--reveal'] } }));
      return reveal(file, platform);
    },
  };
}

/** Whether the launcher started (the `open` package resolves once it has spawned). */
async function launched(starting: Promise<unknown>): Promise<boolean> {
  try {
    await starting;
    return true;
  } catch {
    return false;
  }
}

async function reveal(file: string, platform: NodeJS.Platform): Promise<boolean> {
  if (platform === 'darwin') return spawned('open', ['-R', file]);
  if (platform === 'win32') return spawned('explorer.exe', [`/select,"${file}"`], { windowsVerbatimArguments: true });
  // dbus-send separates array items with commas: a path holding one cannot be passed that way.
  const uri = pathToFileURL(file).href;
  if (!uri.includes(',') && (await showItems(uri))) return true;
  return launched(open(path.dirname(file)));
}

/** Starts a detached program; true once it runs. */
function spawned(command: string, args: string[], extra: SpawnOptions = {}): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'ignore', detached: true, ...extra });
    child.once('error', () => resolve(false));
    child.once('spawn', () => {
      child.unref();
      resolve(true);
    });
  });
}

/** The freedesktop file manager's ShowItems (Nautilus, Dolphin, Nemo, Thunar…); false where none answers. */
function showItems(uri: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(
      'dbus-send',
      [
        '--session',
        '--print-reply',
        '--dest=org.freedesktop.FileManager1',
        '--type=method_call',
        '/org/freedesktop/FileManager1',
        'org.freedesktop.FileManager1.ShowItems',
        `array:string:${uri}`,
        'string:',
      ],
      { stdio: 'ignore' },
    );
    const timer = setTimeout(() => {
      child.kill();
      resolve(false);
    }, DBUS_TIMEOUT_MS);
    child.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
  });
}
