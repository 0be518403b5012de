// One SERVER span per request in Next.js apps (docs/decisions.md, "One SERVER span per request"). Next.js traces every request itself
// (its tracer, `next.span_type` = BaseServer.handleRequest, kind SERVER) inside the SERVER span
// our http instrumentation already started, so each request would be counted twice by central
// span metrics. And because its span is not the trace's local root, Next.js never writes the route
// on it (it keeps `next.route` only for a root or remote-parented span): the outer span had no
// route, the inner one only the raw path.
// This processor, at span start, (1) makes Next's request span INTERNAL when its parent is our
// SERVER span — the tree and Next's detail stay, the request is represented once — and (2) takes
// the route template Next.js puts on its per-request spans (`next.route` on "resolve page
// components" and "executing api route": `/items/[id]`) into the request's RPC metadata, from where
// our SERVER span and `http.server.request.duration` read `http.route` when the response ends.
// Next's error pages (/_not-found, /_error) are not routes. Costs one attribute read per span.
// Chosen over patching Next's tracer: no dependency on where Next keeps it, nothing to hook.

import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { lineRequire } from '../otel-line/line';

const NEXT_REQUEST = 'BaseServer.handleRequest';
const SPAN_KIND_INTERNAL = 0;
const SPAN_KIND_SERVER = 1;
const NOT_ROUTES = new Set(['/_not-found', '/_error', '/404', '/500', '/_app', '/_document']);

type RpcMetadata = { type: string; span?: { spanContext(): { spanId: string } }; route?: string };

/**
 * The URL template of an app-router entry, as Next.js itself normalises it: route groups `(shop)`
 * and parallel slots `@modal` are not in the URL, nor is the final `page`/`route` file
 * ("executing api route" names `/api/items/[id]/route`).
 */
export function appRoute(route: string): string {
  const segments = route.split('/').filter((s, i, all) => !(s.startsWith('(') && s.endsWith(')')) && !s.startsWith('@') && !(i === all.length - 1 && (s === 'page' || s === 'route')));
  return segments.join('/') || '/';
}

export class NextJsRequestProcessor implements SpanProcessor {
  private readonly core = lineRequire('@opentelemetry/core') as typeof import('@opentelemetry/core');

  onStart(span: Span, parentContext: Context): void {
    const attributes = span.attributes;
    const type = attributes['next.span_type'];
    if (type === undefined) return;
    const rpc = this.core.getRPCMetadata(parentContext) as RpcMetadata | undefined;
    if (!rpc || rpc.type !== this.core.RPCType.HTTP || !rpc.span) return;
    if (type === NEXT_REQUEST && span.kind === SPAN_KIND_SERVER && span.parentSpanContext?.spanId === rpc.span.spanContext().spanId) {
      (span as { kind: number }).kind = SPAN_KIND_INTERNAL;
    }
    const route = attributes['next.route'];
    if (typeof route === 'string' && route.startsWith('/') && !NOT_ROUTES.has(route)) rpc.route = appRoute(route);
  }

  onEnd(_span: ReadableSpan): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
