import fs from 'node:fs';
import { FailCode, VelaError } from '../../src-shared/codes.js';
import type { EngineInfo, ShellResult } from '../../src-shared/channels.js';
import type { TaskRecord } from '../../src-shared/types.js';
import { validateHeaders, validateUrl } from '../../src-shared/validate.js';
import { downloadAgain } from '../core/download-again.js';
import type { Engine } from '../core/engine.js';
import { MediaLibrary } from '../core/media.js';
import { switchProfileForRetry } from '../core/retry-profile.js';
import { mayOpen } from '../core/open-policy.js';
import { galleryDirs } from '../core/paths.js';
import { Router, type Handlers } from './router.js';
import { TaskView } from './task-view.js';

/**
 * What only the front door can do: show a file in the file manager, open it with the default app. The
 * Electron shell uses its `shell` module; the browser host, which runs on the user's own machine, uses
 * the `open` package (host/desktop-open.ts). Without one (tests, the CLI) the answer is the path only.
 * The router has already confined the path to a task's file or a media file, and "open" to media.
 */
export interface DesktopShell {
  kind: 'electron' | 'browser';
  reveal(path: string): Promise<boolean>;
  open(path: string): Promise<boolean>;
}

export const browserShell: DesktopShell = {
  kind: 'browser',
  reveal: async () => false,
  open: async () => false,
};

export interface RouterOptions {
  /** Stands in for the user's home when picking gallery folders (`serve --gallery-dir`), unless a call names its own. */
  galleryHome?: string;
  /** The engine's environment (XDG user dirs), for the gallery defaults it reports. */
  env?: NodeJS.ProcessEnv;
}

/** The channel table's handlers, all thin calls into core. */
export function createHandlers(
  engine: Engine,
  info: () => EngineInfo,
  shell: DesktopShell = browserShell,
  options: RouterOptions = {},
  view: TaskView = new TaskView(engine),
): Handlers {
  const media = new MediaLibrary(engine);
  const home = (galleryHome: string | undefined): string | undefined => galleryHome ?? options.galleryHome;

  /**
   * A task's file or a media file, as an absolute path inside the data dir (or where move to gallery
   * put it). A completed task whose file is gone answers that it was deleted, never the old path.
   */
  const fileOf = async (input: { token: unknown } | { partition: 'cache' | 'mass'; name: string }): Promise<string> => {
    if ('partition' in input) return media.resolve(input);
    const task = engine.get(input.token);
    if (!task.path) throw new VelaError(FailCode.IllegalArgument, `the task has no file yet (state ${task.state})`);
    if (!fs.existsSync(task.path)) {
      throw new VelaError(FailCode.IllegalArgument, `the file was deleted: ${task.name ?? task.path}; download it again from its row`);
    }
    return task.path;
  };
  const decorated = (task: TaskRecord): TaskRecord => view.decorate(task);

  return {
    'download.start': (input) => ({ token: engine.download(input).token }),
    'tasks.get': ({ token }) => decorated(engine.get(token)),
    'tasks.list': () => view.decorateAll(engine.list()),
    'tasks.wait': ({ token }) => engine.whenDone(token),
    'tasks.pause': ({ token }) => decorated(engine.pause(token)),
    'tasks.resume': ({ token }) => decorated(engine.resume(token)),
    'tasks.cancel': ({ token }) => decorated(engine.cancel(token)),
    'tasks.retry': ({ token, url, header, device }) => {
      // What the retry itself refuses (a bad link or header, 202) is refused before the profile changes:
      // a refusal changes nothing.
      if (url !== undefined) validateUrl(url);
      if (header !== undefined) validateHeaders(header);
      if (device !== undefined) switchProfileForRetry(engine.store, engine.profiles, token, device);
      return decorated(engine.retry(token, url, header));
    },
    'tasks.remove': async ({ token, deleteFile }) => {
      await engine.remove(token, deleteFile);
      return { token: String(token) };
    },
    'tasks.downloadAgain': async ({ token }) => decorated(await downloadAgain(engine, token)),
    'gallery.move': ({ token, galleryHome }) => engine.moveToGallery(token, home(galleryHome)),
    'devices.list': () => engine.profiles.list(),
    'devices.save': (profile) => {
      const saved = engine.profiles.save(profile);
      engine.profileChanged();
      return saved;
    },
    'devices.remove': ({ id }) => {
      engine.profiles.remove(id);
      return { id };
    },
    'settings.get': () => engine.settings,
    'settings.set': (patch) => engine.updateSettings(patch),
    'engine.info': () => ({
      ...info(),
      shell: shell.kind,
      galleryDefaults: galleryDirs({ home: options.galleryHome, env: options.env }),
    }),
    'media.list': () => media.list(),
    'media.remove': ({ items }) => media.remove(items),
    'media.moveToGallery': ({ items, galleryHome }) => media.moveToGallery(items, home(galleryHome)),
    'shell.reveal': async (input) => {
      const path = await fileOf(input);
      return shown(path, await shell.reveal(path));
    },
    'shell.open': async (input) => {
      const path = await fileOf(input);
      // Only what shows rather than runs (core/open-policy.ts), whichever front door asks.
      if (!mayOpen(path)) return { path, done: false, reason: 'not-media' };
      return shown(path, await shell.open(path));
    },
  };
}

const shown = (path: string, done: boolean): ShellResult => (done ? { path, done } : { path, done, reason: 'unavailable' });

/** A router wired to an engine: handlers mounted, engine events forwarded as contract events. */
export function createRouter(engine: Engine, info: () => EngineInfo, shell?: DesktopShell, options: RouterOptions = {}): Router {
  const view = new TaskView(engine);
  const router = new Router(createHandlers(engine, info, shell, options, view));
  engine.on('task', (task) => router.emit('task.updated', view.decorate(task)));
  engine.on('removed', (token) => {
    view.forget(token);
    router.emit('task.removed', { token });
  });
  engine.on('progress', (batch) => {
    router.emit('task.progress', batch);
    // A name the server gave shows as soon as it is known, not when the file is done.
    for (const task of view.newlyNamed(batch)) router.emit('task.updated', task);
  });
  engine.on('settings', (settings) => router.emit('settings.updated', settings));
  return router;
}
