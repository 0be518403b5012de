// The GenAI metrics processor's stand-in at SDK start: a process that never loads an LLM SDK
// never loads GenAI code (genai/span-metrics.ts and what it needs). It looks at each span for the
// marks a GenAI span carries — `gen_ai.operation.name`, `gen_ai.provider.name` or `gen_ai.system`
// (any maker: ours, upstream's, an SDK tracing itself), or the Anthropic SDK's scope at end (its
// content is redacted there) — and at the first one loads the processor and hands it every span
// from then on (its start, end and onEnding, where an ending span can still change). Costs up to
// three attribute reads per span hook until then, none of them a module.

import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';

type Attributes = Record<string, unknown>;
const isGenAi = (a: Attributes | undefined) => !!a && (a['gen_ai.operation.name'] !== undefined || a['gen_ai.provider.name'] !== undefined || a['gen_ai.system'] !== undefined);
const scopeOf = (span: ReadableSpan) => {
  const s = span as { instrumentationScope?: { name?: string }; instrumentationLibrary?: { name?: string } };
  return s.instrumentationScope?.name ?? s.instrumentationLibrary?.name ?? '';
};

export class GenAiSpanGate implements SpanProcessor {
  private processor?: SpanProcessor;

  onStart(span: Span, context: Context): void {
    if (this.processor || isGenAi(span.attributes)) this.load()?.onStart(span, context);
  }

  /** The last moment a span can change (the processor marks and pairs there); then onEnd. */
  onEnding(span: Span): void {
    if (this.processor || isGenAi(span.attributes)) this.load()?.onEnding?.(span);
  }

  onEnd(span: ReadableSpan): void {
    if (this.processor || isGenAi(span.attributes) || scopeOf(span).startsWith('com.anthropic.sdk')) this.load()?.onEnd(span);
  }

  forceFlush(): Promise<void> {
    return this.processor?.forceFlush() ?? Promise.resolve();
  }

  shutdown(): Promise<void> {
    return this.processor?.shutdown() ?? Promise.resolve();
  }

  /** True once the GenAI processor is loaded (tests). */
  get loaded(): boolean {
    return this.processor !== undefined;
  }

  private load(): SpanProcessor | undefined {
    if (this.processor) return this.processor;
    try {
      const { GenAiSpanMetricsProcessor } = require('./genai/span-metrics') as typeof import('./genai/span-metrics');
      this.processor = new GenAiSpanMetricsProcessor();
    } catch {
      // A build without it: GenAI spans keep their own metrics, if any.
    }
    return this.processor;
  }
}
