import type { Bridge, EngineStateChange, EventMap, EventName, Reply } from '../../src-shared/channels.js';
import { FailCode, VelaError, type ErrorData } from '../../src-shared/codes.js';
import { asFromEngine, type FromEngine, type ReadyInfo, type ShellOp, type ToEngine } from './protocol.js';

/**
 * The parent's side of the engine process (Electron's main, or a test): starts it through a `spawn`
 * function (utilityProcess.fork in the app, child_process.fork here), forwards calls and events, and
 * starts it again when it dies, with backoff. Calls made while it restarts wait for it (a while); calls
 * in flight when it died are answered with a 500, never retried (a download.start may have happened).
 * Everything that happens to the process is also an event, `engine.state`, on the same subscription as
 * the router's events, so a window can say so. No electron here.
 */

/** One started engine process, whatever started it. */
export interface EngineChild {
  send(message: ToEngine): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Once, after the process is gone and every message it sent was delivered. */
  onExit(listener: (exit: ChildExit) => void): void;
  /** End it at once (a stop that timed out, a start that hangs). */
  kill(): void;
  readonly pid?: number;
}

export interface ChildExit {
  code: number | null;
  signal?: string | null;
}

export type SpawnEngine = () => EngineChild;

export type StartResult = { kind: 'ready'; info: ReadyInfo } | { kind: 'busy'; holder: { pid: number; port: number } };

export interface EngineClientOptions {
  spawn: SpawnEngine;
  /** Reveal or open a file the engine asks about (Electron's `shell`); without it, the answer is "not done". */
  shell?: (op: ShellOp, path: string) => Promise<boolean>;
  /** The n-th restart in a row waits restartDelaysMs[n] (the last one from then on). */
  restartDelaysMs?: readonly number[];
  /** A process that served this long was healthy: the next crash restarts after the first delay again. */
  healthyAfterMs?: number;
  /** A process that has not said ready by then is killed (and, after a crash, tried again). */
  startTimeoutMs?: number;
  /** How long a call made while the engine restarts waits for it before it is answered with a 500. */
  holdCallsMs?: number;
}

type Listener = (event: EventName, payload: EventMap[EventName]) => void;

interface Held {
  channel: string;
  payload: unknown;
  resolve: (reply: Reply<unknown>) => void;
  timer: NodeJS.Timeout;
}

const DEFAULTS: Required<Omit<EngineClientOptions, 'spawn' | 'shell'>> = {
  restartDelaysMs: [250, 1_000, 2_000, 5_000, 10_000],
  healthyAfterMs: 30_000,
  startTimeoutMs: 60_000,
  holdCallsMs: 20_000,
};

const failure = (message: string): Reply<unknown> => ({ ok: false, error: { code: FailCode.Internal, message } });

