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
// Boundary spans only, by default (README): BullMQ also traces its own housekeeping as INTERNAL
// spans (getNextJob, complete, extendLocks, and, every stalledInterval on an idle worker,
// startStalledCheckTimer / moveStalledJobsToWait with its `evalsha`: a root trace every 30 s).
// Those are detail (OTEL_NODE_INSTRUMENTATION_DETAIL=bullmq, detail.ts); without it, no span is
// made and tracing is suppressed inside, so the Redis commands BullMQ runs there make no span
// either. The suppression is ours alone: PRODUCER and CONSUMER spans started under it (BullMQ runs
// its main loop inside `resume`) and the contexts they hand on are taken out of it, and the
// metadata a job carries is that of the context outside the skipped span. The PRODUCER span is
// named `add <queue>` (messaging conventions: `{operation} {destination}`; BullMQ names it
// `add <queue>.<job name>`; the job name stays in `bullmq.job.name`).
//
// Where: QueueBase's constructor (queue-base.js), which Queue, Worker and QueueEvents extend —
// patched when that file loads, before the files that extend it read it — and FlowProducer's.

import type { Context, Span, Tracer } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { lineRequire } from '../otel-line/line';
import { detailOn } from './detail';

export const BULLMQ_RANGE = '>=6.0.0 <7';
const LAYOUTS = ['cjs', 'esm'];

export function bullmqInstrumentationClass(): new (options: Record<string, unknown>) => Instrumentation {
  const { InstrumentationBase, InstrumentationNodeModuleDefinition, InstrumentationNodeModuleFile } = lineRequire('@opentelemetry/instrumentation');
  const api = lineRequire('@opentelemetry/api') as typeof import('@opentelemetry/api');
  const { DISTRO_VERSION } = require('../version') as { DISTRO_VERSION: string };

  const { suppressTracing, isTracingSuppressed } = lineRequire('@opentelemetry/core') as typeof import('@opentelemetry/core');
  /** A context suppressed by a skipped INTERNAL span holds, under this key, the one it came from. */
  const OUTSIDE = api.createContextKey('otel-preload bullmq outside a skipped span');
  /** The context without our suppression (a skipped span's, however deep), the app's own kept. */
  const outside = (ctx: Context): Context => (ctx.getValue(OUTSIDE) as Context | undefined) ?? ctx;
  const INTERNAL = 0;
  const PRODUCER = 3;
  const CONSUMER = 4;
  /** BullMQ's attributes that name what the messaging conventions name (PRODUCER and CONSUMER spans). */
  const MESSAGING: Record<string, string> = {
    'bullmq.queue.name': 'messaging.destination.name',
    'bullmq.queue.operation': 'messaging.operation.name',
    'bullmq.job.id': 'messaging.message.id',
    'bullmq.job.bulk.count': 'messaging.batch.message_count',
  };

  /** BullMQ's Telemetry interface (bullmq's interfaces/telemetry.ts), as bullmq-otel implements it. */
  class OtelTelemetry {
    constructor(private readonly otelTracer: () => Tracer) {}
    readonly tracer = {
      startSpan: (name: string, options?: Record<string, unknown>, context?: Context) => {
        const kind = options?.kind ?? INTERNAL;
        if (kind === INTERNAL && !detailOn('bullmq')) return SKIPPED;
        // A PRODUCER or CONSUMER span under a skipped one is made as if that one were not there.
        const parent = outside(context ?? api.context.active());
        const messaging = kind === PRODUCER || kind === CONSUMER;
        // Known at the start (a sampler sees them): the system and the kind of operation.
        const attributes = messaging ? { ...(options?.attributes as object), 'messaging.system': 'bullmq', 'messaging.operation.type': kind === PRODUCER ? 'send' : 'process' } : (options?.attributes as Record<string, never> | undefined);
        return new OtelSpan(this.otelTracer().startSpan(name, { ...options, attributes }, parent), kind === PRODUCER ? name : undefined, messaging);
      },
    };
    readonly contextManager = {
      with: <T>(ctx: Context, fn: () => T): T => api.context.with(ctx, fn),
      active: () => api.context.active(),
      // BullMQ runs its stalled-job checker here, detached from whoever started the worker.
      root: () => api.ROOT_CONTEXT,
      getMetadata: (ctx: Context) => {
        const carrier: Record<string, string> = {};
        api.propagation.inject(outside(ctx), carrier);
        return JSON.stringify(carrier);
      },
      fromMetadata: (active: Context, metadata: string) => {
        try {
          // Onto the context outside a skipped span: the job's parent must survive `outside()`.
          return api.propagation.extract(outside(active), JSON.parse(metadata));
        } catch {
          return active;
        }
      },
    };
  }

  class OtelSpan {
    /** `producerName`: BullMQ's name of a PRODUCER span, renamed once the queue is known. */
    constructor(private readonly span: Span, private producerName?: string, private readonly messaging = false) {}
    setSpanOnContext(ctx: Context) {
      return api.trace.setSpan(outside(ctx), this.span);
    }
    // BullMQ sets list attributes that are often empty (the stalled-job check's job ids): an empty
    // list says nothing, and some OTLP receivers fail a whole request on one.
    setAttribute(key: string, value: unknown) {
      if (!(Array.isArray(value) && value.length === 0)) this.span.setAttribute(key, value as never);
      // The messaging conventions' names beside BullMQ's own (add, addBulk, addFlow; process).
      const conventional = this.messaging ? MESSAGING[key] : undefined;
      if (conventional && (typeof value === 'string' || typeof value === 'number')) this.span.setAttribute(conventional, key === 'bullmq.job.id' ? String(value) : value);
      // `add <queue>.<job name>` is `add <queue>`: BullMQ sets the queue's name first thing.
      if (key === 'bullmq.queue.name' && typeof value === 'string' && this.producerName !== undefined) {
        const prefix = this.producerName.substring(0, this.producerName.indexOf(' ') + 1);
        if (prefix && this.producerName.startsWith(`${prefix}${value}.`)) this.span.updateName(`${prefix}${value}`);
        this.producerName = undefined;
      }
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

  /** A skipped INTERNAL span: records nothing; what runs in it is not traced (see the top). */
  const SKIPPED = {
    setSpanOnContext: (ctx: Context) => (isTracingSuppressed(ctx) ? ctx : suppressTracing(ctx).setValue(OUTSIDE, ctx)),
    setAttribute() {},
    setAttributes() {},
    addEvent() {},
    recordException() {},
    end() {},
  };

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
