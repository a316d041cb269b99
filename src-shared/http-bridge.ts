import { FailCode, VelaError, isErrorData } from './codes.js';
import type { Bridge, EventMap, EventName, Reply } from './channels.js';

/**
 * The HTTP transport of the contract, for the browser host's page and for the CLI's hand-off to a
 * running engine (given a `fetch` over the engine's socket, src-main/host/engine-socket.ts). Uses only
 * `fetch`, so it runs in a browser and in Node alike. Events come from
 * server-sent events read off a streaming fetch (Node 20 has no EventSource).
 */
export interface HttpBridgeOptions {
  baseUrl: string;
  /** Sent as `Authorization: Bearer`; the page relies on its HttpOnly cookie instead. */
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
        const res = await doFetch(`${options.baseUrl}/api/events`, { headers, signal: controller.signal, credentials: 'same-origin' });
        if (!res.body) return;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            dispatch(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
          }
        }
      } catch {
        // The stream ends when the bridge is closed or the engine quits; listeners simply stop hearing.
      } finally {
        if (stream === controller) stream = undefined;
      }
    })();
  };

  const dispatch = (block: string): void => {
    let event = 'message';
    let data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data += line.slice(6);
    }
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
          credentials: 'same-origin',
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
