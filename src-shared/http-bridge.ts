import { EventSourceParserStream } from 'eventsource-parser/stream';
import { FailCode, VelaError, isErrorData } from './codes.js';
import type { Bridge, EventMap, EventName, Reply } from './channels.js';

/**
 * The HTTP transport of the contract, for the browser host's page and for the CLI's hand-off to a
 * running engine (given a `fetch` over the engine's socket, src-main/host/engine-socket.ts). Uses only
 * `fetch`, so it runs in a browser and in Node alike. Events come from server-sent events read off a
 * streaming fetch (EventSource cannot send `Authorization`, and Node 20 has none), parsed by
 * eventsource-parser. The secret travels only as `Authorization: Bearer`; cookies are never sent
 * (`credentials: 'omit'`), since on 127.0.0.1 any other local port could have set one.
 */
export interface HttpBridgeOptions {
  baseUrl: string;
  /** Sent as `Authorization: Bearer` on every call and on the event stream. */
  secret?: string;
  fetch?: typeof fetch;
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
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.secret) headers.authorization = `Bearer ${options.secret}`;
  const listeners = new Map<EventName, Set<(payload: never) => void>>();
  let stream: AbortController | undefined;

  const openStream = (): void => {
    if (stream) return;
    stream = new AbortController();
    const controller = stream;
    void (async () => {
      try {
        const res = await doFetch(`${options.baseUrl}/api/events`, { headers, signal: controller.signal, credentials: 'omit' });
        if (!res.body) return;
        const events = res.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader();
        for (;;) {
          const { value, done } = await events.read();
          if (done) break;
          dispatch(value.event ?? 'message', value.data);
        }
      } catch {
        // The stream ends when the bridge is closed or the engine quits; listeners simply stop hearing.
      } finally {
        if (stream === controller) stream = undefined;
      }
    })();
  };

  const dispatch = (event: string, data: string): void => {
    const set = listeners.get(event as EventName);
    if (!set || !data) return;
    const payload = JSON.parse(data) as never;
    for (const listener of set) listener(payload);
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
      throw new VelaError(error.code, error.message);
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
        }
      };
    },
  };
}
