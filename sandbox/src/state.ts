/**
 * The sandbox's data: plain JSON-serialisable records keyed by id, so the whole state can be saved
 * to a file and reloaded. Records hold internal forms (integer cents, epoch milliseconds); the
 * resource modules render them in HitPay's wire shapes.
 */
import { randomUUID } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { SandboxConfigError } from './errors.js';

/** A HitPay business (merchant account) as the sandbox knows it. */
export interface BusinessRecord {
  id: string;
  apiKey: string;
  /** The API-key salt: signs v1 (form) webhooks. Real HitPay shows it next to the key. */
  salt: string;
  slug: string;
  name: string;
  /** Singapore UEN used as the PayNow proxy in QR payloads. */
  uen: string;
}

/** Payment-request statuses (`inactive` exists at HitPay but only through its dashboard). */
export type PaymentRequestStatus = 'pending' | 'completed' | 'failed' | 'expired' | 'canceled';

export interface PaymentRequestRecord {
  id: string;
  businessId: string;
  amountCents: number;
  currency: string;
  status: PaymentRequestStatus;
  name: string | null;
  email: string | null;
  phone: string | null;
  purpose: string | null;
  referenceNumber: string | null;
  redirectUrl: string | null;
  webhook: string | null;
  paymentMethods: string[];
  allowRepeatedPayments: boolean;
  sendEmail: boolean;
  sendSms: boolean;
  metadata: Record<string, string> | null;
  expiresAt: number | null;
  qr: { qr_code: string; qr_code_expiry: string } | null;
  paymentIds: string[];
  /** Status-lag fault: GETs left that still show `pending` (-1: until further notice). */
  statusLagReads: number;
  createdAt: number;
  updatedAt: number;
}

/** Statuses a payment (charge) moves through in the sandbox. */
export type ChargeStatus = 'succeeded' | 'failed' | 'refunded' | 'partially_refunded';

/** A payment: one attempt on a payment request, or one saved-method charge. */
export interface ChargeRecord {
  id: string;
  businessId: string;
  channel: 'payment_gateway' | 'recurrent';
  paymentRequestId: string | null;
  recurringBillingId: string | null;
  status: ChargeStatus;
  amountCents: number;
  refundedCents: number;
  feesCents: number;
  currency: string;
  paymentMethod: string;
  failedReason: string | null;
  buyerName: string | null;
  buyerEmail: string | null;
  buyerPhone: string | null;
  createdAt: number;
  updatedAt: number;
}

/** Recurring-billing statuses used by save sessions (`pending` before attach is our assumption). */
export type RecurringBillingStatus = 'pending' | 'active' | 'canceled' | 'inactive';

export interface RecurringBillingRecord {
  id: string;
  businessId: string;
  customerName: string | null;
  customerEmail: string;
  name: string;
  description: string | null;
  reference: string | null;
  currency: string;
  amountCents: number | null;
  status: RecurringBillingStatus;
  sendEmail: boolean;
  redirectUrl: string | null;
  webhook: string | null;
  paymentMethods: string[];
  chargeMethod: string | null;
  defaultMethodId: string | null;
  directLink: boolean;
  totalCharge: number;
  createdAt: number;
  updatedAt: number;
}

export interface RefundRecord {
  id: string;
  businessId: string;
  paymentId: string;
  amountCents: number;
  createdAt: number;
}

/** A v2 webhook endpoint; `salt` is its own signing key (HitPay shows it in the dashboard). */
export interface WebhookEndpointRecord {
  id: string;
  businessId: string;
  name: string;
  url: string;
  eventTypes: string[];
  salt: string;
  createdAt: number;
  updatedAt: number;
}

/** Everything the sandbox stores. Version-tagged so a future shape change can refuse old files. */
export interface SandboxState {
  version: 1;
  businesses: Record<string, BusinessRecord>;
  paymentRequests: Record<string, PaymentRequestRecord>;
  charges: Record<string, ChargeRecord>;
  recurringBillings: Record<string, RecurringBillingRecord>;
  refunds: Record<string, RefundRecord>;
  webhookEndpoints: Record<string, WebhookEndpointRecord>;
}

/** A state with no data. */
export function emptyState(): SandboxState {
  return {
    version: 1,
    businesses: {},
    paymentRequests: {},
    charges: {},
    recurringBillings: {},
    refunds: {},
    webhookEndpoints: {},
  };
}

const COLLECTIONS = [
  'businesses',
  'paymentRequests',
  'charges',
  'recurringBillings',
  'refunds',
  'webhookEndpoints',
] as const;

/** Loads a saved state; a missing file is an empty state, a corrupt one a SandboxConfigError. */
export async function loadState(file: string): Promise<SandboxState> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
    throw new SandboxConfigError(`cannot read state file ${file}`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new SandboxConfigError(`state file ${file} is not valid JSON`, { cause: error });
  }
  const s = parsed as Partial<SandboxState> | null;
  if (s?.version !== 1 || COLLECTIONS.some((c) => typeof s[c] !== 'object' || s[c] === null)) {
    throw new SandboxConfigError(`state file ${file} is not a version-1 sandbox state`);
  }
  return s as SandboxState;
}

/** Writes the state atomically (temp file + rename) so a crash never leaves half a file. */
export async function saveState(file: string, state: SandboxState): Promise<void> {
  const tmp = `${file}.${randomUUID()}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`, 'utf8');
  await rename(tmp, file);
}
