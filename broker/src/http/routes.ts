import { merchantIdFor } from '@hit-pay/mpp';
import { type ChallengeEcho, MppError } from '@hit-pay/mpp/protocol';
import { decodeCheckoutToken, verifyChallenge } from '../challenges.js';
import { chargeView } from '../charge-rows.js';
import type { Charges } from '../charges.js';
import type { Merchant, Merchants } from '../merchants.js';
import type { ResolvedBrokerOptions } from '../options.js';
import type { Redemptions } from '../redemption.js';
import type { SavedCharges } from '../saved-charges.js';
import { railsFor, type SavedMethods } from '../saved-methods.js';
import type { Signer } from '../signer.js';
import type { Webhooks } from '../webhooks.js';
import { qrSvg, statusPage } from './pages.js';
import { CORS_HEADERS, json, problem, readBody, readJson, seeOther } from './respond.js';
import {
  leaseBody,
  merchantBody,
  openChargeBody,
  savedChargeBody,
  setupBody,
  verifyBody,
} from './schemas.js';

/** The services the HTTP routes drive. */
export interface RouteServices {
  readonly options: ResolvedBrokerOptions;
  readonly merchants: Merchants;
  readonly charges: Charges;
  readonly redemptions: Redemptions;
  readonly savedMethods: SavedMethods;
  readonly savedCharges: SavedCharges;
  readonly webhooks: Webhooks;
  readonly signer: Signer;
}

interface Ctx {
  request: Request;
  url: URL;
  params: string[];
  /** Client address: set by the standalone server or by core's mount, never by the client. */
  address: string | undefined;
}

type Handler = (s: RouteServices, c: Ctx) => Promise<Response>;
interface Route {
  method: string;
  pattern: RegExp;
  /** `public`: anyone; `server`: an API instance with the merchant's key (standalone only). */
  access: 'public' | 'server';
  handler: Handler;
}

const WEBHOOK_BODY_LIMIT = 256 * 1024;
const ID = '([A-Za-z0-9_-]{1,200})';
/** The broker's routes sit under any prefix: the first `/v1/<known resource>` starts them. */
const LOCATE =
  /^(.*?)(\/v1\/(?:charges|checkout|saved-payment-methods|saved-charges|webhook|merchants|health|qr\.svg)(?:\/.*)?)$/;

const wantsJson = (r: Request) => /application\/(.+\+)?json/i.test(r.headers.get('accept') ?? '');

/** The merchant an API instance acts for: `Authorization: Bearer <HitPay API key>`. */
async function authenticate(
  s: RouteServices,
  request: Request,
): Promise<{ apiKey: string; merchant?: Merchant }> {
  const m = /^Bearer[ \t]+(\S{1,512})$/i.exec(request.headers.get('authorization') ?? '');
  if (!m) throw new MppError('unauthorized', 'Send the merchant’s HitPay API key as a Bearer token');
  const apiKey = m[1]!;
  const merchant = await s.merchants.get(merchantIdFor(apiKey));
  return merchant ? { apiKey, merchant } : { apiKey };
}

async function requireMerchant(s: RouteServices, request: Request): Promise<Merchant> {
  const { merchant } = await authenticate(s, request);
  if (!merchant) throw new MppError('unauthorized', 'Unknown merchant: register with PUT /v1/merchants/self');
  return merchant;
}

