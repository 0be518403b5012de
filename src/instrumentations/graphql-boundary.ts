// GraphQL at the service boundary. Upstream's graphql instrumentation makes a span for parse, for
// validate, for the operation (`graphql.execute`, renamed `query GetItems`) and one per resolved
// field: a query returning 100 items of 2 fields made 206 spans, growing with the result. The
// boundary is the operation, so by default only its span is recorded; the other steps are detail
// (OTEL_NODE_INSTRUMENTATION_DETAIL=graphql, or remotely). Resolver wrapping itself is skipped too
// (`ignoreResolveSpans`, read by upstream at every execute), so the default costs nothing per field.
//
// The operation span carries graphql.operation.type and graphql.operation.name as upstream sets
// them, and the document as the semantic conventions name it, `graphql.document`, instead of
// upstream's `graphql.source`. It is the document with every literal replaced by `*` (upstream's
// `allowValues` stays false; variables are never recorded), so no argument value reaches it.

import type { AttributeValue, Attributes, Span, TracerProvider } from '@opentelemetry/api';
import { boundaryTracerProvider } from './boundary-tracer';

/** The span upstream starts for an operation (its name changes to `<type> <name>` right after). */
const OPERATION_SPAN = 'graphql.execute';
const UPSTREAM_SOURCE = 'graphql.source';
const DOCUMENT = 'graphql.document';

export function graphqlTracerProvider(provider: TracerProvider): TracerProvider {
  return boundaryTracerProvider('graphql', provider, {
    boundary: (name) => name === OPERATION_SPAN,
    wrap: (span) => new OperationSpan(span),
    skipped: 'dropped',
  });
}

/** Options for upstream's instrumentation: no resolver wrapping unless its spans are wanted. */
export function graphqlOptions(detail: boolean): Record<string, unknown> {
  return { ignoreResolveSpans: !detail, allowValues: false };
}

/** The operation span, with upstream's `graphql.source` written as `graphql.document`. */
class OperationSpan {
  constructor(private readonly span: Span) {}
  spanContext() {
    return this.span.spanContext();
  }
  setAttribute(key: string, value: AttributeValue): this {
    this.span.setAttribute(key === UPSTREAM_SOURCE ? DOCUMENT : key, value);
    return this;
  }
  setAttributes(attributes: Attributes): this {
    for (const [key, value] of Object.entries(attributes)) if (value !== undefined) this.setAttribute(key, value);
    return this;
  }
  addEvent(...args: Parameters<Span['addEvent']>): this {
    this.span.addEvent(...args);
    return this;
  }
  addLink(...args: Parameters<Span['addLink']>): this {
    this.span.addLink(...args);
    return this;
  }
  addLinks(...args: Parameters<Span['addLinks']>): this {
    this.span.addLinks(...args);
    return this;
  }
  setStatus(...args: Parameters<Span['setStatus']>): this {
    this.span.setStatus(...args);
    return this;
  }
  updateName(name: string): this {
    this.span.updateName(name);
    return this;
  }
  end(...args: Parameters<Span['end']>): void {
    this.span.end(...args);
  }
  isRecording(): boolean {
    return this.span.isRecording();
  }
  recordException(...args: Parameters<Span['recordException']>): void {
    this.span.recordException(...args);
  }
}
