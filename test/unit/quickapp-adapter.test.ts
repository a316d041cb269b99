/**
 * The quick-app adapter (src-shared/quickapp.ts) over an in-memory bridge: the callback rules of
 * API.md §1, the promise form, and the listener rules of §1/§3. The bridge is a small fake whose
 * tasks finish when the test says so; the engine itself is tested elsewhere.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Bridge, ChannelName } from '../../src-shared/channels.js';
import { FailCode, VelaError } from '../../src-shared/codes.js';
import type { ListenerRule } from '../../src-shared/profiles.js';
import { createQuickAppRequest, type AdapterOptions, type Callbacks } from '../../src-shared/quickapp.js';
import type { DownloadResult, TaskRecord } from '../../src-shared/types.js';

// ---- a fake bridge ------------------------------------------------------------------------------

interface Waiter {
  resolve: (result: DownloadResult) => void;
  reject: (error: VelaError) => void;
}

interface FakeBridge extends Bridge {
  calls: Array<{ channel: ChannelName; input: unknown }>;
  tasks: Map<string, TaskRecord>;
  /** Put a task in the fake store (unfinished unless `state` says otherwise). */
  addTask(token: string, patch?: Partial<TaskRecord>): TaskRecord;
  /** End a task: its waiting `tasks.wait` calls settle. */
  complete(token: string, name: string): void;
  fail(token: string, code: number, message: string): void;
  /** How `download.start` answers next. */
  nextDownload: { token: string } | VelaError;
}

function fakeBridge(): FakeBridge {
  const tasks = new Map<string, TaskRecord>();
  const waiters = new Map<string, Waiter[]>();
  const calls: FakeBridge['calls'] = [];

  const settle = (token: string, patch: Partial<TaskRecord>): void => {
    const task = tasks.get(token);
    if (!task) throw new Error(`no task ${token}`);
    Object.assign(task, patch);
    const list = waiters.get(token) ?? [];
    waiters.delete(token);
    for (const w of list) {
      if (task.state === 'completed') w.resolve({ token, uri: task.uri!, path: `/data/cache/${task.name}` });
      else w.reject(new VelaError(task.code!, task.message!));
    }
  };

  const bridge: FakeBridge = {
    calls,
    tasks,
    nextDownload: { token: 'tok-1' },
    addTask(token, patch = {}) {
      const task: TaskRecord = {
        token,
        url: 'http://127.0.0.1/x.bin',
        headers: {},
        profileId: 'desktop',
        storage: 'cache',
        listenerRule: 'all',
        state: 'running',
        bytes: 0,
        total: null,
        createdAt: 1,
        updatedAt: 1,
        ...patch,
      };
      tasks.set(token, task);
      return task;
    },
    complete(token, name) {
      settle(token, { state: 'completed', name, uri: `internal://cache/${name}` });
    },
    fail(token, code, message) {
      settle(token, { state: 'failed', code, message });
    },
    async invoke(channel, input) {
      calls.push({ channel, input });
      const token = (input as { token?: unknown }).token as string;
      switch (channel) {
        case 'download.start': {
          const next = bridge.nextDownload;
          if (next instanceof VelaError) throw next;
          return next as never;
        }
        case 'tasks.get': {
          const task = tasks.get(token);
          if (!task) throw new VelaError(FailCode.TaskNotFound, `download task does not exist: ${token}`);
          return structuredClone(task) as never;
        }
        case 'tasks.wait': {
          if (!tasks.has(token)) throw new VelaError(FailCode.TaskNotFound, `download task does not exist: ${token}`);
          return new Promise<DownloadResult>((resolve, reject) => {
            const list = waiters.get(token) ?? [];
            list.push({ resolve, reject });
            waiters.set(token, list);
          }) as never;
        }
        default:
          throw new Error(`the fake bridge does not serve ${channel}`);
      }
    },
    on() {
      return () => {};
    },
  };
  return bridge;
}

// ---- recording callbacks ------------------------------------------------------------------------

type Event = ['success', unknown] | ['fail', unknown, unknown] | ['complete'];

/** Callbacks that record what they were called with; `done` resolves at `complete`. */
function recorder<T>(): { callbacks: Required<Callbacks<T>>; events: Event[]; done: Promise<void> } {
  const events: Event[] = [];
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return {
    events,
    done,
    callbacks: {
      success: (data) => void events.push(['success', data]),
      fail: (data, code) => void events.push(['fail', data, code]),
      complete: () => {
        events.push(['complete']);
        finish();
      },
    },
  };
}

/** Let every pending timer and promise run, so a second (wrong) callback would have shown up. */
const settleAll = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

