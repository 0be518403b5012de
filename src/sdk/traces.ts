// The tracer provider: always-on sampler that ignores the parent's sampled flag (no local sampling,
// design.md §3), batch export, and a count of every span lost to a full queue.

import type { Meter, Counter } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { Sampler, SpanProcessor, ReadableSpan, TracerProvider } from '@opentelemetry/sdk-trace';
import type { Config } from '../config';
import type { Logger } from '../diag/logger';
import { createExporters } from './exporters';
import { UrlRedactingProcessor } from './redact';
import { NextJsRequestProcessor } from './nextjs-dedupe';
import { EncodedSpanProcessor } from './encoded-span-processor';
import type { RuntimeState } from './runtime-state';

const DROP_WARNING_INTERVAL_MS = 60_000;

export function createTracerProvider(config: Readonly<Config>, resource: Resource, log: Logger, meter: () => Meter, runtime: RuntimeState): TracerProvider {
  const t = require('@opentelemetry/sdk-trace') as typeof import('@opentelemetry/sdk-trace');
  const drops = new DroppedSpans(config, log, meter);
  const spanProcessors = createExporters('traces', config.traces, log, runtime).map((exporter): SpanProcessor => {
    // OTLP gets spans encoded as they end; the console exporter prints span objects.
    if (exporter.takesEncodedSpans) return new EncodedSpanProcessor(exporter, config.spanBatch, drops);
    const batch = new t.BatchSpanProcessor({ exporter: exporter as never, ...config.spanBatch });
    return new DropCountingProcessor(batch as unknown as QueueingProcessor, config.spanBatch.maxQueueSize, drops);
  });
  // Redaction first, so that every exporter sees redacted URLs.
  return new t.TracerProvider({ resource, sampler: recordEverything, spanLimits: { ...config.spanLimits }, spanProcessors: [new NextJsRequestProcessor(), new UrlRedactingProcessor(), ...spanProcessors] });
}

/**
 * Every span is recorded and sampled, whatever an incoming traceparent says: span metrics are
 * computed centrally and would be wrong if this process kept only some spans.
 */
const recordEverything: Sampler = {
  shouldSample: () => ({ decision: 2 /* SamplingDecision.RECORD_AND_SAMPLED */ }),
  toString: () => 'AlwaysOn (not parent-based)',
};

type QueueingProcessor = SpanProcessor & { _finishedSpans?: unknown[] };

/** Counts spans that the batch processor is about to drop because its queue is full. */
class DropCountingProcessor implements SpanProcessor {
  constructor(
    private readonly inner: QueueingProcessor,
    private readonly maxQueueSize: number,
    private readonly drops: DroppedSpans,
  ) {}

  onStart(span: Parameters<SpanProcessor['onStart']>[0], ctx: Parameters<SpanProcessor['onStart']>[1]): void {
    this.inner.onStart(span, ctx);
  }

  onEnd(span: ReadableSpan): void {
    // The queue is a private field of the pinned BatchSpanProcessor; test/unit/dropped-spans.test.ts
    // fails if an upgrade renames it.
    if ((this.inner._finishedSpans?.length ?? 0) >= this.maxQueueSize) this.drops.add(1);
    this.inner.onEnd(span);
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    this.drops.reportPending();
    return this.inner.shutdown();
  }
}

/** The self-metric `otel.preload.span.dropped` and a warning at most once a minute. */
export class DroppedSpans {
  total = 0;
  private unreported = 0;
  private lastWarning = 0;
  private counter?: Counter;

  constructor(
    private readonly config: Readonly<Config>,
    private readonly log: Logger,
    private readonly meter: () => Meter,
  ) {}

  add(n: number): void {
    this.total += n;
    this.unreported += n;
    this.counterOnce().add(n, { 'error.type': 'queue_full' });
    if (Date.now() - this.lastWarning >= DROP_WARNING_INTERVAL_MS) this.reportPending();
  }

  reportPending(): void {
    if (this.unreported === 0) return;
    this.lastWarning = Date.now();
    this.log.warn(
      `${this.unreported} spans dropped because the export queue was full (OTEL_BSP_MAX_QUEUE_SIZE=${this.config.spanBatch.maxQueueSize}); ` +
        `${this.total} in total, counted in otel.preload.span.dropped. Is the collector reachable and fast enough?`,
    );
    this.unreported = 0;
  }

  private counterOnce(): Counter {
    this.counter ??= this.meter().createCounter('otel.preload.span.dropped', {
      unit: '{span}',
      description: 'Spans dropped before export because the batch queue was full',
    });
    return this.counter;
  }
}
