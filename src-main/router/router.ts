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
    if (!isChannelName(channel)) {
      return { ok: false, error: { code: FailCode.IllegalArgument, message: `unknown channel: ${channel.slice(0, 80)}` } };
    }
    const parsed = channels[channel].input.safeParse(payload ?? {});
    if (!parsed.success) {
      const message = parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ');
      return { ok: false, error: { code: FailCode.IllegalArgument, message: `invalid input for ${channel}: ${message}` } };
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
      if (!reply.ok) throw new VelaError(reply.error.code, reply.error.message);
      return reply.value as never;
    },
    on(event, listener) {
      return router.subscribe((name, payload) => {
        if (name === event) listener(payload as never);
      });
    },
  };
}
