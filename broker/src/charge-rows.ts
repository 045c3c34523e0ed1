import { displayAmount, toMinorUnits } from '@hit-pay/mpp';
import { normalizeAmount } from './hitpay/index.js';
import type { Sql } from './storage/database.js';

/** A `charges` row (one-time charge; `id` is the challenge id). int8 columns arrive as strings. */
export interface ChargeRow {
  merchant_id: string;
  id: string;
  status:
    | 'creating'
    | 'pending'
    | 'paid'
    | 'redeeming'
    | 'redeemed'
    | 'expired'
    | 'failed'
    | 'refunding'
    | 'refunded';
  amount: string;
  currency: string;
  description: string | null;
  request_hash: string;
  realm: string;
  challenge: unknown;
  expires_at: Date;
  payment_request_id: string | null;
  checkout_url: string | null;
  qr_code: string | null;
  return_url: string | null;
  payment_id: string | null;
  paid_amount: string | null;
  paid_at: Date | null;
  lease_until: Date | null;
  /** The redemption holding (or last holding) the lease. */
  lease_id: string | null;
  redeemed_at: Date | null;
  refund_id: string | null;
  refunded_at: Date | null;
  last_checked_at: Date | null;
  broker_url: string | null;
  create_lease_until: Date | null;
  create_attempts: number;
  refund_attempted_at: Date | null;
  refund_attempts: number;
  refund_outcome_unknown: boolean;
}

/** What payers and agents see of a charge (`GET /v1/charges/{id}`, checkout with JSON). */
export interface ChargeView {
  id: string;
  status: 'pending' | 'paid' | 'redeemed' | 'expired' | 'failed' | 'refunding' | 'refunded';
  amount: string;
  currency: string;
  display_amount: string;
  payment_request_id?: string;
  checkout_url?: string;
  qr_code?: string;
  polling_url?: string;
  paid_at?: string;
  expires_at: string;
}

/** Internal states collapse to what a payer can act on: in flight redemptions still read `paid`. */
const PUBLIC_STATUS: Record<ChargeRow['status'], ChargeView['status']> = {
  creating: 'pending',
  pending: 'pending',
  paid: 'paid',
  redeeming: 'paid',
  redeemed: 'redeemed',
  expired: 'expired',
  failed: 'failed',
  refunding: 'refunding',
  refunded: 'refunded',
};

/** The public view of a row. Never includes the merchant's return URL, payment id or receipts. */
export function chargeView(row: ChargeRow): ChargeView {
  const view: ChargeView = {
    id: row.id,
    status: PUBLIC_STATUS[row.status],
    amount: String(row.amount),
    currency: row.currency,
    display_amount: displayAmount(String(row.amount), row.currency),
    expires_at: row.expires_at.toISOString(),
  };
  if (row.payment_request_id) view.payment_request_id = row.payment_request_id;
  if (row.checkout_url) view.checkout_url = row.checkout_url;
  if (row.qr_code) view.qr_code = row.qr_code;
  if (row.broker_url) view.polling_url = `${row.broker_url}/v1/charges/${row.id}`;
  if (row.paid_at && row.status !== 'expired' && row.status !== 'failed')
    view.paid_at = row.paid_at.toISOString();
  return view;
}

/** A HitPay major-unit amount (`"1.00"`, `1`) in minor units of `currency`, or undefined. */
export function hitpayMinor(amount: string | number, currency: string): string | undefined {
  const major = normalizeAmount(amount);
  if (major === undefined) return undefined;
  try {
    return toMinorUnits(major, currency);
  } catch {
    return undefined;
  }
}

/** One charge by merchant and id. */
export async function findCharge(sql: Sql, merchantId: string, id: string): Promise<ChargeRow | undefined> {
  const { rows } = await sql.query<ChargeRow>('SELECT * FROM charges WHERE merchant_id = $1 AND id = $2', [
    merchantId,
    id,
  ]);
  return rows[0];
}
