// The batch span processor for OTLP export: BatchSpanProcessor's settings and behaviour (queue
// bound, batch size, schedule, export timeout, one export at a time, flush at shutdown), but each
// span is encoded to OTLP bytes when it ends (otlp-span-encoding.ts) and the queue holds bytes.
// Every span that does not fit in the queue is counted (design.md §3).

import type { Context } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import type { BatchSettings } from '../config';
import type { AnyExporter } from './exporters';
import type { DroppedSpans } from './traces';

/** What the exporter receives: a whole ExportTraceServiceRequest and its span count. */
export interface EncodedSpans {
  bytes: Uint8Array;
  length: number;
}

type Encoding = typeof import('./otlp-span-encoding');
type ScopeSpansBuilder = InstanceType<Encoding['ScopeSpansBuilder']>;

interface Batch {
  resource: Resource;
  scopes: ScopeSpansBuilder[];
  count: number;
}

const SAMPLED = 1;
// A span's encoding is a few hundred bytes; start a scope's buffer big enough for most batches.
const BYTES_PER_SPAN_ESTIMATE = 400;

export class EncodedSpanProcessor implements SpanProcessor {
  private encoding?: Encoding;
  private open = new Map<InstrumentationScope, ScopeSpansBuilder>();
  private openResource?: Resource;
  private openCount = 0;
  private readonly ready: Batch[] = [];
  private queued = 0;
  private exporting?: Promise<void>;
  private timer?: NodeJS.Timeout;
  /** Failures seen while a flush waits (reported to it); at other times the error handler has them. */
  private failures?: Error[];
  private stopped = false;

  constructor(
    private readonly exporter: AnyExporter,
    private readonly settings: BatchSettings,
    private readonly drops: DroppedSpans,
  ) {}

  onStart(_span: Span, _ctx: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (this.stopped || (span.spanContext().traceFlags & SAMPLED) === 0) return;
    if (this.queued >= this.settings.maxQueueSize) return this.drops.add(1);
    // One resource per provider in practice; a different one starts a new batch.
    if (this.openResource !== undefined && span.resource !== this.openResource) this.closeBatch();
    this.openResource = span.resource;
    let scope = this.open.get(span.instrumentationScope);
    if (!scope) {
      this.encoding ??= require('./otlp-span-encoding') as Encoding;
      scope = new this.encoding.ScopeSpansBuilder(span.instrumentationScope, this.settings.maxExportBatchSize * BYTES_PER_SPAN_ESTIMATE);
      this.open.set(span.instrumentationScope, scope);
    }
    scope.add(span);
    this.openCount++;
    this.queued++;
    if (this.openCount >= this.settings.maxExportBatchSize) {
      this.closeBatch();
      this.pump();
    } else {
      this.timer ??= unref(setTimeout(() => this.onTimer(), this.settings.scheduledDelayMillis));
    }
  }

  forceFlush(): Promise<void> {
    this.closeBatch();
    return this.drain();
  }

  async shutdown(): Promise<void> {
    try {
      await this.forceFlush();
    } finally {
      this.stopped = true;
      this.drops.reportPending();
      await this.exporter.shutdown();
    }
  }

  private onTimer(): void {
    this.timer = undefined;
    this.closeBatch();
    this.pump();
  }

  private closeBatch(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.openCount === 0 || !this.openResource) return;
    this.ready.push({ resource: this.openResource, scopes: [...this.open.values()], count: this.openCount });
    this.open = new Map();
    this.openCount = 0;
  }

  /** Exports ready batches one after the other; failures go to OpenTelemetry's error handler. */
  private pump(): Promise<void> {
    // With nothing ready the loop below would finish before `exporting` is assigned, and stick.
    if (!this.exporting && this.ready.length === 0) return Promise.resolve();
    this.exporting ??= (async () => {
      for (let batch = this.ready.shift(); batch; batch = this.ready.shift()) {
        try {
          await this.export(batch);
        } catch (err) {
          const error = err instanceof Error ? err : new Error(String(err));
          if (this.failures) this.failures.push(error);
          else (require('@opentelemetry/core') as typeof import('@opentelemetry/core')).globalErrorHandler(error);
        } finally {
          this.queued -= batch.count;
        }
      }
      this.exporting = undefined;
    })();
    return this.exporting;
  }

  /** Resolves once everything queued so far was exported; rejects if any of it failed. */
  private async drain(): Promise<void> {
    const failures: Error[] = (this.failures ??= []);
    try {
      while (this.ready.length > 0 || this.exporting) await this.pump();
    } finally {
      if (this.failures === failures) this.failures = undefined;
    }
    if (failures.length) throw failures[0];
  }

  private async export(batch: Batch): Promise<void> {
    // Resource attributes found asynchronously (host.id, container.id) belong in every export.
    const resource = batch.resource as Resource & { waitForAsyncAttributes?: () => Promise<void> };
    if (resource.asyncAttributesPending) await resource.waitForAsyncAttributes?.();
    const bytes = this.encoding!.traceRequest(resource, batch.scopes.map((s) => s.finish()));
    const api = require('@opentelemetry/api') as typeof import('@opentelemetry/api');
    const core = require('@opentelemetry/core') as typeof import('@opentelemetry/core');
    await new Promise<void>((resolve, reject) => {
      const timer = unref(setTimeout(() => reject(new Error(`span export did not finish within ${this.settings.exportTimeoutMillis} ms (OTEL_BSP_EXPORT_TIMEOUT)`)), this.settings.exportTimeoutMillis));
      // The export's own requests must not be traced.
      api.context.with(core.suppressTracing(api.context.active()), () => {
        this.exporter.export({ bytes, length: batch.count } satisfies EncodedSpans, (result) => {
          clearTimeout(timer);
          if (result.code === 0) resolve();
          else reject(result.error ?? new Error('span export failed'));
        });
      });
    });
  }
}

function unref(timer: NodeJS.Timeout): NodeJS.Timeout {
  timer.unref();
  return timer;
}
