import { displayAmount } from '@hit-pay/mpp';
import type { PaymentPrompt } from '../fetch.js';
import { mppFetch } from '../fetch.js';
import { MemoryLedger } from '../ledger.js';
import { FileLedger, loadGrant } from '../node/index.js';
import { parseHeaderFlags } from './headers.js';
import { ExitCode, type Output, Spinner, terminalQr } from './output.js';

export interface FetchFlags {
  request?: string;
  header?: string[];
  data?: string;
  json?: boolean;
  maxAmount?: string;
  currency?: string;
  grant?: string;
  timeout?: string;
  ledger?: string | false;
  include?: boolean;
}

/** `mpp fetch <url>`: pays if asked to, shows the checkout (QR on a terminal), prints the response. */
export async function fetchCommand(url: string, flags: FetchFlags, out: Output): Promise<number> {
  const headers = parseHeaderFlags(flags.header);
  const ledger = flags.ledger === false ? new MemoryLedger() : new FileLedger(flags.ledger || undefined);
  const grant = flags.grant ? await loadGrant(flags.grant) : undefined;
  let spinner: Spinner | undefined;
  const { response, receipt } = await mppFetch(url, {
    method: flags.request ?? (flags.data !== undefined ? 'POST' : 'GET'),
    headers,
    ...(flags.data !== undefined ? { body: flags.data } : {}),
    ...(grant ? { savedMethodJws: grant.jws } : {}),
    ...(flags.maxAmount
      ? { budget: { currency: flags.currency ?? 'sgd', maxPerRequest: flags.maxAmount } }
      : {}),
    ...(flags.timeout ? { timeout: Number(flags.timeout) * 1000 } : {}),
    ledger,
    onChallenge: async (p: PaymentPrompt) => {
      out.say(
        `\n\x1b[1m${p.displayAmount}\x1b[0m${p.description ? ` — ${p.description}` : ''}  (${new URL(p.url).host})`,
      );
      if (p.methodDetails.qr_code) out.say(await terminalQr(p.methodDetails.qr_code));
      const prId = p.methodDetails.payment_request_id;
      out.say(`Pay here: ${p.methodDetails.checkout_url ?? '(no checkout link)'}`);
      if (prId) out.say(`HitPay payment request: ${prId}`);
      out.result({
        event: 'challenge',
        amount: p.amount,
        currency: p.currency,
        description: p.description,
        checkout_url: p.methodDetails.checkout_url,
        qr_code: p.methodDetails.qr_code,
        polling_url: p.methodDetails.polling_url,
        payment_request_id: prId,
        expires: p.expires,
      });
      spinner = new Spinner('waiting for the payment…').start();
      return { pay: true };
    },
  }).finally(() => spinner?.stop());
  const text = await response.text();
  if (receipt)
    out.say(
      `\x1b[32m✔ paid\x1b[0m ${displayAmount(receipt.amount, receipt.currency)} · reference ${receipt.reference} · receipt verified`,
    );
  if (out.json) {
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {}
    out.result({
      status: response.status,
      headers: Object.fromEntries(response.headers),
      body,
      receipt: receipt ?? null,
    });
  } else {
    if (flags.include)
      out.human(
        `HTTP ${response.status}\n${[...response.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n`,
      );
    out.human(text);
  }
  return response.ok ? ExitCode.ok : ExitCode.http;
}
