/**
 * `Accept-Payment` (draft-httpauth-payment §"Client Payment Preferences"):
 * `#( (method-id / "*") "/" (intent / "*") [ OWS ";" OWS "q=" qvalue ] )`.
 */

/** One range of an `Accept-Payment` header. `*` is a wildcard. */
export interface PaymentRange {
  method: string;
  intent: string;
  /** Weight in [0, 1]; 0 means "not acceptable". */
  q: number;
}

const PART = /^(\*|[a-z0-9-]+)$/i;
const QVALUE = /^(0(\.\d{0,3})?|1(\.0{0,3})?)$/;

/**
 * Parses an `Accept-Payment` value. Returns `undefined` when it is malformed (the spec lets a
 * server ignore such a header), never throws.
 */
export function parseAcceptPayment(header: string | null | undefined): PaymentRange[] | undefined {
  if (typeof header !== 'string') return undefined;
  const ranges: PaymentRange[] = [];
  for (const element of header.split(',')) {
    const item = element.trim();
    if (item === '') continue;
    const [token, ...params] = item.split(';');
    const slash = token!.trim().split('/');
    if (slash.length !== 2 || !PART.test(slash[0]!) || !PART.test(slash[1]!)) return undefined;
    let q = 1;
    for (const raw of params) {
      const p = raw.trim();
      const eq = p.indexOf('=');
      if (eq < 0) return undefined;
      const name = p.slice(0, eq).trim().toLowerCase();
      const value = p.slice(eq + 1).trim();
      if (name !== 'q') continue;
      if (!QVALUE.test(value)) return undefined;
      q = Number(value);
    }
    ranges.push({ method: slash[0]!.toLowerCase(), intent: slash[1]!.toLowerCase(), q });
  }
  return ranges.length ? ranges : undefined;
}

/** Specificity of a range against a method/intent pair; -1 when it does not match. */
function specificity(r: PaymentRange, method: string, intent: string): number {
  const m = r.method === '*' ? 0 : r.method === method ? 2 : -1;
  const i = r.intent === '*' ? 0 : r.intent === intent ? 1 : -1;
  return m < 0 || i < 0 ? -1 : m + i;
}

/**
 * Filters and orders offers by client preference: each offer takes the q of its most specific
 * matching range; q=0 and unmatched offers are dropped; higher q first, server order among equals.
 * A missing or malformed header, or one that matches nothing, leaves the offers unchanged.
 */
export function selectByAcceptPayment<T>(
  offers: readonly T[],
  header: string | null | undefined,
  key: (offer: T) => { method: string; intent: string } = (o) => o as { method: string; intent: string },
): T[] {
  const ranges = parseAcceptPayment(header);
  if (!ranges) return offers.slice();
  const scored: { offer: T; q: number; index: number }[] = [];
  offers.forEach((offer, index) => {
    let best = -1;
    let q = 0;
    const { method, intent } = key(offer);
    for (const r of ranges) {
      const s = specificity(r, method.toLowerCase(), intent.toLowerCase());
      if (s > best) {
        best = s;
        q = r.q;
      }
    }
    if (best >= 0 && q > 0) scored.push({ offer, q, index });
  });
  if (scored.length === 0) return offers.slice();
  scored.sort((a, b) => b.q - a.q || a.index - b.index);
  return scored.map((s) => s.offer);
}
