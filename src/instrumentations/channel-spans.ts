// Libraries inside a bundle, through their own tracing channels. mysql2 (recent 3.x) publishes
// `mysql2:query` and `mysql2:execute`, ioredis 6 `ioredis:command`, as diagnostics_channel tracing
// channels, which work whether the library is bundled or not; a bundled copy is never required,
// so upstream's patching instrumentation never sees it. The spans made here are upstream's (this
// line's instrumentation-mysql2 / instrumentation-ioredis, stable conventions: same names,
// attributes and scope). node-redis (@redis/client 5.12+, 6) publishes `node-redis:command` and
// `node-redis:connect` the same way; its spans are instrumentation-redis's v4-v5 ones. Its MULTI
// batches publish only `node-redis:batch` (the size, not the commands): one `redis-MULTI` span each.
//
// Never both for one call, and each copy traced: an app can hold a bundled copy and a second copy
// loaded from node_modules (which upstream patches). The channel cannot tell the copies apart, so
// a call is taken as the patch's when the patch's own span is the one just started in this
// synchronous stack (mysql2, ioredis: their channel is published inside the patched method, right
// after upstream's startSpan) or is the active span (redis: upstream runs the call inside its
// span's context), or when it is published from inside upstream's patched node-redis batch (a
// pipeline's commands, which upstream traced when they were queued). The patching
// instrumentation's tracer is wrapped to mark its spans, and its batch patch to count itself
// (`markPatchSpans`).

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

export const REDIS: ChannelSpans = {
  instrumentation: 'redis',
  channels: ['node-redis:command', 'node-redis:connect', 'node-redis:batch'],
  scope: '@opentelemetry/instrumentation-redis',
  describe(ctx) {
    const attributes: Attributes = { 'db.system.name': 'redis' };
    if (typeof ctx.serverAddress === 'string') attributes['server.address'] = ctx.serverAddress;
    if (typeof ctx.serverPort === 'number') attributes['server.port'] = ctx.serverPort;
    // A batch (no command of its own): a pipeline's commands come one by one on `node-redis:command`
    // (each with the batch's mode and size; no span for the batch itself); a MULTI's do not come at
    // all, only the batch, with its size: one span for the MULTI/EXEC round trip (upstream's patch
    // makes one per command, `db.operation.name` `MULTI …`).
    if (ctx.command === undefined && ctx.batchMode !== undefined) {
      if (ctx.batchMode !== 'MULTI') return undefined;
      attributes['db.operation.name'] = 'MULTI';
      // The conventions' batch size is for two operations or more.
      if (typeof ctx.batchSize === 'number' && ctx.batchSize >= 2) attributes['db.operation.batch.size'] = ctx.batchSize;
      return { name: 'redis-MULTI', attributes };
    }
    // The connect channel's context has no command.
    if (ctx.command === undefined) return { name: 'redis-connect', attributes };
    if (typeof ctx.command !== 'string') return undefined;
    // node-redis already replaced the unsafe arguments by `?` (rules adapted from redis-common,
    // never more permissive); upstream's serializer then shows what it shows, the rest as a count.
    const args = Array.isArray(ctx.args) ? ctx.args.slice(1).map(String) : [];
    attributes['db.operation.name'] = ctx.command;
    attributes['db.query.text'] = serializeRedis(ctx.command, args);
    return { name: `redis-${ctx.command}`, attributes };
  },
};

/** @opentelemetry/redis-common's defaultDbStatementSerializer (the one upstream's redis patch uses). */
const REDIS_SUBSETS: Array<[RegExp, number]> = [
  [/^ECHO/i, 0],
  [/^(GETSET|LPUSH|MSET|PFA|PSETEX|PUBLISH|RPUSH|SADD|SET|SPUBLISH|XADD|ZADD)/i, 1],
  [/^(HSET|HMSET|LSET|LINSERT)/i, 2],
  [/^(ACL|CONFIG)/i, 1],
  [/^(BIT|B[LRZ]|CLIENT|CLUSTER|COMMAND|DECR|DEL|EVAL|EX|FUNCTION|GEO|GET|HINCR|HMGET|HSCAN|INCR|L[TRLM]|MEMORY|P[EFISTU]|RPOP|S[CDIMORSU]|XACK|X[CDGILPRT]|Z[CDILMPRS])/i, -1],
];
// Scripts and functions take their keys, then arguments that are the app's data (BullMQ passes
// each job's payload to EVALSHA): upstream shows them all; we show the script (or its sha or the
// function's name), the key count and the keys, and count the rest.
const SCRIPT = /^(EVAL|EVALSHA|EVAL_RO|EVALSHA_RO|FCALL|FCALL_RO)$/i;
export function serializeRedis(command: string, args: string[]): string {
  if (!args.length) return command;
  if (SCRIPT.test(command)) {
    const keys = Number(args[1]);
    const shown = args.slice(0, 2 + (Number.isInteger(keys) && keys > 0 ? Math.min(keys, args.length - 2) : 0));
    if (args.length > shown.length) shown.push(`[${args.length - shown.length} other arguments]`);
    return `${command} ${shown.join(' ')}`;
  }
  const n = REDIS_SUBSETS.find(([re]) => re.test(command))?.[1] ?? 0;
  const shown = n >= 0 ? args.slice(0, n) : [...args];
  if (args.length > shown.length) shown.push(`[${args.length - n} other arguments]`);
  return `${command} ${shown.join(' ')}`;
}

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

