// Retries with fake timers: jittered exponential backoff inside the export deadline, the server's
// delay first, never a hot loop, and a give-up that is a failure (so the queue counts it).

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ExportResponse, IExporterTransport } from '@opentelemetry/otlp-exporter-base';
import { RetryingTransport, DEFAULT_RETRY } from '../../src/sdk/export/retry';
import { isRetryable, retryDelayMillis, statusOfHttp } from '../../src/sdk/export/grpc-status';

class Scripted implements IExporterTransport {
  readonly at: number[] = [];
  readonly timeouts: number[] = [];
  constructor(private readonly answers: ExportResponse[]) {}
  async send(_data: Uint8Array, timeoutMillis: number): Promise<ExportResponse> {
    this.at.push(Date.now());
    this.timeouts.push(timeoutMillis);
    return this.answers.shift() ?? { status: 'success' };
  }
  shutdown(): void {}
}

const unavailable: ExportResponse = { status: 'retryable', error: new Error('14 UNAVAILABLE: down') };

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(0);
});
afterEach(() => vi.useRealTimers());

describe('RetryingTransport', () => {
  it('backs off 1 s, 1.5 s, 2.25 s … (no jitter at random = 0.5) and succeeds', async () => {
    const inner = new Scripted([unavailable, unavailable, unavailable]);
    const retried: Error[] = [];
    const t = new RetryingTransport(inner, DEFAULT_RETRY, () => 0.5, (e) => retried.push(e));
    const result = t.send(new Uint8Array(), 30_000);
    await vi.runAllTimersAsync();
    expect((await result).status).toBe('success');
    expect(inner.at).toEqual([0, 1000, 2500, 4750]);
    expect(retried).toHaveLength(3);
    // Each attempt gets what is left of the deadline.
    expect(inner.timeouts).toEqual([30_000, 29_000, 27_500, 25_250]);
  });

  it('jitter stays within ±20 % and the wait within 5 s', async () => {
    const inner = new Scripted(Array(5).fill(unavailable));
    const t = new RetryingTransport(inner, DEFAULT_RETRY, () => 1);
    const result = t.send(new Uint8Array(), 60_000);
    await vi.runAllTimersAsync();
    await result;
    const waits = inner.at.slice(1).map((t, i) => t - inner.at[i]);
    expect(waits).toEqual([1200, 1800, 2700, 4050, 5000]);
  });

  it('a delay from the server (Retry-After, RetryInfo) comes first', async () => {
    const inner = new Scripted([{ status: 'retryable', retryInMillis: 3000 }]);
    const t = new RetryingTransport(inner, DEFAULT_RETRY, () => 0.5);
    const result = t.send(new Uint8Array(), 10_000);
    await vi.runAllTimersAsync();
    expect((await result).status).toBe('success');
    expect(inner.at).toEqual([0, 3000]);
  });

  it('gives up as a failure when the next attempt would not fit the deadline; never a hot loop', async () => {
    const inner = new Scripted(Array(100).fill(unavailable));
    const t = new RetryingTransport(inner, DEFAULT_RETRY, () => 0.5);
    const result = t.send(new Uint8Array(), 3000);
    await vi.runAllTimersAsync();
    const r = await result;
    expect(r.status).toBe('failure');
    expect((r as { error: Error }).error.message).toMatch(/UNAVAILABLE/);
    // 0 and 1000 fit (1000 + 750 ≤ 3000); 2500 + 750 does not.
    expect(inner.at).toEqual([0, 1000]);
  });

  it('non-retryable answers are not retried', async () => {
    const inner = new Scripted([{ status: 'failure', error: new Error('3 INVALID_ARGUMENT') }]);
    const t = new RetryingTransport(inner, DEFAULT_RETRY, () => 0.5);
    const result = t.send(new Uint8Array(), 10_000);
    await vi.runAllTimersAsync();
    expect((await result).status).toBe('failure');
    expect(inner.at).toEqual([0]);
  });
});

describe('gRPC statuses', () => {
  it('retryable: UNAVAILABLE, DEADLINE_EXCEEDED; RESOURCE_EXHAUSTED only with a delay', () => {
    expect(isRetryable(14, undefined)).toBe(true);
    expect(isRetryable(4, undefined)).toBe(true);
    expect(isRetryable(8, undefined)).toBe(false);
    expect(isRetryable(8, 1000)).toBe(true);
    expect(isRetryable(3, undefined)).toBe(false);
    expect(isRetryable(16, undefined)).toBe(false);
  });

  it('plain HTTP answers map as gRPC says', () => {
    expect([404, 429, 502, 503, 504, 401].map(statusOfHttp)).toEqual([12, 14, 14, 14, 14, 16]);
  });

  it('reads RetryInfo from grpc-status-details-bin, and nothing from garbage', () => {
    // google.rpc.Status{code 8, details [Any{RetryInfo{retry_delay{seconds 2, nanos 500000000}}}]}
    const duration = Buffer.from([0x08, 0x02, 0x10, 0x80, 0xca, 0xb5, 0xee, 0x01]);
    const info = Buffer.concat([Buffer.from([0x0a, duration.length]), duration]);
    const url = Buffer.from('type.googleapis.com/google.rpc.RetryInfo');
    const any = Buffer.concat([Buffer.from([0x0a, url.length]), url, Buffer.from([0x12, info.length]), info]);
    const status = Buffer.concat([Buffer.from([0x08, 0x08, 0x1a, any.length]), any]);
    expect(retryDelayMillis(status.toString('base64'))).toBe(2500);
    expect(retryDelayMillis(Buffer.from([0x08, 0x08]).toString('base64'))).toBeUndefined();
    expect(retryDelayMillis('////')).toBeUndefined();
    expect(retryDelayMillis(undefined)).toBeUndefined();
  });
});

describe('stopRetries (shutdown)', () => {
  it('a send waiting for its backoff gives up at once, and nothing is retried after', async () => {
    const { stopRetries } = await import('../../src/sdk/export/retry');
    const inner = new Scripted(Array(10).fill(unavailable));
    const t = new RetryingTransport(inner, DEFAULT_RETRY, () => 0.5);
    const result = t.send(new Uint8Array(), 30_000);
    await vi.advanceTimersByTimeAsync(10);
    stopRetries();
    const r = await result;
    expect(r.status).toBe('failure');
    expect(inner.at).toEqual([0]);
    const again = await t.send(new Uint8Array(), 30_000);
    expect(again.status).toBe('failure');
    expect(inner.at).toEqual([0, 10]);
  });
});
