import { randomUUID } from 'node:crypto';
import { SAVED_METHOD_RAILS } from '@hit-pay/mpp';
import { MppError } from '@hit-pay/mpp/protocol';
import type { VerifiedChallenge } from './challenges.js';
import type { HitPayRecurringBilling } from './hitpay/index.js';
import type { Merchant, Merchants } from './merchants.js';
import type { ResolvedBrokerOptions } from './options.js';
import type { RateLimiter } from './rate-limit.js';
import type { Signer } from './signer.js';
import type { Database } from './storage/database.js';
import { hashToken, newToken, randomId, tokenMatches } from './tokens.js';

/** A `saved_methods` row. */
export interface SavedMethodRow {
  id: string;
  merchant_id: string;
  status: 'pending' | 'active' | 'detached' | 'revoked' | 'expired';
  rail: string;
  currency: string;
  customer_email: string;
  realm: string;
  max_amount_per_charge: string;
  total_amount_cap: string;
  max_uses: number | null;
  used_amount: string;
  use_count: number;
  recurring_billing_id: string | null;
  setup_url: string | null;
  setup_token_hash: string;
  grant_jws: string | null;
  grant_jti: string | null;
  grant_expires_at: Date | null;
  expires_at: Date;
  last_checked_at: Date | null;
  broker_url: string | null;
  description: string | null;
}

/** What `POST /v1/saved-payment-methods` answers (the setup token appears here only). */
export interface SetupStarted {
  saved_method_id: string;
  status: 'pending';
  setup_checkout_url: string;
  setup_token: string;
  polling_url: string;
  expires_at: string;
}

/** What polling with the setup token answers; the grant only once active. */
export interface SavedMethodView {
  saved_method_id: string;
  status: SavedMethodRow['status'];
  rail: string;
  currency: string;
  max_amount_per_charge: string;
  total_amount_cap: string;
  used_amount: string;
  remaining: string;
  saved_method_jws?: string;
  grant_expires_at?: string;
}

/** Wallets that take HitPay's embedded direct link (the others use the hosted page). */
const DIRECT_LINK_RAILS = new Set(['grabpay_direct', 'shopee_pay', 'touch_n_go']);
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,190}\.[^\s@]{1,60}$/;

/** Wallet rails a saved method can use in a currency (HitPay MPP's matrix). */
export function railsFor(currency: string): readonly string[] {
  return SAVED_METHOD_RAILS[currency.toLowerCase()] ?? [];
}

/**
 * Saved payment methods up to their grant: the setup (a HitPay save session for one wallet), the
 * one-time setup token, activation when HitPay reports the method attached (webhook or poll), which
 * signs the grant, and detachment.
 */
export class SavedMethods {
  constructor(
    private readonly db: Database,
    private readonly merchants: Merchants,
    private readonly limiter: RateLimiter,
    private readonly signer: Signer,
    private readonly options: ResolvedBrokerOptions,
  ) {}

