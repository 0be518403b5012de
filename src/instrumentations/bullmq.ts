// BullMQ jobs in the trace of the request that enqueued them. BullMQ (>= 5) traces itself through
// a `telemetry` option: PRODUCER spans when jobs are added (`add <queue>`), CONSUMER spans when a
// worker processes one (`process <queue>`), with the producer's context carried in the job
// (`opts.telemetry.metadata`) so the worker's span — and whatever the job calls — continues the
// enqueuing trace. Zero-code: every queue, worker and flow producer the app creates gets that
// option, unless it brings its own. The adapter is the one `bullmq-otel` (Taskforce's) implements,
// over the OpenTelemetry API; we do not depend on bullmq-otel because it declares bullmq as a peer
// dependency, which npm would install (with its own dependencies) into every install of the
// preload (docs/decisions.md, "BullMQ").
//
// Where: QueueBase's constructor (queue-base.js), which Queue, Worker and QueueEvents extend —
// patched when that file loads, before the files that extend it read it — and FlowProducer's.

import type { Context, Span, Tracer } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { lineRequire } from '../otel-line/line';

export const BULLMQ_RANGE = '>=6.0.0 <7';
const LAYOUTS = ['cjs', 'esm'];

export function bullmqInstrumentationClass(): new (options: Record<string, unknown>) => Instrumentation {
  const { InstrumentationBase, InstrumentationNodeModuleDefinition, InstrumentationNodeModuleFile } = lineRequire('@opentelemetry/instrumentation');
  const api = lineRequire('@opentelemetry/api') as typeof import('@opentelemetry/api');
  const { DISTRO_VERSION } = require('../version') as { DISTRO_VERSION: string };

  /** BullMQ's Telemetry interface (bullmq's interfaces/telemetry.ts), as bullmq-otel implements it. */
  class OtelTelemetry {
    constructor(private readonly otelTracer: () => Tracer) {}
    readonly tracer = {
      startSpan: (name: string, options?: Record<string, unknown>, context?: Context) => new OtelSpan(this.otelTracer().startSpan(name, options, context)),
    };
    readonly contextManager = {
      with: <T>(ctx: Context, fn: () => T): T => api.context.with(ctx, fn),
      active: () => api.context.active(),
      getMetadata: (ctx: Context) => {
        const carrier: Record<string, string> = {};
        api.propagation.inject(ctx, carrier);
        return JSON.stringify(carrier);
      },
      fromMetadata: (active: Context, metadata: string) => {
        try {
          return api.propagation.extract(active, JSON.parse(metadata));
        } catch {
          return active;
        }
      },
    };
  }

  class OtelSpan {
    constructor(private readonly span: Span) {}
    setSpanOnContext(ctx: Context) {
      return api.trace.setSpan(ctx, this.span);
    }
    // BullMQ sets list attributes that are often empty (the stalled-job check's job ids): an empty
    // list says nothing, and some OTLP receivers fail a whole request on one.
    setAttribute(key: string, value: unknown) {
      if (!(Array.isArray(value) && value.length === 0)) this.span.setAttribute(key, value as never);
    }
    setAttributes(attributes: Record<string, unknown>) {
      for (const [key, value] of Object.entries(attributes ?? {})) this.setAttribute(key, value);
    }
    addEvent(name: string, attributes?: Record<string, never>, time?: number) {
      this.span.addEvent(name, attributes, time);
    }
    recordException(exception: Error, time?: number) {
      this.span.recordException(exception, time);
      this.span.setStatus({ code: api.SpanStatusCode.ERROR, message: exception?.message });
    }
    end() {
      this.span.end();
    }
  }

  return class BullmqInstrumentation extends InstrumentationBase {
    constructor(config: Record<string, unknown> = {}) {
      super('otel-preload-bullmq', DISTRO_VERSION, config);
    }

    init() {
      const telemetry = new OtelTelemetry(() => this.tracer as Tracer);
      const enabled = () => this.isEnabled();
      const files = LAYOUTS.flatMap((layout) => [
        new InstrumentationNodeModuleFile(`bullmq/dist/${layout}/classes/queue-base.js`, [BULLMQ_RANGE], (exports: Record<string, unknown>) => withTelemetry(exports, 'QueueBase', telemetry, enabled, 'opts'), unpatch('QueueBase')),
        new InstrumentationNodeModuleFile(`bullmq/dist/${layout}/classes/flow-producer.js`, [BULLMQ_RANGE], (exports: Record<string, unknown>) => withTelemetry(exports, 'FlowProducer', telemetry, enabled, 'self'), unpatch('FlowProducer')),
      ]);
      return [new InstrumentationNodeModuleDefinition('bullmq', [BULLMQ_RANGE], undefined, undefined, files)];
    }
  } as unknown as new (options: Record<string, unknown>) => Instrumentation;
}

const ORIGINAL = Symbol.for('otel-preload.bullmq.original');

/**
 * Replaces `exports[name]` by a subclass that sets the telemetry option when the app gave none:
 * QueueBase keeps it in `this.opts.telemetry`, FlowProducer in `this.telemetry`.
 */
function withTelemetry(exports: Record<string, unknown>, name: string, telemetry: object, enabled: () => boolean, where: 'opts' | 'self') {
  const Base = exports?.[name] as (new (...args: unknown[]) => Record<string, unknown>) | undefined;
  if (typeof Base !== 'function' || (Base as unknown as Record<symbol, unknown>)[ORIGINAL]) return exports;
  const Traced = class extends Base {
    constructor(...args: unknown[]) {
      super(...args);
      if (!enabled()) return;
      try {
        if (where === 'opts') {
          const opts = this.opts as Record<string, unknown> | undefined;
          if (opts && !opts.telemetry) opts.telemetry = telemetry;
        } else if (!this.telemetry) this.telemetry = telemetry;
      } catch {
        // Never let tracing break a queue.
      }
    }
  };
  Object.defineProperty(Traced, 'name', { value: Base.name });
  (Traced as unknown as Record<symbol, unknown>)[ORIGINAL] = Base;
  exports[name] = Traced;
  return exports;
}

function unpatch(name: string) {
  return (exports: Record<string, unknown>) => {
    const original = (exports?.[name] as Record<symbol, unknown> | undefined)?.[ORIGINAL];
    if (original) exports[name] = original;
  };
}
