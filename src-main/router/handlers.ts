import type { EngineInfo } from '../../src-shared/channels.js';
import type { Engine } from '../core/engine.js';
import { Router, type Handlers } from './router.js';

/** The channel table's handlers, all thin calls into core. */
export function createHandlers(engine: Engine, info: () => EngineInfo): Handlers {
  return {
    'download.start': (input) => ({ token: engine.download(input).token }),
    'tasks.get': ({ token }) => engine.get(token),
    'tasks.list': () => engine.list(),
    'tasks.wait': ({ token }) => engine.whenDone(token),
    'tasks.pause': ({ token }) => engine.pause(token),
    'tasks.resume': ({ token }) => engine.resume(token),
    'tasks.cancel': ({ token }) => engine.cancel(token),
    'tasks.retry': ({ token, url }) => engine.retry(token, url),
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
    'engine.info': () => info(),
  };
}

/** A router wired to an engine: handlers mounted, engine events forwarded as contract events. */
export function createRouter(engine: Engine, info: () => EngineInfo): Router {
  const router = new Router(createHandlers(engine, info));
  engine.on('task', (task) => router.emit('task.updated', task));
  engine.on('removed', (token) => router.emit('task.removed', { token }));
  engine.on('progress', (batch) => router.emit('task.progress', batch));
  return router;
}
