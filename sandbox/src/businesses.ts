/**
 * Businesses and API-key authentication. Configured businesses always exist; with
 * `autoCreateBusinesses` any other `test_` key gets a business on first use, with a salt and slug
 * derived from the key so a restart (or another process) computes the same values.
 */
import { createHash } from 'node:crypto';
import type { SandboxContext } from './context.js';
import { deriveSalt, deriveSlug } from './options.js';
import type { BusinessRecord } from './state.js';

/** A stable UUID-shaped id from a key (real HitPay business ids are UUIDs). */
function businessId(apiKey: string): string {
  const h = createHash('sha256').update(`business:${apiKey}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Seeds the configured businesses into the state (configured values win over saved ones). */
export function seedBusinesses(ctx: SandboxContext): void {
  for (const b of ctx.options.businesses) {
    ctx.state.businesses[b.apiKey] = {
      id: ctx.state.businesses[b.apiKey]?.id ?? businessId(b.apiKey),
      apiKey: b.apiKey,
      salt: b.salt,
      slug: b.slug,
      name: b.name,
      uen: '201912345K',
    };
  }
}

/** The business for an `X-BUSINESS-API-KEY` value, creating it when allowed; undefined means 401. */
export function authenticate(
  ctx: SandboxContext,
  apiKey: string | string[] | undefined,
): BusinessRecord | undefined {
  if (typeof apiKey !== 'string') return undefined;
  const key = apiKey.trim();
  const known = ctx.state.businesses[key];
  if (known) return known;
  if (!ctx.options.autoCreateBusinesses || !/^test_[\x21-\x7e]{1,200}$/.test(key)) return undefined;
  const created: BusinessRecord = {
    id: businessId(key),
    apiKey: key,
    salt: deriveSalt(key),
    slug: deriveSlug(key),
    name: 'Sandbox Business',
    uen: '201912345K',
  };
  ctx.state.businesses[key] = created;
  ctx.changed();
  return created;
}

/** Finds a business by its id (pages carry the id or slug, never the key). */
export function businessById(ctx: SandboxContext, id: string): BusinessRecord | undefined {
  return Object.values(ctx.state.businesses).find((b) => b.id === id);
}
