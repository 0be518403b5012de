// graphql 17 through its own tracing channels. graphql 17 publishes `graphql:execute` (and parse,
// validate, resolve, subscribe) as diagnostics_channel tracing channels; upstream's instrumentation
// (ranges < 17) patches execute.js, which 17 restructured: with the range extended it patched and
// produced nothing (measured: no span, detail on or off). So on 17 the operation span comes from
// the channel, made by upstream's own code (`_createExecuteSpan`, `_handleExecutionResult`: same
// name, attributes and scope as on 16), through the same boundary tracer (graphql-boundary.ts).
// graphql 16 and older publish nothing there, and 17 is outside upstream's patch range: one span
// per operation, never two. The channel works whether graphql is bundled or not.
//
// Limitation: the channel runs `execute` inside `start.runStores`, which only AsyncLocalStorage
// stores bound to the channel can use; the operation span is not made the active context, so what
// resolvers call (database CLIENT spans) is parented to the request's SERVER span, not to the
// operation span.

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
      this.channelHandlers = {
        start: (ctx) => {
          const type = ctx.operationType;
          const name = ctx.operationName;
          const operation = type ? { operation: type, name: name ? { value: name } : undefined } : undefined;
          spans.set(ctx, self._createExecuteSpan(operation, { document: ctx.document, operationName: name, variableValues: ctx.rawVariableValues }));
        },
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
      if (this.channelHandlers && typeof dc.tracingChannel === 'function') dc.tracingChannel('graphql:execute').unsubscribe(this.channelHandlers);
      this.channelHandlers = undefined;
    }
  } as unknown as new (options: Record<string, unknown>) => Instrumentation;
}
