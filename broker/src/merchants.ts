import { type MerchantRegistration, merchantIdFor } from '@hit-pay/mpp';
import { MppError } from '@hit-pay/mpp/protocol';
import { createHitPayClient, type HitPayClient, HitPayError } from './hitpay/index.js';
import type { SealedBox } from './keys/sealed-box.js';
import type { ResolvedBrokerOptions } from './options.js';
import type { Database } from './storage/database.js';

/** A registered merchant, its secrets opened, with a HitPay client on its key. Never serialized. */
export interface Merchant {
  readonly id: string;
  readonly webhookSalt: string | undefined;
  readonly apiSalt: string | undefined;
  readonly challengeSecrets: readonly string[];
  readonly hitpayBaseUrl: string;
  readonly hitpay: HitPayClient;
}

interface MerchantRow {
  id: string;
  api_key_enc: string;
  webhook_salt_enc: string | null;
  api_salt_enc: string | null;
  challenge_secrets_enc: string;
  hitpay_base_url: string;
}

const CACHE_MS = 30_000;
/** Beyond this many merchants, webhooks must use the per-merchant URL (no salt is tried blindly). */
const UNSCOPED_WEBHOOK_MERCHANTS = 200;

function check(registration: MerchantRegistration): void {
  const r = registration as Partial<MerchantRegistration>;
  const bad = (what: string) => new MppError('bad-request', `Merchant registration: ${what}`);
  if (typeof r.apiKey !== 'string' || r.apiKey.trim() === '' || r.apiKey.length > 512)
    throw bad('apiKey is required');
  for (const [name, v] of [
    ['webhookSalt', r.webhookSalt],
    ['apiSalt', r.apiSalt],
  ] as const) {
    if (v !== undefined && (typeof v !== 'string' || v === '' || v.length > 512))
      throw bad(`${name} must be a non-empty string`);
  }
  const secrets = r.challengeSecrets;
  if (
    !Array.isArray(secrets) ||
    secrets.length === 0 ||
    secrets.length > 10 ||
    secrets.some((s) => typeof s !== 'string' || s.length === 0 || s.length > 1024)
  ) {
    throw bad('challengeSecrets must be 1–10 non-empty strings');
  }
  if (typeof r.hitpayBaseUrl !== 'string' || !/^https?:\/\/[^\s/]+/.test(r.hitpayBaseUrl))
    throw bad('hitpayBaseUrl must be an http(s) URL');
}

/**
 * The merchants this broker charges for. Keys, salts and challenge secrets are stored sealed
 * (AES-256-GCM under MPP_SECRET_KEY) and kept opened in memory for a short while, so several
 * broker instances see a merchant's new secrets within {@link CACHE_MS}.
 */
export class Merchants {
  private readonly cache = new Map<string, { at: number; merchant: Merchant | undefined }>();

  constructor(
    private readonly db: Database,
    private readonly box: SealedBox,
    private readonly options: ResolvedBrokerOptions,
  ) {}

  /** Stores (or refreshes) a merchant; its id derives from the API key. */
  async register(registration: MerchantRegistration): Promise<{ merchantId: string }> {
    check(registration);
    const id = merchantIdFor(registration.apiKey);
    const seal = (v: string | undefined) => (v === undefined ? null : this.box.seal(v));
    await this.db.query(
      `INSERT INTO merchants (id, api_key_enc, webhook_salt_enc, api_salt_enc, challenge_secrets_enc, hitpay_base_url)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (id) DO UPDATE SET api_key_enc = EXCLUDED.api_key_enc,
         webhook_salt_enc = EXCLUDED.webhook_salt_enc, api_salt_enc = EXCLUDED.api_salt_enc,
         challenge_secrets_enc = EXCLUDED.challenge_secrets_enc,
         hitpay_base_url = EXCLUDED.hitpay_base_url, updated_at = now()`,
      [
        id,
        this.box.seal(registration.apiKey),
        seal(registration.webhookSalt),
        seal(registration.apiSalt),
        this.box.seal(JSON.stringify(registration.challengeSecrets)),
        registration.hitpayBaseUrl.replace(/\/+$/, ''),
      ],
    );
    this.cache.delete(id);
    return { merchantId: id };
  }

