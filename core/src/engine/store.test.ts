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
  it('values: add is put-if-absent, set replaces, get honours the TTL, release deletes', async () => {
    let now = 0;
    const s = new MemoryStore({ now: () => now });
    expect(await s.get('v')).toBeUndefined();
    expect(await s.add('v', 'one', 100)).toBe(true);
    expect(await s.add('v', 'two', 100)).toBe(false);
    expect(await s.get('v')).toBe('one');
    await s.set('v', 'three', 100);
    expect(await s.get('v')).toBe('three');
    now = 101;
    expect(await s.get('v')).toBeUndefined();
    expect(await s.add('v', 'four', 100)).toBe(true);
    await s.release('v');
    expect(await s.get('v')).toBeUndefined();
  });
  it('values are bounded by count and bytes, evicting the oldest (never refusing)', async () => {
    const s = new MemoryStore({ maxEntries: 3, maxValueBytes: 100 });
    for (const k of ['a', 'b', 'c', 'd']) expect(await s.add(k, 'x', 60_000)).toBe(true);
    expect(await s.get('a')).toBeUndefined();
    expect(await s.get('d')).toBe('x');
    await s.set('big', 'y'.repeat(40), 60_000); // 80 bytes: only it and nothing else older fits
    expect(await s.get('big')).toBe('y'.repeat(40));
    expect(await s.get('b')).toBeUndefined();
    await s.set('huge', 'z'.repeat(60), 60_000); // over the whole budget: not kept
    expect(await s.get('huge')).toBeUndefined();
  });
  it('increment counts in a fixed window and restarts after it', async () => {
    let now = 0;
    const s = new MemoryStore({ now: () => now });
    expect(await s.increment('r', 1000)).toEqual({ count: 1, resetMs: 1000 });
    now = 400;
    expect(await s.increment('r', 1000)).toEqual({ count: 2, resetMs: 600 });
    expect(await s.increment('other', 1000)).toEqual({ count: 1, resetMs: 1000 });
    now = 1000;
    expect(await s.increment('r', 1000)).toEqual({ count: 1, resetMs: 1000 });
  });
  it('counters stay bounded, dropping the oldest window when full', async () => {
    let now = 0;
    const s = new MemoryStore({ now: () => now, maxEntries: 100 });
    for (let i = 0; i < 10_000; i++) {
      now++;
      await s.increment(`k${i}`, 1_000_000);
    }
    expect((await s.increment('k9999', 1_000_000)).count).toBe(2);
    expect((await s.increment('k0', 1_000_000)).count).toBe(1);
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
  it('values: atomic put-if-absent across connections, set, get, TTL, release', async () => {
    const adds = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).add('v', `w${i}`, 60_000)),
    );
    expect(adds.filter(Boolean)).toHaveLength(1);
    const winner = `w${adds.indexOf(true)}`;
    expect(await b.get('v')).toBe(winner);
    await a.set('v', 'replaced', 150);
    expect(await b.get('v')).toBe('replaced');
    await new Promise((r) => setTimeout(r, 300));
    expect(await a.get('v')).toBeUndefined();
    await a.set('v2', 'x', 60_000);
    await b.release('v2');
    expect(await a.get('v2')).toBeUndefined();
  });
  it('increment: one atomic fixed window across connections', async () => {
    const counts = await Promise.all(
      Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).increment('rate', 60_000)),
    );
    expect(counts.map((c) => c.count).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 30 }, (_, i) => i + 1),
    );
    for (const c of counts) expect(c.resetMs).toBeGreaterThan(50_000);
    expect((await a.increment('short', 150)).count).toBe(1);
    expect((await b.increment('short', 150)).count).toBe(2);
    await new Promise((r) => setTimeout(r, 300));
    expect(await a.increment('short', 150)).toMatchObject({ count: 1 });
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
    await expect(s.add('k', 'v', 1000)).rejects.toMatchObject({ code: 'service-unavailable' });
    await expect(s.get('k')).rejects.toMatchObject({ code: 'service-unavailable' });
    await expect(s.increment('k', 1000)).rejects.toMatchObject({ code: 'service-unavailable' });
    await s.close().catch(() => {});
  });
});

describe('RedisStore with a client of your own', () => {
  it('a client without get/eval answers those calls with service-unavailable', async () => {
    const client = {
      set: async () => 'OK' as const,
      del: async () => 1,
      pexpire: async () => 1,
      quit: async () => 'OK',
    };
    const s = new RedisStore({ client, keyPrefix: 'x:' });
    expect(await s.add('k', 'v', 1000)).toBe(true);
    await expect(s.get('k')).rejects.toMatchObject({ code: 'service-unavailable' });
    await expect(s.increment('k', 1000)).rejects.toMatchObject({ code: 'service-unavailable' });
  });
});
