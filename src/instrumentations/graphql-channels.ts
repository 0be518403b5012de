// graphql 17 through its own tracing channels. graphql 17 publishes `graphql:execute` (and parse,
// validate, resolve, subscribe) as diagnostics_channel tracing channels; upstream's instrumentation
// (ranges < 17) patches execute.js, which 17 restructured: with the range extended it patched and
// produced nothing (measured: no span, detail on or off). So on 17 the operation span comes from
// the channel, made by upstream's own code (`_createExecuteSpan`, `_handleExecutionResult`: same
// name, attributes and scope as on 16), through the same boundary tracer (graphql-boundary.ts).
// graphql 16 and older publish nothing there, and 17 is outside upstream's patch range: one span
// per operation, never two. The channel works whether graphql is bundled or not.
//
// The channel runs `execute` inside `start.runStores`: a store bound to the start channel (any
// object with `run(value, fn)`; Node calls nothing else) runs it inside the operation span's
// context, so what resolvers call (database CLIENT spans) is under the operation span, as on 16.

import type { Instrumentation } from '@opentelemetry/instrumentation';
import { lineRequire } from '../otel-line/line';

interface ExecuteContext {
  document?: unknown;
  operationName?: string;
  operationType?: string;
  rawVariableValues?: unknown;
  result?: unknown;
  error?: unknown;
}

interface Upstream {
  _createExecuteSpan(operation: unknown, args: Record<string, unknown>): unknown;
  _handleExecutionResult(span: unknown, err: unknown, result: unknown): void;
}

type Channel = { subscribe(handlers: Record<string, (ctx: ExecuteContext) => void>): void; unsubscribe(handlers: Record<string, (ctx: ExecuteContext) => void>): void };

export function leanGraphqlInstrumentationClass(): new (options: Record<string, unknown>) => Instrumentation {
  const { GraphQLInstrumentation } = lineRequire('@opentelemetry/instrumentation-graphql');
  const dc = require('diagnostics_channel') as { tracingChannel?: (name: string) => Channel };
  return class GraphqlWithChannels extends GraphQLInstrumentation {
    private channelHandlers?: Record<string, (ctx: ExecuteContext) => void>;
    private channelStore?: { run(value: unknown, fn: () => unknown): unknown };

    enable(): void {
      super.enable();
      if (this.channelHandlers || typeof dc.tracingChannel !== 'function') return;
      const spans = new WeakMap<ExecuteContext, unknown>();
      const self = this as unknown as Upstream;
      const finish = (ctx: ExecuteContext) => {
        const span = spans.get(ctx);
        if (span === undefined) return;
        spans.delete(ctx);
        self._handleExecutionResult(span, ctx.error, ctx.error ? undefined : ctx.result);
      };
      const api = lineRequire('@opentelemetry/api') as typeof import('@opentelemetry/api');
      // Called by runStores before `start` is published: the span is made in the caller's context
      // and becomes the active one for the execution.
      const enter = (ctx: ExecuteContext) => {
        const type = ctx.operationType;
        const name = ctx.operationName;
        const operation = type ? { operation: type, name: name ? { value: name } : undefined } : undefined;
        const span = self._createExecuteSpan(operation, { document: ctx.document, operationName: name, variableValues: ctx.rawVariableValues });
        spans.set(ctx, span);
        return api.trace.setSpan(api.context.active(), span as import('@opentelemetry/api').Span);
      };
      this.channelStore = { run: (value, fn) => api.context.with(value as import('@opentelemetry/api').Context, fn) };
      (dc.tracingChannel('graphql:execute') as unknown as { start: { bindStore(store: unknown, transform: (ctx: ExecuteContext) => unknown): void } }).start.bindStore(this.channelStore, enter);
      this.channelHandlers = {
        start: () => {},
        // Synchronous result or throw: `end` carries it; a promise ends at `asyncEnd`.
        end: (ctx) => {
          if ('result' in ctx || 'error' in ctx) finish(ctx);
        },
        asyncStart: () => {},
        asyncEnd: finish,
        error: () => {},
      };
      dc.tracingChannel('graphql:execute').subscribe(this.channelHandlers);
    }

    disable(): void {
      super.disable();
      if (this.channelHandlers && typeof dc.tracingChannel === 'function') {
        const channel = dc.tracingChannel('graphql:execute');
        channel.unsubscribe(this.channelHandlers);
        if (this.channelStore) (channel as unknown as { start: { unbindStore(store: unknown): void } }).start.unbindStore(this.channelStore);
      }
      this.channelHandlers = undefined;
      this.channelStore = undefined;
    }
  } as unknown as new (options: Record<string, unknown>) => Instrumentation;
}
