/**
 * Secrets at rest for the user only (DESIGN.md "Persistence and paths"): the store, the journal and
 * the sidecars hold request headers (`Authorization`) and URLs with credentials, and the cache holds
 * what was downloaded with them. So every folder the engine creates in the data dir is 0700 and every
 * file 0600, whatever the process umask: the mode is given on each open/mkdir that creates, and a data
 * dir written by an older version (0755/0644) is tightened once when an engine opens it.
 *
 * Windows: chmod only toggles the read-only bit there; the data dir lives in the user's profile
 * (%APPDATA%), whose ACLs already keep other users out. Tightening is skipped on win32, and the modes
 * passed to open/mkdir are harmless (0o600 keeps the file writable).
 */
import fs from 'node:fs';
import path from 'node:path';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

const POSIX = process.platform !== 'win32';

/**
 * `mkdir -p` where every folder created is 0700, and `dir` itself made 0700 even if it was there
 * (the data dir: an older version made it 0755, and a permissive umask is not ours to trust).
 */
export function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (POSIX) chmodIfNeeded(dir, PRIVATE_DIR_MODE, fs.statSync(dir));
}

function chmodIfNeeded(file: string, mode: number, stat: fs.Stats): boolean {
  if ((stat.mode & 0o777) === mode) return false;
  fs.chmodSync(file, mode);
  return true;
}

/** The data dir's own sub-trees that hold downloads (and their sidecars): walked whole. */
const PRIVATE_TREES = ['cache', 'mass'];
/** The data dir's own top-level files: the store (and stores kept aside, conf's temp files), the journal, engine.json (and its temp files). */
const OWN_TOP_FILE = /^(?:config\.json|journal\.jsonl|engine\.json)(?:\..*)?$/;
/** cache/.partial/x, mass/download/x: nothing of ours is deeper; the bound keeps a stray tree cheap. */
const MAX_DEPTH = 4;

/**
 * Make a data dir from an older version the user's alone: the dir 0700, the engine's own top-level
 * files (store, kept-aside stores, journal, engine.json) 0600, and the `cache` and `mass` trees
 * 0700/0600 (bounded depth). Anything else at the top (Chromium's files in Electron's userData, or
 * whatever else is in a folder given as the data dir) is left to its owner: the 0700 data dir already
 * closes it to other users. Symbolic links are never followed or changed. Best effort: a file that
 * cannot be changed (another owner) is skipped; the engine must start anyway. Returns how many entries
 * were changed. A no-op on Windows (see above).
 *
 * A folder already 0700 is trusted with its contents: this code creates nothing looser inside one, and
 * a folder is tightened only after everything in it, so a walk cut short (a crash) is done again. Even
 * a loose file that got into a 0700 folder (an older version run again) is out of other users' reach.
 * So a later start costs a few stats, and the first one a lstat per entry plus a chmod where needed:
 * 10,000 cache files took ~150-270 ms on a two-core machine at load 7-15 (test/unit/private-files.test.ts
 * prints it).
 */
export function tightenDataDir(dataDir: string): number {
  if (!POSIX) return 0;
  let changed = 0;
  const tighten = (file: string, mode: number, stat: fs.Stats): void => {
    try {
      if (chmodIfNeeded(file, mode, stat)) changed += 1;
    } catch {
      // Not ours to change: skipped.
    }
  };
  /** A folder of a private tree: its contents first, then itself (unless already tight: trusted). */
  const visitTree = (dir: string, stat: fs.Stats, depth: number): void => {
    if ((stat.mode & 0o777) === PRIVATE_DIR_MODE) return;
    for (const [full, entry] of entriesOf(dir)) {
      if (entry.isFile()) tighten(full, PRIVATE_FILE_MODE, entry);
      else if (entry.isDirectory() && depth < MAX_DEPTH) visitTree(full, entry, depth + 1);
    }
    tighten(dir, PRIVATE_DIR_MODE, stat);
  };
  let top: fs.Stats;
  try {
    top = fs.statSync(dataDir);
  } catch {
    return 0;
  }
  for (const [full, entry] of entriesOf(dataDir, (name) => OWN_TOP_FILE.test(name) || PRIVATE_TREES.includes(name))) {
    if (entry.isFile()) tighten(full, PRIVATE_FILE_MODE, entry);
    else if (entry.isDirectory() && PRIVATE_TREES.includes(path.basename(full))) visitTree(full, entry, 2);
  }
  tighten(dataDir, PRIVATE_DIR_MODE, top);
  return changed;
}

/** A folder's entries with their lstat (links are reported as links, never followed); `wanted` filters names first. */
function entriesOf(dir: string, wanted: (name: string) => boolean = () => true): Array<[string, fs.Stats]> {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const entries: Array<[string, fs.Stats]> = [];
  for (const name of names) {
    if (!wanted(name)) continue;
    const full = path.join(dir, name);
    try {
      entries.push([full, fs.lstatSync(full)]);
    } catch {
      // Gone meanwhile.
    }
  }
  return entries;
}

/** The process umask, read without changing it where the OS allows (process.umask() sets it twice). */
function currentUmask(): number {
  if (process.platform === 'linux') {
    try {
      const match = /^Umask:\s*([0-7]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
      if (match?.[1] !== undefined) return parseInt(match[1], 8);
    } catch {
      // No /proc: ask Node.
    }
  }
  return process.umask();
}

/**
 * A file leaving the data dir for a folder of the user's choosing (move to gallery) is public by that
 * choice: it gets the mode a new file there would get (0o666 & ~umask, e.g. 0644), not the cache's
 * 0600 that a link or copy carries along. Best effort (a FAT volume may refuse); a no-op on Windows.
 */
export function makePublicFile(file: string): void {
  if (!POSIX) return;
  try {
    fs.chmodSync(file, 0o666 & ~currentUmask());
  } catch {
    // The move itself succeeded; the mode is a nicety the file system may not keep.
  }
}
