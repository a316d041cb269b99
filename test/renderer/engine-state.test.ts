// @vitest-environment happy-dom
/**
 * The window's word on the desktop app's engine process (`engine.state`): a notice while it is down,
 * in the app's language, replaced by a short one when it is back, and the task list read again.
 */
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Bridge, EngineStateChange } from '../../src-shared/channels.js';
import type { TaskRecord } from '../../src-shared/types.js';
import { setBridge } from '../../src-renderer/bridge.js';
import { i18n } from '../../src-renderer/i18n/index.js';
import { useDownloads } from '../../src-renderer/stores/downloads.js';
import { useEngineState } from '../../src-renderer/stores/engine-state.js';
import { useNotices } from '../../src-renderer/stores/notices.js';
import { flush } from './harness.js';

let listeners: Map<string, Set<(payload: never) => void>>;
let listed: number;
let tasks: TaskRecord[];

const emit = (change: EngineStateChange): void => listeners.get('engine.state')?.forEach((l) => l(change as never));

beforeEach(() => {
  listeners = new Map();
  listed = 0;
  tasks = [];
  const bridge: Bridge = {
    invoke: (async (channel: string) => {
      if (channel === 'tasks.list') {
        listed += 1;
        return tasks;
      }
      throw new Error(`unexpected ${channel}`);
    }) as Bridge['invoke'],
    on: (event, listener) => {
      const set = listeners.get(event) ?? new Set();
      set.add(listener as (payload: never) => void);
      listeners.set(event, set);
      return () => set.delete(listener as (payload: never) => void);
    },
  };
  setBridge(bridge);
  setActivePinia(createPinia());
  i18n.global.locale.value = 'en';
});

describe('the engine process in the window', () => {
  it('shows one notice while it is down and a short one when it is back, then reads the tasks again', async () => {
    const downloads = useDownloads();
    await downloads.load();
    expect(listed).toBe(1);
    useEngineState().watch();
    const notices = useNotices();

    emit({ state: 'running', restarts: 0 });
    expect(notices.items).toEqual([]);

    emit({ state: 'crashed', restarts: 0, detail: 'signal SIGKILL' });
    emit({ state: 'restarting', restarts: 0, inMs: 250 });
    emit({ state: 'crashed', restarts: 1, detail: 'exit code 1' });
    expect(notices.items.map((n) => [n.kind, n.text])).toEqual([
      ['error', 'The download engine stopped unexpectedly (exit code 1). Starting it again…'],
    ]);

    tasks = [{ token: 't1', url: 'https://example.com/a.bin', headers: {}, profileId: 'desktop', storage: 'cache', listenerRule: 'always' as TaskRecord['listenerRule'], state: 'running', bytes: 5, total: 10, createdAt: 1, updatedAt: 2 } as TaskRecord];
    emit({ state: 'running', restarts: 2 });
    await flush();
    expect(notices.items.map((n) => n.kind)).toEqual(['info']);
    expect(notices.items[0]!.text).toMatch(/running again/);
    expect(listed).toBe(2);
    expect(downloads.get('t1')?.bytes).toBe(5);
  });

  it('speaks Chinese when the app does', () => {
    i18n.global.locale.value = 'zh-CN';
    useEngineState().watch();
    emit({ state: 'crashed', restarts: 0, detail: 'signal SIGKILL' });
    expect(useNotices().items[0]!.text).toBe('下载引擎意外停止（signal SIGKILL），正在重新启动…');
  });
});
