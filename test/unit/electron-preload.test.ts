import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { CHANNEL_NAMES, type Bridge } from '../../src-shared/channels.js';
import { FailCode, toErrorData } from '../../src-shared/codes.js';
import { IPC_EVENT, IPC_INVOKE } from '../../src-main/electron/ipc-contract.js';
import { createVelaApi, type RendererIpc } from '../../src-main/electron/preload-api.js';

type Listener = (event: unknown, ...args: unknown[]) => void;

/** Stands in for ipcRenderer: records what goes out, lets the test push events in. */
function recorder(answer: (channel: string, ...args: unknown[]) => unknown = () => ({ ok: true, value: 'v' })) {
  const sent: unknown[][] = [];
  const listeners = new Map<string, Set<Listener>>();
  const ipc: RendererIpc = {
    invoke: async (channel, ...args) => {
      sent.push([channel, ...args]);
      return answer(channel, ...args);
    },
    on: (channel, listener) => listeners.set(channel, (listeners.get(channel) ?? new Set()).add(listener)),
    removeListener: (channel, listener) => listeners.get(channel)?.delete(listener),
  };
  const emit = (...args: unknown[]): void => {
    const ipcEvent = { sender: ipc, senderId: 0, ports: [] };
    for (const listener of listeners.get(IPC_EVENT) ?? []) listener(ipcEvent, ...args);
  };
  const count = (): number => listeners.get(IPC_EVENT)?.size ?? 0;
  return { ipc, sent, emit, count };
}

const rejectionOf = async (promise: Promise<unknown>): Promise<unknown> => promise.then(() => 'resolved', (e: unknown) => e);

/** The behaviour both the module and the built bundle must show. */
function contract(make: (ipc: RendererIpc) => Bridge): void {
  it('invokes declared channels over the one IPC channel, with the payload as given', async () => {
    const r = recorder();
    const vela = make(r.ipc);
    await expect(vela.invoke('tasks.get', { token: 'abc' })).resolves.toBe('v');
    await vela.invoke('tasks.list', undefined as never);
    expect(r.sent).toEqual([
      [IPC_INVOKE, 'tasks.get', { token: 'abc' }],
      [IPC_INVOKE, 'tasks.list', {}],
    ]);
  });

  it('refuses an undeclared channel without sending anything', async () => {
    const r = recorder();
    const vela = make(r.ipc);
    for (const channel of ['electron-store-get-data', 'toString', '__proto__', '']) {
      const error = await rejectionOf(vela.invoke(channel as never, {} as never));
      expect(toErrorData(error).code).toBe(FailCode.IllegalArgument);
    }
    expect(r.sent).toEqual([]);
  });

  it('rejects with plain { code, message } data, so the code survives contextBridge', async () => {
    const vela = make(recorder(() => ({ ok: false, error: { code: 1001, message: 'download task does not exist: x' } })).ipc);
    const error = await rejectionOf(vela.invoke('tasks.get', { token: 'x' }));
    expect(error).not.toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'VelaError', code: 1001, message: 'download task does not exist: x' });
    expect(toErrorData(error)).toEqual({ code: 1001, message: 'download task does not exist: x' });
  });

  it('turns a broken answer or a failed send into an internal error, never a stack', async () => {
    const garbage = make(recorder(() => ({ ok: 'yes' })).ipc);
    expect(toErrorData(await rejectionOf(garbage.invoke('tasks.list', {})))).toMatchObject({ code: FailCode.Internal });
    const broken = make(recorder(() => { throw new Error('An object could not be cloned.'); }).ipc);
    const error = toErrorData(await rejectionOf(broken.invoke('tasks.list', {})));
    expect(error).toEqual({ code: FailCode.Internal, message: 'the call could not be made: An object could not be cloned.' });
  });

  it('hands listeners the payload only, never the IPC event, and only for declared events', () => {
    const r = recorder();
    const vela = make(r.ipc);
    const heard: unknown[][] = [];
    const stop = vela.on('task.removed', (...args: unknown[]) => heard.push(args));
    r.emit('task.removed', { token: 'a' });
    r.emit('task.updated', { token: 'b' });
    r.emit('electron-store-get-data', {});
    r.emit('toString', {});
    expect(heard).toEqual([[{ token: 'a' }]]);
    stop();
    stop();
    r.emit('task.removed', { token: 'c' });
    expect(heard).toHaveLength(1);
  });

  it('listens on IPC only while someone listens, once however many do', () => {
    const r = recorder();
    const vela = make(r.ipc);
    expect(r.count()).toBe(0);
    const a = vela.on('task.progress', () => {});
    const b = vela.on('task.updated', () => {});
    expect(r.count()).toBe(1);
    a();
    expect(r.count()).toBe(1);
    b();
    expect(r.count()).toBe(0);
  });

  it('throws for an undeclared event or a listener that is not a function', () => {
    const vela = make(recorder().ipc);
    expect(() => vela.on('anything' as never, () => {})).toThrow(/unknown event/);
    expect(() => vela.on('task.updated', 'x' as never)).toThrow(/function/);
  });

  it('keeps calling the other listeners when one throws', () => {
    const r = recorder();
    const vela = make(r.ipc);
    const heard: string[] = [];
    const quiet = console.error;
    console.error = () => {};
    try {
      vela.on('task.removed', () => { throw new Error('boom'); });
      vela.on('task.removed', (p) => heard.push(p.token));
      r.emit('task.removed', { token: 't' });
    } finally {
      console.error = quiet;
    }
    expect(heard).toEqual(['t']);
  });

  it('builds media URLs for the confined protocol', () => {
    const vela = make(recorder().ipc);
    expect(vela.mediaUrl?.({ partition: 'cache', name: 'a b.png' })).toBe('vela-media://cache/a%20b.png');
  });

  it('exposes invoke, on and mediaUrl and nothing else', () => {
    expect(Object.keys(make(recorder().ipc)).sort()).toEqual(['invoke', 'mediaUrl', 'on']);
  });
}

