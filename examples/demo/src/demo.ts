/**
 * The offline demo (`npm run demo`): the whole HitPay MPP payment flow on one machine, no network.
 * The HitPay sandbox plays HitPay (and the person's bank and wallet); the Express weather API
 * runs with the embedded broker on PGlite; the agent is `@hit-pay/mpp-client`.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '@hit-pay/example-express';
import { displayAmount } from '@hit-pay/mpp';
import { base64url, formatCredential, parseChallenges } from '@hit-pay/mpp/protocol';
import { brokerKeys, MemoryLedger, mppFetch, mppSaveMethod, verifyPaymentReceipt } from '@hit-pay/mpp-client';
import { startSandbox } from '@hit-pay/mpp-sandbox';
import QRCode from 'qrcode';

const color = process.stdout.isTTY && !process.env.NO_COLOR;
const bold = (s: string) => (color ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string) => (color ? `\x1b[2m${s}\x1b[0m` : s);
const green = (s: string) => (color ? `\x1b[32m${s}\x1b[0m` : s);
let n = 0;
const step = (text: string) => console.log(`\n${bold(`${++n}. ${text}`)}`);
const say = (text: string) => console.log(`   ${text}`);
const clip = (s: string, max = 96) => (s.length > max ? `${s.slice(0, max)}…` : s);

const started = Date.now();
const API_KEY = 'test_mpp_demo_key';
const WEBHOOK_SALT = 'demo-webhook-endpoint-salt';
const dataDir = mkdtempSync(join(tmpdir(), 'mpp-demo-'));

console.log(bold('HitPay MPP — offline demo of HTTP 402 machine payments'));
console.log(dim('The sandbox plays HitPay (and the payer’s bank and wallet); nothing leaves this machine.'));

step('Start the offline HitPay sandbox');
const sandbox = await startSandbox({ port: 0, webhookRetryDelaysMs: [100, 500] });
say(`HitPay API and hosted checkout: ${sandbox.url}`);

step('Start the weather API: Express + @hit-pay/mpp-express, broker embedded (PGlite)');
const app = buildApp({
  apiKey: API_KEY,
  webhookSalt: WEBHOOK_SALT,
  apiSalt: sandbox.business(API_KEY).salt,
  hitpayBaseUrl: sandbox.url,
  database: join(dataDir, 'broker'),
  secretKey: 'demo-secret-demo-secret-demo-secret-demo',
});
const server = app.listen(0, '127.0.0.1');
await new Promise((r) => server.once('listening', r));
const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
say(
  `${api}  —  /forecast/:zip costs SGD 1.00 · /forecast/:zip/hourly SGD 0.50 from a saved wallet · /health is free`,
);
sandbox.registerWebhookEndpoint(API_KEY, { url: `${api}/mpp/v1/webhook/hitpay`, salt: WEBHOOK_SALT });
say(dim('Registered the broker’s webhook with HitPay, as a merchant does once in the HitPay dashboard.'));

console.log(`\n${bold('— One-time payment: method="hitpay" —')}`);
step(`The agent calls GET ${api}/forecast/94103 without paying`);
const unpaid = await fetch(`${api}/forecast/94103`);
const challenge = parseChallenges(unpaid.headers.get('www-authenticate')!)[0]!;
const request = JSON.parse(base64url.decodeText(challenge.request)) as {
  amount: string;
  currency: string;
  description: string;
};
say(`← ${unpaid.status} Payment Required   Cache-Control: ${unpaid.headers.get('cache-control')}`);
say(`WWW-Authenticate: ${clip(unpaid.headers.get('www-authenticate')!)}`);
say(
  `price ${displayAmount(request.amount, request.currency)} for "${request.description}" · challenge ${challenge.id.slice(0, 12)}… · expires ${challenge.expires}`,
);
say(
  dim(
    `Issuing it called nothing: HitPay has ${sandbox.stats.created.paymentRequests} payment requests so far.`,
  ),
);

const broker = JSON.parse(base64url.decodeText(challenge.request)).methodDetails.broker as string;
step('The agent asks the broker for the checkout of this challenge');
const view = (await (
  await fetch(`${broker}/v1/charges`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ challenge }),
  })
).json()) as {
  payment_request_id: string;
  checkout_url: string;
  qr_code: string;
  polling_url: string;
  status: string;
};
say(`Only now does HitPay get a payment request (reference = challenge id): ${view.payment_request_id}`);
say(`checkout ${view.checkout_url}`);
say('or scan this PayNow QR with a banking app:');
// A terminal gets black-on-white blocks (scannable on dark themes); logs get plain characters.
const qr = await QRCode.toString(
  view.qr_code,
  process.stdout.isTTY ? { type: 'terminal', small: true } : { type: 'utf8' },
);
console.log(qr.replace(/^/gm, '     '));

step('A person scans the QR and pays SGD 1.00 (the sandbox plays the bank)');
sandbox.pay(view.payment_request_id);
await sandbox.webhooksIdle();
say(`HitPay → broker: ${sandbox.stats.webhooks.delivered} signed webhook(s) delivered and verified.`);

step('The agent polls the charge');
let status = view.status;
for (let i = 0; status !== 'paid' && i < 50; i++) {
  status = ((await (await fetch(view.polling_url)).json()) as { status: string }).status;
  if (status !== 'paid') await new Promise((res) => setTimeout(res, 100));
}
say(`GET ${view.polling_url.replace(api, '')} → "${status}"`);

step('The agent retries with Authorization: Payment <credential>');
const credential = formatCredential({ challenge, payload: { payment_request_id: view.payment_request_id } });
say(
  dim(
    `credential = base64url({ challenge: <the challenge, echoed>, payload: { payment_request_id } }) — ${credential.length} bytes`,
  ),
);
const paid = await fetch(`${api}/forecast/94103`, { headers: { authorization: credential } });
say(`← ${paid.status} OK   Cache-Control: ${paid.headers.get('cache-control')}`);
say(JSON.stringify(await paid.json()));
const receipt = await verifyPaymentReceipt(paid.headers.get('payment-receipt'), brokerKeys(broker), {
  method: 'hitpay',
  challengeId: challenge.id,
  amount: request.amount,
  currency: request.currency,
  realm: challenge.realm,
});
say(`Payment-Receipt verified against ${broker}/.well-known/jwks.json (${green('Ed25519 ✔')}):`);
say(
  `${displayAmount(receipt.amount, receipt.currency)} · HitPay payment ${receipt.reference} · request ${receipt.requestHash.slice(0, 16)}…`,
);

step('Someone replays the same credential');
const replay = await fetch(`${api}/forecast/94103`, { headers: { authorization: credential } });
say(
  `← ${replay.status} ${((await replay.json()) as { type: string }).type.split('/').pop()} — one payment, one response`,
);

step('The same in one call with the agent SDK: mppFetch(url, { onChallenge })');
const ledger = new MemoryLedger();
const once = await mppFetch(`${api}/forecast/10001`, {
  ledger,
  pollInterval: 100,
  onChallenge: (ch) => {
    say(
      `onChallenge: ${ch.displayAmount} "${ch.description}" → pay at ${clip(String(ch.methodDetails.checkout_url), 60)}`,
    );
    sandbox.pay(String(ch.methodDetails.payment_request_id));
    return { pay: true };
  },
});
say(`← ${once.response.status} with receipt ${once.receipt!.reference} (verified)`);

console.log(`\n${bold('— Saved wallet: method="hitpay-save" —')}`);
step('The agent saves a GrabPay wallet for /forecast/94103/hourly');
const grant = await mppSaveMethod(`${api}/forecast/94103/hourly`, {
  paymentMethod: 'grabpay_direct',
  customerEmail: 'ana@example.com',
  pollInterval: 200,
  onSetupUrl: (url) => {
    say(`approval link ${url}`);
    step('The person approves in GrabPay (the sandbox plays the wallet)');
    sandbox.approve(new URL(url).pathname.split('/').pop()!);
  },
});
const claims = JSON.parse(base64url.decodeText(grant.jws.split('.')[1]!)) as Record<string, unknown>;
say(
  `grant ${grant.savedMethodId} (typ mpp-spm+jwt): ≤ ${displayAmount(grant.maxAmountPerCharge, grant.currency)} a charge, ≤ ${displayAmount(grant.totalAmountCap, grant.currency)} in all, realm ${claims.realm}, until ${new Date(Number(claims.exp) * 1000).toISOString().slice(0, 10)}`,
);

step('Three calls, each charged to the wallet with no checkout');
for (const zip of ['94103', '94103', '10001']) {
  const { response, receipt } = await mppFetch(`${api}/forecast/${zip}/hourly`, {
    savedMethodJws: grant.jws,
    ledger,
  });
  const body = (await response.json()) as { remaining: string };
  say(
    `${response.status} /forecast/${zip}/hourly · paid ${displayAmount(receipt!.amount, receipt!.currency)} · left under the grant ${displayAmount(body.remaining, 'sgd')}`,
  );
}

step('The agent’s ledger');
for (const e of await ledger.entries())
  say(`${displayAmount(e.amount, e.currency)}  ${e.method.padEnd(11)}  ${e.url.replace(api, '')}`);

await new Promise<void>((resolve) => server.close(() => resolve()));
await sandbox.close();
rmSync(dataDir, { recursive: true, force: true });
console.log(
  `\n${green('✔')} Demo finished in ${((Date.now() - started) / 1000).toFixed(1)} s: 2 one-time payments, 1 wallet saved, 3 saved-method charges, every receipt verified.`,
);
