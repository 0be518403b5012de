// Stops the spans an SDK makes itself through @opentelemetry/api (the Anthropic SDK from 0.134)
// when its instrumentation is switched off (OTEL_NODE_DISABLED_INSTRUMENTATIONS, or remotely):
// its tracers, by scope name, then hand out non-recording spans that carry the caller's context,
// so the SDK's own HTTP request stays in the trace under the app's span. Nothing is made, so
// nothing is dropped or lost. Checked at every span: a remote switch applies at once.

import type { Context, Span, SpanOptions, Tracer, TracerProvider } from '@opentelemetry/api';
import { lineRequire } from '../../otel-line/line';

export function gateTracers(scopePrefix: string, off: () => boolean): void {
  const api = lineRequire('@opentelemetry/api') as typeof import('@opentelemetry/api');
  const provider = api.trace.getTracerProvider() as TracerProvider & { getTracer: TracerProvider['getTracer'] };
  const getTracer = provider.getTracer.bind(provider);
  const nothing = (context?: Context): Span => api.trace.wrapSpanContext(api.trace.getSpanContext(context ?? api.context.active()) ?? api.INVALID_SPAN_CONTEXT);
  provider.getTracer = (name: string, version?: string, options?: { schemaUrl?: string }) => {
    const tracer = getTracer(name, version, options);
    if (typeof name !== 'string' || !name.startsWith(scopePrefix)) return tracer;
    const gated: Tracer = {
      startSpan: (spanName: string, opts?: SpanOptions, context?: Context) => (off() ? nothing(context) : tracer.startSpan(spanName, opts, context)),
      startActiveSpan: ((...args: unknown[]) => {
        if (!off()) return (tracer.startActiveSpan as (...a: unknown[]) => unknown)(...args);
        const fn = args[args.length - 1] as (span: Span) => unknown;
        const context = (args.length >= 4 ? args[2] : undefined) as Context | undefined;
        const span = nothing(context);
        return api.context.with(api.trace.setSpan(context ?? api.context.active(), span), fn, undefined, span);
      }) as Tracer['startActiveSpan'],
    };
    return gated;
  };
}
