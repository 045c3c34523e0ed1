import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MppConfigError } from '../protocol/errors.js';
import { hitpayEngine } from './setup.js';

const ENV = ['HITPAY_API_KEY', 'MPP_BROKER_URL', 'DATABASE_URL', 'HITPAY_BASE_URL', 'MPP_PUBLIC_URL'];
let saved: Record<string, string | undefined>;
beforeEach(() => {
  saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
  for (const k of ENV) delete process.env[k];
});
afterEach(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

function configError(fn: () => unknown): MppConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(MppConfigError);
    return error as MppConfigError;
  }
  throw new Error('expected an MppConfigError');
}

// Start-up checks only: the embedded broker is opened on first use, which these tests never reach.
describe('hitpayEngine configuration', () => {
  it('requires an API key, naming the variable to set', () => {
    const e = configError(() => hitpayEngine({}));
    expect(e.option).toBe('apiKey');
    expect(e.message).toContain('HITPAY_API_KEY');
  });

  it('takes the API key from the environment', () => {
    process.env.HITPAY_API_KEY = 'test_env_key';
    expect(hitpayEngine({ database: 'memory://env' }).options.methods.map((m) => m.name)).toEqual([
      'hitpay',
      'hitpay-save',
    ]);
  });

  it.each(['endpoint', 'publicUrl', 'hitpayBaseUrl'])('rejects a %s that is not an http(s) URL', (option) => {
    const e = configError(() => hitpayEngine({ apiKey: 'test_k', [option]: 'ftp://example.com' }));
    expect(e.option).toBe(option);
  });

  it('lets apps share an embedded broker when they ask for the same options', () => {
    const options = { apiKey: 'test_a', database: 'memory://shared-same' };
    hitpayEngine({
      ...options,
      brokerOptions: { reconcileIntervalMs: 0, rateLimits: { checkoutPerAddress: false } },
    });
    expect(() =>
      hitpayEngine({
        ...options,
        apiKey: 'test_b',
        brokerOptions: { rateLimits: { checkoutPerAddress: false }, reconcileIntervalMs: 0 },
      }),
    ).not.toThrow();
  });

  it('refuses a second app whose brokerOptions would be silently ignored by the shared broker', () => {
    hitpayEngine({
      apiKey: 'test_a',
      database: 'memory://shared-differ',
      brokerOptions: { reconcileIntervalMs: 0 },
    });
    const e = configError(() =>
      hitpayEngine({
        apiKey: 'test_b',
        database: 'memory://shared-differ',
        brokerOptions: { reconcileIntervalMs: 5 },
      }),
    );
    expect(e.option).toBe('brokerOptions');
    expect(e.message).toContain('different database');
    expect(() => hitpayEngine({ apiKey: 'test_b', database: 'memory://shared-differ' })).toThrow(
      MppConfigError,
    );
    // Another database, a standalone broker, or a broker of your own: nothing is shared.
    expect(() =>
      hitpayEngine({
        apiKey: 'test_b',
        database: 'memory://other',
        brokerOptions: { reconcileIntervalMs: 5 },
      }),
    ).not.toThrow();
    expect(() =>
      hitpayEngine({
        apiKey: 'test_b',
        database: 'memory://shared-differ',
        endpoint: 'https://broker.example.com',
        brokerOptions: { reconcileIntervalMs: 5 },
      }),
    ).not.toThrow();
  });

  it('compares functions in brokerOptions by identity', () => {
    const fetch = async () => new Response('');
    hitpayEngine({ apiKey: 'test_a', database: 'memory://fn', brokerOptions: { fetch } });
    expect(() =>
      hitpayEngine({ apiKey: 'test_b', database: 'memory://fn', brokerOptions: { fetch } }),
    ).not.toThrow();
    expect(() =>
      hitpayEngine({
        apiKey: 'test_c',
        database: 'memory://fn',
        brokerOptions: { fetch: async () => new Response('') },
      }),
    ).toThrow(MppConfigError);
  });
});
