/**
 * The engine process's client (src-main/engine-process/client.ts) against stand-in children: what it
 * does with calls while the engine is away, when it restarts and with which delays, and that a stop
 * is final. The real process is forked in test/integration/engine-process.test.ts.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EngineStateChange } from '../../src-shared/channels.js';
import { EngineClient, type ChildExit, type EngineChild } from '../../src-main/engine-process/client.js';
import { connectToParent } from '../../src-main/engine-process/parent-link.js';
import { asFromEngine, asToEngine, engineArgv, parseEngineArgv, type FromEngine, type ToEngine } from '../../src-main/engine-process/protocol.js';

class FakeChild implements EngineChild {
  static pids = 100;
  readonly pid = FakeChild.pids++;
  sent: ToEngine[] = [];
  killed = false;
  #message?: (message: unknown) => void;
  #exit?: (exit: ChildExit) => void;
  /** What this child does on its own when a message arrives. */
  constructor(private readonly behave: (child: FakeChild, message: ToEngine) => void = () => {}) {}
  send(message: ToEngine): void {
    this.sent.push(message);
    this.behave(this, message);
  }
  onMessage(listener: (message: unknown) => void): void {
    this.#message = listener;
  }
  onExit(listener: (exit: ChildExit) => void): void {
    this.#exit = listener;
  }
  kill(): void {
    this.killed = true;
    this.exit({ code: null, signal: 'SIGKILL' });
  }
  say(message: FromEngine): void {
    this.#message?.(message);
  }
  ready(): void {
    this.say({ kind: 'ready', info: { pid: this.pid, dataDir: '/data', version: '1', port: 1234 } });
  }
  exit(exit: ChildExit): void {
    const listener = this.#exit;
    this.#exit = undefined;
    listener?.(exit);
  }
}

/** A child that answers every invoke with its pid and stops when asked. */
const answering = (child: FakeChild, message: ToEngine): void => {
  if (message.kind === 'invoke') queueMicrotask(() => child.say({ kind: 'reply', id: message.id, reply: { ok: true, value: child.pid } }));
  if (message.kind === 'shutdown') queueMicrotask(() => child.exit({ code: 0 }));
};

