import { describe, expect, it } from 'vitest';
import { SandboxHttpError } from './errors.js';
import { FaultRules, formatFaultSpec, parseFaultSpec } from './faults.js';

describe('parseFaultSpec', () => {
  it('parses every directive', () => {
    expect(
      parseFaultSpec(
        'error=503, error-after=502; latency=20, latency-after=30, hang, hang-after, webhook=duplicate, webhook-delay=50, webhook-only=v2, status-lag=2, insufficient-funds=422',
      ),
    ).toEqual({
      error: 503,
      errorAfter: 502,
      latencyMs: 20,
      latencyAfterMs: 30,
      hang: true,
      hangAfter: true,
      webhook: 'duplicate',
      webhookDelayMs: 50,
      webhookOnly: 'v2',
      statusLag: 2,
      insufficientFunds: '422',
    });
  });

  it('has defaults for bare directives and aliases', () => {
    expect(parseFaultSpec('error, timeout, status-lag, insufficient-funds')).toEqual({
      error: 500,
      hang: true,
      statusLag: -1,
      insufficientFunds: 'default',
    });
    expect(parseFaultSpec('')).toEqual({});
  });

  it.each([
    'nope',
    'error=200',
    'error=abc',
    'latency',
    'latency=-1',
    'webhook=lose',
    'status-lag=x',
    'insufficient-funds=500',
  ])('rejects %s with a 400', (text) => {
    let error: unknown;
    try {
      parseFaultSpec(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SandboxHttpError);
    expect((error as SandboxHttpError).status).toBe(400);
  });

  it('round-trips through formatFaultSpec', () => {
    const text =
      'error=503, latency=10, webhook=reorder, webhook-delay=5, webhook-only=charge.created, status-lag, insufficient-funds';
    expect(formatFaultSpec(parseFaultSpec(text))).toBe(text);
  });
});

describe('FaultRules', () => {
  it('matches method and glob path and consumes the count', () => {
    const rules = new FaultRules();
    rules.add({ method: 'post', path: '/v1/payment-requests*', fault: 'error=503', count: 2 });
    expect(rules.take('GET', '/v1/payment-requests')).toBeUndefined();
    expect(rules.take('POST', '/v1/payment-requests')).toEqual({ error: 503 });
    expect(rules.take('POST', '/v1/payment-requests/x')).toEqual({ error: 503 });
    expect(rules.take('POST', '/v1/payment-requests')).toBeUndefined();
    expect(rules.list()).toEqual([]);
  });

  it('keeps unlimited rules and removes by id', () => {
    const rules = new FaultRules();
    const rule = rules.add({ fault: { latencyMs: 1 }, count: null });
    for (let i = 0; i < 5; i++) expect(rules.take('GET', '/anything')).toEqual({ latencyMs: 1 });
    expect(rules.remove(rule.id)).toBe(true);
    expect(rules.remove(rule.id)).toBe(false);
  });
});
