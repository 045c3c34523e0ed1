import { forecast, hourly, PRICES, validZip } from '@hit-pay/example-weather';
import { createMpp, type MppOptions } from '@hit-pay/mpp';
import { Hono } from 'hono';

/**
 * The weather API with the Fetch API directly (what a Next.js App Router route does too), inside
 * Hono: `mpp.protect` wraps `(Request, ctx) => Response` handlers; `mpp.handle` serves the
 * embedded broker's routes (checkout, webhook, JWKS).
 */
export function buildApp(options: MppOptions = {}) {
  const mpp = createMpp(options);
  const app = new Hono();
  app.use(async (c, next) => (await mpp.handle(c.req.raw)) ?? next());

  app.get('/health', (c) => c.json({ ok: true }));

  const today = mpp.protect<{ req: { param(name: string): string } }>(PRICES.forecast, (_req, c) => {
    const zip = c.req.param('zip');
    if (!validZip(zip)) return Response.json({ error: 'unknown postcode' }, { status: 404 });
    return Response.json({ ...forecast(zip), paid: c.payment.reference });
  });
  app.get('/forecast/:zip', (c) => today(c.req.raw, c));

  const perHour = mpp.protectSavedMethod<{ req: { param(name: string): string } }>(
    { ...PRICES.hourly, customerEmail: (req) => req.headers.get('x-user-email') ?? undefined },
    (_req, c) =>
      Response.json({
        zip: c.req.param('zip'),
        hours: hourly(c.req.param('zip')),
        remaining: c.payment.details?.remaining,
      }),
  );
  app.get('/forecast/:zip/hourly', (c) => perHour(c.req.raw, c));
  return { app, mpp };
}
