// Business context without code: the W3C baggage entries an operator names
// (OTEL_NODE_BAGGAGE_SPAN_ATTRIBUTES, the file's `baggage_span_attributes`, or remotely) are copied
// onto every span started where they are in context, as attributes of the same name — tenant,
// plan or feature flag set once at the edge, on every span of the request in every service that
// propagates baggage. The same naming as OpenTelemetry's baggage span processor (Java, JS contrib).
// Ours rather than @opentelemetry/baggage-span-processor: the key set changes at run time (OpAMP),
// and with no key named the processor returns before it looks at the context: nothing per span.

import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import type { RuntimeState } from '../../runtime/state';
import { lineRequire } from '../../otel-line/line';

type Api = typeof import('@opentelemetry/api');

export class BaggageAttributesProcessor implements SpanProcessor {
  private keys: readonly string[];
  private readonly api = lineRequire('@opentelemetry/api') as Api;

  constructor(runtime: RuntimeState) {
    this.keys = runtime.settings.baggageSpanAttributes;
    runtime.onSettingsChange((next) => {
      this.keys = next.baggageSpanAttributes;
    });
  }

  onStart(span: Span, parentContext: Context): void {
    if (this.keys.length === 0) return;
    const baggage = this.api.propagation.getBaggage(parentContext);
    if (baggage === undefined) return;
    for (const key of this.keys) {
      const entry = baggage.getEntry(key);
      if (entry !== undefined) span.setAttribute(key, entry.value);
    }
  }

  onEnd(_span: ReadableSpan): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
