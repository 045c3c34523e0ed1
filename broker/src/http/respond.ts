import { readStreamBounded } from '@hit-pay/mpp';
import { MppError, PROBLEM_JSON } from '@hit-pay/mpp/protocol';
import type { z } from 'zod';

/** CORS for the public routes: agents and browser wallets poll them from other origins. */
export const CORS_HEADERS: Readonly<Record<string, string>> = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'content-type, accept, x-setup-token',
  'access-control-expose-headers': 'retry-after, location',
  'access-control-max-age': '600',
};

/** A JSON answer; dynamic by default (`no-store`: bodies may carry grants and tokens). */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
  });
}

/**
 * The broker's status for an error. Its API is not a protected resource and has no challenge to
 * offer, and a 402 without one breaks the Payment scheme (R2): payment problems keep their type
 * (which is what clients read) but answer 409 while the payment is pending and 400 otherwise.
 */
function brokerStatus(error: MppError): number {
  if (error.status !== 402) return error.status;
  return error.code === 'payment-action-required' ? 409 : 400;
}

/** The RFC 9457 answer of an error, with `Retry-After` and the `retryAfter` extension when set. */
export function problem(error: MppError, headers: Record<string, string> = {}): Response {
  const body = error.toProblem();
  const status = brokerStatus(error);
  body.status = status;
  const extra: Record<string, string> = { ...headers };
  // A 503 (HitPay or the database down) always says when to come back.
  const retryAfter = error.retryAfter ?? (error.status === 503 ? 2 : undefined);
  if (retryAfter !== undefined) {
    body.retryAfter = retryAfter;
    extra['retry-after'] = String(Math.ceil(retryAfter));
  }
  if (error.code === 'unauthorized') extra['www-authenticate'] ??= 'Bearer';
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': PROBLEM_JSON, 'cache-control': 'no-store', ...extra },
  });
}

/**
 * The body's bytes, at most `limit` of them: a declared or actual size beyond it is
 * `payload-too-large`, read no further.
 */
export async function readBody(request: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  const body =
    declared > limit
      ? undefined
      : request.body
        ? await readStreamBounded(request.body, limit)
        : new Uint8Array(0);
  if (body === undefined) throw new MppError('payload-too-large', `Body exceeds ${limit} bytes`);
  return body;
}

/** Reads a JSON body and checks it against a schema; every failure is a clear `bad-request`. */
export async function readJson<T>(request: Request, schema: z.ZodType<T>, limit: number): Promise<T> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/(.+\+)?json\b/i.test(type))
    throw new MppError('bad-request', 'Content-Type must be application/json');
  const bytes = await readBody(request, limit);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new MppError('bad-request', 'Body is not valid JSON');
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `"${issue.path.join('.')}"` : 'body';
    throw new MppError('bad-request', `Invalid ${where}: ${issue?.message ?? 'unexpected shape'}`);
  }
  return parsed.data;
}

/** A redirect (303: the next request is a GET whatever the method was). */
export function seeOther(location: string, headers: Record<string, string> = {}): Response {
  return new Response(null, { status: 303, headers: { location, 'cache-control': 'no-store', ...headers } });
}
