import QRCode from 'qrcode';
import type { ChargeView } from '../charge-rows.js';

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const MESSAGES: Record<ChargeView['status'], string> = {
  pending: 'Waiting for your payment. This page refreshes by itself.',
  paid: 'Paid. You can go back to the app that asked for it.',
  redeemed: 'Paid and delivered.',
  expired: 'This payment link expired. Nothing was charged.',
  failed: 'The payment did not go through. Ask the app for a new link.',
  refunding: 'This payment came too late and is being refunded.',
  refunded: 'This payment was refunded.',
};

/**
 * The small page HitPay's checkout returns the payer to when the API gave no `return_url`: the
 * charge's status, and while it is pending the PayNow QR (for a payer who came back unpaid).
 */
export async function statusPage(view: ChargeView): Promise<Response> {
  let qr = '';
  if (view.status === 'pending' && view.qr_code) {
    qr = await QRCode.toString(view.qr_code, { type: 'svg', margin: 1, width: 240 }).catch(() => '');
  }
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
${view.status === 'pending' ? '<meta http-equiv="refresh" content="3">' : ''}
<title>Payment ${escapeHtml(view.status)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#222}
.amount{font-size:1.6rem;font-weight:600}.status{padding:.2rem .6rem;border-radius:1rem;background:#eee}</style>
</head><body>
<p class="amount">${escapeHtml(view.display_amount)}</p>
<p><span class="status">${escapeHtml(view.status)}</span></p>
<p>${escapeHtml(MESSAGES[view.status])}</p>
${qr}
${view.status === 'pending' && view.checkout_url ? `<p><a href="${escapeHtml(view.checkout_url)}">Open the checkout</a></p>` : ''}
</body></html>`;
  return new Response(html, {
    status: 200,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
  });
}

/**
 * A QR code as SVG (`GET /v1/qr.svg?data=…`), for the browser paywall: stateless, and cacheable
 * because the same text always draws the same code.
 */
export async function qrSvg(data: string): Promise<Response> {
  const svg = await QRCode.toString(data, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
  return new Response(svg, {
    status: 200,
    headers: {
      'content-type': 'image/svg+xml',
      'cache-control': 'public, max-age=86400',
      'access-control-allow-origin': '*',
      'x-content-type-options': 'nosniff',
    },
  });
}