  /**
   * Proves that HitPay accepts an API key (one cheap authenticated read) before a NEW merchant is
   * stored over HTTP: registration is open to any bearer, and made-up keys must not add merchants
   * (rows, rate-limit budgets, salts tried on the shared webhook URL). `unauthorized` when refused.
   */
  async verifyKey(apiKey: string, hitpayBaseUrl: string): Promise<void> {
    const h = this.options.hitpay;
    const client = createHitPayClient({
      apiKey,
      baseUrl: hitpayBaseUrl,
      ...(h.timeoutMs !== undefined ? { timeoutMs: h.timeoutMs } : {}),
      ...(h.retries !== undefined ? { retries: h.retries } : {}),
      ...(h.retryBaseDelayMs !== undefined ? { retryBaseDelayMs: h.retryBaseDelayMs } : {}),
      ...(h.fetch !== undefined ? { fetch: h.fetch } : {}),
    });
    try {
      await client.listPaymentRequests({ per_page: 1 });
    } catch (error) {
      if (error instanceof HitPayError && (error.hitpayStatus === 401 || error.hitpayStatus === 403))
        throw new MppError('unauthorized', 'HitPay does not accept this API key');
      throw error;
    }
  }

  /** The merchant, or undefined when not registered. */
  async get(id: string): Promise<Merchant | undefined> {
    if (typeof id !== 'string' || !/^m_[A-Za-z0-9_-]{1,64}$/.test(id)) return undefined;
    const hit = this.cache.get(id);
    const now = Date.now();
    if (hit && now - hit.at < CACHE_MS) return hit.merchant;
    const { rows } = await this.db.query<MerchantRow>('SELECT * FROM merchants WHERE id = $1', [id]);
    const merchant = rows[0] ? this.open(rows[0]) : undefined;
    if (this.cache.size > 1000) this.cache.clear();
    this.cache.set(id, { at: now, merchant });
    return merchant;
  }

  /** The merchant, or `not-found`. */
  async require(id: string): Promise<Merchant> {
    const m = await this.get(id);
    if (!m) throw new MppError('not-found', 'Unknown merchant');
    return m;
  }

  /** Every merchant (for webhooks sent to the URL without a merchant), bounded. */
  async all(): Promise<Merchant[]> {
    const { rows } = await this.db.query<{ id: string }>('SELECT id FROM merchants ORDER BY id LIMIT $1', [
      UNSCOPED_WEBHOOK_MERCHANTS,
    ]);
    const out: Merchant[] = [];
    for (const r of rows) {
      const m = await this.get(r.id);
      if (m) out.push(m);
    }
    return out;
  }

  private open(row: MerchantRow): Merchant {
    const h = this.options.hitpay;
    return {
      id: row.id,
      webhookSalt: row.webhook_salt_enc ? this.box.open(row.webhook_salt_enc) : undefined,
      apiSalt: row.api_salt_enc ? this.box.open(row.api_salt_enc) : undefined,
      challengeSecrets: JSON.parse(this.box.open(row.challenge_secrets_enc)) as string[],
      hitpayBaseUrl: row.hitpay_base_url,
      hitpay: createHitPayClient({
        apiKey: this.box.open(row.api_key_enc),
        baseUrl: row.hitpay_base_url,
        ...(h.timeoutMs !== undefined ? { timeoutMs: h.timeoutMs } : {}),
        ...(h.retries !== undefined ? { retries: h.retries } : {}),
        ...(h.retryBaseDelayMs !== undefined ? { retryBaseDelayMs: h.retryBaseDelayMs } : {}),
        ...(h.fetch !== undefined ? { fetch: h.fetch } : {}),
      }),
    };
  }
}
