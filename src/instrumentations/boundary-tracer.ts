// The tracer handed to framework instrumentations (koa, fastify, hapi, nestjs-core, restify,
// connect, router, and express when it takes upstream's path) and to graphql (graphql-boundary.ts,
// whose parse/validate/resolve spans are dropped, its operation span kept). Upstream's code runs
// unchanged — it still sets the route on the SERVER span's RPCMetadata and propagates contexts — but while
// the framework's detail is off (detail.ts) each span it starts is a stand-in for the span that
// is current: no span is recorded or exported, children (database, HTTP client) keep the SERVER
// span as their parent, and what the app itself puts on the active span (attributes, events,
// exceptions) lands on the SERVER span, as it would with no framework instrumentation at all.
// Ending, renaming or setting the status of a stand-in does nothing: those are the framework
// span's own life, not the SERVER span's.

import type { Attributes, AttributeValue, Context, Exception, Link, Span, SpanContext, SpanOptions, SpanStatus, TimeInput, Tracer, TracerProvider } from '@opentelemetry/api';
import { detailOn } from './detail';
import { lineRequire } from '../otel-line/line';

type Api = typeof import('@opentelemetry/api');

class StandInSpan implements Span {
  constructor(readonly current: Span) {}
  spanContext(): SpanContext {
    return this.current.spanContext();
  }
  setAttribute(key: string, value: AttributeValue): this {
    this.current.setAttribute(key, value);
    return this;
  }
  setAttributes(attributes: Attributes): this {
    this.current.setAttributes(attributes);
    return this;
  }
  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    this.current.addEvent(name, attributesOrTime, time);
    return this;
  }
  addLink(link: Link): this {
    this.current.addLink(link);
    return this;
  }
  addLinks(links: Link[]): this {
    this.current.addLinks(links);
    return this;
  }
  recordException(exception: Exception, time?: TimeInput): void {
    this.current.recordException(exception, time);
  }
  setStatus(_status: SpanStatus): this {
    return this;
  }
  updateName(_name: string): this {
    return this;
  }
  end(_endTime?: TimeInput): void {}
  isRecording(): boolean {
    return this.current.isRecording();
  }
}

/** How a library's spans sit at the boundary (the frameworks take the defaults). */
export interface BoundaryShape {
  /** Spans recorded whatever the detail switch says (GraphQL's operation span); the rest are detail. */
  boundary?: (spanName: string) => boolean;
  /** Wraps each recorded boundary span (to name its attributes as the semantic conventions do). */
  wrap?: (span: Span) => Span;
  /** A skipped span's attributes and events: onto the current span (framework layers, where they
   *  are the app's own), or dropped (a library's internal steps: parse, validate, resolve). */
  skipped?: 'current' | 'dropped';
}

/** Wraps `provider` so that the tracers it gives out trace `name`'s detail only when it is on. */
export function boundaryTracerProvider(name: string, provider: TracerProvider, shape: BoundaryShape = {}): TracerProvider {
  const api = lineRequire('@opentelemetry/api') as Api;
  const none = api.trace.wrapSpanContext(api.INVALID_SPAN_CONTEXT);
  const dropped = shape.skipped === 'dropped';
  return {
    getTracer(tracerName, version, options) {
      const real = provider.getTracer(tracerName, version, options);
      const startSpan = (spanName: string, spanOptions?: SpanOptions, ctx?: Context): Span => {
        if (shape.boundary?.(spanName)) {
          const span = real.startSpan(spanName, spanOptions, ctx);
          return shape.wrap ? shape.wrap(span) : span;
        }
        if (detailOn(name)) return real.startSpan(spanName, spanOptions, ctx);
        const current = api.trace.getSpan(ctx ?? api.context.active());
        if (current === undefined) return none;
        // A non-recording span with the current span's context: children keep it as their parent.
        if (dropped) return api.trace.wrapSpanContext(current.spanContext());
        return current instanceof StandInSpan ? current : new StandInSpan(current);
      };
      const tracer: Tracer = {
        startSpan,
        startActiveSpan(spanName: string, ...rest: unknown[]) {
          const fn = rest.pop() as (span: Span) => unknown;
          const [spanOptions, ctx] = rest as [SpanOptions | undefined, Context | undefined];
          const parent = ctx ?? api.context.active();
          const span = startSpan(spanName, spanOptions, parent);
          return api.context.with(api.trace.setSpan(parent, span), fn, undefined, span);
        },
      } as Tracer;
      return tracer;
    },
  };
}
