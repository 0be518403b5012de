// The span processor for OTLP export: each span is encoded to OTLP bytes when it ends
// (otlp-span-encoding.ts) and queued as bytes in the shared export queue (batch-queue.ts), which
// batches, bounds, exports, retries through the exporter and counts every span in the ledger.

import type { Context } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { BatchQueue, type BatchBuilder, type QueueSettings, type Send } from './batch-queue';
import { QueueProcessor } from './queue-processor';
import type { LossLedger } from './loss-ledger';

/** What the exporter receives: a whole ExportTraceServiceRequest and its span count. */
export interface EncodedSpans {
  bytes: Uint8Array;
  length: number;
}

type Encoding = typeof import('./otlp-span-encoding');
type ScopeSpansBuilder = InstanceType<Encoding['ScopeSpansBuilder']>;

const SAMPLED = 1;
// A span's encoding is a few hundred bytes; start a scope's buffer big enough for most batches.
const BYTES_PER_SPAN_ESTIMATE = 400;

class SpanBatch implements BatchBuilder<ReadableSpan> {
  count = 0;
  private readonly scopes = new Map<InstrumentationScope, ScopeSpansBuilder>();

  constructor(
    private readonly encoding: Encoding,
    private readonly resource: Resource,
    private readonly batchSize: number,
  ) {}

  accepts(span: ReadableSpan): boolean {
    // One resource per provider in practice; a different one starts a new batch.
    return span.resource === this.resource;
  }

  add(span: ReadableSpan): number {
    let scope = this.scopes.get(span.instrumentationScope);
    if (!scope) {
      scope = new this.encoding.ScopeSpansBuilder(span.instrumentationScope, Math.min(this.batchSize, 64) * BYTES_PER_SPAN_ESTIMATE);
      this.scopes.set(span.instrumentationScope, scope);
    }
    const before = scope.size;
    scope.add(span);
    this.count++;
    return scope.size - before;
  }

  async ready(): Promise<void> {
    // Resource attributes found asynchronously (host.id, container.id) belong in every export.
    const resource = this.resource as Resource & { waitForAsyncAttributes?: () => Promise<void> };
    if (resource.asyncAttributesPending) await resource.waitForAsyncAttributes?.();
  }

  encode(): Uint8Array {
    return this.encoding.traceRequest(this.resource, [...this.scopes.values()].map((s) => s.finish()));
  }
}

export class EncodedSpanProcessor extends QueueProcessor<ReadableSpan> implements SpanProcessor {
  constructor(send: Send, settings: QueueSettings, ledger: LossLedger, onResult: (error?: Error) => void) {
    let encoding: Encoding | undefined;
    const newBatch = (first: ReadableSpan) => {
      encoding ??= require('./otlp-span-encoding') as Encoding;
      return new SpanBatch(encoding, first.resource, settings.maxExportBatchSize);
    };
    super(new BatchQueue<ReadableSpan>('traces', settings, newBatch, send, ledger, onResult));
  }

  onStart(_span: Span, _ctx: Context): void {}

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & SAMPLED) === 0) return;
    this.queue.offer(span);
  }

  get size(): { items: number; bytes: number } {
    return this.queue.size;
  }
}
