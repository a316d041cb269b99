import type { Bridge, EngineStateChange, EventMap, EventName, Reply } from '../../src-shared/channels.js';
import type { Settings } from '../../src-shared/types.js';

/**
 * What main's own features see of the engine process (engine-process/client.ts gives it): calls
 * answered with a Reply, and the events, `engine.state` among them. Pure: no electron.
 */
export interface EngineCalls {
  call(channel: string, payload: unknown): Promise<Reply<unknown>>;
}

export type EventListener = (event: EventName, payload: EventMap[EventName]) => void;

export interface EngineEvents {
  subscribe(listener: EventListener): () => void;
}

export type Language = Settings['language'];

/** What the tray and the notifications need: the events, a call to list tasks, the language. */
export interface ShellEngine {
  events: EngineEvents;
  bridge: Pick<Bridge, 'invoke'>;
  language(): Language;
}

export interface LanguageTracking extends EngineCalls {
  /** The app's language, for the texts main shows itself (tray, notifications). */
  language(): Language;
  /** Read it from the engine (at start, and when a restarted engine is back). */
  refresh(): Promise<void>;
}

/**
 * The IPC door's target: forwards every call to the engine process and keeps the language as a
 * `settings.get`/`settings.set` answer passes through, so the tray and the notifications follow a
 * change made in the window at once, without asking the engine on every redraw.
 */
export function trackLanguage(engine: EngineCalls): LanguageTracking {
  let language: Language = 'en';
  const note = (channel: string, reply: Reply<unknown>): void => {
    if ((channel === 'settings.get' || channel === 'settings.set') && reply.ok) {
      const value = (reply.value as Partial<Settings> | null)?.language;
      if (value === 'en' || value === 'zh-CN') language = value;
    }
  };
  return {
    call: async (channel, payload) => {
      const reply = await engine.call(channel, payload);
      note(channel, reply);
      return reply;
    },
    language: () => language,
    refresh: async () => note('settings.get', await engine.call('settings.get', {})),
  };
}

/** Run `then` each time the engine process is (again) running: a fresh start, or back after a crash. */
export function whenRunning(events: EngineEvents, then: (change: EngineStateChange) => void): () => void {
  return events.subscribe((event, payload) => {
    if (event === 'engine.state' && (payload as EngineStateChange).state === 'running') then(payload as EngineStateChange);
  });
}
