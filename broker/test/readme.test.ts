import { createMpp } from '@hit-pay/mpp';
import { createBroker, startBroker } from '@hit-pay/mpp-broker';
import { afterAll, describe, expect, it, vi } from 'vitest';

/** The README's snippets, verbatim, with the environment they read. */
describe('README', () => {
  vi.stubEnv('HITPAY_API_KEY', 'test_broker_readme_key');
  vi.stubEnv('HITPAY_WEBHOOK_SALT', 'readme-salt');
  vi.stubEnv('MPP_SECRET_KEY', 'broker-readme-secret-0123456789abcdef');
  vi.stubEnv('DATABASE_URL', 'memory://');
  vi.stubEnv('PORT', '0');
  afterAll(() => {
    vi.unstubAllEnvs();
  });

  it('embedded: createMpp needs only the HitPay key', () => {
    // Embedded: nothing to do. createMpp loads @hit-pay/mpp-broker on first use and mounts its routes
    // under /mpp (checkout, polling, webhooks) and /.well-known/jwks.json.
    const mpp = createMpp({
      apiKey: process.env.HITPAY_API_KEY,
      webhookSalt: process.env.HITPAY_WEBHOOK_SALT,
    });
    expect(mpp.engine.isMounted('/mpp/v1/charges')).toBe(true);
  });

  it('explicit and standalone brokers', async () => {
    const broker = await createBroker({ database: 'memory://', secretKey: process.env.MPP_SECRET_KEY });
    const mpp = createMpp({ apiKey: process.env.HITPAY_API_KEY, broker }); // an explicit embedded broker

    const running = await startBroker({
      port: Number(process.env.PORT ?? 4403),
      database: process.env.DATABASE_URL,
    });
    process.on('SIGTERM', () => running.close()); // stops accepting, drains, closes storage

    expect((await (await fetch(`${running.url}/.well-known/jwks.json`)).json()).keys).toHaveLength(1);
    expect(mpp.engine.isMounted('/.well-known/jwks.json')).toBe(true);
    await running.close();
    await broker.close();
  });
});
