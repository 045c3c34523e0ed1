import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_URL, serviceAvailable } from '../../../test-support/services.ts';
import { RedisStore } from './redis-store.js';
import { MemoryStore } from './store.js';

describe('MemoryStore', () => {
  it('claims once until the TTL passes', async () => {
    let now = 0;
    const s = new MemoryStore({ now: () => now });
    expect(await s.claim('k', 100)).toBe(true);
    expect(await s.claim('k', 100)).toBe(false);
    now = 101;
    expect(await s.claim('k', 100)).toBe(true);
  });
  it('release gives the key back; extend keeps it', async () => {
    let now = 0;
    const s = new MemoryStore({ now: () => now });
    await s.claim('k', 10);
    await s.release('k');
    expect(await s.claim('k', 10)).toBe(true);
    await s.extend('k', 1000);
    now = 500;
    expect(await s.claim('k', 10)).toBe(false);
  });
  it('is bounded: a full store refuses (fails closed) instead of evicting a live claim', async () => {
    const s = new MemoryStore({ maxEntries: 3 });
    for (const k of ['a', 'b', 'c']) expect(await s.claim(k, 60_000)).toBe(true);
    await expect(s.claim('d', 60_000)).rejects.toMatchObject({ code: 'service-unavailable' });
    expect(await s.claim('a', 60_000)).toBe(false);
  });
  it('stays bounded under churn of expiring claims', async () => {
    let now = 0;
    const s = new MemoryStore({ now: () => now, maxEntries: 1000 });
    for (let i = 0; i < 100_000; i++) {
      now += 1;
      expect(await s.claim(`k${i}`, 50)).toBe(true);
    }
    expect(s.size).toBeLessThanOrEqual(1000);
  });
});

const redisUp = await serviceAvailable('redis');

describe.skipIf(!redisUp)('RedisStore (real Redis at 127.0.0.1:6379)', () => {
  const prefix = `mpp-test:${process.pid}:${Date.now()}:`;
  let a: RedisStore;
  let b: RedisStore;
  beforeAll(() => {
    a = new RedisStore({ client: REDIS_URL, keyPrefix: prefix });
    b = new RedisStore({ client: REDIS_URL, keyPrefix: prefix });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('50 concurrent claims of one key from two connections → exactly one wins', async () => {
    const claims = Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).claim('one-key', 60_000));
    const results = await Promise.all(claims);
    expect(results.filter(Boolean)).toHaveLength(1);
  });
  it('TTL expiry frees the key', async () => {
    expect(await a.claim('ttl-key', 150)).toBe(true);
    expect(await b.claim('ttl-key', 150)).toBe(false);
    await new Promise((r) => setTimeout(r, 300));
    expect(await b.claim('ttl-key', 150)).toBe(true);
  });
  it('release and extend', async () => {
    expect(await a.claim('rel', 60_000)).toBe(true);
    await a.release('rel');
    expect(await b.claim('rel', 100)).toBe(true);
    await b.extend('rel', 60_000);
    await new Promise((r) => setTimeout(r, 200));
    expect(await a.claim('rel', 100)).toBe(false);
  });
});

describe('RedisStore fails closed', () => {
  it('an unreachable Redis rejects with service-unavailable, never grants a claim', async () => {
    const s = new RedisStore({ client: 'redis://127.0.0.1:1', keyPrefix: 'x:' });
    await expect(s.claim('k', 1000)).rejects.toMatchObject({ code: 'service-unavailable' });
    await s.close().catch(() => {});
  });
});
