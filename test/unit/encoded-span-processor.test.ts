// The encoded span processor as a state machine, through its SpanProcessor surface only (onEnd,
// forceFlush, shutdown), with fake timers and a fake exporter that counts what it is handed and
// answers when the test says so. The law under test: every ended, sampled span is exported or
// counted as dropped — never lost silently — and at most one export is in flight.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';
import type { BatchSettings } from '../../src/config';
import { EncodedSpanProcessor, type EncodedSpans } from '../../src/sdk/encoded-span-processor';
import type { AnyExporter } from '../../src/sdk/exporters';
import type { DroppedSpans } from '../../src/sdk/traces';

const { TracerProvider, AlwaysOnSampler } = require('@opentelemetry/sdk-trace') as typeof import('@opentelemetry/sdk-trace');
const { resourceFromAttributes } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');

type Answer = { code: number; error?: Error };

/** Holds each export until the test answers it; counts spans per export and concurrent exports. */
class FakeExporter {
  readonly takesEncodedSpans = true;
  readonly batches: number[] = [];
  private readonly waiting: Array<{ length: number; done: (r: Answer) => void }> = [];
  inFlight = 0;
  maxInFlight = 0;
  shutdowns = 0;
  /** 'manual': the test answers; otherwise every export is answered so, on the next microtask. */
  mode: 'manual' | 'ok' | 'fail' | 'never' = 'ok';

  export(items: unknown, done: (r: Answer) => void): void {
    const { length } = items as EncodedSpans;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const entry = { length, done };
    if (this.mode === 'never') return;
    if (this.mode === 'manual') return void this.waiting.push(entry);
    const ok = this.mode === 'ok';
    void Promise.resolve().then(() => this.answer(entry, ok));
  }

  /** Answers the oldest waiting export. */
  release(ok = true): void {
    const entry = this.waiting.shift();
    if (!entry) throw new Error('no export is waiting');
    this.answer(entry, ok);
  }

  /** Answers every waiting export (OK). */
  releaseAll(): void {
    while (this.waiting.length > 0) this.release();
  }

  get exported(): number {
    return this.batches.reduce((a, b) => a + b, 0);
  }

  shutdown(): Promise<void> {
    this.shutdowns++;
    return Promise.resolve();
  }

  private answer(entry: { length: number; done: (r: Answer) => void }, ok: boolean): void {
    this.inFlight--;
    if (ok) this.batches.push(entry.length);
    entry.done(ok ? { code: 0 } : { code: 1, error: new Error('collector said no') });
  }
}

const SETTINGS: BatchSettings = { scheduledDelayMillis: 1000, exportTimeoutMillis: 500, maxQueueSize: 8, maxExportBatchSize: 4 };

/** The one place that knows the constructor; everything else goes through SpanProcessor. */
function setup(settings: BatchSettings = SETTINGS) {
  const exporter = new FakeExporter();
  const drops = { dropped: 0, reported: 0, add(n: number) { this.dropped += n; }, reportPending() { this.reported++; } };
  const processor: SpanProcessor = new EncodedSpanProcessor(exporter as unknown as AnyExporter, settings, drops as unknown as DroppedSpans);
  const provider = new TracerProvider({ resource: resourceFromAttributes({ 'service.name': 'processor-test' }), sampler: new AlwaysOnSampler(), spanProcessors: [processor] });
  const tracer = provider.getTracer('unit');
  const end = (n: number) => {
    for (let i = 0; i < n; i++) tracer.startSpan(`span ${i}`).end();
  };
  return { exporter, drops, processor, end };
}

