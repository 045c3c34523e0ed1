import type { RequestObject } from '../engine/method.js';
import type { Challenge } from '../protocol/challenge.js';
import { checkoutUrl } from './checkout-link.js';

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** JSON safe to embed in a <script> element (no `</script>`, no HTML comment openers). */
const scriptJson = (value: unknown): string =>
  JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028|\u2029/g, '');

/**
 * The browser paywall of a `hitpay` route: price, description, the PayNow QR and a checkout
 * button. Served as the 402 body to browsers (the `WWW-Authenticate` challenge still rides in the
 * headers). Its script creates the checkout at the broker, shows the QR, polls until paid, then
 * fetches the resource with the credential and shows it; after paying on HitPay's own page the
 * browser returns here and the page finishes the same way (the pending challenge is kept in
 * sessionStorage for this URL). No external assets.
 */
export function paywallPage(
  challenge: Challenge,
  request: RequestObject,
  broker: string,
  resourceUrl: string,
): string {
  const details = request.methodDetails as Record<string, unknown>;
  const price = String(details.display_amount ?? `${request.currency} ${request.amount}`);
  const description = typeof request.description === 'string' ? request.description : 'Paid resource';
  const data = { challenge, broker };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(description)} · ${escapeHtml(price)}</title>
<style>
body{font:16px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:#f4f6fb;color:#1b2333;margin:0;display:grid;place-items:center;min-height:100vh}
main{background:#fff;border-radius:16px;box-shadow:0 8px 30px #1b23331a;padding:32px;max-width:380px;width:calc(100% - 48px);text-align:center}
h1{font-size:20px;margin:0 0 4px}.price{font-size:34px;font-weight:700;margin:8px 0 16px}
#qr{width:220px;height:220px;margin:0 auto 12px;display:grid;place-items:center;border:1px solid #e3e7f0;border-radius:12px}
#qr img{width:200px;height:200px}.muted{color:#66708a;font-size:14px}
a.pay{display:block;margin:16px 0 8px;padding:12px;border-radius:10px;background:#0a58ff;color:#fff;text-decoration:none;font-weight:600}
#status{min-height:1.5em}#content{text-align:left;white-space:pre-wrap;word-break:break-word;background:#f4f6fb;padding:12px;border-radius:8px}
</style></head>
<body><main>
<p class="muted">Payment required</p>
<h1 id="description">${escapeHtml(description)}</h1>
<div class="price" id="price">${escapeHtml(price)}</div>
<div id="qr" aria-label="PayNow QR code"><span class="muted">Preparing QR…</span></div>
<p class="muted">Scan with your banking or wallet app, or</p>
<a class="pay" id="pay" href="#">Pay with HitPay</a>
<p id="status" class="muted" role="status"></p>
<noscript><p><a href="${escapeHtml(checkoutUrl(broker, challenge, resourceUrl))}">Open the HitPay checkout</a>. This page needs JavaScript to show the resource after payment.</p></noscript>
</main>
<script type="application/json" id="mpp-data">${scriptJson(data)}</script>
<script>
(() => {
  const { challenge, broker } = JSON.parse(document.getElementById('mpp-data').textContent);
  const key = 'mpp:' + location.href;
  const status = (t) => { document.getElementById('status').textContent = t; };
  const b64url = (s) => btoa(String.fromCharCode(...new TextEncoder().encode(s))).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  async function unlock(p) {
    status('Paid — loading…');
    const credential = 'Payment ' + b64url(JSON.stringify({ challenge: p.challenge, payload: { payment_request_id: p.payment_request_id } }));
    for (let i = 0; i < 20; i++) {
      const res = await fetch(location.href, { headers: { authorization: credential, accept: 'text/html, application/json;q=0.9, */*;q=0.8' } });
      if (res.status === 402 && res.headers.get('retry-after')) { await sleep(1000 * Number(res.headers.get('retry-after'))); continue; }
      sessionStorage.removeItem(key);
      const type = res.headers.get('content-type') || '';
      const text = await res.text();
      if (type.includes('text/html')) { document.open(); document.write(text); document.close(); return; }
      document.querySelector('main').innerHTML = '<h1>' + (res.ok ? 'Paid ✓' : 'Error ' + res.status) + '</h1><pre id="content"></pre>';
      document.getElementById('content').textContent = text;
      return;
    }
    status('The payment is taking longer than expected; reload in a moment.');
  }
  async function watch(p) {
    document.getElementById('qr').innerHTML = p.qr_code ? '<img alt="PayNow QR" src="' + broker + '/v1/qr.svg?data=' + encodeURIComponent(p.qr_code) + '">' : '<span class="muted">Use the button below</span>';
    document.getElementById('pay').href = p.checkout_url;
    status('Waiting for payment…');
    for (;;) {
      const r = await fetch(p.polling_url, { headers: { accept: 'application/json' } });
      const view = r.ok ? await r.json() : null;
      if (view && view.status === 'paid') return unlock(p);
      if (view && view.status !== 'pending') { sessionStorage.removeItem(key); status('This checkout ' + view.status + '. Reload to start again.'); return; }
      await sleep(2000);
    }
  }
  (async () => {
    const saved = JSON.parse(sessionStorage.getItem(key) || 'null');
    if (saved && Date.parse(saved.challenge.expires) > Date.now()) return watch(saved);
    const res = await fetch(broker + '/v1/charges', { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ challenge, return_url: location.href }) });
    if (!res.ok) { status('The checkout could not be created (' + res.status + ').'); return; }
    const view = await res.json();
    const pending = { challenge, payment_request_id: view.payment_request_id, polling_url: view.polling_url || broker + '/v1/charges/' + challenge.id, checkout_url: view.checkout_url, qr_code: view.qr_code };
    sessionStorage.setItem(key, JSON.stringify(pending));
    return watch(pending);
  })().catch((e) => status('Something went wrong: ' + e.message));
})();
</script>
</body></html>`;
}
