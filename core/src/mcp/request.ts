import type { MppRequest } from '../engine/types.js';
import { base64url, utf8 } from '../protocol/base64url.js';
import { PAYMENT_AUTHORIZATION } from '../protocol/headers.js';
import { canonicalize } from '../protocol/jcs.js';
import { isJsonObject, stringifyJson } from '../protocol/json.js';
import { CREDENTIAL_META, type JsonRpcRequest } from './jsonrpc.js';

/** What a priced message is, as the gate sees it. */
export interface Operation {
  /** `mcp` answers carry the receipt in `result._meta`; `rpc` (plain JSON-RPC) at the message root. */
  readonly kind: 'mcp' | 'rpc';
  /** The request target the challenge binds (see {@link operationOf}). */
  readonly target: string;
  /** The canonical JSON the challenge binds as the request body, if any. */
  readonly body: string | undefined;
}

/**
 * The key a message's price is looked up by: `tools/call <name>`, `prompts/get <name>`,
 * `resources/read <uri>`, or `rpc <method>` for any other method. Cheap: no canonicalization, so
 * unpriced traffic pays nothing for the gate.
 */
export function routeKey(message: JsonRpcRequest): string | undefined {
  const p = isJsonObject(message.params) ? message.params : undefined;
  switch (message.method) {
    case 'tools/call':
    case 'prompts/get':
      return typeof p?.name === 'string' ? `${message.method} ${p.name}` : undefined;
    case 'resources/read':
      return typeof p?.uri === 'string' ? `resources/read ${p.uri}` : undefined;
    default:
      return `rpc ${message.method}`;
  }
}

/**
 * The binding of a priced message, standing in for HTTP's method, target and body in the request
 * hash and digest, so a challenge (and so a credential) pays for one tool with one set of arguments:
 * - `tools/call` → `mcp:tools/call/<name>`, body JCS(`arguments` or `{}`);
 * - `prompts/get` → `mcp:prompts/get/<name>`, body JCS(`arguments` or `{}`);
 * - `resources/read` → `mcp:resources/read/<uri>`, no body;
 * - any other method → `jsonrpc:<method>`, body JCS(`params`) when present.
 * The method is always `POST`; names are percent-encoded, and the `mcp:` and `jsonrpc:` schemes
 * keep these targets apart from every HTTP request target (which starts with `/`).
 */
export function operationOf(message: JsonRpcRequest): Operation {
  const params = message.params;
  const p = isJsonObject(params) ? params : {};
  switch (message.method) {
    case 'tools/call':
    case 'prompts/get':
      return {
        kind: 'mcp',
        target: `mcp:${message.method}/${encodeURIComponent(String(p.name))}`,
        body: canonicalOrRaw(p.arguments ?? {}),
      };
    case 'resources/read':
      return {
        kind: 'mcp',
        target: `mcp:resources/read/${encodeURIComponent(String(p.uri))}`,
        body: undefined,
      };
    default:
      return {
        kind: 'rpc',
        target: `jsonrpc:${encodeURIComponent(message.method)}`,
        body: params === undefined ? undefined : canonicalOrRaw(params),
      };
  }
}

/** JCS of a JSON value; a value JCS refuses (a non-finite number) is bound by its plain JSON. */
function canonicalOrRaw(value: unknown): string {
  try {
    return canonicalize(value);
  } catch {
    return stringifyJson(value) ?? 'null';
  }
}

/** The credentials a message carries: at the root and in `params` (the draft: check both). */
export function credentialsOf(message: JsonRpcRequest): unknown[] {
  const out: unknown[] = [];
  const root = message._meta;
  if (isJsonObject(root) && CREDENTIAL_META in root) out.push(root[CREDENTIAL_META]);
  const params = message.params;
  const nested = isJsonObject(params) ? params._meta : undefined;
  if (isJsonObject(nested) && CREDENTIAL_META in nested) out.push(nested[CREDENTIAL_META]);
  return out;
}

/**
 * The HTTP form of a JSON-RPC credential object: `Payment <base64url(JSON)>` with the echoed
 * `request` re-encoded as base64url(JCS(request)) — the exact string the challenge id binds, so the
 * gate verifies it unchanged. Anything that is not a well-formed credential is still encoded and
 * left for the gate's parser to refuse (`malformed-credential`), the one place that decides it.
 */
function toHeader(value: unknown): { field: 'authorization' | 'payment-authorization'; line: string } {
  let wire = value;
  let field: 'authorization' | 'payment-authorization' = 'authorization';
  if (isJsonObject(value) && isJsonObject(value.challenge)) {
    const challenge = value.challenge;
    let request: unknown = challenge.request;
    if (isJsonObject(request)) {
      try {
        request = base64url.encode(canonicalize(request));
      } catch {
        request = null;
      }
    }
    wire = { ...value, challenge: { ...challenge, request } };
    // -01 `header`: there are no fields here, so the credential goes where its challenge asks.
    if (challenge.header === PAYMENT_AUTHORIZATION) field = 'payment-authorization';
  }
  let text: string;
  try {
    text = stringifyJson(wire) ?? 'null';
  } catch {
    text = 'null';
  }
  return { field, line: `Payment ${base64url.encode(text)}` };
}

const EMPTY: readonly string[] = Object.freeze([]);

/**
 * The engine's request for a priced JSON-RPC message. `host` is the realm (there is no Host
 * header); `protocol` is `https` because transport security is the transport's business (the HTTP
 * server behind Streamable HTTP, process isolation for stdio), not the message's.
 */
export function toMppRequest(op: Operation, credentials: readonly unknown[], realm: string): MppRequest {
  const lines: Record<string, string[]> = { authorization: [], 'payment-authorization': [] };
  for (const c of credentials) {
    const { field, line } = toHeader(c);
    lines[field]!.push(line);
  }
  const header = (name: string): string | undefined => {
    const found = lines[name.toLowerCase()];
    return found && found.length > 0 ? found.join(', ') : undefined;
  };
  const bytes = op.body === undefined ? undefined : utf8(op.body);
  return {
    method: 'POST',
    target: op.target,
    header,
    headerLines: (name) => lines[name.toLowerCase()] ?? EMPTY,
    headers: { get: (name) => header(name) ?? null },
    hasBody: bytes !== undefined,
    body: async () => bytes,
    protocol: 'https',
    host: realm,
  };
}
