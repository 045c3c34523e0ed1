import { forecast, hourly, PRICES, validZip } from '@hit-pay/example-weather';
import { type MppKoaOptions, mppKoa } from '@hit-pay/mpp-koa';
import Router from '@koa/router';
import Koa from 'koa';

/** The weather API on Koa with @koa/router: the payment middleware runs first, routes opt in. */
export function buildApp(options: MppKoaOptions = {}) {
  const app = new Koa();
  const mpp = mppKoa(options);
  const router = new Router();
  app.use(mpp);

  router.get('/health', (ctx) => {
    ctx.body = { ok: true };
  });

  router.get('/forecast/:zip', mpp.protect(PRICES.forecast), (ctx) => {
    if (!validZip(ctx.params.zip!)) {
      ctx.status = 404;
      ctx.body = { error: 'unknown postcode' };
      return;
    }
    ctx.body = { ...forecast(ctx.params.zip!), paid: ctx.state.mpp?.reference };
  });

  router.get(
    '/forecast/:zip/hourly',
    mpp.protectSavedMethod({
      ...PRICES.hourly,
      customerEmail: (req) => req.headers.get('x-user-email') ?? undefined,
    }),
    (ctx) => {
      ctx.body = {
        zip: ctx.params.zip,
        hours: hourly(ctx.params.zip!),
        remaining: ctx.state.mpp?.details?.remaining,
      };
    },
  );
  app.use(router.routes()).use(router.allowedMethods());
  return app;
}
