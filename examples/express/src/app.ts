import { forecast, hourly, PRICES, validZip } from '@hit-pay/example-weather';
import { type MppExpressOptions, mppExpress } from '@hit-pay/mpp-express';
import express from 'express';

/**
 * A weather API on Express: `/forecast/:zip` costs SGD 1.00 per call (one-time HitPay checkout),
 * `/forecast/:zip/hourly` SGD 0.50 per call from a saved wallet, `/health` is free.
 */
export function buildApp(options: MppExpressOptions = {}) {
  const app = express();
  const mpp = mppExpress(options);
  app.use(mpp);

  app.get('/health', (_req, res) => {
    res.json({ ok: true });
  });

  app.get('/forecast/:zip', mpp.protect(PRICES.forecast), (req, res) => {
    if (!validZip(req.params.zip)) return void res.status(404).json({ error: 'unknown postcode' });
    res.json({ ...forecast(req.params.zip), paid: req.mpp?.reference });
  });

  app.get(
    '/forecast/:zip/hourly',
    mpp.protectSavedMethod({
      ...PRICES.hourly,
      customerEmail: (req) => req.headers.get('x-user-email') ?? undefined,
    }),
    (req, res) => {
      res.json({
        zip: req.params.zip,
        hours: hourly(req.params.zip),
        remaining: req.mpp?.details?.remaining,
      });
    },
  );
  return app;
}