describe('window.vela (preload-api.ts)', () => {
  contract(createVelaApi);
});

describe('the built preload bundle (dist/electron/preload.cjs)', () => {
  // vitest's global setup has just run `npm run build`. The bundle runs in a fresh context with a
  // `require` that knows only `electron`, as a sandboxed preload's does; contextBridge is a recorder.
  const file = path.resolve('dist/electron/preload.cjs');
  const load = (ipc: RendererIpc): { exposed: Record<string, unknown>; required: string[] } => {
    const exposed: Record<string, unknown> = {};
    const required: string[] = [];
    const electron = { contextBridge: { exposeInMainWorld: (key: string, api: unknown) => (exposed[key] = api) }, ipcRenderer: ipc };
    const fakeRequire = (id: string): unknown => {
      required.push(id);
      if (id === 'electron') return electron;
      throw new Error(`a sandboxed preload cannot require ${id}`);
    };
    const module = { exports: {} };
    const wrapper = vm.runInNewContext(`(function (exports, require, module) {${fs.readFileSync(file, 'utf8')}\n})`, { console }, { filename: file });
    (wrapper as (e: unknown, r: unknown, m: unknown) => void)(module.exports, fakeRequire, module);
    return { exposed, required };
  };

  it('requires nothing but electron and exposes only window.vela', () => {
    const { exposed, required } = load(recorder().ipc);
    expect([...new Set(required)]).toEqual(['electron']);
    expect(Object.keys(exposed)).toEqual(['vela']);
  });

  it('carries the whole channel list of src-shared', async () => {
    const r = recorder();
    const vela = load(r.ipc).exposed.vela as Bridge;
    for (const channel of CHANNEL_NAMES) await vela.invoke(channel, {} as never);
    expect(r.sent.map((s) => s[1])).toEqual(CHANNEL_NAMES);
  });

  contract((ipc) => load(ipc).exposed.vela as Bridge);
});