  /** Starts a setup for a verified `hitpay-save` challenge and one of its rails. */
  async setup(
    v: VerifiedChallenge,
    input: { paymentMethod: string; customerEmail?: string | undefined; address?: string | undefined },
  ): Promise<SetupStarted> {
    const d = v.details;
    const rails = Array.isArray(d.rails) ? d.rails.filter((r) => typeof r === 'string') : [];
    if (!rails.includes(input.paymentMethod))
      throw new MppError('bad-request', `payment_method must be one of: ${rails.join(', ')}`);
    const caps = [d.max_amount_per_charge, d.total_amount_cap];
    if (caps.some((c) => typeof c !== 'string' || !/^[1-9][0-9]{0,17}$/.test(c)))
      throw new MppError('invalid-challenge', 'Challenge has no valid caps');
    const [perCharge, total] = caps as [string, string];
    if (BigInt(perCharge) > BigInt(total))
      throw new MppError('invalid-challenge', 'Challenge per-charge cap exceeds its total cap');
    const named = typeof d.customer_email === 'string' ? d.customer_email : undefined;
    if (named !== undefined && input.customerEmail !== undefined && input.customerEmail !== named)
      throw new MppError('bad-request', 'customer_email differs from the payer the server identified');
    const email = named ?? input.customerEmail;
    if (email === undefined || !EMAIL.test(email))
      throw new MppError('bad-request', 'customer_email is required');
    const limits = this.options.rateLimits;
    if (input.address)
      await this.limiter.hit(`setup:addr:${input.address}`, limits.setupPerAddress, 'setups');
    await this.limiter.hit(`setup:merchant:${v.merchant.id}`, limits.setupPerMerchant, 'setups');

    const id = randomId('spm_');
    const token = newToken();
    const now = this.options.now();
    const expiresAt = new Date(now + this.options.setupLifetimeMs);
    await this.db.query(
      `INSERT INTO saved_methods (id, merchant_id, status, rail, currency, customer_email, realm,
         max_amount_per_charge, total_amount_cap, max_uses, setup_token_hash, expires_at, broker_url, description)
       VALUES ($1, $2, 'pending', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [
        id,
        v.merchant.id,
        input.paymentMethod,
        v.currency,
        email,
        v.echo.realm,
        perCharge,
        total,
        this.options.grantMaxUses ?? null,
        hashToken(token),
        expiresAt,
        v.brokerUrl,
        v.description?.slice(0, 255) ?? null,
      ],
    );
    let rb: HitPayRecurringBilling;
    try {
      rb = await v.merchant.hitpay.createRecurringBilling({
        customer_email: email,
        name: (v.description ?? 'HitPay MPP saved payment method').slice(0, 255),
        payment_methods: [input.paymentMethod],
        reference: id,
        currency: v.currency,
        generate_direct_link: DIRECT_LINK_RAILS.has(input.paymentMethod) || undefined,
        webhook: v.merchant.apiSalt ? `${v.brokerUrl}/v1/webhook/hitpay/${v.merchant.id}` : undefined,
      });
    } catch (error) {
      await this.db.query(
        `UPDATE saved_methods SET status = 'expired' WHERE id = $1 AND status = 'pending'`,
        [id],
      );
      throw error;
    }
    const setupUrl = rb.direct_link?.direct_link_url ?? rb.url ?? '';
    await this.db.query('UPDATE saved_methods SET recurring_billing_id = $2, setup_url = $3 WHERE id = $1', [
      id,
      rb.id,
      setupUrl,
    ]);
    if (rb.status === 'active') await this.activate({ id, merchant_id: v.merchant.id });
    return {
      saved_method_id: id,
      status: 'pending',
      setup_checkout_url: setupUrl,
      setup_token: token,
      polling_url: `${v.brokerUrl}/v1/saved-payment-methods/${id}`,
      expires_at: expiresAt.toISOString(),
    };
  }

  /** The saved method by id, or `not-found`. */
  async find(id: string): Promise<SavedMethodRow> {
    if (typeof id !== 'string' || id.length > 100)
      throw new MppError('not-found', 'Unknown saved payment method');
    const { rows } = await this.db.query<SavedMethodRow>('SELECT * FROM saved_methods WHERE id = $1', [id]);
    if (!rows[0]) throw new MppError('not-found', 'Unknown saved payment method');
    return rows[0];
  }

  /** Polling with the setup token (constant-time check): status, caps, and the grant once active. */
  async view(id: string, token: string | undefined): Promise<SavedMethodView> {
    let row = await this.find(id);
    if (!token || token.length > 200 || !tokenMatches(token, row.setup_token_hash))
      throw new MppError('unauthorized', 'x-setup-token is missing or wrong');
    row = await this.refresh(row, this.options.pollIntervalMs);
    const remaining = BigInt(row.total_amount_cap) - BigInt(row.used_amount);
    const view: SavedMethodView = {
      saved_method_id: row.id,
      status: row.status,
      rail: row.rail,
      currency: row.currency,
      max_amount_per_charge: String(row.max_amount_per_charge),
      total_amount_cap: String(row.total_amount_cap),
      used_amount: String(row.used_amount),
      remaining: String(remaining < 0n ? 0n : remaining),
    };
    if (row.status === 'active' && row.grant_jws) {
      view.saved_method_jws = row.grant_jws;
      if (row.grant_expires_at) view.grant_expires_at = row.grant_expires_at.toISOString();
    }
    return view;
  }

  /** Asks HitPay about a pending setup (at most once per `minIntervalMs`) and applies the answer. */
  async refresh(row: SavedMethodRow, minIntervalMs: number): Promise<SavedMethodRow> {
    if (row.status !== 'pending' || !row.recurring_billing_id) return row;
    const now = this.options.now();
    const { rowCount } = await this.db.query(
      `UPDATE saved_methods SET last_checked_at = $2
       WHERE id = $1 AND (last_checked_at IS NULL OR last_checked_at <= $3)`,
      [row.id, new Date(now), new Date(now - minIntervalMs)],
    );
    if (rowCount === 0) return row;
    const merchant = await this.merchants.get(row.merchant_id);
    if (!merchant) return row;
    try {
      const rb = await merchant.hitpay.getRecurringBilling(row.recurring_billing_id);
      await this.applyRecurringBilling(merchant, rb, 'poll');
    } catch (error) {
      this.options.logger.warn(
        { savedMethodId: row.id, err: error instanceof Error ? error.message : String(error) },
        'HitPay save-session check failed',
      );
    }
    return this.find(row.id);
  }

  /** Applies a recurring billing as HitPay reports it (webhook or GET). */
  async applyRecurringBilling(
    merchant: Merchant,
    rb: HitPayRecurringBilling,
    event: 'method_attached' | 'method_detached' | 'subscription_updated' | 'poll',
  ): Promise<void> {
    const { rows } = await this.db.query<SavedMethodRow>(
      'SELECT * FROM saved_methods WHERE merchant_id = $1 AND (recurring_billing_id = $2 OR id = $3) LIMIT 1',
      [merchant.id, rb.id, rb.reference ?? rb.id],
    );
    const row = rows[0];
    if (!row || (row.recurring_billing_id !== null && row.recurring_billing_id !== rb.id)) return;
    if (event === 'method_detached') return this.end(row.id, 'detached');
    if (rb.status === 'canceled' || rb.status === 'inactive' || rb.status === 'expired') {
      return this.end(row.id, row.status === 'pending' ? 'expired' : 'revoked');
    }
    if (rb.status === 'active' && event !== 'subscription_updated') await this.activate(row);
  }

  /**
   * `pending → active` with a freshly signed grant, in one conditional update (a duplicate webhook
   * or a concurrent poll signs a grant that is simply not stored).
   */
  async activate(row: Pick<SavedMethodRow, 'id' | 'merchant_id'>): Promise<void> {
    const current = await this.find(row.id);
    if (current.status !== 'pending') return;
    const jti = randomUUID();
    const { jws, expiresAt } = await this.signer.grant(
      {
        sub: current.id,
        jti,
        merchant: current.merchant_id,
        realm: current.realm,
        rail: current.rail,
        currency: current.currency,
        maxAmountPerCharge: String(current.max_amount_per_charge),
        totalAmountCap: String(current.total_amount_cap),
        ...(current.max_uses !== null ? { maxUses: current.max_uses } : {}),
      },
      this.options.grantLifetimeMs,
    );
    const { rowCount } = await this.db.query(
      `UPDATE saved_methods SET status = 'active', grant_jws = $2, grant_jti = $3, grant_expires_at = $4,
         updated_at = $5
       WHERE id = $1 AND status = 'pending'`,
      [current.id, jws, jti, new Date(expiresAt), new Date(this.options.now())],
    );
    if (rowCount > 0) this.options.logger.info({ savedMethodId: current.id }, 'saved method active');
  }

  /** Ends a saved method (detached by the payer, revoked, expired); charges stop at once. */
  async end(id: string, status: 'detached' | 'revoked' | 'expired'): Promise<void> {
    const { rowCount } = await this.db.query(
      `UPDATE saved_methods SET status = $2, updated_at = $3 WHERE id = $1 AND status IN ('pending', 'active')`,
      [id, status, new Date(this.options.now())],
    );
    if (rowCount > 0) this.options.logger.info({ savedMethodId: id, status }, 'saved method ended');
  }
}
