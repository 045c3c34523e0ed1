/**
 * EMVCo merchant-presented QR payloads in the PayNow profile, the string HitPay returns as
 * `qr_code_data.qr_code`. Every field is ID (2 digits) + length (2 digits) + value, and the payload
 * ends with field 63: a CRC-16/CCITT-FALSE over everything before it, including "6304".
 */

/** ISO 4217 numeric codes for field 53 (currencies HitPay settles). */
const ISO_NUMERIC: Record<string, string> = {
  sgd: '702',
  myr: '458',
  php: '608',
  thb: '764',
  idr: '360',
  vnd: '704',
  usd: '840',
  eur: '978',
  gbp: '826',
  aud: '036',
  hkd: '344',
  inr: '356',
  cny: '156',
  jpy: '392',
};

/** Inputs of a PayNow payload. */
export interface PayNowQrInput {
  /** PayNow proxy: a UEN (proxy type 2) or a mobile number (proxy type 0). */
  proxy: { type: 'uen' | 'mobile'; value: string };
  /** Major-unit amount string, e.g. `"10.00"`. */
  amount: string;
  /** Lowercase or uppercase ISO 4217 letters. */
  currency: string;
  merchantName: string;
  merchantCity?: string;
  /** Bill reference (field 62.01), up to 25 characters. */
  reference?: string;
  /** Whether the payer may edit the amount (field 26.03). */
  editable?: boolean;
  /** Expiry date `YYYYMMDD` (field 26.04). */
  expiry?: string;
}

/** CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, no final XOR. */
export function crc16CcittFalse(text: string): number {
  let crc = 0xffff;
  for (const byte of Buffer.from(text, 'utf8')) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

// EMV values are length-prefixed in characters; stripping non-ASCII keeps characters == bytes.
const ascii = (s: string, max: number) => s.replace(/[^\x20-\x7e]/g, '').slice(0, max);

function tlv(id: string, value: string): string {
  if (value.length > 99) throw new RangeError(`EMV field ${id} longer than 99 characters`);
  return `${id}${String(value.length).padStart(2, '0')}${value}`;
}

/** Builds a dynamic PayNow payload with its CRC. */
export function payNowPayload(input: PayNowQrInput): string {
  const merchantAccount =
    tlv('00', 'SG.PAYNOW') +
    tlv('01', input.proxy.type === 'uen' ? '2' : '0') +
    tlv('02', ascii(input.proxy.value, 30)) +
    tlv('03', input.editable ? '1' : '0') +
    (input.expiry ? tlv('04', input.expiry) : '');
  const currency = ISO_NUMERIC[input.currency.toLowerCase()] ?? '702';
  const reference = input.reference ? ascii(input.reference, 25) : '';
  const body =
    tlv('00', '01') +
    tlv('01', '12') +
    tlv('26', merchantAccount) +
    tlv('52', '0000') +
    tlv('53', currency) +
    tlv('54', input.amount) +
    tlv('58', 'SG') +
    tlv('59', ascii(input.merchantName, 25) || 'NA') +
    tlv('60', ascii(input.merchantCity ?? 'Singapore', 15)) +
    (reference ? tlv('62', tlv('01', reference)) : '');
  const withCrcTag = `${body}6304`;
  return withCrcTag + crc16CcittFalse(withCrcTag).toString(16).toUpperCase().padStart(4, '0');
}

/** One decoded EMV field; nested templates (26, 62) are decoded one level down. */
export interface EmvField {
  id: string;
  value: string;
  children?: EmvField[];
}

/** Splits an EMV payload into fields; throws RangeError on a truncated or malformed payload. */
export function parseEmv(payload: string): EmvField[] {
  const fields: EmvField[] = [];
  let i = 0;
  while (i < payload.length) {
    const id = payload.slice(i, i + 2);
    const len = Number(payload.slice(i + 2, i + 4));
    if (!/^\d{2}$/.test(id) || !Number.isInteger(len) || i + 4 + len > payload.length) {
      throw new RangeError(`malformed EMV field at offset ${i}`);
    }
    const value = payload.slice(i + 4, i + 4 + len);
    const nested = ['26', '62'].includes(id) ? parseEmv(value) : undefined;
    fields.push(nested ? { id, value, children: nested } : { id, value });
    i += 4 + len;
  }
  return fields;
}

/** Whether the payload's field 63 matches the CRC of everything before it. */
export function emvCrcValid(payload: string): boolean {
  if (payload.length < 8 || payload.slice(-8, -4) !== '6304') return false;
  const expected = crc16CcittFalse(payload.slice(0, -4)).toString(16).toUpperCase().padStart(4, '0');
  return payload.slice(-4).toUpperCase() === expected;
}
