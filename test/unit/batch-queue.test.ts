// The export queue with fake timers: every item offered ends delivered or counted lost by cause,
// under a seeded random mix of successes, failures and hangs; bounds in items and bytes; nothing
// thrown reaches the caller.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BatchQueue, type BatchBuilder, type QueueSettings } from '../../src/sdk/queue/batch-queue';
import { LossLedger } from '../../src/sdk/queue/loss-ledger';
import { createLogger } from '../../src/log/logger';

/** Items are their own size in bytes. */
class Sized implements BatchBuilder<number> {
  count = 0;
  accepts(): boolean {
    return true;
  }
  add(item: number): number {
    if (item < 0) throw new Error('cannot encode');
    this.count++;
    return item;
  }
  encode(): Uint8Array {
    return new Uint8Array(this.count);
  }
}

const settings: QueueSettings = { scheduledDelayMillis: 100, exportTimeoutMillis: 1000, maxQueueSize: 50, maxExportBatchSize: 10, maxQueueBytes: 10_000 };

function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const lines: string[] = [];
const ledgerOf = () => new LossLedger(createLogger('warn', (l) => lines.push(l)), () => undefined);
const lost = (l: LossLedger) => l.totalLost('traces');

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('BatchQueue conservation', () => {
  for (const seed of [1, 2, 3, 42, 2026]) {
    it(`seed ${seed}: delivered + lost = offered`, async () => {
      const random = mulberry32(seed);
      const ledger = ledgerOf();
      let delivered = 0;
      const send = (bytes: Uint8Array) => {
        const r = random();
        if (r < 0.5) return Promise.resolve().then(() => void (delivered += bytes.length));
        if (r < 0.8) return Promise.reject(new Error('14 UNAVAILABLE: down'));
        return new Promise<void>(() => undefined); // hangs: the queue's deadline ends it
      };
      const q = new BatchQueue<number>('traces', settings, () => new Sized(), send, ledger, () => undefined);
      let offered = 0;
      for (let step = 0; step < 400; step++) {
        const burst = Math.floor(random() * 8);
        for (let i = 0; i < burst; i++, offered++) q.offer(random() < 0.02 ? -1 : Math.floor(random() * 600));
        await vi.advanceTimersByTimeAsync(Math.floor(random() * 150));
      }
      const stopping = q.shutdown();
      await vi.runAllTimersAsync();
      await stopping;
      for (let i = 0; i < 5; i++, offered++) q.offer(1); // after shutdown
      expect(ledger.exported.traces, `seed ${seed}`).toBe(delivered);
      expect(delivered + lost(ledger), `seed ${seed}: ${JSON.stringify(ledger.lost.traces)}`).toBe(offered);
      for (const cause of ['queue_full', 'export_failed', 'timeout', 'shutdown'] as const) expect(ledger.lost.traces[cause], cause).toBeGreaterThan(0);
      expect(q.size).toEqual({ items: 0, bytes: 0 });
    });
  }
});

describe('BatchQueue bounds', () => {
  it('bytes: a queue of huge items stops at the byte bound, the rest counted queue_full', () => {
    const ledger = ledgerOf();
    const q = new BatchQueue<number>('traces', { ...settings, maxQueueBytes: 3_000_000 }, () => new Sized(), () => new Promise<void>(() => undefined), ledger, () => undefined);
    for (let i = 0; i < 40; i++) q.offer(1_000_000); // forty 1 MB spans
    expect(q.size.items).toBe(3);
    expect(q.size.bytes).toBe(3_000_000);
    expect(ledger.lost.traces.queue_full).toBe(37);
  });

  it('items: at most maxQueueSize, in export included', () => {
    const ledger = ledgerOf();
    const q = new BatchQueue<number>('traces', settings, () => new Sized(), () => new Promise<void>(() => undefined), ledger, () => undefined);
    for (let i = 0; i < 80; i++) q.offer(1);
    expect(q.size.items).toBe(50);
    expect(ledger.lost.traces.queue_full).toBe(30);
  });

  it('an item that cannot be encoded is counted, and offer() never throws', () => {
    const ledger = ledgerOf();
    const q = new BatchQueue<number>('traces', settings, () => new Sized(), () => Promise.resolve(), ledger, () => undefined);
    expect(() => q.offer(-1)).not.toThrow();
    expect(ledger.lost.traces.export_failed).toBe(1);
  });

  it('a failed batch is counted once, and its error reported', async () => {
    const ledger = ledgerOf();
    const errors: Array<Error | undefined> = [];
    const q = new BatchQueue<number>('traces', settings, () => new Sized(), () => Promise.reject(new Error('8 RESOURCE_EXHAUSTED')), ledger, (e) => errors.push(e));
    for (let i = 0; i < 10; i++) q.offer(5);
    await vi.runAllTimersAsync();
    expect(ledger.lost.traces.export_failed).toBe(10);
    expect(errors.map((e) => e?.message)).toEqual(['8 RESOURCE_EXHAUSTED']);
    expect(q.size).toEqual({ items: 0, bytes: 0 });
  });

  it('the loss line is rate-limited: the first at once, the rest at shutdown', async () => {
    lines.length = 0;
    const ledger = ledgerOf();
    const q = new BatchQueue<number>('traces', { ...settings, maxQueueSize: 1 }, () => new Sized(), () => new Promise<void>(() => undefined), ledger, () => undefined);
    for (let i = 0; i < 100; i++) q.offer(1);
    expect(lines).toHaveLength(1);
    ledger.reportPending();
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/98 spans \(queue_full 98; 99 in total\)/);
  });
});
