/**
 * The wallet-approval page of a save session at `/<business-id>/recurring-plan/<id>` (HitPay's
 * path), styled per rail (GrabPay, ShopeePay, Touch 'n Go, card), with Approve / Decline buttons.
 * Approving attaches the method and redirects to `redirect_url?reference=<id>&status=completed`.
 */
import type { Handler, SandboxContext } from '../context.js';
import { SandboxHttpError } from '../errors.js';
import { html, type Reply, seeOther } from '../http/reply.js';
import { decideRecurringBilling } from '../resources/recurring-billing.js';
import type { RecurringBillingRecord } from '../state.js';
import { Validator } from '../validation.js';
import { h, messagePage, page, Raw, withOutcome } from './layout.js';

interface RailLook {
  title: string;
  brand: string;
  blurb: string;
}

const RAILS: Record<string, RailLook> = {
  grabpay_direct: {
    title: 'GrabPay',
    brand: '#00b14f',
    blurb: 'Link your GrabPay wallet for future payments.',
  },
  shopee_pay: {
    title: 'ShopeePay',
    brand: '#ee4d2d',
    blurb: 'Link your ShopeePay wallet for future payments.',
  },
  shopee_recurring: {
    title: 'ShopeePay',
    brand: '#ee4d2d',
    blurb: 'Link your ShopeePay wallet for future payments.',
  },
  touch_n_go: {
    title: "Touch 'n Go eWallet",
    brand: '#005abb',
    blurb: "Authorise your Touch 'n Go eWallet for future payments.",
  },
  card: {
    title: 'Card',
    brand: '#1a1f36',
    blurb: 'Save a card for future payments (test card 4242 4242 4242 4242).',
  },
};

const look = (method: string): RailLook => RAILS[method] ?? RAILS.card!;

function lookup(ctx: SandboxContext, businessId: string, id: string): RecurringBillingRecord | undefined {
  const rb = ctx.state.recurringBillings[id];
  return rb && rb.businessId === businessId ? rb : undefined;
}

function render(ctx: SandboxContext, rb: RecurringBillingRecord, notice?: string): string {
  const first = rb.chargeMethod ?? rb.paymentMethods[0] ?? 'card';
  const rail = look(first);
  const open = rb.status === ctx.options.recurringInitialStatus && rb.defaultMethodId === null;
  const choices =
    rb.paymentMethods.length > 1
      ? rb.paymentMethods.map(
          (m, i) =>
            h`<label class="method"><input type="radio" name="payment_method" value="${m}"${new Raw(i === 0 ? ' checked' : '')}> ${look(m).title}</label>`,
        )
      : [h`<input type="hidden" name="payment_method" value="${first}">`];
  const card =
    first === 'card'
      ? h`<input class="card" aria-label="Card number" value="4242 4242 4242 4242" readonly>
<input class="card" aria-label="Expiry" value="12 / 34" readonly>`
      : new Raw('');
  const banner = notice ?? (open ? undefined : `This session is ${rb.status}.`);
  return page(
    `${rail.title} · authorise ${rb.name}`,
    rail.brand,
    h`<header><small>HitPay sandbox · ${rb.name}</small><h1 data-testid="rail">${rail.title}</h1></header>
<section><p>${rail.blurb}</p><dl><dt>Customer</dt><dd>${rb.customerEmail}</dd><dt>Reference</dt><dd>${rb.reference ?? rb.id}</dd></dl></section>
${banner ? h`<p class="banner" data-testid="status">${banner}</p>` : new Raw('')}
${
  open
    ? h`<form method="post"><section>${choices}${card}</section><div class="actions">
<button class="primary" type="submit" name="decision" value="approve">Approve</button>
<button class="secondary" type="submit" name="decision" value="decline">Decline</button></div></form>`
    : new Raw('')
}`,
  );
}

const notFound = (): Reply => html(404, messagePage('Not found', 'This authorisation link does not exist.'));

/** `GET /{businessId}/recurring-plan/{id}` */
export const showApproval: Handler = (ctx, req) => {
  const rb = lookup(ctx, req.params.businessId!, req.params.id!);
  return rb ? html(200, render(ctx, rb)) : notFound();
};

/** `POST /{businessId}/recurring-plan/{id}` with `decision=approve|decline` and `payment_method`. */
export const submitApproval: Handler = (ctx, req) => {
  const rb = lookup(ctx, req.params.businessId!, req.params.id!);
  if (!rb) return notFound();
  try {
    const v = new Validator(req.body);
    const decision = v.string('decision', { max: 16 });
    const paymentMethod = v.string('payment_method', { max: 64 });
    if (decision !== 'approve' && decision !== 'decline')
      v.fail('decision', 'The selected decision is invalid.');
    v.done();
    const approve = decision === 'approve';
    const result = decideRecurringBilling(ctx, rb, { approve, paymentMethod });
    req.emit(result.webhooks);
    const status = approve ? 'completed' : 'failed';
    if (rb.redirectUrl) return seeOther(withOutcome(rb.redirectUrl, rb.id, status));
    return html(
      200,
      messagePage(
        approve ? 'Payment method saved' : 'Authorisation declined',
        `Session ${rb.id} is ${rb.status}.`,
        look(rb.paymentMethods[0]!).brand,
      ),
    );
  } catch (error) {
    if (!(error instanceof SandboxHttpError)) throw error;
    return html(error.status, render(ctx, rb, error.body.message));
  }
};
