// The tracer provider: always-on sampler that ignores the parent's sampled flag (no local sampling:
// docs/decisions.md); OTLP export through the encoded span queue, which counts every span it loses.

import type { Resource } from '@opentelemetry/resources';
import type { Sampler, SpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { Config } from '../../config';
import type { Logger } from '../../log/logger';
import { createExporters } from '../export/exporters';
import { UrlRedactingProcessor } from '../../util/redact';
import { batchSpanProcessor } from '../../otel-line/processors';
import { EncodedSpanProcessor } from '../queue/encoded-span-processor';
import type { RuntimeState } from '../../runtime/state';
import type { LossLedger } from '../queue/loss-ledger';
import type { PendingSource } from '../queue/pending';
import { pendingSource, queuedExport } from '../queue/queued-export';
import { lineRequire } from '../../otel-line/line';
import { BaggageAttributesProcessor } from './baggage-attributes';

export function createTracerProvider(config: Readonly<Config>, resource: Resource, log: Logger, ledger: LossLedger, runtime: RuntimeState, pending: PendingSource[], leading: SpanProcessor[]): TracerProvider {
  const t = lineRequire('@opentelemetry/sdk-trace') as typeof import('@opentelemetry/sdk-trace');
  const spanProcessors = createExporters('traces', config.traces, log, runtime).map((exporter): SpanProcessor => {
    // OTLP gets spans encoded as they end; the console exporter prints span objects.
    if (!exporter.takesEncoded) return batchSpanProcessor(exporter as never, config.spanBatch);
    const q = queuedExport('traces', exporter, config.spanBatch, config.traces, log);
    const processor = new EncodedSpanProcessor(q.send, q.settings, ledger, q.onResult);
    pending.push(pendingSource('traces', config.traces, () => processor.takePendingSync()));
    return processor;
  });
  // The instrumentations' processors (`leading`, e.g. Next.js de-duplication at span start), the
  // chosen baggage entries as attributes, then redaction, so that every exporter sees redacted URLs.
  return new t.TracerProvider({ resource, sampler: recordEverything, spanLimits: { ...config.spanLimits }, spanProcessors: [...leading, new BaggageAttributesProcessor(runtime), new UrlRedactingProcessor(), ...spanProcessors] });
}

/**
 * Every span is recorded and sampled, whatever an incoming traceparent says: span metrics are
 * computed centrally and would be wrong if this process kept only some spans.
 */
const recordEverything: Sampler = {
  shouldSample: () => ({ decision: 2 /* SamplingDecision.RECORD_AND_SAMPLED */ }),
  toString: () => 'AlwaysOn (not parent-based)',
};
