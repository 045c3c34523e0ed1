import { toMajorUnits } from '@hit-pay/mpp';
import { MppError } from '@hit-pay/mpp/protocol';
import type { VerifiedChallenge } from './challenges.js';
import { type ChargeRow, type ChargeView, chargeView, findCharge, hitpayMinor } from './charge-rows.js';
import { type HitPayPaymentRequest, paymentRequestPaid } from './hitpay/index.js';
import type { Merchant, Merchants } from './merchants.js';
import type { ResolvedBrokerOptions } from './options.js';
import type { RateLimiter } from './rate-limit.js';
import type { Database } from './storage/database.js';

/** HitPay methods that can render a QR code (`generate_qr`). */
const QR_RAILS = new Set([
  'paynow_online',
  'shopee_pay',
  'qrph_netbank',
  'doku_qris',
  'duitnow',
  'promptpay',
  'zalopay',
]);
/** How long one opener may hold the right to create a challenge's payment request. */
const CREATE_LEASE_MS = 30_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A payment HitPay reported for a charge. */
export interface ReportedPayment {
  paymentId: string;
  /** Major units as HitPay writes them. */
  amount: string | number;
  currency: string;
}

/** Who opened a checkout link, and where they want to come back to. */
export interface OpenContext {
  /** Client address (rate limits); undefined when unknown. */
  address?: string | undefined;
  /** Where HitPay's return lands the payer: same host as the realm only. */
  returnUrl?: string | undefined;
}

function checkedReturnUrl(value: string | undefined, realm: string): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new MppError('bad-request', 'return_url is not a URL');
  }
  if (
    (url.protocol !== 'https:' && url.protocol !== 'http:') ||
    (url.host !== realm && url.hostname !== realm) ||
    value.length > 1000
  ) {
    throw new MppError('bad-request', 'return_url must be an http(s) URL on the realm’s host');
  }
  return value;
}

/**
 * One-time charges up to payment: the lazy checkout (one HitPay payment request per challenge, even
 * under concurrent opens across instances), the status views, and turning what HitPay reports
 * (webhook or poll) into `paid`, `failed` or `refunding` with one conditional update each.
 */
export class Charges {
  constructor(
    private readonly db: Database,
    private readonly merchants: Merchants,
    private readonly limiter: RateLimiter,
    private readonly options: ResolvedBrokerOptions,
  ) {}

  private get now(): number {
    return this.options.now();
  }

  /** Opens the checkout of a verified `hitpay` challenge: creates its payment request once. */
  async open(v: VerifiedChallenge, ctx: OpenContext = {}): Promise<ChargeRow> {
    const merchantId = v.merchant.id;
    const id = v.echo.id;
    const returnUrl = checkedReturnUrl(ctx.returnUrl, v.echo.realm);
    const inserted = await this.db.query(
      `INSERT INTO charges (merchant_id, id, status, amount, currency, description, request_hash, realm,
         challenge, expires_at, broker_url, return_url)
       VALUES ($1, $2, 'creating', $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (merchant_id, id) DO NOTHING`,
      [
        merchantId,
        id,
        v.amount,
        v.currency,
        v.description?.slice(0, 255) ?? null,
        v.requestHash,
        v.echo.realm,
        JSON.stringify(v.echo),
        new Date(v.expiresAt),
        v.brokerUrl,
        returnUrl ?? null,
      ],
    );
    if (inserted.rowCount > 0) await this.limit(merchantId, id, ctx.address);
    if (returnUrl) {
      await this.db.query(
        'UPDATE charges SET return_url = $3 WHERE merchant_id = $1 AND id = $2 AND return_url IS NULL',
        [merchantId, id, returnUrl],
      );
    }
    // Whoever claims the creation lease creates the payment request; everyone else waits for it.
    const giveUpAt = Date.now() + (this.options.hitpay.timeoutMs ?? 15_000) + 5000;
    for (;;) {
      const row = await findCharge(this.db, merchantId, id);
      // Gone: the opener that inserted it was over its rate limit and took it back.
      if (!row) throw new MppError('rate-limited', 'Too many checkouts; retry shortly', { retryAfter: 5 });
      if (row.payment_request_id || row.status !== 'creating') return row;
      const now = this.now;
      const { rows } = await this.db.query<ChargeRow>(
        `UPDATE charges SET create_lease_until = $3, create_attempts = create_attempts + 1, updated_at = $4
         WHERE merchant_id = $1 AND id = $2 AND status = 'creating' AND payment_request_id IS NULL
           AND (create_lease_until IS NULL OR create_lease_until <= $4)
         RETURNING *`,
        [merchantId, id, new Date(now + CREATE_LEASE_MS), new Date(now)],
      );
      if (rows[0]) return this.create(v, rows[0]);
      if (Date.now() > giveUpAt) {
        throw new MppError('service-unavailable', 'The checkout is being created; retry shortly', {
          retryAfter: 2,
        });
      }
      await sleep(100);
    }
  }