function setup(options: Partial<ConstructorParameters<typeof EngineClient>[0]> = {}) {
  const children: FakeChild[] = [];
  const states: EngineStateChange[] = [];
  const client = new EngineClient({
    spawn: () => {
      const child = new FakeChild(answering);
      children.push(child);
      return child;
    },
    restartDelaysMs: [100, 1_000],
    healthyAfterMs: 10_000,
    ...options,
  });
  client.subscribe((name, payload) => {
    if (name === 'engine.state') states.push(payload as EngineStateChange);
  });
  return { client, children, states };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('the engine process protocol', () => {
  it('passes its own messages and refuses anything else', () => {
    expect(asToEngine({ kind: 'invoke', id: 1, channel: 'tasks.list', payload: {} })).toBeDefined();
    expect(asToEngine({ kind: 'invoke', id: '1', channel: 'tasks.list' })).toBeUndefined();
    expect(asToEngine({ kind: 'shutdown', extra: 1 })).toEqual({ kind: 'shutdown' });
    for (const junk of [null, 1, 'invoke', [], { kind: 'eval' }]) expect(asToEngine(junk)).toBeUndefined();
    expect(asFromEngine({ kind: 'shell', id: 1, op: 'delete', path: '/x' })).toBeUndefined();
    expect(asFromEngine({ kind: 'shell', id: 1, op: 'reveal', path: '/x' })).toBeDefined();
    expect(asFromEngine({ kind: 'reply', id: 1 })).toBeUndefined();
  });

  it('carries the data dir and the desktop flag on the command line', () => {
    expect(parseEngineArgv(engineArgv({ dataDir: '/d a/t a', desktop: true }))).toEqual({ dataDir: '/d a/t a', desktop: true });
    expect(parseEngineArgv(engineArgv({ dataDir: '/d', desktop: false }))).toEqual({ dataDir: '/d', desktop: false });
    expect(() => parseEngineArgv([])).toThrow(/--data-dir/);
  });
});

describe('the engine process\'s line to its parent', () => {
  it('under utilityProcess: the parent port, whose messages come as { data }', async () => {
    const posted: unknown[] = [];
    let deliver: ((event: { data: unknown }) => void) | undefined;
    const parentPort = { on: (_: 'message', listener: (event: { data: unknown }) => void) => (deliver = listener), postMessage: (m: unknown) => posted.push(m) };
    const link = connectToParent({ parentPort, on: () => process, send: undefined, connected: false } as never);
    const got: unknown[] = [];
    link.onMessage((m) => got.push(m));
    deliver?.({ data: { kind: 'shutdown' } });
    await new Promise<void>((resolve) => link.post({ kind: 'stopped' }, resolve));
    expect(got).toEqual([{ kind: 'shutdown' }]);
    expect(posted).toEqual([{ kind: 'stopped' }]);
  });

  it('under child_process.fork: process.send and \'message\', and \'disconnect\' when the parent is gone', async () => {
    const handlers = new Map<string, (arg?: unknown) => void>();
    const sent: unknown[] = [];
    const proc = {
      connected: true,
      on: (name: string, listener: (arg?: unknown) => void) => handlers.set(name, listener),
      send: (message: unknown, _h: unknown, _o: unknown, callback: () => void) => (sent.push(message), callback(), true),
    };
    const link = connectToParent(proc as never);
    const got: unknown[] = [];
    let gone = false;
    link.onMessage((m) => got.push(m));
    link.onGone(() => (gone = true));
    handlers.get('message')?.({ kind: 'invoke', id: 1, channel: 'tasks.list', payload: {} });
    await new Promise<void>((resolve) => link.post({ kind: 'stopped' }, resolve));
    handlers.get('disconnect')?.();
    expect(got).toEqual([{ kind: 'invoke', id: 1, channel: 'tasks.list', payload: {} }]);
    expect(sent).toEqual([{ kind: 'stopped' }]);
    expect(gone).toBe(true);
    // Once the channel is closed nothing is sent, and the caller still goes on.
    proc.connected = false;
    await new Promise<void>((resolve) => link.post({ kind: 'stopped' }, resolve));
    expect(sent).toHaveLength(1);
  });

  it('refuses to run without a parent', () => {
    expect(() => connectToParent({ on: () => process, connected: false } as never)).toThrow(/utilityProcess\.fork or child_process\.fork/);
  });
});

describe('the engine process client', () => {
  it('starts, forwards calls and events, and reports running', async () => {
    const { client, children, states } = setup();
    const starting = client.start();
    children[0]!.ready();
    expect(await starting).toMatchObject({ kind: 'ready', info: { pid: children[0]!.pid } });
    expect(await client.call('tasks.list', {})).toEqual({ ok: true, value: children[0]!.pid });
    const seen: unknown[] = [];
    client.bridge.on('task.removed', (payload) => seen.push(payload));
    children[0]!.say({ kind: 'event', event: 'task.removed', payload: { token: 't' } });
    expect(seen).toEqual([{ token: 't' }]);
    expect(states).toEqual([{ state: 'running', restarts: 0 }]);
  });

  it('after a crash: in-flight calls get a 500, new calls wait, and a new process starts after the backoff', async () => {
    vi.useFakeTimers();
    const { client, children, states } = setup();
    const starting = client.start();
    children[0]!.ready();
    await starting;
    // Sent, and the process dies before its answer (queued for later) could arrive.
    const inFlight = client.call('tasks.wait', { token: 'x' });
    children[0]!.exit({ code: null, signal: 'SIGKILL' });
    expect(await inFlight).toMatchObject({ ok: false, error: { code: 500 } });

    expect(states.map((s) => s.state)).toEqual(['running', 'crashed', 'restarting']);
    expect(states[1]).toMatchObject({ detail: 'signal SIGKILL' });
    expect(states[2]).toMatchObject({ inMs: 100 });

    const held = client.call('tasks.list', {});
    expect(children).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(children).toHaveLength(2);
    children[1]!.ready();
    expect(await held).toEqual({ ok: true, value: children[1]!.pid });
    expect(states.at(-1)).toEqual({ state: 'running', restarts: 1 });
    expect(client.restarts).toBe(1);
  });

  it('answers calls in flight at a crash with 500, never resending them', async () => {
    const children: FakeChild[] = [];
    const client = new EngineClient({
      spawn: () => {
        const child = new FakeChild(); // answers nothing
        children.push(child);
        return child;
      },
      restartDelaysMs: [60_000],
    });
    const starting = client.start();
    children[0]!.ready();
    await starting;
    const call = client.call('download.start', { url: 'http://x/' });
    children[0]!.exit({ code: 1 });
    expect(await call).toMatchObject({ ok: false, error: { code: 500, message: expect.stringMatching(/exit code 1.*may or may not/) } });
    await client.stop();
    expect(children).toHaveLength(1);
  });

  it('backs off further while restarts keep failing, and from the start again after a healthy run', async () => {
    vi.useFakeTimers();
    const { client, children, states } = setup();
    const starting = client.start();
    children[0]!.ready();
    await starting;
    children[0]!.exit({ code: 1 });
    await vi.advanceTimersByTimeAsync(100);
    children[1]!.exit({ code: 1 }); // dies before it is ready
    await vi.advanceTimersByTimeAsync(0);
    expect(states.filter((s) => s.state === 'restarting').map((s) => s.inMs)).toEqual([100, 1_000]);
    await vi.advanceTimersByTimeAsync(1_000);
    children[2]!.ready();
    await vi.advanceTimersByTimeAsync(10_000);
    children[2]!.exit({ code: 1 });
    expect(states.filter((s) => s.state === 'restarting').map((s) => s.inMs)).toEqual([100, 1_000, 100]);
    await client.stop();
  });

  it('kills a process that does not become ready in time', async () => {
    vi.useFakeTimers();
    const { client, children } = setup({ startTimeoutMs: 500 });
    const starting = client.start();
    const failed = expect(starting).rejects.toThrow(/did not start within 500 ms/);
    await vi.advanceTimersByTimeAsync(500);
    await failed;
    expect(children[0]!.killed).toBe(true);
  });

  it('reports busy without restarting, and may be started again', async () => {
    const { client, children } = setup();
    const first = client.start();
    children[0]!.say({ kind: 'busy', holder: { pid: 7, port: 8 } });
    children[0]!.exit({ code: 0 });
    expect(await first).toEqual({ kind: 'busy', holder: { pid: 7, port: 8 } });
    const second = client.start();
    children[1]!.ready();
    expect((await second).kind).toBe('ready');
  });

  it('answers the engine\'s shell requests with the shell it was given', async () => {
    const asked: string[] = [];
    const { client, children } = setup({ shell: async (op, file) => (asked.push(`${op} ${file}`), op === 'reveal') });
    const starting = client.start();
    children[0]!.ready();
    await starting;
    children[0]!.say({ kind: 'shell', id: 3, op: 'reveal', path: '/data/cache/a.png' });
    children[0]!.say({ kind: 'shell', id: 4, op: 'open', path: '/data/cache/a.exe' });
    await vi.waitFor(() => expect(children[0]!.sent.filter((m) => m.kind === 'shell-reply')).toHaveLength(2));
    expect(asked).toEqual(['reveal /data/cache/a.png', 'open /data/cache/a.exe']);
    expect(children[0]!.sent.filter((m) => m.kind === 'shell-reply')).toEqual([
      { kind: 'shell-reply', id: 3, done: true },
      { kind: 'shell-reply', id: 4, done: false },
    ]);
  });

  it('stops for good: shutdown is sent, no restart follows, later calls fail', async () => {
    const { client, children, states } = setup();
    const starting = client.start();
    children[0]!.ready();
    await starting;
    await client.stop();
    expect(children[0]!.sent.at(-1)).toEqual({ kind: 'shutdown' });
    expect(children).toHaveLength(1);
    expect(states.map((s) => s.state)).toEqual(['running']);
    expect(await client.call('tasks.list', {})).toMatchObject({ ok: false, error: { code: 500 } });
  });

  it('kills an engine that does not stop in time', async () => {
    const children: FakeChild[] = [];
    const client = new EngineClient({ spawn: () => (children.push(new FakeChild()), children.at(-1)!) });
    const starting = client.start();
    children[0]!.ready();
    await starting;
    await client.stop(20);
    expect(children[0]!.killed).toBe(true);
  });
});