const setup = (options: AdapterOptions = {}) => {
  const bridge = fakeBridge();
  const request = createQuickAppRequest(bridge, { onCallbackError: () => {}, ...options });
  return { bridge, request };
};

afterEach(() => {
  vi.restoreAllMocks();
});

// ---- the tests ----------------------------------------------------------------------------------

describe('callbacks never run inside the call that registered them', () => {
  it('download: a flag set just after the call is already true when success runs', async () => {
    const { request } = setup();
    let returned = false;
    const seen: boolean[] = [];
    const r = recorder<{ token: string }>();
    const result = request.download({ url: 'http://127.0.0.1/a.bin', ...r.callbacks, success: () => void seen.push(returned) });
    returned = true;
    expect(result).toBeUndefined();
    await r.done;
    expect(seen).toEqual([true]);
  });

  it('an immediate 202 (no bridge round trip) is still answered on a later turn', async () => {
    const { bridge, request } = setup();
    let returned = false;
    const seen: boolean[] = [];
    const r = recorder<{ uri: string }>();
    request.onDownloadComplete({ token: '', ...r.callbacks, fail: () => void seen.push(returned) });
    returned = true;
    await r.done;
    expect(seen).toEqual([true]);
    expect(bridge.calls).toEqual([]);
  });

  it('onDownloadComplete of a finished task: answered from the record, still on a later turn', async () => {
    const { bridge, request } = setup();
    bridge.addTask('done', { state: 'completed', name: 'a.bin', uri: 'internal://cache/a.bin' });
    let returned = false;
    const seen: boolean[] = [];
    const r = recorder<{ uri: string }>();
    request.onDownloadComplete({ token: 'done', ...r.callbacks, success: () => void seen.push(returned) });
    returned = true;
    await r.done;
    expect(seen).toEqual([true]);
  });
});

describe('success then complete, or fail(data, code) then complete, each exactly once', () => {
  it('download success: success({ token }) then complete', async () => {
    const { bridge, request } = setup();
    bridge.nextDownload = { token: 'tok-42' };
    const r = recorder<{ token: string }>();
    request.download({ url: 'http://127.0.0.1/a.bin', ...r.callbacks });
    await r.done;
    await settleAll();
    expect(r.events).toEqual([['success', { token: 'tok-42' }], ['complete']]);
  });

  it('download refused by the engine: fail(message, code) then complete', async () => {
    const { bridge, request } = setup();
    bridge.nextDownload = new VelaError(FailCode.NotSupported, 'Redmi Watch 4 does not support system.request downloads');
    const r = recorder<{ token: string }>();
    request.download({ url: 'http://127.0.0.1/a.bin', ...r.callbacks });
    await r.done;
    await settleAll();
    expect(r.events).toEqual([['fail', 'Redmi Watch 4 does not support system.request downloads', 203], ['complete']]);
  });

  it('onDownloadComplete: success({ uri }) then complete once the task ends', async () => {
    const { bridge, request } = setup();
    bridge.addTask('t1');
    const r = recorder<{ uri: string }>();
    request.onDownloadComplete({ token: 't1', ...r.callbacks });
    await settleAll();
    expect(r.events).toEqual([]); // still running: nothing yet
    bridge.complete('t1', 'a.bin');
    await r.done;
    await settleAll();
    expect(r.events).toEqual([['success', { uri: 'internal://cache/a.bin' }], ['complete']]);
  });

  it('onDownloadComplete: fail(message, 1000) then complete when the task fails', async () => {
    const { bridge, request } = setup();
    bridge.addTask('t1');
    const r = recorder<{ uri: string }>();
    request.onDownloadComplete({ token: 't1', ...r.callbacks });
    await settleAll();
    bridge.fail('t1', FailCode.DownloadFailed, 'HTTP status 404');
    await r.done;
    await settleAll();
    expect(r.events).toEqual([['fail', 'HTTP status 404', 1000], ['complete']]);
  });

  it('onDownloadComplete of a token never issued: fail(message, 1001) then complete', async () => {
    const { request } = setup();
    const r = recorder<{ uri: string }>();
    request.onDownloadComplete({ token: '123', ...r.callbacks });
    await r.done;
    await settleAll();
    expect(r.events).toEqual([['fail', 'download task does not exist: 123', 1001], ['complete']]);
  });

  it('any one of the three callbacks is enough for the callback form', async () => {
    const { request } = setup();
    const events: string[] = [];
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    const result = request.onDownloadComplete({
      token: '123',
      complete: () => {
        events.push('complete');
        finish();
      },
    });
    expect(result).toBeUndefined();
    await done;
    expect(events).toEqual(['complete']);
  });
});