  /**
   * Counts a newly opened checkout against the per-address and per-merchant limits. Over a limit,
   * the row just inserted is taken back, so refused opens leave nothing behind: a stream of free
   * challenges cannot grow the table (or HitPay's list) without bound.
   */
  private async limit(merchantId: string, id: string, address: string | undefined): Promise<void> {
    const limits = this.options.rateLimits;
    try {
      if (address) await this.limiter.hit(`checkout:addr:${address}`, limits.checkoutPerAddress, 'checkouts');
      await this.limiter.hit(`checkout:merchant:${merchantId}`, limits.checkoutPerMerchant, 'checkouts');
    } catch (error) {
      await this.db.query(
        // Only while nobody has started creating its payment request (another opener may have).
        `DELETE FROM charges WHERE merchant_id = $1 AND id = $2 AND status = 'creating'
           AND payment_request_id IS NULL AND create_attempts = 0`,
        [merchantId, id],
      );
      throw error;
    }
  }

  private async create(v: VerifiedChallenge, claimed: ChargeRow): Promise<ChargeRow> {
    const m = v.merchant;
    const release = () =>
      this.db
        .query(
          `UPDATE charges SET create_lease_until = NULL
           WHERE merchant_id = $1 AND id = $2 AND status = 'creating' AND payment_request_id IS NULL`,
          [m.id, claimed.id],
        )
        .catch(() => undefined);
    try {
      const limits = this.options.rateLimits;
      if (claimed.create_attempts > limits.createAttemptsPerChallenge) {
        throw new MppError(
          'rate-limited',
          'Too many attempts at creating this checkout; request a fresh challenge',
          {
            retryAfter: 60,
          },
        );
      }
      const minutes = Math.floor((v.expiresAt - this.now) / 60_000);
      if (minutes < 1) {
        throw new MppError(
          'payment-expired',
          'The challenge expires in less than a minute; request a fresh one',
        );
      }
      const rails = Array.isArray(v.details.rails)
        ? v.details.rails.filter((r): r is string => typeof r === 'string').slice(0, 20)
        : [];
      // A create whose answer was lost may have happened: look before creating again.
      const found =
        claimed.create_attempts > 1 ? await m.hitpay.findPaymentRequestByReference(claimed.id) : null;
      const pr =
        found ??
        (await m.hitpay.createPaymentRequest({
          amount: toMajorUnits(v.amount, v.currency),
          currency: v.currency,
          reference_number: claimed.id,
          purpose: v.description?.slice(0, 255),
          redirect_url: `${v.brokerUrl}/v1/charges/${claimed.id}/return`,
          webhook: m.apiSalt ? `${v.brokerUrl}/v1/webhook/hitpay/${m.id}` : undefined,
          ...(rails.length > 0 ? { payment_methods: rails } : {}),
          expires_after_minutes: minutes,
          generate_qr: rails.some((r) => QR_RAILS.has(r)) || undefined,
          metadata: { source: 'mpp' },
        }));
      // A webhook may have recorded the payment already (it can beat this update): keep its status.
      const { rows } = await this.db.query<ChargeRow>(
        `UPDATE charges SET status = CASE WHEN status = 'creating' THEN 'pending' ELSE status END,
           payment_request_id = $3, checkout_url = $4, qr_code = $5, create_lease_until = NULL, updated_at = $6
         WHERE merchant_id = $1 AND id = $2 AND status <> 'expired' AND payment_request_id IS NULL
         RETURNING *`,
        [m.id, claimed.id, pr.id, pr.url, pr.qr_code_data?.qr_code ?? null, new Date(this.now)],
      );
      if (rows[0]) return rows[0];
      // The charge expired meanwhile: the request we made must not stay payable.
      await m.hitpay.deletePaymentRequest(pr.id).catch(() => undefined);
      const after = await findCharge(this.db, m.id, claimed.id);
      if (!after)
        throw new MppError('service-unavailable', 'The checkout was withdrawn; retry', { retryAfter: 2 });
      return after;
    } catch (error) {
      await release();
      throw error;
    }
  }

  /** The charge by id alone (public polling), after a throttled status check with HitPay. */
  async view(id: string): Promise<ChargeView> {
    return chargeView(await this.refresh(await this.byId(id), this.options.pollIntervalMs));
  }

  /** The charge by id alone, or `not-found`. */
  async byId(id: string): Promise<ChargeRow> {
    if (typeof id !== 'string' || id.length > 200) throw new MppError('not-found', 'Unknown charge');
    const { rows } = await this.db.query<ChargeRow>('SELECT * FROM charges WHERE id = $1 LIMIT 1', [id]);
    if (!rows[0]) throw new MppError('not-found', 'Unknown charge (open its checkout first)');
    return rows[0];
  }

