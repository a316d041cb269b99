import path from 'node:path';

/**
 * What `npm start` does (scripts/start.mjs runs this from dist/): launch the Electron window when it
 * can start here, else say why in one line and run the browser host. Pure, and free of electron:
 * requiring the `electron` package would download its binary, so its path is read the way the
 * package's own index.js reads it, without the download.
 */

export interface LaunchFacts {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  args: readonly string[];
  /** The folder of the installed `electron` package, or null when it is not installed. */
  electronDir: string | null;
  /** The Electron executable when it is on disk, else null. */
  binary: string | null;
  /** Why fetching the binary failed, once it was tried. */
  fetchFailed?: string;
}

export type LaunchPlan =
  | { kind: 'electron'; binary: string }
  /** The binary is missing but Electron could run here: fetch it (Electron's install.js), then plan again. */
  | { kind: 'fetch'; installer: string }
  | { kind: 'browser'; reason: string };

const set = (env: NodeJS.ProcessEnv, name: string): boolean => (env[name] ?? '') !== '';

/** Linux and the BSDs need an X11 or Wayland display; Windows and macOS always have one. */
export const hasDisplay = (platform: NodeJS.Platform, env: NodeJS.ProcessEnv): boolean =>
  platform === 'win32' || platform === 'darwin' || set(env, 'DISPLAY') || set(env, 'WAYLAND_DISPLAY');

export function planLaunch(facts: LaunchFacts): LaunchPlan {
  if (facts.args.includes('--browser') || facts.env.VELA_BROWSER === '1') {
    return { kind: 'browser', reason: 'the browser host was asked for' };
  }
  if (facts.electronDir === null) {
    return { kind: 'browser', reason: 'Electron is not installed (it is a dev dependency: run npm ci)' };
  }
  if (!hasDisplay(facts.platform, facts.env)) {
    return { kind: 'browser', reason: 'there is no display (DISPLAY and WAYLAND_DISPLAY are unset)' };
  }
  if (facts.binary !== null) return { kind: 'electron', binary: facts.binary };
  if (facts.fetchFailed !== undefined) {
    return { kind: 'browser', reason: `Electron's binary is not installed and could not be fetched (${facts.fetchFailed})` };
  }
  if (set(facts.env, 'ELECTRON_SKIP_BINARY_DOWNLOAD')) {
    return { kind: 'browser', reason: "Electron's binary is not installed (ELECTRON_SKIP_BINARY_DOWNLOAD is set)" };
  }
  return { kind: 'fetch', installer: path.join(facts.electronDir, 'install.js') };
}

/**
 * The Electron executable as node_modules/electron/index.js finds it (path.txt names it inside dist/,
 * ELECTRON_OVERRIDE_DIST_PATH replaces dist/), or null when it is not on disk. Never downloads.
 */
export function electronBinary(
  electronDir: string,
  env: NodeJS.ProcessEnv,
  fsx: { read(file: string): string | undefined; exists(file: string): boolean },
): string | null {
  const named = fsx.read(path.join(electronDir, 'path.txt'))?.trim();
  const override = env.ELECTRON_OVERRIDE_DIST_PATH;
  if (override) {
    const file = path.join(override, named || 'electron');
    return fsx.exists(file) ? file : null;
  }
  if (!named) return null;
  const file = path.join(electronDir, 'dist', named);
  return fsx.exists(file) ? file : null;
}

/** The first line of a tool's output that says something (no stack frames), for one-line reports. */
export function firstLine(text: string, max = 160): string {
  const line = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l !== '' && !l.startsWith('at ') && !/^[-=~^]+$/.test(l));
  if (line === undefined) return 'no output';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** The one line `npm start` prints before it starts the browser host. */
export const fallbackLine = (reason: string): string =>
  `The Electron window cannot start here: ${reason}. Starting the browser host instead; open the URL below.`;
