// mysql2 inside a bundle, through its own tracing channels. mysql2 (3.x, recent) publishes
// `mysql2:query` and `mysql2:execute` as diagnostics_channel tracing channels, which work whether
// mysql2 is bundled or not; a bundled copy is never required, so upstream's patching
// instrumentation never sees it. The spans made here are upstream's (instrumentation-mysql2 on
// this line, stable conventions): named after the SQL verb, db.system.name=mysql, db.query.text
// (the query as mysql2 formatted it, which is what upstream records), db.namespace,
// server.address, server.port; status ERROR on failure. Never both for one call: while upstream's
// patch is in place (mysql2 was loaded through require or import), channel messages are ignored.

import type { Span, Tracer } from '@opentelemetry/api';
import { lineRequire } from '../otel-line/line';

interface QueryContext {
  query?: unknown;
  database?: unknown;
  serverAddress?: unknown;
  serverPort?: unknown;
  error?: { message?: string };
}

type Handlers = Record<'start' | 'end' | 'asyncStart' | 'asyncEnd' | 'error', (ctx: QueryContext) => void>;
const CHANNELS = ['mysql2:query', 'mysql2:execute'];
const SCOPE = '@opentelemetry/instrumentation-mysql2';

/**
 * Subscribes to mysql2's channels; `patched()` says whether upstream's patch covers mysql2 in this
 * process, `ready()` starts the SDK if needed (false: no telemetry). Returns the unsubscribe.
 */
export function subscribeMysql2Channels(patched: () => boolean, ready: () => boolean): () => void {
  const dc = require('diagnostics_channel') as { tracingChannel?: (name: string) => { subscribe(h: Handlers): void; unsubscribe(h: Handlers): void } };
  if (typeof dc.tracingChannel !== 'function') return () => {};
  // The API loads at the first query, not at start-up (a process without mysql2 loads nothing).
  let api: typeof import('@opentelemetry/api') | undefined;
  const spans = new WeakMap<QueryContext, Span>();
  let tracer: Tracer | undefined;
  const finish = (ctx: QueryContext) => {
    const span = spans.get(ctx);
    if (!span) return;
    spans.delete(ctx);
    if (ctx.error) span.setStatus({ code: api!.SpanStatusCode.ERROR, message: ctx.error.message });
    span.end();
  };
  const handlers: Handlers = {
    start: (ctx) => {
      try {
        if (patched() || typeof ctx.query !== 'string' || !ready()) return;
        api ??= lineRequire('@opentelemetry/api') as typeof import('@opentelemetry/api');
        tracer ??= api.trace.getTracer(SCOPE);
        const attributes: Record<string, string | number> = { 'db.system.name': 'mysql', 'db.query.text': ctx.query };
        if (typeof ctx.database === 'string') attributes['db.namespace'] = ctx.database;
        if (typeof ctx.serverAddress === 'string') attributes['server.address'] = ctx.serverAddress;
        const port = Number.parseInt(String(ctx.serverPort), 10);
        if (!Number.isNaN(port)) attributes['server.port'] = port;
        const space = ctx.query.indexOf(' ');
        spans.set(ctx, tracer.startSpan(space === -1 ? ctx.query : ctx.query.substring(0, space), { kind: api.SpanKind.CLIENT, attributes }));
      } catch {
        // Never let tracing break a query.
      }
    },
    // A synchronous throw ends here; everything else ends when its callback or promise settles.
    end: (ctx) => {
      if (ctx.error) finish(ctx);
    },
    asyncStart: () => {},
    asyncEnd: finish,
    error: () => {},
  };
  for (const name of CHANNELS) dc.tracingChannel(name).subscribe(handlers);
  return () => {
    for (const name of CHANNELS) dc.tracingChannel!(name).unsubscribe(handlers);
  };
}