/** How a process ended, for people. */
export const describeExit = (exit: ChildExit): string => (exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code ?? 'unknown'}`);

export class EngineClient {
  readonly #options: EngineClientOptions & typeof DEFAULTS;
  #child: EngineChild | undefined;
  /** idle → starting → running; running → (crash) restarting → starting → running; any → stopping → stopped. */
  #phase: 'idle' | 'starting' | 'running' | 'restarting' | 'stopping' | 'stopped' = 'idle';
  #info: ReadyInfo | undefined;
  #listeners = new Set<Listener>();
  #pending = new Map<number, { child: EngineChild; resolve: (reply: Reply<unknown>) => void }>();
  #held: Held[] = [];
  #nextId = 1;
  #restarts = 0;
  /** Restarts in a row without a healthy run between them (picks the delay). */
  #failures = 0;
  #runningSince = 0;
  #restartTimer: NodeJS.Timeout | undefined;
  #exited: Promise<void> = Promise.resolve();

  constructor(options: EngineClientOptions) {
    this.#options = { ...DEFAULTS, ...options };
  }

  /** What the running engine said about itself (pid, data dir, version, API port); undefined while it is not running. */
  get info(): ReadyInfo | undefined {
    return this.#phase === 'running' ? this.#info : undefined;
  }

  get restarts(): number {
    return this.#restarts;
  }

  /**
   * Start the engine process. Resolves when it drives the data dir (`ready`) or says another process
   * does (`busy`: it has exited, and `start` may be called again later); rejects when it cannot start.
   * From then on, a crash restarts it by itself.
   */
  async start(): Promise<StartResult> {
    if (this.#phase !== 'idle') throw new Error(`the engine process is already ${this.#phase}`);
    try {
      const result = await this.#spawn();
      if (result.kind === 'busy') this.#phase = 'idle';
      return result;
    } catch (error) {
      this.#phase = 'idle';
      throw error;
    }
  }

  /** A call of a channel, answered like Router.call: a Reply, never a throw. */
  call(channel: string, payload: unknown): Promise<Reply<unknown>> {
    return new Promise((resolve) => {
      if (this.#phase === 'running' && this.#child) {
        this.#send(this.#child, channel, payload, resolve);
        return;
      }
      if (this.#phase === 'stopping' || this.#phase === 'stopped') {
        resolve(failure('the engine is shutting down'));
        return;
      }
      const held: Held = {
        channel,
        payload,
        resolve,
        timer: setTimeout(() => {
          this.#held = this.#held.filter((h) => h !== held);
          resolve(failure('the engine process is not running (it is being restarted); try again'));
        }, this.#options.holdCallsMs),
      };
      this.#held.push(held);
    });
  }

  /** The router's events, coming from the engine process, and `engine.state`. */
  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The typed client over this: what the shell's own features (tray, notifications) and tests use. */
  readonly bridge: Bridge = {
    invoke: async (channel, input) => {
      const reply = await this.call(channel, input);
      if (!reply.ok) throw VelaError.fromData(reply.error);
      return reply.value as never;
    },
    on: (event, listener) =>
      this.subscribe((name, payload) => {
        if (name === event) listener(payload as never);
      }),
  };

  /** Ask the engine to stop (transfers stay resumable, the store is written); kill it after `timeoutMs`. No restart follows. */
  async stop(timeoutMs = 5_000): Promise<void> {
    if (this.#phase === 'stopped') return;
    const child = this.#child;
    this.#phase = 'stopping';
    clearTimeout(this.#restartTimer);
    for (const held of this.#held.splice(0)) {
      clearTimeout(held.timer);
      held.resolve(failure('the engine is shutting down'));
    }
    if (child) {
      const exited = this.#exited;
      child.send({ kind: 'shutdown' });
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      if ((await Promise.race([exited, timedOut])) === 'timeout') {
        child.kill();
        await exited;
      }
      clearTimeout(timer);
    }
    this.#phase = 'stopped';
  }

  #emit<E extends EventName>(event: E, payload: EventMap[E]): void {
    for (const listener of this.#listeners) {
      try {
        listener(event, payload);
      } catch {
        // One listener's failure is not the engine's, nor the other listeners'.
      }
    }
  }

  #state(change: EngineStateChange): void {
    this.#emit('engine.state', change);
  }

  #send(child: EngineChild, channel: string, payload: unknown, resolve: (reply: Reply<unknown>) => void): void {
    const id = this.#nextId++;
    this.#pending.set(id, { child, resolve });
    try {
      child.send({ kind: 'invoke', id, channel, payload });
    } catch (error) {
      // Not cloneable (a function in the payload), or the channel just closed.
      this.#pending.delete(id);
      resolve({ ok: false, error: { code: FailCode.IllegalArgument, message: `the call cannot be sent: ${(error as Error).message}` } });
    }
  }

  /** Start one process and wait for its first word. */
  #spawn(): Promise<StartResult> {
    this.#phase = 'starting';
    const child = this.#options.spawn();
    this.#child = child;
    let settleExit!: () => void;
    this.#exited = new Promise((resolve) => (settleExit = resolve));

    return new Promise<StartResult>((resolve, reject) => {
      let first = true;
      const startTimer = setTimeout(() => {
        if (!first) return;
        first = false;
        reject(new VelaError(FailCode.Internal, `the engine process did not start within ${this.#options.startTimeoutMs} ms`));
        child.kill();
      }, this.#options.startTimeoutMs);

      const opening = (message: FromEngine): void => {
        first = false;
        clearTimeout(startTimer);
        switch (message.kind) {
          case 'ready':
            this.#info = message.info;
            this.#phase = 'running';
            this.#runningSince = Date.now();
            this.#state({ state: 'running', restarts: this.#restarts });
            for (const held of this.#held.splice(0)) {
              clearTimeout(held.timer);
              this.#send(child, held.channel, held.payload, held.resolve);
            }
            resolve({ kind: 'ready', info: message.info });
            return;
          case 'busy':
            resolve({ kind: 'busy', holder: message.holder });
            return;
          case 'failed':
            reject(new VelaError(message.error.code, message.error.message));
            return;
          default:
            reject(new VelaError(FailCode.Internal, `the engine process said ${message.kind} before it was ready`));
        }
      };

      child.onMessage((raw) => {
        const message = asFromEngine(raw);
        if (!message || this.#child !== child) return;
        if (first) {
          opening(message);
          return;
        }
        this.#handle(child, message);
      });

      child.onExit((exit) => {
        clearTimeout(startTimer);
        settleExit();
        if (this.#child === child) this.#child = undefined;
        this.#answerPending(child, `the engine process stopped (${describeExit(exit)}) before it answered; the call may or may not have taken effect`);
        if (first) {
          first = false;
          reject(new VelaError(FailCode.Internal, `the engine process ended before it was ready (${describeExit(exit)})`));
          return;
        }
        if (this.#phase === 'running') this.#crashed(describeExit(exit));
      });
    });
  }

  #handle(child: EngineChild, message: FromEngine): void {
    switch (message.kind) {
      case 'reply': {
        const pending = this.#pending.get(message.id);
        if (pending?.child !== child) return;
        this.#pending.delete(message.id);
        pending.resolve(message.reply);
        return;
      }
      case 'event':
        this.#emit(message.event, message.payload);
        return;
      case 'shell': {
        const ask = this.#options.shell ?? (async () => false);
        void ask(message.op, message.path)
          .catch(() => false)
          .then((done) => {
            if (this.#child === child) child.send({ kind: 'shell-reply', id: message.id, done });
          });
        return;
      }
      default:
        return; // 'stopped' (the exit follows), or a repeated first word: nothing to do.
    }
  }

  #answerPending(child: EngineChild, message: string): void {
    for (const [id, pending] of this.#pending) {
      if (pending.child !== child) continue;
      this.#pending.delete(id);
      pending.resolve(failure(message));
    }
  }

  /** It died on its own: say so, then start another after the backoff. */
  #crashed(detail: string): void {
    if (Date.now() - this.#runningSince >= this.#options.healthyAfterMs) this.#failures = 0;
    this.#phase = 'restarting';
    this.#state({ state: 'crashed', restarts: this.#restarts, detail });
    this.#scheduleRestart();
  }

  #scheduleRestart(): void {
    const delays = this.#options.restartDelaysMs;
    const inMs = delays[Math.min(this.#failures, delays.length - 1)] ?? 1_000;
    this.#failures += 1;
    this.#state({ state: 'restarting', restarts: this.#restarts, inMs });
    this.#restartTimer = setTimeout(() => void this.#restart(), inMs);
  }

  async #restart(): Promise<void> {
    if (this.#phase !== 'restarting') return;
    this.#restarts += 1;
    let detail: string;
    try {
      const result = await this.#spawn();
      if (result.kind === 'ready') return;
      detail = `another process (pid ${result.holder.pid}) now runs the downloads for this data folder`;
    } catch (error) {
      detail = (error as ErrorData).message;
    }
    if ((this.#phase as string) === 'stopping' || (this.#phase as string) === 'stopped') return;
    this.#phase = 'restarting';
    this.#state({ state: 'crashed', restarts: this.#restarts, detail });
    this.#scheduleRestart();
  }
}