const routes: Route[] = [
  {
    method: 'GET',
    pattern: /^\/v1\/health$/,
    access: 'public',
    handler: async () => json(200, { ok: true }),
  },
  {
    method: 'POST',
    pattern: /^\/v1\/charges$/,
    access: 'public',
    async handler(s, c) {
      const body = await readJson(c.request, openChargeBody, s.options.maxBodyBytes);
      const v = await verifyChallenge(body.challenge, 'hitpay', s.merchants, s.options.now());
      const row = await s.charges.open(v, { address: c.address, returnUrl: body.return_url });
      return json(200, chargeView(row), CORS_HEADERS);
    },
  },
  {
    method: 'GET',
    pattern: /^\/v1\/checkout\/([A-Za-z0-9_-]{1,8192})$/,
    access: 'public',
    async handler(s, c) {
      const v = await verifyChallenge(
        decodeCheckoutToken(c.params[0]!),
        'hitpay',
        s.merchants,
        s.options.now(),
      );
      const returnUrl = c.url.searchParams.get('return_url') ?? undefined;
      const view = chargeView(await s.charges.open(v, { address: c.address, returnUrl }));
      if (wantsJson(c.request)) return json(200, view, CORS_HEADERS);
      if (view.status === 'pending' && view.checkout_url) return seeOther(view.checkout_url);
      return seeOther(`${v.brokerUrl}/v1/charges/${encodeURIComponent(view.id)}/return`);
    },
  },
  {
    method: 'GET',
    pattern: /^\/v1\/qr\.svg$/,
    access: 'public',
    async handler(_s, c) {
      const data = c.url.searchParams.get('data') ?? '';
      if (data === '' || data.length > 1024)
        throw new MppError('bad-request', 'data must be 1–1024 characters');
      return qrSvg(data);
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/v1/charges/${ID}$`),
    access: 'public',
    async handler(s, c) {
      const view = await s.charges.view(c.params[0]!);
      return json(
        200,
        view,
        view.status === 'pending' ? { ...CORS_HEADERS, 'retry-after': '2' } : CORS_HEADERS,
      );
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/v1/charges/${ID}/return$`),
    access: 'public',
    async handler(s, c) {
      // The payer is back from HitPay: ask HitPay now rather than wait for the webhook.
      const row = await s.charges.refresh(await s.charges.byId(c.params[0]!), 0);
      if (row.return_url) return seeOther(row.return_url);
      return statusPage(chargeView(row));
    },
  },
  {
    method: 'GET',
    pattern: /^\/v1\/saved-payment-methods\/options$/,
    access: 'public',
    async handler(_s, c) {
      const currency = c.url.searchParams.get('currency')?.toLowerCase() ?? '';
      if (!/^[a-z]{3}$/.test(currency))
        throw new MppError('bad-request', 'currency must be an ISO 4217 code');
      return json(200, { currency, rails: railsFor(currency) }, CORS_HEADERS);
    },
  },
  {
    method: 'POST',
    pattern: /^\/v1\/saved-payment-methods$/,
    access: 'public',
    async handler(s, c) {
      const body = await readJson(c.request, setupBody, s.options.maxBodyBytes);
      const v = await verifyChallenge(body.challenge, 'hitpay-save', s.merchants, s.options.now());
      const started = await s.savedMethods.setup(v, {
        paymentMethod: body.payment_method,
        customerEmail: body.customer_email,
        address: c.address,
      });
      return json(201, started, CORS_HEADERS);
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/v1/saved-payment-methods/${ID}$`),
    access: 'public',
    async handler(s, c) {
      // Core's mount forwards Authorization but not x-setup-token: accept the token either way.
      const bearer = /^Bearer[ \t]+(\S+)$/i.exec(c.request.headers.get('authorization') ?? '')?.[1];
      const token = c.request.headers.get('x-setup-token') ?? bearer;
      const view = await s.savedMethods.view(c.params[0]!, token);
      return json(
        200,
        view,
        view.status === 'pending' ? { ...CORS_HEADERS, 'retry-after': '2' } : CORS_HEADERS,
      );
    },
  },
  {
    method: 'POST',
    pattern: /^\/v1\/webhook\/hitpay(?:\/(m_[A-Za-z0-9_-]{1,64}))?$/,
    access: 'public',
    async handler(s, c) {
      const outcome = await s.webhooks.receive({
        rawBody: await readBody(c.request, WEBHOOK_BODY_LIMIT),
        contentType: c.request.headers.get('content-type'),
        signature: c.request.headers.get('hitpay-signature'),
        eventObject: c.request.headers.get('hitpay-event-object'),
        eventType: c.request.headers.get('hitpay-event-type'),
        merchantId: c.params[0],
      });
      return json(200, { received: true, outcome });
    },
  },
  {
    method: 'PUT',
    pattern: /^\/v1\/merchants\/self$/,
    access: 'server',
    async handler(s, c) {
      const { apiKey, merchant } = await authenticate(s, c.request);
      const body = await readJson(c.request, merchantBody, s.options.maxBodyBytes);
      const base = body.hitpay_base_url.replace(/\/+$/, '');
      if (!s.options.hitpayBaseUrls.includes(base))
        throw new MppError('forbidden', 'hitpay_base_url is not one this broker may call');
      // A new merchant only with a key HitPay accepts; a known one already proved its key.
      if (!merchant) await s.merchants.verifyKey(apiKey, base);
      const r = await s.merchants.register({
        apiKey,
        webhookSalt: body.webhook_salt,
        apiSalt: body.api_salt,
        challengeSecrets: body.challenge_secrets,
        hitpayBaseUrl: base,
      });
      return json(200, { merchant_id: r.merchantId });
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/v1/charges/${ID}/verify$`),
    access: 'server',
    async handler(s, c) {
      const merchant = await requireMerchant(s, c.request);
      const body = await readJson(c.request, verifyBody, s.options.maxBodyBytes);
      const r = await s.redemptions.redeem({
        merchantId: merchant.id,
        chargeId: c.params[0]!,
        challenge: body.challenge as unknown as ChallengeEcho,
        amount: body.amount,
        currency: body.currency,
        requestHash: body.request_hash,
        paymentRequestId: body.payment_request_id,
        leaseMs: body.lease_ms ?? 60_000,
      });
      return json(200, {
        payment_id: r.paymentId,
        payment_request_id: r.paymentRequestId,
        receipt_jws: r.receiptJws,
        paid_at: r.paidAt,
        lease_id: r.leaseId,
      });
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/v1/charges/${ID}/(commit|release)$`),
    access: 'server',
    async handler(s, c) {
      const merchant = await requireMerchant(s, c.request);
      const [id, action] = c.params as [string, string];
      const { lease_id: leaseId } = await readJson(c.request, leaseBody, s.options.maxBodyBytes);
      if (action === 'commit') await s.redemptions.commit(merchant.id, id, leaseId);
      else await s.redemptions.release(merchant.id, id, leaseId);
      return new Response(null, { status: 204 });
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/v1/saved-payment-methods/${ID}/charges$`),
    access: 'server',
    async handler(s, c) {
      const merchant = await requireMerchant(s, c.request);
      const body = await readJson(c.request, savedChargeBody, s.options.maxBodyBytes);
      const r = await s.savedCharges.charge({
        merchantId: merchant.id,
        grant: body.grant,
        savedMethodId: c.params[0]!,
        nonce: body.nonce,
        amount: body.amount,
        currency: body.currency,
        requestHash: body.request_hash,
        challengeId: body.challenge_id,
        realm: body.realm,
      });
      return json(200, {
        charge_id: r.chargeId,
        saved_method_id: c.params[0],
        amount: body.amount,
        currency: body.currency,
        status: 'paid',
        paid_at: r.paidAt,
        receipt_jws: r.receiptJws,
        payment_id: r.paymentId,
        remaining: r.remaining,
      });
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/v1/saved-charges/${ID}/refund$`),
    access: 'server',
    async handler(s, c) {
      const merchant = await requireMerchant(s, c.request);
      const status = await s.savedCharges.refund(merchant.id, c.params[0]!);
      return json(200, { charge_id: c.params[0], status });
    },
  },
];

/**
 * The broker's HTTP surface as a Fetch handler. It sees full URLs (embedded: the API's own, e.g.
 * `https://api.example.com/mpp/v1/charges/…`), finds its routes by their `/v1/` segment, and answers
 * every failure with problem+json: a 4xx for anything the client got wrong, never an unhandled throw.
 */
export function createRouter(s: RouteServices): (request: Request) => Promise<Response> {
  const log = s.options.logger;
  return async function brokerFetch(request: Request): Promise<Response> {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return problem(new MppError('bad-request', 'Bad request URL'));
    }
    try {
      if (url.pathname.endsWith('/.well-known/jwks.json')) {
        if (request.method !== 'GET' && request.method !== 'HEAD')
          throw new MppError('not-found', 'The JWKS is read with GET');
        return json(200, await s.signer.jwks(), { ...CORS_HEADERS, 'cache-control': 'public, max-age=300' });
      }
      const located = LOCATE.exec(url.pathname);
      const path = located?.[2] ?? '';
      const matching = routes
        .filter((r) => r.access === 'public' || s.options.serverEndpoints)
        .map((r) => ({ r, m: r.pattern.exec(path) }))
        .filter((x): x is { r: Route; m: RegExpExecArray } => x.m !== null);
      if (matching.length === 0) throw new MppError('not-found', 'No such broker endpoint');
      if (request.method === 'OPTIONS') return new Response(null, { status: 204, headers: CORS_HEADERS });
      const hit = matching.find((x) => x.r.method === request.method);
      if (!hit) {
        const allow = [...new Set(matching.map((x) => x.r.method))].join(', ');
        // MppError has no 405; a 404 that names the allowed methods is the closest clear answer.
        throw new MppError('not-found', `${request.method} is not served here (use ${allow})`, {
          extensions: { allow },
        });
      }
      const address = request.headers.get('x-mpp-remote-address') ?? undefined;
      return await hit.r.handler(s, { request, url, params: hit.m.slice(1), address });
    } catch (thrown) {
      const error = MppError.from(thrown);
      if (error.status >= 500) {
        log.error(
          {
            path: url.pathname.slice(0, 200),
            code: error.code,
            err: thrown instanceof Error ? thrown.message : String(thrown),
          },
          'broker request failed',
        );
      }
      // CORS on errors too: a cross-origin agent must be able to read why (429, 409…).
      return problem(error, CORS_HEADERS);
    }
  };
}
