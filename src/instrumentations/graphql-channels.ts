// graphql 17 through its own tracing channels. graphql 17 publishes `graphql:execute` (and parse,
// validate, resolve, subscribe) as diagnostics_channel tracing channels; upstream's instrumentation
// (ranges < 17) patches execute.js, which 17 restructured: with the range extended it patched and
// produced nothing (measured: no span, detail on or off). So on 17 the operation span comes from
// the channel, made by upstream's own code (`_createExecuteSpan`, `_handleExecutionResult`: same
// name, attributes and scope as on 16), through the same boundary tracer (graphql-boundary.ts).
//
// Subscribed once, at start, like the mysql2 and ioredis channels (channel-spans.ts): a bundled
// graphql is never required, so waiting for its require (upstream's enable) would never subscribe.
// Subscribing loads nothing; the instrumentation (and the SDK) come at the first operation.
// graphql 16 and older publish nothing there, and 17 is outside upstream's patch range: one span
// per operation, never two, bundled or not.
//
// The channel runs `execute` inside `start.runStores`: a store bound to the start channel (any
// object with `run(value, fn)`; Node calls nothing else) runs it inside the operation span's
// context, so what resolvers call (database CLIENT spans) is under the operation span, as on 16.

import type { Context, Span } from '@opentelemetry/api';
import { lineRequire } from '../otel-line/line';

interface ExecuteContext {
  document?: unknown;
  operationName?: string;
  operationType?: string;
  rawVariableValues?: unknown;
  result?: unknown;
  error?: unknown;
}

/** Upstream's GraphQLInstrumentation, the two methods used here. */
export interface GraphqlSpanMaker {
  _createExecuteSpan(operation: unknown, args: Record<string, unknown>): unknown;
  _handleExecutionResult(span: unknown, err: unknown, result: unknown): void;
}

type Handlers = Record<'start' | 'end' | 'asyncStart' | 'asyncEnd' | 'error', (ctx: ExecuteContext) => void>;
interface Channel {
  start: { bindStore(store: unknown, transform: (ctx: ExecuteContext) => unknown): void; unbindStore(store: unknown): void };
  subscribe(handlers: Handlers): void;
  unsubscribe(handlers: Handlers): void;
}

/**
 * Subscribes to `graphql:execute`; `instrumentation()` gives the enabled graphql instrumentation
 * (activating it, and starting the SDK, at the first call), undefined: no span. Returns the unsubscribe.
 */
export function subscribeGraphqlChannel(instrumentation: () => GraphqlSpanMaker | undefined): () => void {
  const dc = require('diagnostics_channel') as { tracingChannel?: (name: string) => Channel };
  if (typeof dc.tracingChannel !== 'function') return () => {};
  const channel = dc.tracingChannel('graphql:execute');
  let api: typeof import('@opentelemetry/api') | undefined;
  const spans = new WeakMap<ExecuteContext, { maker: GraphqlSpanMaker; span: unknown }>();
  const finish = (ctx: ExecuteContext) => {
    const made = spans.get(ctx);
    if (made === undefined) return;
    spans.delete(ctx);
    try {
      made.maker._handleExecutionResult(made.span, ctx.error, ctx.error ? undefined : ctx.result);
    } catch {
      // Never let tracing break an operation.
    }
  };
  // Called by runStores before `start` is published: the span is made in the caller's context
  // and becomes the active one for the execution.
  const enter = (ctx: ExecuteContext): Context | undefined => {
    try {
      const maker = instrumentation();
      if (!maker) return undefined;
      api ??= lineRequire('@opentelemetry/api') as typeof import('@opentelemetry/api');
      const type = ctx.operationType;
      const name = ctx.operationName;
      const operation = type ? { operation: type, name: name ? { value: name } : undefined } : undefined;
      const span = maker._createExecuteSpan(operation, { document: ctx.document, operationName: name, variableValues: ctx.rawVariableValues });
      spans.set(ctx, { maker, span });
      return api.trace.setSpan(api.context.active(), span as Span);
    } catch {
      return undefined;
    }
  };
  const store = { run: (value: unknown, fn: () => unknown) => (value === undefined || !api ? fn() : api.context.with(value as Context, fn)) };
  const handlers: Handlers = {
    start: () => {},
    // Synchronous result or throw: `end` carries it; a promise ends at `asyncEnd`.
    end: (ctx) => {
      if ('result' in ctx || 'error' in ctx) finish(ctx);
    },
    asyncStart: () => {},
    asyncEnd: finish,
    error: () => {},
  };
  channel.start.bindStore(store, enter);
  channel.subscribe(handlers);
  return () => {
    channel.unsubscribe(handlers);
    channel.start.unbindStore(store);
  };
}
