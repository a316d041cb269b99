import { FailCode, toErrorData, VelaError } from '../../src-shared/codes.js';
import {
  channels,
  isChannelName,
  type Bridge,
  type ChannelName,
  type ChannelParsed,
  type ChannelResult,
  type EventMap,
  type EventName,
  type Reply,
} from '../../src-shared/channels.js';
import { issuesMessage } from '../../src-shared/schemas.js';

/**
 * One door into the main side: every transport hands (channel, payload) to `call`, which checks the
 * channel name, parses the payload with the shared schema, runs the handler and turns anything thrown
 * into `{ ok: false, error: { code, message } }`. Payloads are untrusted; nothing escapes as a stack.
 */
export type Handlers = {
  [C in ChannelName]: (input: ChannelParsed<C>) => Promise<ChannelResult<C>> | ChannelResult<C>;
};

type Listener = (event: EventName, payload: EventMap[EventName]) => void;

export class Router {
  #listeners = new Set<Listener>();

  constructor(private readonly handlers: Handlers) {}

  async call(channel: string, payload: unknown): Promise<Reply<unknown>> {
    // `channel` is typed, but an in-process caller may hand anything: name it without trusting it.
    if (typeof channel !== 'string' || !isChannelName(channel)) {
      const name = typeof channel === 'string' ? channel.slice(0, 80) : typeof channel;
      return { ok: false, error: { code: FailCode.IllegalArgument, message: `unknown channel: ${name}` } };
    }
    let parsed: ReturnType<(typeof channels)[typeof channel]['input']['safeParse']>;
    try {
      parsed = channels[channel].input.safeParse(payload ?? {});
    } catch {
      // safeParse reports what does not match, but a getter or a Proxy trap that throws goes through it
      // (only in-process callers can hand such objects; IPC and HTTP deliver plain data).
      return { ok: false, error: { code: FailCode.IllegalArgument, message: `invalid input for ${channel}: the payload cannot be read` } };
    }
    if (!parsed.success) {
      return { ok: false, error: { code: FailCode.IllegalArgument, message: `invalid input for ${channel}: ${issuesMessage(parsed.error.issues)}` } };
    }
    try {
      const handler = this.handlers[channel] as (input: unknown) => unknown;
      return { ok: true, value: await handler(parsed.data) };
    } catch (error) {
      return { ok: false, error: toErrorData(error) };
    }
  }

  /** Push an event to every transport that subscribed. */
  emit<E extends EventName>(event: E, payload: EventMap[E]): void {
    for (const listener of this.#listeners) listener(event, payload);
  }

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

/** The in-memory transport: the typed client calling the router directly (quick-app code, CLI, tests). */
export function localBridge(router: Router): Bridge {
  return {
    async invoke(channel, input) {
      const reply = await router.call(channel, input);
      if (!reply.ok) throw VelaError.fromData(reply.error);
      return reply.value as never;
    },
    on(event, listener) {
      return router.subscribe((name, payload) => {
        if (name === event) listener(payload as never);
      });
    },
  };
}