/** Spans the patching instrumentations started, per scope; the last one started in this synchronous stack. */
const patchSpans = new WeakSet<object>();
const justStarted = new Map<string, object>();
/** How many of upstream's patched MULTI `exec` / `execAsPipeline` calls (node-redis) are on the
 *  stack now, per scope. Upstream traces a batch's commands when they are queued (`addCommand`),
 *  each a span of its own ended by the batch's reply; @redis/client 5.12+ publishes a pipeline's
 *  commands on `node-redis:command` synchronously inside execAsPipeline, in the app's context,
 *  where neither the just-started nor the active span tells they are upstream's. */
const inPatchedBatch = new Map<string, number>();

/**
 * Wraps the tracer of a patching instrumentation (and of the version-specific instrumentations it
 * holds, as instrumentation-redis does) so that its spans are known to the channel listener.
 */
export function markPatchSpans(instrumentation: object, scope: string): void {
  const holder = instrumentation as Record<string, unknown>;
  const targets = [instrumentation, holder.instrumentationV4_V5, holder.instrumentationV2_V3].filter((t): t is object => typeof t === 'object' && t !== null);
  for (const target of targets) {
    markPatchedBatches(target as Record<string, unknown>, scope);
    let proto: object | null = target;
    let getter: (() => unknown) | undefined;
    while (proto && !getter) {
      getter = Object.getOwnPropertyDescriptor(proto, 'tracer')?.get;
      proto = Object.getPrototypeOf(proto);
    }
    if (!getter) continue;
    const wrapped = new WeakMap<object, object>();
    Object.defineProperty(target, 'tracer', {
      configurable: true,
      get() {
        const tracer = getter!.call(this) as Tracer;
        if (!tracer || typeof tracer.startSpan !== 'function') return tracer;
        let w = wrapped.get(tracer);
        if (!w) {
          const marked = Object.create(tracer) as Tracer;
          marked.startSpan = function (...args: Parameters<Tracer['startSpan']>) {
            const span = tracer.startSpan(...args);
            patchSpans.add(span);
            justStarted.set(scope, span);
            queueMicrotask(() => {
              if (justStarted.get(scope) === span) justStarted.delete(scope);
            });
            return span;
          };
          wrapped.set(tracer, (w = marked));
        }
        return w;
      },
    });
  }
}

/** Wraps the factory of upstream's node-redis batch patch (instrumentation-redis v4-v5,
 *  `_getPatchMultiCommandsExec`, called when it patches) so that its patched exec counts itself. */
function markPatchedBatches(target: Record<string, unknown>, scope: string): void {
  const factory = target._getPatchMultiCommandsExec;
  if (typeof factory !== 'function') return;
  target._getPatchMultiCommandsExec = function (this: unknown, ...args: unknown[]) {
    const patchFor = factory.apply(this, args) as (original: (...a: unknown[]) => unknown) => (...a: unknown[]) => unknown;
    if (typeof patchFor !== 'function') return patchFor;
    return (original: (...a: unknown[]) => unknown) => {
      const patched = patchFor(original);
      return function (this: unknown, ...callArgs: unknown[]) {
        inPatchedBatch.set(scope, (inPatchedBatch.get(scope) ?? 0) + 1);
        try {
          return patched.apply(this, callArgs);
        } finally {
          inPatchedBatch.set(scope, (inPatchedBatch.get(scope) ?? 1) - 1);
        }
      };
    };
  };
}

/** Whether the call now starting on the channel is one upstream's patch already has a span for. */
function thePatchs(scope: string, api: Api): boolean {
  if ((inPatchedBatch.get(scope) ?? 0) > 0) return true;
  const just = justStarted.get(scope) as Span | undefined;
  if (just?.isRecording()) {
    justStarted.delete(scope);
    return true;
  }
  const activeSpan = api.trace.getSpan(api.context.active());
  return activeSpan !== undefined && patchSpans.has(activeSpan) && activeSpan.isRecording();
}

/**
 * Subscribes to one library's channels; `off()` says whether the library's instrumentation is
 * switched off in this process, `ready()` starts the SDK if needed (false: no telemetry). Returns
 * the unsubscribe.
 */
export function subscribeChannelSpans(def: ChannelSpans, off: () => boolean, ready: () => boolean): () => void {
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
      if (def !== MYSQL2) span.recordException(ctx.error as Error);
      span.setStatus({ code: api!.SpanStatusCode.ERROR, message: ctx.error.message });
    }
    span.end();
  };
  const handlers: Handlers = {
    start: (ctx) => {
      try {
        if (off() || !ready()) return;
        api ??= lineRequire('@opentelemetry/api') as Api;
        if (thePatchs(def.scope, api)) return;
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
