import type { RawResponse } from '@hit-pay/mpp/node';

// The raw exchange is core's, shared with the conformance suite: one implementation of "send
// exactly these bytes, see every header line".
export { type RawRequest, type RawResponse, sendRaw } from '@hit-pay/mpp/node';

/** The response body as JSON, or undefined. */
export function jsonBody(res: RawResponse): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(res.body.toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The suffix of a problem document's `type` (`invalid-challenge`), or undefined. */
export function problemType(res: RawResponse): string | undefined {
  const type = jsonBody(res)?.type;
  return typeof type === 'string' ? type.split('/').pop() : undefined;
}