  /**
   * Asks HitPay about a charge still waiting for payment, at most once per `minIntervalMs` across
   * every instance (a conditional update claims the check), and applies the answer. HitPay being
   * unreachable is not an error here: the row is returned as it was.
   */
  async refresh(row: ChargeRow, minIntervalMs: number): Promise<ChargeRow> {
    if (!row.payment_request_id || !['creating', 'pending', 'failed'].includes(row.status)) return row;
    const now = this.now;
    const { rowCount } = await this.db.query(
      `UPDATE charges SET last_checked_at = $3
       WHERE merchant_id = $1 AND id = $2 AND (last_checked_at IS NULL OR last_checked_at <= $4)`,
      [row.merchant_id, row.id, new Date(now), new Date(now - minIntervalMs)],
    );
    if (rowCount === 0) return row;
    const merchant = await this.merchants.get(row.merchant_id);
    if (!merchant) return row;
    let pr: HitPayPaymentRequest;
    try {
      pr = await merchant.hitpay.getPaymentRequest(row.payment_request_id);
    } catch (error) {
      this.options.logger.warn(
        { chargeId: row.id, err: error instanceof Error ? error.message : String(error) },
        'HitPay status check failed',
      );
      return row;
    }
    return (await this.applyPaymentRequest(merchant, pr, row)) ?? row;
  }

  /**
   * Applies a payment request as HitPay reports it (webhook body or GET). Paid means `completed`
   * or any payment `succeeded` (the top-level status can lag). Returns the updated row, if any.
   */
  async applyPaymentRequest(
    merchant: Merchant,
    pr: HitPayPaymentRequest,
    known?: ChargeRow,
  ): Promise<ChargeRow | undefined> {
    const row = known ?? (await this.forPaymentRequest(merchant.id, pr));
    if (!row || (row.payment_request_id !== null && row.payment_request_id !== pr.id)) return undefined;
    if (paymentRequestPaid(pr)) {
      const payment = pr.payments.find((p) => p.status === 'succeeded') ?? pr.payments[0];
      if (!payment) {
        // `completed` without its payments (a trimmed webhook body): the id refunds need is missing.
        return this.refresh(row, 0);
      }
      return this.markPaid(row, {
        paymentId: payment.id,
        amount: payment.amount,
        currency: payment.currency,
      });
    }
    if (pr.status === 'failed') return this.markFailed(row);
    return undefined;
  }

  private async forPaymentRequest(
    merchantId: string,
    pr: HitPayPaymentRequest,
  ): Promise<ChargeRow | undefined> {
    const { rows } = await this.db.query<ChargeRow>(
      'SELECT * FROM charges WHERE merchant_id = $1 AND (payment_request_id = $2 OR id = $3) LIMIT 1',
      [merchantId, pr.id, pr.reference_number ?? pr.id],
    );
    return rows[0];
  }

  /**
   * Records a payment, once. Amount and currency must be the charge's; a payment that arrives
   * after the charge expired (or does not match) goes to `refunding` for the reconciler instead,
   * because no credential can redeem it any more.
   */
  async markPaid(row: ChargeRow, payment: ReportedPayment): Promise<ChargeRow | undefined> {
    const currency = payment.currency.toLowerCase();
    const minor = hitpayMinor(payment.amount, row.currency);
    const sameCurrency = currency === row.currency;
    const matches = sameCurrency && minor === String(row.amount);
    if (!matches) {
      this.options.logger.error(
        { chargeId: row.id, paymentId: payment.paymentId, currency, amount: minor },
        'HitPay payment does not match its charge',
      );
    }
    const now = this.now;
    const { rows } = await this.db.query<ChargeRow>(
      `UPDATE charges SET
         status = CASE WHEN NOT $4::boolean THEN 'failed'
                       WHEN NOT $5::boolean OR status = 'expired' OR expires_at <= $7 THEN 'refunding'
                       ELSE 'paid' END,
         payment_id = $3, paid_amount = $6, paid_at = $8, create_lease_until = NULL, updated_at = $8
       WHERE merchant_id = $1 AND id = $2 AND status IN ('creating', 'pending', 'failed', 'expired')
       RETURNING *`,
      [
        row.merchant_id,
        row.id,
        payment.paymentId,
        sameCurrency && minor !== undefined,
        matches,
        minor ?? null,
        new Date(now - this.options.expiryGraceMs),
        new Date(now),
      ],
    );
    if (rows[0]) {
      this.options.logger.info({ chargeId: row.id, status: rows[0].status }, 'charge payment recorded');
    }
    return rows[0];
  }

  private async markFailed(row: ChargeRow): Promise<ChargeRow | undefined> {
    const { rows } = await this.db.query<ChargeRow>(
      `UPDATE charges SET status = 'failed', updated_at = $3
       WHERE merchant_id = $1 AND id = $2 AND status = 'pending' RETURNING *`,
      [row.merchant_id, row.id, new Date(this.now)],
    );
    return rows[0];
  }
}
