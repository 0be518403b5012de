// Libraries inside a bundle, through their own tracing channels. mysql2 (recent 3.x) publishes
// `mysql2:query` and `mysql2:execute`, ioredis 6 `ioredis:command`, as diagnostics_channel tracing
// channels, which work whether the library is bundled or not; a bundled copy is never required,
// so upstream's patching instrumentation never sees it. The spans made here are upstream's (this
// line's instrumentation-mysql2 / instrumentation-ioredis, stable conventions: same names,
// attributes and scope). Never both for one call: while upstream's patch covers the library (it
// was loaded through require or import), the channel's messages are ignored.

import type { Attributes, Span, Tracer } from '@opentelemetry/api';
import { lineRequire } from '../otel-line/line';
import { sanitizeSql } from './sql-text';

type Api = typeof import('@opentelemetry/api');
interface ChannelContext {
  error?: { message?: string };
  [key: string]: unknown;
}
type Handlers = Record<'start' | 'end' | 'asyncStart' | 'asyncEnd' | 'error', (ctx: ChannelContext) => void>;

export interface ChannelSpans {
  /** The catalogue entry whose patch stands for the same calls. */
  instrumentation: string;
  channels: readonly string[];
  scope: string;
  /** The span's name and attributes from the channel's context; undefined: no span. */
  describe(ctx: ChannelContext, api: Api): { name: string; attributes: Attributes } | undefined;
}

export const MYSQL2: ChannelSpans = {
  instrumentation: 'mysql2',
  channels: ['mysql2:query', 'mysql2:execute'],
  scope: '@opentelemetry/instrumentation-mysql2',
  describe(ctx) {
    if (typeof ctx.query !== 'string') return undefined;
    // db.query.text: never a bound value. The channel carries the statement after mysql2 formatted
    // the values into it (`query`: `SELECT 'hunter2' AS pw`; `execute`'s keeps its `?`), and not
    // the text with its placeholders, which is what upstream's patch records. With values given,
    // the literals are taken out (the same sanitizer as mariadb's); without, the text is the app's
    // own, recorded as upstream records it.
    const hasValues = Array.isArray(ctx.values) ? ctx.values.length > 0 : ctx.values !== undefined && ctx.values !== null;
    const text = hasValues ? sanitizeSql(ctx.query) : ctx.query;
    const attributes: Attributes = { 'db.system.name': 'mysql', 'db.query.text': text };
    if (typeof ctx.database === 'string') attributes['db.namespace'] = ctx.database;
    if (typeof ctx.serverAddress === 'string') attributes['server.address'] = ctx.serverAddress;
    const port = Number.parseInt(String(ctx.serverPort), 10);
    if (!Number.isNaN(port)) attributes['server.port'] = port;
    const space = text.indexOf(' ');
    return { name: space === -1 ? text : text.substring(0, space), attributes };
  },
};

export const IOREDIS: ChannelSpans = {
  instrumentation: 'ioredis',
  channels: ['ioredis:command', 'ioredis:connect'],
  scope: '@opentelemetry/instrumentation-ioredis',
  describe(ctx, api) {
    // Upstream's default: only commands inside a trace (requireParentSpan).
    if (!api.trace.getSpan(api.context.active())) return undefined;
    if (ctx.connectionEpoch !== undefined && ctx.command === undefined) {
      const attributes: Attributes = { 'db.system.name': 'redis', 'db.query.text': 'connect' };
      if (typeof ctx.serverAddress === 'string') attributes['server.address'] = ctx.serverAddress;
      if (typeof ctx.serverPort === 'number') attributes['server.port'] = ctx.serverPort;
      return { name: 'connect', attributes };
    }
    if (typeof ctx.command !== 'string') return undefined;
    // ioredis already replaced the unsafe arguments by `?`; upstream writes them as a count.
    const args = Array.isArray(ctx.args) ? ctx.args.map(String) : [];
    const firstHidden = args.indexOf('?');
    const shown = firstHidden < 0 ? args : args.slice(0, firstHidden);
    const hidden = args.length - shown.length;
    const text = args.length ? `${ctx.command} ${[...shown, ...(hidden ? [`[${hidden} other arguments]`] : [])].join(' ')}` : ctx.command;
    const attributes: Attributes = { 'db.operation.name': ctx.command, 'db.system.name': 'redis', 'db.query.text': text };
    if (typeof ctx.serverAddress === 'string') attributes['server.address'] = ctx.serverAddress;
    if (typeof ctx.serverPort === 'number') attributes['server.port'] = ctx.serverPort;
    return { name: ctx.command, attributes };
  },
};

/**
 * Subscribes to one library's channels; `patched()` says whether upstream's patch covers it in this
 * process, `ready()` starts the SDK if needed (false: no telemetry). Returns the unsubscribe.
 */
export function subscribeChannelSpans(def: ChannelSpans, patched: () => boolean, ready: () => boolean): () => void {
  const dc = require('diagnostics_channel') as { tracingChannel?: (name: string) => { subscribe(h: Handlers): void; unsubscribe(h: Handlers): void } };
  if (typeof dc.tracingChannel !== 'function') return () => {};
  // The API loads at the first call, not at start-up (a process without the library loads nothing).
  let api: Api | undefined;
  let tracer: Tracer | undefined;
  const spans = new WeakMap<ChannelContext, Span>();
  const finish = (ctx: ChannelContext) => {
    const span = spans.get(ctx);
    if (!span) return;
    spans.delete(ctx);
    if (ctx.error) {
      if (def === IOREDIS) span.recordException(ctx.error as Error);
      span.setStatus({ code: api!.SpanStatusCode.ERROR, message: ctx.error.message });
    }
    span.end();
  };
  const handlers: Handlers = {
    start: (ctx) => {
      try {
        if (patched() || !ready()) return;
        api ??= lineRequire('@opentelemetry/api') as Api;
        const what = def.describe(ctx, api);
        if (!what) return;
        tracer ??= api.trace.getTracer(def.scope);
        spans.set(ctx, tracer.startSpan(what.name, { kind: api.SpanKind.CLIENT, attributes: what.attributes }));
      } catch {
        // Never let tracing break a call.
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
  for (const name of def.channels) dc.tracingChannel(name).subscribe(handlers);
  return () => {
    for (const name of def.channels) dc.tracingChannel!(name).unsubscribe(handlers);
  };
}