describe('a callback that throws', () => {
  it('still gets complete called, and the error is reported', async () => {
    const reported: unknown[] = [];
    const { request } = setup({ onCallbackError: (error) => reported.push(error) });
    const boom = new Error('boom in success');
    const r = recorder<{ token: string }>();
    request.download({
      url: 'http://127.0.0.1/a.bin',
      ...r.callbacks,
      success: () => {
        r.events.push(['success', 'threw']);
        throw boom;
      },
    });
    await r.done;
    await settleAll();
    expect(r.events).toEqual([['success', 'threw'], ['complete']]);
    expect(reported).toEqual([boom]);
  });

  it('a throwing fail callback: complete still runs', async () => {
    const reported: unknown[] = [];
    const { request } = setup({ onCallbackError: (error) => reported.push(error) });
    const r = recorder<{ uri: string }>();
    request.onDownloadComplete({
      token: '',
      ...r.callbacks,
      fail: () => {
        throw new Error('boom in fail');
      },
    });
    await r.done;
    expect(r.events).toEqual([['complete']]);
    expect(reported).toHaveLength(1);
  });

  it('without onCallbackError the error goes to console.error', async () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    const bridge = fakeBridge();
    const request = createQuickAppRequest(bridge);
    const r = recorder<{ token: string }>();
    request.download({
      url: 'http://127.0.0.1/a.bin',
      ...r.callbacks,
      success: () => {
        throw new Error('boom');
      },
    });
    await r.done;
    expect(spy).toHaveBeenCalledTimes(1);
    expect(String(spy.mock.calls[0]?.[0])).toContain('[system.request]');
  });
});

describe('the promise form (no callbacks)', () => {
  it('download resolves { data: { token } }', async () => {
    const { bridge, request } = setup();
    bridge.nextDownload = { token: 'tok-7' };
    const promise = request.download({ url: 'http://127.0.0.1/a.bin' });
    expect(promise).toBeInstanceOf(Promise);
    await expect(promise).resolves.toEqual({ data: { token: 'tok-7' } });
  });

  it('download rejects { data, code }', async () => {
    const { bridge, request } = setup();
    bridge.nextDownload = new VelaError(FailCode.IllegalArgument, 'url scheme must be http or https, got ftp');
    await expect(request.download({ url: 'ftp://x' })).rejects.toEqual({ data: 'url scheme must be http or https, got ftp', code: 202 });
  });

  it('onDownloadComplete resolves { data: { uri } } and rejects { data, code }', async () => {
    const { bridge, request } = setup();
    bridge.addTask('t1');
    const ok = request.onDownloadComplete({ token: 't1' });
    await settleAll();
    bridge.complete('t1', 'a.bin');
    await expect(ok).resolves.toEqual({ data: { uri: 'internal://cache/a.bin' } });
    await expect(request.onDownloadComplete({ token: '123' })).rejects.toEqual({ data: 'download task does not exist: 123', code: 1001 });
  });

  it('settles on a later turn too', async () => {
    const { request } = setup();
    let returned = false;
    const promise = request.onDownloadComplete({ token: '' })!.catch(() => returned);
    returned = true;
    await expect(promise).resolves.toBe(true);
  });
});

describe('arguments', () => {
  it('an empty token fails with 202 without asking the engine', async () => {
    const { bridge, request } = setup();
    const r = recorder<{ uri: string }>();
    request.onDownloadComplete({ token: '', ...r.callbacks });
    await r.done;
    expect(r.events).toEqual([['fail', 'token is required and must be a non-empty string', 202], ['complete']]);
    await expect(request.onDownloadComplete({ token: '' })).rejects.toMatchObject({ code: 202 });
    await expect(request.onDownloadComplete({})).rejects.toMatchObject({ code: 202 });
    expect(bridge.calls).toEqual([]);
  });

  it('download passes url, header, filename and the extras to download.start', async () => {
    const { bridge, request } = setup({ downloadExtras: () => ({ device: 'watch-s4' }) });
    await request.download({ url: 'http://127.0.0.1/a.bin', header: { 'X-A': '1' }, filename: 'b.bin', description: 'Face' });
    expect(bridge.calls).toEqual([
      {
        channel: 'download.start',
        input: { device: 'watch-s4', url: 'http://127.0.0.1/a.bin', header: { 'X-A': '1' }, filename: 'b.bin', description: 'Face' },
      },
    ]);
  });
});

