import type { Mpp } from '@hit-pay/mpp';

/**
 * The weather API `mpp dev` serves: the same routes and prices as the example APIs
 * (`examples/weather`), written with core's Fetch API so the CLI needs no web framework.
 */

const SKIES = ['sunny', 'partly cloudy', 'cloudy', 'light rain', 'thunderstorms'] as const;

// Deterministic per postcode, like the examples, so a paid answer can be checked.
function seed(zip: string): number {
  let h = 2166136261;
  for (const c of zip) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return h >>> 0;
}

/** Today's forecast for a postcode. */
export function forecast(zip: string): { zip: string; sky: string; highC: number; lowC: number } {
  const s = seed(zip);
  return { zip, sky: SKIES[s % SKIES.length]!, highC: 28 + (s % 6), lowC: 23 + (s % 4) };
}

function hourly(zip: string, hours = 6): { hour: number; sky: string; tempC: number }[] {
  const s = seed(zip);
  return Array.from({ length: hours }, (_, i) => ({
    hour: i,
    sky: SKIES[(s + i) % SKIES.length]!,
    tempC: 25 + ((s >> i) % 6),
  }));
}

/** The prices of the dev API (those of every example API). */
export const DEV_PRICES = {
  forecast: { amount: '1.00', currency: 'sgd', description: 'Forecast' },
  hourly: {
    currency: 'sgd',
    perCallAmount: '0.50',
    maxAmountPerCharge: '1.00',
    totalAmountCap: '10.00',
    description: 'Hourly forecast',
  },
} as const;

/** The routes, for the index page and the start-up banner. */
export const DEV_ROUTES = [
  { route: 'GET /forecast/:zip', price: 'SGD 1.00 per call, one-time HitPay checkout (PayNow QR)' },
  { route: 'GET /forecast/:zip/hourly', price: 'SGD 0.50 per call from a saved wallet (hitpay-save)' },
  { route: 'GET /health', price: 'free' },
] as const;

type Ctx = { zip: string };

/**
 * The API as a Fetch handler: the embedded broker's routes (checkout, webhook, JWKS) first,
 * then the weather routes.
 */
export function weatherApi(mpp: Mpp): (request: Request) => Promise<Response> {
  const today = mpp.protect<Ctx>(DEV_PRICES.forecast, (_req, ctx) => {
    if (!/^\d{4,6}$/.test(ctx.zip)) return Response.json({ error: 'unknown postcode' }, { status: 404 });
    return Response.json({ ...forecast(ctx.zip), paid: ctx.payment.reference });
  });
  const perHour = mpp.protectSavedMethod<Ctx>(
    { ...DEV_PRICES.hourly, customerEmail: (req) => req.headers.get('x-user-email') ?? undefined },
    (_req, ctx) =>
      Response.json({ zip: ctx.zip, hours: hourly(ctx.zip), remaining: ctx.payment.details?.remaining }),
  );
  return async (request) => {
    const mounted = await mpp.handle(request);
    if (mounted) return mounted;
    const path = new URL(request.url).pathname;
    const get = request.method === 'GET' || request.method === 'HEAD';
    if (get && path === '/health') return Response.json({ ok: true });
    if (get && path === '/') return Response.json({ name: 'mpp dev weather API', routes: DEV_ROUTES });
    const m = /^\/forecast\/([^/]+)(\/hourly)?\/?$/.exec(path);
    if (get && m) return (m[2] ? perHour : today)(request, { zip: decodeURIComponent(m[1]!) });
    return Response.json({ error: 'not found' }, { status: 404 });
  };
}
