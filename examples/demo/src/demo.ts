/**
 * The offline demo (npm run demo). This first version shows the protocol core on its own: a
 * protected Fetch handler, the 402 challenge, a credential, the paid 200 with its receipt, and a
 * refused replay. The full HitPay flow (sandbox, broker, agent) replaces it as those parts land.
 */
import { createMpp } from '@hit-pay/mpp';
import { formatCredential, parseChallenges, parseReceipt } from '@hit-pay/mpp/protocol';
import { testMethod } from '@hit-pay/mpp/testing';

const step = (n: number, text: string) => console.log(`\n\x1b[1m${n}. ${text}\x1b[0m`);

const mpp = createMpp({
  methods: [testMethod()],
  secretKey: 'demo-secret-demo-secret-demo-secret!!',
  realm: 'api.example.com',
});
const forecast = mpp.protect(
  { amount: '1.00', currency: 'sgd', description: 'Forecast' },
  async (_req, ctx) => Response.json({ zip: '94103', forecast: 'sunny', paid: ctx.payment.amount }),
);
const url = 'https://api.example.com/forecast/94103';

step(1, `GET ${url} without paying`);
const first = await forecast(new Request(url), {});
console.log(`   ← ${first.status} ${first.statusText || 'Payment Required'}`);
console.log(`   WWW-Authenticate: ${first.headers.get('www-authenticate')?.slice(0, 100)}…`);
const challenge = parseChallenges(first.headers.get('www-authenticate')!)[0]!;

step(2, 'The agent pays (deterministic test method) and retries with Authorization: Payment <credential>');
const credential = formatCredential({ challenge, payload: { proof: 'ok-1' } });
const paid = await forecast(new Request(url, { headers: { authorization: credential } }), {});
console.log(`   ← ${paid.status}`, await paid.json());
console.log('   Payment-Receipt:', parseReceipt(paid.headers.get('payment-receipt')!));

step(3, 'Replaying the same credential');
const replay = await forecast(new Request(url, { headers: { authorization: credential } }), {});
const problem = (await replay.json()) as { type: string };
console.log(`   ← ${replay.status} ${problem.type}`);

if (first.status !== 402 || paid.status !== 200 || replay.status !== 402) process.exit(1);
console.log('\nDemo finished: one payment, one response, replay refused.');
