import { forecast, hourly, PRICES, validZip } from '@hit-pay/example-weather';
import { type MppPluginOptions, mppPlugin } from '@hit-pay/mpp-fastify';
import Fastify from 'fastify';

/** The weather API on Fastify: prices live in each route's `config.mpp`. */
export async function buildApp(options: MppPluginOptions = {}) {
  const app = Fastify();
  await app.register(mppPlugin, options);

  app.get('/health', async () => ({ ok: true }));

  app.get<{ Params: { zip: string } }>(
    '/forecast/:zip',
    { config: { mpp: PRICES.forecast } },
    async (request, reply) => {
      if (!validZip(request.params.zip)) return reply.code(404).send({ error: 'unknown postcode' });
      return { ...forecast(request.params.zip), paid: request.mpp?.reference };
    },
  );

  app.get<{ Params: { zip: string } }>(
    '/forecast/:zip/hourly',
    {
      config: {
        mpp: {
          savedMethod: {
            ...PRICES.hourly,
            customerEmail: (req) => req.headers.get('x-user-email') ?? undefined,
          },
        },
      },
    },
    async (request) => ({
      zip: request.params.zip,
      hours: hourly(request.params.zip),
      remaining: request.mpp?.details?.remaining,
    }),
  );
  await app.ready();
  return app;
}
