import { FailCode, VelaError } from '../../src-shared/codes.js';
import type { EngineInfo } from '../../src-shared/channels.js';
import type { Engine } from '../core/engine.js';
import { MediaLibrary } from '../core/media.js';
import { switchProfileForRetry } from '../core/retry-profile.js';
import { Router, type Handlers } from './router.js';

/**
 * What only the front door can do: show a file in the file manager, open it. The Electron shell uses
 * its `shell` module; the browser host (a page cannot reach the desktop) answers with the path only.
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

/** The channel table's handlers, all thin calls into core. */
export function createHandlers(engine: Engine, info: () => EngineInfo, shell: DesktopShell = browserShell): Handlers {
  const media = new MediaLibrary(engine);

  /** A task's file or a media file, as an absolute path inside the data dir. */
  const fileOf = async (input: { token: unknown } | { partition: 'cache' | 'mass'; name: string }): Promise<string> => {
    if ('partition' in input) return media.resolve(input);
    const task = engine.get(input.token);
    if (!task.path) throw new VelaError(FailCode.IllegalArgument, `the task has no file yet (state ${task.state})`);
    return task.path;
  };

  return {
    'download.start': (input) => ({ token: engine.download(input).token }),
    'tasks.get': ({ token }) => engine.get(token),
    'tasks.list': () => engine.list(),
    'tasks.wait': ({ token }) => engine.whenDone(token),
    'tasks.pause': ({ token }) => engine.pause(token),
    'tasks.resume': ({ token }) => engine.resume(token),
    'tasks.cancel': ({ token }) => engine.cancel(token),
    'tasks.retry': ({ token, url, header, device }) => {
      if (device !== undefined) switchProfileForRetry(engine.store, engine.profiles, token, device);
      return engine.retry(token, url, header);
    },
    'tasks.remove': async ({ token, deleteFile }) => {
      await engine.remove(token, deleteFile);
      return { token: String(token) };
    },
    'gallery.move': ({ token, galleryHome }) => engine.moveToGallery(token, galleryHome),
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
    'engine.info': () => ({ ...info(), shell: shell.kind }),
    'media.list': () => media.list(),
    'media.remove': ({ items }) => media.remove(items),
    'media.moveToGallery': ({ items, galleryHome }) => media.moveToGallery(items, galleryHome),
    'shell.reveal': async (input) => {
      const path = await fileOf(input);
      return { path, done: await shell.reveal(path) };
    },
    'shell.open': async (input) => {
      const path = await fileOf(input);
      return { path, done: await shell.open(path) };
    },
  };
}

/** A router wired to an engine: handlers mounted, engine events forwarded as contract events. */
export function createRouter(engine: Engine, info: () => EngineInfo, shell?: DesktopShell): Router {
  const router = new Router(createHandlers(engine, info, shell));
  engine.on('task', (task) => router.emit('task.updated', task));
  engine.on('removed', (token) => router.emit('task.removed', { token }));
  engine.on('progress', (batch) => router.emit('task.progress', batch));
  engine.on('settings', (settings) => router.emit('settings.updated', settings));
  return router;
}
