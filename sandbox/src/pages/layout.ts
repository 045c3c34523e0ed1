/**
 * The shared page shell of the hosted pages: inline CSS only (no external assets, so pages work
 * offline and in a locked-down browser) and HTML escaping for every interpolated value.
 */

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A tagged template that escapes every interpolated value unless it is {@link Raw}. */
export function h(strings: TemplateStringsArray, ...values: unknown[]): Raw {
  let out = strings[0]!;
  values.forEach((v, i) => {
    const text =
      v instanceof Raw
        ? v.html
        : Array.isArray(v)
          ? v.map((x) => (x instanceof Raw ? x.html : escapeHtml(String(x)))).join('')
          : escapeHtml(String(v ?? ''));
    out += text + strings[i + 1]!;
  });
  return new Raw(out);
}

/** Already-safe HTML. */
export class Raw {
  constructor(readonly html: string) {}
}

const STYLE = `
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
background:#f3f4f8;color:#1a1f36}main{max-width:440px;margin:40px auto;background:#fff;border-radius:14px;
box-shadow:0 6px 24px rgba(26,31,54,.10);overflow:hidden}header{padding:20px 24px;color:#fff;background:var(--brand)}
header small{opacity:.85;display:block}header h1{margin:4px 0 0;font-size:28px}section{padding:20px 24px}
dl{display:grid;grid-template-columns:auto 1fr;gap:6px 16px;margin:0}dt{color:#697386}dd{margin:0;word-break:break-all}
.qr{display:flex;justify-content:center;padding:8px}.qr svg{width:220px;height:220px}
.actions{display:flex;gap:12px;padding:0 24px 24px}button{flex:1;font:inherit;font-weight:600;padding:12px;
border-radius:8px;border:0;cursor:pointer}button.primary{background:var(--brand);color:#fff}
button.secondary{background:#e3e8ee;color:#1a1f36}.note{font-size:13px;color:#697386;padding:0 24px 20px}
.banner{margin:0 24px 16px;padding:10px 12px;border-radius:8px;background:#fff4e5;color:#8a4b00}
label.method{display:flex;gap:8px;align-items:center;padding:6px 0}input.card{width:100%;padding:8px;margin:4px 0;
border:1px solid #cfd7df;border-radius:6px;font:inherit}`;

/** A full page with a brand colour for the header and buttons. */
export function page(title: string, brand: string, body: Raw): string {
  return h`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title}</title><style>${new Raw(STYLE)}</style></head>
<body style="--brand:${brand}"><main>${body}</main></body></html>`.html;
}

/** A simple message page (errors, results). */
export function messagePage(title: string, message: string, brand = '#4f46e5'): string {
  return page(
    title,
    brand,
    h`<header><small>HitPay sandbox</small><h1>${title}</h1></header><section><p>${message}</p></section>`,
  );
}

/** `url` with `reference` and `status` added to its query, as HitPay does on redirect. */
export function withOutcome(url: string, reference: string, status: string): string {
  const u = new URL(url);
  u.searchParams.set('reference', reference);
  u.searchParams.set('status', status);
  return u.toString();
}
