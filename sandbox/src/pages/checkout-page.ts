/**
 * The hosted checkout page at `/payment-request/@<slug>/<id>/checkout` (HitPay's path): amount,
 * purpose, a PayNow QR rendered as inline SVG, and Pay / Fail buttons that POST back to the same
 * path. Paying redirects to `redirect_url?reference=<id>&status=completed|failed` when one is set.
 */
import QRCode from 'qrcode';
import { centsToString } from '../amounts.js';
import { businessById } from '../businesses.js';
import type { Handler, SandboxContext } from '../context.js';
import { SandboxHttpError } from '../errors.js';
import { html, type Reply, seeOther } from '../http/reply.js';
import { payable, readSettleBody, settlePaymentRequest } from '../resources/payment-outcomes.js';
import { qrFor, refreshExpiry } from '../resources/payment-requests.js';
import type { BusinessRecord, PaymentRequestRecord } from '../state.js';
import { h, messagePage, page, Raw, withOutcome } from './layout.js';

const BRAND = '#4f46e5';

function lookup(
  ctx: SandboxContext,
  slug: string,
  id: string,
): { business: BusinessRecord; pr: PaymentRequestRecord } | undefined {
  const pr = ctx.state.paymentRequests[id];
  if (!pr) return undefined;
  const business = businessById(ctx, pr.businessId);
  if (!business || business.slug !== slug) return undefined;
  refreshExpiry(ctx, pr);
  return { business, pr };
}

const notFound = (): Reply => html(404, messagePage('Not found', 'This payment link does not exist.'));

async function render(
  ctx: SandboxContext,
  business: BusinessRecord,
  pr: PaymentRequestRecord,
): Promise<string> {
  const amount = `${pr.currency.toUpperCase()} ${centsToString(pr.amountCents)}`;
  const open = payable(ctx, pr);
  let qr = new Raw('');
  if (open && pr.paymentMethods.includes('paynow_online')) {
    const payload = pr.qr?.qr_code ?? qrFor(ctx, business, pr)!.qr_code;
    const svg = await QRCode.toString(payload, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
    qr = h`<div class="qr" data-testid="paynow-qr" data-payload="${payload}">${new Raw(svg)}</div>
<p class="note">Scan with any PayNow app (sandbox: nothing is charged).</p>`;
  }
  const status = open
    ? new Raw('')
    : h`<p class="banner" data-testid="status">This payment request is ${pr.status}.</p>`;
  const actions = open
    ? h`<form method="post" class="actions">
<button class="primary" type="submit" name="status" value="completed">Pay</button>
<button class="secondary" type="submit" name="status" value="failed">Fail</button></form>`
    : new Raw('');
  return page(
    `Pay ${amount} to ${business.name}`,
    BRAND,
    h`<header><small>${business.name} · HitPay sandbox</small><h1 data-testid="amount">${amount}</h1></header>
<section><dl><dt>Purpose</dt><dd data-testid="purpose">${pr.purpose ?? '—'}</dd>
<dt>Reference</dt><dd>${pr.referenceNumber ?? pr.id}</dd><dt>Methods</dt><dd>${pr.paymentMethods.join(', ')}</dd></dl></section>
${qr}${status}${actions}`,
  );
}

/** `GET /payment-request/@{slug}/{id}/checkout` */
export const showCheckout: Handler = async (ctx, req) => {
  const found = lookup(ctx, req.params.slug!, req.params.id!);
  if (!found) return notFound();
  return html(200, await render(ctx, found.business, found.pr));
};

/** `POST /payment-request/@{slug}/{id}/checkout` with form field `status=completed|failed`. */
export const submitCheckout: Handler = async (ctx, req) => {
  const found = lookup(ctx, req.params.slug!, req.params.id!);
  if (!found) return notFound();
  const { business, pr } = found;
  try {
    const { outcome, method } = readSettleBody(req.body);
    const settled = settlePaymentRequest(ctx, business, pr, {
      outcome,
      paymentMethod: method,
      statusLag: req.fault.statusLag,
    });
    req.emit(settled.webhooks);
    if (pr.redirectUrl) return seeOther(withOutcome(pr.redirectUrl, pr.id, outcome));
    const title = outcome === 'completed' ? 'Payment completed' : 'Payment failed';
    return html(200, messagePage(title, `Payment request ${pr.id} is now ${pr.status}.`));
  } catch (error) {
    if (!(error instanceof SandboxHttpError)) throw error;
    return html(error.status, await render(ctx, business, pr));
  }
};