/** Lets promise callbacks run without moving the clock. */
const settle = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('EncodedSpanProcessor', () => {
  it('a full batch is exported at once; a partial one exactly when the schedule delay is up', async () => {
    const { exporter, end } = setup();
    end(4);
    await settle();
    expect(exporter.batches).toEqual([4]);
    end(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(exporter.batches).toEqual([4]);
    await vi.advanceTimersByTimeAsync(1);
    expect(exporter.batches).toEqual([4, 1]);
  });

  it('one export at a time: the next batch waits for the answer to the previous one', async () => {
    const { exporter, end, processor } = setup();
    exporter.mode = 'manual';
    end(8);
    await settle();
    expect(exporter.inFlight).toBe(1);
    exporter.release();
    await settle();
    expect(exporter.batches).toEqual([4]);
    expect(exporter.inFlight).toBe(1);
    exporter.release();
    await settle();
    await processor.forceFlush();
    expect(exporter.batches).toEqual([4, 4]);
    expect(exporter.maxInFlight).toBe(1);
  });

  it.each([
    // queue, batch, spans ended while the collector does not answer
    [8, 4, 3],
    [8, 4, 8],
    [8, 4, 9],
    [8, 4, 50],
    [5, 2, 17],
    [1, 1, 10],
    [100, 30, 250],
  ])('queue %i, batch %i, %i spans while the exporter is stuck: every span is exported or counted', async (maxQueueSize, maxExportBatchSize, spans) => {
    const { exporter, drops, processor, end } = setup({ ...SETTINGS, maxQueueSize, maxExportBatchSize });
    exporter.mode = 'manual';
    end(spans);
    await settle();
    expect(drops.dropped).toBe(Math.max(0, spans - maxQueueSize));
    exporter.mode = 'ok';
    const flushed = processor.forceFlush();
    exporter.releaseAll();
    await flushed;
    expect(exporter.exported + drops.dropped).toBe(spans);
    expect(exporter.maxInFlight).toBe(1);
  });

  it('forceFlush exports the open batch and resolves only after the answer; a failed export rejects it and frees the queue', async () => {
    const { exporter, drops, processor, end } = setup();
    exporter.mode = 'manual';
    end(2);
    let flushed = false;
    const flush = processor.forceFlush().then(() => (flushed = true));
    await settle();
    expect(flushed).toBe(false);
    exporter.release();
    await flush;
    expect(exporter.batches).toEqual([2]);

    end(3);
    const failing = processor.forceFlush();
    await settle();
    exporter.release(false);
    await expect(failing).rejects.toThrow('collector said no');
    // The failed spans left the queue: a full queue's worth fits again, none dropped.
    exporter.mode = 'ok';
    end(SETTINGS.maxQueueSize);
    await processor.forceFlush();
    expect(drops.dropped).toBe(0);
    expect(exporter.exported).toBe(2 + SETTINGS.maxQueueSize);
  });

  it('an exporter that never answers: the export gives up after OTEL_BSP_EXPORT_TIMEOUT and the queue frees', async () => {
    const { exporter, processor, end } = setup();
    exporter.mode = 'never';
    end(1);
    const flush = processor.forceFlush();
    const outcome = flush.then(() => 'resolved', (err: Error) => err.message);
    await vi.advanceTimersByTimeAsync(499);
    expect(await Promise.race([outcome, Promise.resolve('pending')])).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(await outcome).toMatch(/did not finish within 500 ms \(OTEL_BSP_EXPORT_TIMEOUT\)/);
    exporter.mode = 'ok';
    end(SETTINGS.maxQueueSize);
    await processor.forceFlush();
    expect(exporter.exported).toBe(SETTINGS.maxQueueSize);
  });

  it('idle, flushed with nothing queued, then busy again: exports resume (no stuck "exporting" state)', async () => {
    const { exporter, processor, end } = setup();
    await processor.forceFlush();
    await vi.advanceTimersByTimeAsync(5000);
    end(1);
    await vi.advanceTimersByTimeAsync(SETTINGS.scheduledDelayMillis);
    expect(exporter.batches).toEqual([1]);
    await processor.forceFlush();
    end(4);
    await settle();
    expect(exporter.batches).toEqual([1, 4]);
    await processor.forceFlush();
  });

  it('shutdown flushes what is queued, reports pending drops, then shuts the exporter down once', async () => {
    const { exporter, drops, processor, end } = setup();
    exporter.mode = 'manual';
    end(2);
    const down = processor.shutdown();
    await settle();
    expect(exporter.shutdowns).toBe(0);
    exporter.release();
    await down;
    expect(exporter.batches).toEqual([2]);
    expect(drops.reported).toBe(1);
    expect(exporter.shutdowns).toBe(1);
  });
});
