/**
 * Typed events. Payloads are built lazily, so an event nobody listens to costs one array-length
 * check. A throwing listener never breaks a request; its error goes to `error` listeners.
 */

/** Fields every request-scoped event carries (joins payment events to request logs). */
export interface EventBase {
  /** Adapter-provided request id when there is one. */
  requestId?: string | undefined;
  /** The route as configured (`GET /forecast/:zip`) or the request path. */
  route: string;
  method?: string;
  intent?: string;
  amount?: string;
  currency?: string;
  challengeId?: string;
}

export interface MppEvents {
  /** A 402 with fresh challenges was issued. */
  challenge: EventBase & { challengeIds: string[] };
  /** A credential verified; the handler is about to run. */
  paid: EventBase & { reference: string; latencyMs: number };
  /** A credential or request was refused. */
  refused: EventBase & { code: string; status: number };
  /** The payment was settled after the handler answered. */
  settled: EventBase & { outcome: 'committed' | 'released' | 'refunded'; status: number; reference: string };
  /** Something failed outside a request's own error path (a listener, background settlement). */
  error: { error: unknown; context: string };
}

export type MppEventName = keyof MppEvents;
export type Listener<K extends MppEventName> = (event: MppEvents[K]) => void;

export class EventHub {
  private readonly listeners: { [K in MppEventName]: Listener<K>[] } = {
    challenge: [],
    paid: [],
    refused: [],
    settled: [],
    error: [],
  };

  /** Subscribes; returns the unsubscribe function. */
  on<K extends MppEventName>(name: K, listener: Listener<K>): () => void {
    const list = this.listeners[name] as Listener<K>[];
    list.push(listener);
    return () => {
      const i = list.indexOf(listener);
      if (i >= 0) list.splice(i, 1);
    };
  }

  /** True when someone listens to `name`. */
  has(name: MppEventName): boolean {
    return this.listeners[name].length > 0;
  }

  /** Emits `name`, calling `build` only when there is a listener. */
  emit<K extends MppEventName>(name: K, build: () => MppEvents[K]): void {
    const list = this.listeners[name] as Listener<K>[];
    if (list.length === 0) return;
    const event = build();
    for (const listener of list.slice()) {
      try {
        listener(event);
      } catch (error) {
        if (name !== 'error') this.emit('error', () => ({ error, context: `listener of "${name}"` }));
      }
    }
  }
}
