import { EventSourceParserStream } from 'eventsource-parser/stream';
import { FailCode, VelaError, isErrorData } from './codes.js';
import type { Bridge, ConnectionChange, EventMap, EventName, Reply } from './channels.js';

/**
 * The HTTP transport of the contract, for the browser host's page and for the CLI's hand-off to a
 * running engine (given a `fetch` over the engine's socket, src-main/host/engine-socket.ts). Uses only
 * `fetch`, so it runs in a browser and in Node alike. Events come from server-sent events read off a
 * streaming fetch (EventSource cannot send `Authorization`, and Node 20 has none), parsed by
 * eventsource-parser. The secret travels only as `Authorization: Bearer`; cookies are never sent
 * (`credentials: 'omit'`), since on 127.0.0.1 any other local port could have set one.
 *
 * The event stream comes back by itself: when it breaks (the connection dropped, the engine quit, a
 * laptop slept) it is opened again after a capped, jittered exponential wait, and `onConnectionChange`
 * says so (`lost`, then `open` with `resumed`, so callers read again what they may have missed). A
 * 401/403 means the engine no longer knows this secret (a restarted `serve`): `refused`, and no retry.
 */
export interface HttpBridgeOptions {
  baseUrl: string;
  /** Sent as `Authorization: Bearer` on every call and on the event stream. */
  secret?: string;
  fetch?: typeof fetch;
  /** How the event stream comes back after a break (defaults: RECONNECT). */
  reconnect?: Partial<ReconnectOptions>;
}

export interface ReconnectOptions {
  /** First wait after a break; it doubles with every failed attempt… */
  minMs: number;
  /** …up to this (each wait is varied by ±20% so many pages do not come back in step). */
  maxMs: number;
  /**
   * A stream silent this long is taken for dead and opened again: the host writes a comment every 15 s,
   * and a connection that died without a word (a laptop's sleep, a network change) would otherwise
   * leave the page waiting forever.
   */
  silenceMs: number;
  /** A stream that stayed open this long starts the next series of waits from minMs again. */
  stableMs: number;
}

export const RECONNECT: ReconnectOptions = { minMs: 500, maxMs: 10_000, silenceMs: 45_000, stableMs: 5_000 };

/** The wait before the `attempt`-th reconnection (0-based): minMs doubling up to maxMs, ±20%. */
export function reconnectDelay(attempt: number, options: Pick<ReconnectOptions, 'minMs' | 'maxMs'> = RECONNECT, random = Math.random): number {
  const base = Math.min(options.maxMs, options.minMs * 2 ** Math.min(attempt, 30));
  return Math.round(Math.min(options.maxMs, base * (0.8 + 0.4 * random())));
}