describe('several listeners on one token', () => {
  const listenerSetup = (rule: ListenerRule) => {
    const replaced: string[] = [];
    const { bridge, request } = setup({ onReplaced: (token) => replaced.push(token) });
    bridge.addTask('t1', { listenerRule: rule });
    return { bridge, request, replaced };
  };

  it("rule 'all': every listener is answered, each once", async () => {
    const { bridge, request, replaced } = listenerSetup('all');
    const listeners = [recorder<{ uri: string }>(), recorder<{ uri: string }>(), recorder<{ uri: string }>()];
    for (const l of listeners) request.onDownloadComplete({ token: 't1', ...l.callbacks });
    const promised = request.onDownloadComplete({ token: 't1' });
    await settleAll();
    bridge.complete('t1', 'a.bin');
    await Promise.all(listeners.map((l) => l.done));
    await expect(promised).resolves.toEqual({ data: { uri: 'internal://cache/a.bin' } });
    await settleAll();
    for (const l of listeners) expect(l.events).toEqual([['success', { uri: 'internal://cache/a.bin' }], ['complete']]);
    expect(replaced).toEqual([]);
    // One wait on the engine serves them all.
    expect(bridge.calls.filter((c) => c.channel === 'tasks.wait')).toHaveLength(1);
  });

  it("rule 'all': a failure reaches every listener", async () => {
    const { bridge, request } = listenerSetup('all');
    const a = recorder<{ uri: string }>();
    const b = recorder<{ uri: string }>();
    request.onDownloadComplete({ token: 't1', ...a.callbacks });
    request.onDownloadComplete({ token: 't1', ...b.callbacks });
    await settleAll();
    bridge.fail('t1', FailCode.DownloadFailed, 'cancelled');
    await Promise.all([a.done, b.done]);
    expect(a.events).toEqual([['fail', 'cancelled', 1000], ['complete']]);
    expect(b.events).toEqual([['fail', 'cancelled', 1000], ['complete']]);
  });

  it("rule 'last' (hapjs): only the latest listener is answered; onReplaced reports the dropped one", async () => {
    const { bridge, request, replaced } = listenerSetup('last');
    const first = recorder<{ uri: string }>();
    const second = recorder<{ uri: string }>();
    const third = recorder<{ uri: string }>();
    request.onDownloadComplete({ token: 't1', ...first.callbacks });
    await settleAll();
    request.onDownloadComplete({ token: 't1', ...second.callbacks });
    await settleAll();
    expect(replaced).toEqual(['t1']);
    request.onDownloadComplete({ token: 't1', ...third.callbacks });
    await settleAll();
    expect(replaced).toEqual(['t1', 't1']);
    bridge.complete('t1', 'a.bin');
    await third.done;
    await settleAll();
    expect(third.events).toEqual([['success', { uri: 'internal://cache/a.bin' }], ['complete']]);
    expect(first.events).toEqual([]);
    expect(second.events).toEqual([]);
  });

  it("rule 'last': a listener added after the task finished is answered from the record, replacing nothing", async () => {
    const { bridge, request, replaced } = listenerSetup('last');
    const before = recorder<{ uri: string }>();
    request.onDownloadComplete({ token: 't1', ...before.callbacks });
    await settleAll();
    bridge.complete('t1', 'a.bin');
    await before.done;
    const after = recorder<{ uri: string }>();
    request.onDownloadComplete({ token: 't1', ...after.callbacks });
    await after.done;
    expect(after.events).toEqual([['success', { uri: 'internal://cache/a.bin' }], ['complete']]);
    expect(before.events).toEqual([['success', { uri: 'internal://cache/a.bin' }], ['complete']]);
    expect(replaced).toEqual([]);
  });
});

describe('a finished task answers from its record', () => {
  it('completed: success with the recorded uri, no wait on the engine', async () => {
    const { bridge, request } = setup();
    bridge.addTask('t1', { state: 'completed', name: '表盘.txt', uri: 'internal://cache/%E8%A1%A8%E7%9B%98.txt' });
    const r = recorder<{ uri: string }>();
    request.onDownloadComplete({ token: 't1', ...r.callbacks });
    await r.done;
    expect(r.events).toEqual([['success', { uri: 'internal://cache/%E8%A1%A8%E7%9B%98.txt' }], ['complete']]);
    expect(bridge.calls.map((c) => c.channel)).toEqual(['tasks.get']);
  });

  it('failed or cancelled: fail with the recorded message and code', async () => {
    const { bridge, request } = setup();
    bridge.addTask('failed', { state: 'failed', code: 1000, message: 'HTTP status 500' });
    bridge.addTask('cancelled', { state: 'cancelled', code: 1000, message: 'cancelled' });
    await expect(request.onDownloadComplete({ token: 'failed' })).rejects.toEqual({ data: 'HTTP status 500', code: 1000 });
    await expect(request.onDownloadComplete({ token: 'cancelled' })).rejects.toEqual({ data: 'cancelled', code: 1000 });
    expect(bridge.calls.map((c) => c.channel)).toEqual(['tasks.get', 'tasks.get']);
  });
});
