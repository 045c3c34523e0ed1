import { isResponse, type JsonRpcRequest, type JsonRpcResponse } from './jsonrpc.js';

/**
 * The transport contract of the MCP TypeScript SDK (`@modelcontextprotocol/sdk/shared/transport`),
 * written out so this package does not depend on the SDK. `send` and `onmessage` take `never` so
 * that every SDK transport fits, whatever its message and option types.
 */
export interface McpTransport {
  start(): Promise<void>;
  send(message: never, options?: never): Promise<void>;
  close(): Promise<void>;
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: ((message: never, extra?: never) => void) | undefined;
  sessionId?: string | undefined;
  setProtocolVersion?: ((version: string) => void) | undefined;
}

/**
 * The wrapped transport: the transport members of `T` with `T`'s own types (so it is an SDK
 * `Transport` wherever `T` is one). Other members of `T` (`handleRequest` of Streamable HTTP) stay
 * on the transport you wrapped, which is the one your HTTP routes keep calling.
 */
export type WrappedTransport<T extends McpTransport> = Pick<T, Extract<keyof T, keyof McpTransport>>;

type Deliver = (message: unknown, extra?: unknown) => void;
type HandleOne = (
  message: JsonRpcRequest,
  next: (message: JsonRpcRequest) => Promise<JsonRpcResponse | undefined>,
) => Promise<JsonRpcResponse | undefined>;

interface Waiting {
  answer(response: JsonRpcResponse | undefined): void;
  options?: unknown;
}

/**
 * A transport in front of `inner` that routes the messages `intercepts` selects through `handle`.
 * The SDK server connected to it sees the message `handle` forwards, and its answer to that
 * message is held back, given to `handle` (which settles the payment and adds the receipt) and
 * sent from here. Other messages pass straight through, in both directions.
 */
export function wrapTransport<T extends McpTransport>(
  transport: T,
  intercepts: (message: unknown) => message is JsonRpcRequest,
  handle: HandleOne,
): WrappedTransport<T> {
  const inner: McpTransport = transport;
  const send = (message: unknown, options?: unknown) =>
    (inner.send as (m: unknown, o?: unknown) => Promise<void>).call(inner, message, options);
  /** Answers the SDK owes for intercepted requests, by JSON-RPC id (ids are unique in flight). */
  const waiting = new Map<unknown, Waiting>();
  const abandon = (id: unknown) => {
    const w = waiting.get(id);
    waiting.delete(id);
    w?.answer(undefined);
  };

  const outer: McpTransport = {
    start: () => inner.start(),
    close: () => inner.close(),
    async send(message: unknown, options?: unknown) {
      const w = isResponse(message) ? waiting.get(message.id) : undefined;
      if (!w) return send(message, options);
      const response = message as JsonRpcResponse;
      waiting.delete(response.id);
      w.options = options;
      w.answer(response);
    },
    get sessionId() {
      return inner.sessionId;
    },
    setProtocolVersion: inner.setProtocolVersion && ((v: string) => inner.setProtocolVersion!(v)),
  };
  const deliver: Deliver = (message, extra) => (outer.onmessage as Deliver | undefined)?.(message, extra);

  inner.onmessage = ((message: unknown, extra?: unknown) => {
    if (!intercepts(message)) {
      deliver(message, extra);
      // A cancelled request gets no answer from the SDK: its payment is released now.
      if (isCancellation(message)) abandon(message.params.requestId);
      return;
    }
    const id = message.id;
    let sent: Waiting | undefined;
    handle(
      message,
      (forward) =>
        new Promise((answer) => {
          sent = { answer };
          waiting.set(id, sent);
          deliver(forward, extra);
        }),
    )
      .then((response) => (response ? send(response, sent?.options) : undefined))
      .catch((error: unknown) => outer.onerror?.(error instanceof Error ? error : new Error(String(error))));
  }) as McpTransport['onmessage'];
  inner.onerror = (error) => outer.onerror?.(error);
  inner.onclose = () => {
    // The connection is gone before these were answered: nothing was delivered, so nothing is kept.
    for (const id of [...waiting.keys()]) abandon(id);
    outer.onclose?.();
  };
  return outer as WrappedTransport<T>;
}

function isCancellation(message: unknown): message is { params: { requestId: unknown } } {
  const m = message as { method?: unknown; params?: { requestId?: unknown } } | null;
  return m?.method === 'notifications/cancelled' && m.params?.requestId !== undefined;
}