/** Thrown when the engine behind the bridge cannot be reached (it quit): callers may reconnect. */
export class EngineUnreachable extends Error {
  /**
   * The connection was refused, or the engine's socket file is gone: the request certainly never
   * reached an engine, so it is safe to send again.
   */
  readonly notSent: boolean;
  constructor(cause: unknown) {
    super(`the engine could not be reached: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'EngineUnreachable';
    const code = ((cause as { cause?: { code?: string } })?.cause?.code ?? (cause as { code?: string })?.code) as string | undefined;
    this.notSent = code === 'ECONNREFUSED' || code === 'ENOENT';
  }
}

export function httpBridge(options: HttpBridgeOptions): Bridge {
  const doFetch = options.fetch ?? fetch;
  const reconnect: ReconnectOptions = { ...RECONNECT, ...options.reconnect };
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.secret) headers.authorization = `Bearer ${options.secret}`;
  const listeners = new Map<EventName, Set<(payload: never) => void>>();
  const connectionListeners = new Set<(change: ConnectionChange) => void>();
  let lastChange: ConnectionChange | undefined;
  /** The stream's life while anyone listens: aborted when the last listener leaves. */
  let stream: AbortController | undefined;

  const tell = (change: ConnectionChange): void => {
    lastChange = change;
    for (const listener of [...connectionListeners]) {
      try {
        listener(change);
      } catch (error) {
        console.error('[vela] a connection listener failed', error);
      }
    }
  };

  const openStream = (): void => {
    if (stream) return;
    const controller = new AbortController();
    stream = controller;
    void keepStreamOpen(controller.signal).finally(() => {
      if (stream === controller) stream = undefined;
    });
  };

  /** Opens the stream, and again after every break, until the last listener leaves or the secret is refused. */
  async function keepStreamOpen(signal: AbortSignal): Promise<void> {
    let attempt = 0;
    let broken = false;
    while (!signal.aborted) {
      const outcome = await readStream(signal, () => tell({ state: 'open', resumed: broken }));
      if (signal.aborted) return;
      if (outcome.refused !== undefined) {
        tell({ state: 'refused', status: outcome.refused });
        return;
      }
      broken = true;
      if (outcome.openMs >= reconnect.stableMs) attempt = 0;
      const wait = reconnectDelay(attempt, reconnect);
      attempt += 1;
      tell({ state: 'lost', attempt, retryInMs: wait });
      await sleep(wait, signal);
    }
  }

  /** One connection of the stream, read to its end; how long it was open, or the status that refused it. */
  async function readStream(signal: AbortSignal, opened: () => void): Promise<{ openMs: number; refused?: number }> {
    const connection = new AbortController();
    const stop = (): void => connection.abort(signal.reason);
    signal.addEventListener('abort', stop, { once: true });
    let watchdog: ReturnType<typeof setTimeout> | undefined;
    // Anything heard (an event, the host's ping comment) proves the connection alive.
    const heard = (): void => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => connection.abort(new Error('the event stream fell silent')), reconnect.silenceMs);
    };
    let openedAt: number | undefined;
    try {
      heard();
      const res = await doFetch(`${options.baseUrl}/api/events`, { headers, signal: connection.signal, credentials: 'omit' });
      if (res.status === 401 || res.status === 403) {
        await res.body?.cancel().catch(() => undefined);
        return { openMs: 0, refused: res.status };
      }
      if (!res.ok || !res.body) {
        await res.body?.cancel().catch(() => undefined);
        return { openMs: 0 };
      }
      openedAt = Date.now();
      opened();
      const events = res.body
        .pipeThrough(new TextDecoderStream())
        .pipeThrough(new EventSourceParserStream({ onComment: heard }))
        .getReader();
      for (;;) {
        const { value, done } = await events.read();
        if (done) break;
        heard();
        dispatch(value.event ?? 'message', value.data);
      }
    } catch {
      // Broken (the engine quit, the connection dropped, the watchdog fired) or closed by us: the caller decides.
    } finally {
      clearTimeout(watchdog);
      signal.removeEventListener('abort', stop);
      connection.abort();
    }
    return { openMs: openedAt === undefined ? 0 : Date.now() - openedAt };
  }

  const dispatch = (event: string, data: string): void => {
    const set = listeners.get(event as EventName);
    if (!set || !data) return;
    let payload: never;
    try {
      payload = JSON.parse(data) as never;
    } catch {
      return;
    }
    for (const listener of [...set]) {
      try {
        listener(payload);
      } catch (error) {
        // One listener's mistake must not cut the stream for the others.
        console.error(`[vela] a listener of ${event} failed`, error);
      }
    }
  };

  return {
    async invoke(channel, input) {
      let res: Response;
      try {
        res = await doFetch(`${options.baseUrl}/api/${channel}`, {
          method: 'POST',
          headers,
          body: JSON.stringify(input ?? {}),
          credentials: 'omit',
        });
      } catch (error) {
        throw new EngineUnreachable(error);
      }
      let reply: Reply<unknown>;
      try {
        reply = (await res.json()) as Reply<unknown>;
      } catch (error) {
        if (res.ok) throw new EngineUnreachable(error);
        throw new VelaError(FailCode.Internal, `the engine answered HTTP ${res.status} without a readable body`);
      }
      if (reply.ok) return reply.value as never;
      const error = isErrorData(reply.error) ? reply.error : { code: FailCode.Internal, message: `HTTP ${res.status}` };
      throw VelaError.fromData(error);
    },
    on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void) {
      const set = listeners.get(event) ?? new Set();
      set.add(listener as (payload: never) => void);
      listeners.set(event, set);
      openStream();
      return () => {
        set.delete(listener as (payload: never) => void);
        if ([...listeners.values()].every((s) => s.size === 0)) {
          stream?.abort();
          stream = undefined;
          lastChange = undefined;
        }
      };
    },
    onConnectionChange(listener) {
      connectionListeners.add(listener);
      if (lastChange) listener(lastChange);
      return () => {
        connectionListeners.delete(listener);
      };
    },
  };
}

/** Resolves after `ms`, or at once when the signal aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
