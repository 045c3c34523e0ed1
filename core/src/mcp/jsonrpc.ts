import type { RespondDecision } from '../engine/types.js';
import { base64url } from '../protocol/base64url.js';
import { type Challenge, parseChallenges } from '../protocol/challenge.js';
import type { ProblemDetails } from '../protocol/errors.js';
import { isJsonObject, type JsonValue, parseJson } from '../protocol/json.js';

/** `_meta` key of the credential a client sends (draft-payment-transport-mcp-00 §Payment Credential). */
export const CREDENTIAL_META = 'org.paymentauth/credential';
/** `_meta` key of the receipt on a paid success (draft-payment-transport-mcp-00 §Payment Receipt). */
export const RECEIPT_META = 'org.paymentauth/receipt';

/** JSON-RPC error codes of the transport draft, and the JSON-RPC 2.0 codes it reuses. */
export const JsonRpcCode = Object.freeze({
  /** Payment required: `data.challenges` holds the offers. */
  PaymentRequired: -32042,
  /** A credential was presented and refused: fresh challenges and `data.failure`. */
  PaymentVerificationFailed: -32043,
  /** Malformed credential (or another refusal of the request's parameters). */
  InvalidParams: -32602,
  /** The payment processor or the engine failed. */
  InternalError: -32603,
  /** Any other refusal (rate limit): the first code of the implementation-defined server range. */
  ServerError: -32000,
});

/** A JSON-RPC 2.0 request, or a notification when `id` is absent. `_meta` at the root is the draft's generic placement. */
export interface JsonRpcRequest {
  jsonrpc: '2.0';
  id?: string | number | null;
  method: string;
  params?: Record<string, unknown> | unknown[];
  _meta?: Record<string, unknown>;
  [member: string]: unknown;
}

/** A JSON-RPC 2.0 error object. */
export interface JsonRpcError {
  code: number;
  message: string;
  data?: unknown;
}

/** A JSON-RPC 2.0 response: `result` or `error`. */
export interface JsonRpcResponse {
  jsonrpc: '2.0';
  id: string | number | null;
  result?: unknown;
  error?: JsonRpcError;
  _meta?: Record<string, unknown>;
  [member: string]: unknown;
}

/** Any JSON-RPC 2.0 message. */
export type JsonRpcMessage = JsonRpcRequest | JsonRpcResponse;

/** A challenge as JSON-RPC carries it: `request` is the decoded JSON object, never base64url. */
export interface ChallengeObject {
  id: string;
  realm: string;
  method: string;
  intent: string;
  request: Record<string, JsonValue>;
  expires?: string;
  description?: string;
  [parameter: string]: unknown;
}

/** True for a request or notification (an object with a string `method`). */
export function isRequest(message: unknown): message is JsonRpcRequest {
  return isJsonObject(message) && typeof message.method === 'string';
}

/** True for a response (an object with `result` or `error` and no `method`). */
export function isResponse(message: unknown): message is JsonRpcResponse {
  return isJsonObject(message) && !('method' in message) && ('result' in message || 'error' in message);
}

/**
 * The wire challenge with `request` decoded (draft: "Servers MUST NOT base64url-encode the request
 * when using JSON-RPC transport"). `opaque`, `digest` and `header` stay the strings the id binds.
 */
export function toChallengeObject(c: Challenge): ChallengeObject {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c)) {
    out[k] = k === 'request' ? parseJson(base64url.decodeText(c.request)) : v;
  }
  return out as ChallengeObject;
}

/**
 * The JSON-RPC error for a refusal, mapped from the HTTP answer the gate decided (its status and
 * problem type) so both transports refuse for the same reasons:
 * - 402 `payment-required` → -32042; any other 402 → -32043 (fresh or re-issued challenges, `failure`);
 * - 402 `malformed-credential`, every 400 (`method-unsupported`, `bad-request`) and 413 → -32602;
 * - 5xx → -32603; anything else (429 `rate-limited`) → -32000.
 * Every `data` has `httpStatus` and the RFC 9457 `problem`; `retryAfter` (seconds) when the gate set one.
 */
export function errorFor(id: JsonRpcResponse['id'], decision: RespondDecision): JsonRpcResponse {
  const problem = JSON.parse(decision.body as string) as ProblemDetails;
  // The HTTP body summarises the challenges; JSON-RPC carries them whole in `data.challenges`.
  delete problem.challenges;
  const reason = problem.type.slice(problem.type.lastIndexOf('/') + 1);
  const challenges: ChallengeObject[] = [];
  let retryAfter: number | undefined;
  for (const [name, value] of decision.headers) {
    if (name === 'www-authenticate')
      for (const c of parseChallenges(value)) challenges.push(toChallengeObject(c));
    else if (name === 'retry-after') retryAfter = Number(value);
  }
  const status = decision.status;
  const data: Record<string, unknown> = { httpStatus: status };
  if (challenges.length > 0) data.challenges = challenges;
  data.problem = problem;
  if (retryAfter !== undefined) data.retryAfter = retryAfter;
  let error: JsonRpcError;
  if (status === 402 && reason === 'payment-required') {
    error = { code: JsonRpcCode.PaymentRequired, message: 'Payment Required', data };
  } else if (status === 400 || status === 413 || reason === 'malformed-credential') {
    data.detail = problem.detail;
    error = { code: JsonRpcCode.InvalidParams, message: 'Invalid params', data };
  } else if (status === 402) {
    data.failure = { reason, detail: problem.detail };
    error = { code: JsonRpcCode.PaymentVerificationFailed, message: 'Payment Verification Failed', data };
  } else if (status >= 500) {
    error = { code: JsonRpcCode.InternalError, message: 'Internal error', data };
  } else {
    error = { code: JsonRpcCode.ServerError, message: problem.title, data };
  }
  return { jsonrpc: '2.0', id, error };
}
