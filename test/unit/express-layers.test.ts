// With express's detail on, the lean express layer wrapper produces what upstream's produces: the same spans (names,
// attributes, parents, status, events, when they end), the same route on the SERVER span's
// RPCMetadata, and the same contexts for the layer and for `next`.

import { EventEmitter } from 'events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leanExpressInstrumentationClass } from '../../src/instrumentations/express-layers';
import { setDetail } from '../../src/instrumentations/detail';
import { lineRequire } from '../../src/otel-line/line';

const api = lineRequire('@opentelemetry/api') as typeof import('@opentelemetry/api');
const core = lineRequire('@opentelemetry/core') as typeof import('@opentelemetry/core');
const { TracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = lineRequire('@opentelemetry/sdk-trace');
const { AsyncLocalStorageContextManager } = lineRequire('@opentelemetry/context-async-hooks');
const { ExpressInstrumentation } = lineRequire('@opentelemetry/instrumentation-express');

type Handler = (req: unknown, res: unknown, next: (err?: unknown) => void) => void;
interface Scenario {
  name: string;
  layerName: string;
  layerPath?: string;
  handler: Handler;
  nextArg?: unknown;
}

const SCENARIOS: Scenario[] = [
  { name: 'a handler that answers', layerName: 'handle', layerPath: '/users/:id', handler: () => undefined },
  { name: 'middleware that calls next', layerName: 'jsonParser', handler: (_req, _res, next) => next() },
  { name: 'middleware that calls next later', layerName: 'query', handler: (_req, _res, next) => void Promise.resolve().then(() => next()) },
  { name: 'middleware that passes an error', layerName: 'auth', handler: (_req, _res, next) => next(new Error('denied')) },
  { name: 'a router', layerName: 'router', layerPath: '/api', handler: (_req, _res, next) => next() },
  { name: 'a handler that throws', layerName: 'handle', layerPath: '/boom', handler: () => { throw new Error('thrown'); } },
];

let exporter: InstanceType<typeof InMemorySpanExporter>;
let provider: InstanceType<typeof TracerProvider>;

beforeAll(() => {
  exporter = new InMemorySpanExporter();
  provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
});
afterAll(() => api.context.disable());

/** Runs one layer under a SERVER span; returns the spans, the route and what `next` saw. */
async function run(Class: new (config: object) => { setTracerProvider(p: unknown): void; _applyPatch(layer: object, path?: string): void }, s: Scenario) {
  exporter.reset();
  const instrumentation = new Class({ enabled: false });
  instrumentation.setTracerProvider(provider);
  const layer = { name: s.layerName, path: s.layerPath, handle: function (req: unknown, res: unknown, next: () => void) { return s.handler(req, res, next); } };
  instrumentation._applyPatch(layer, s.layerPath);
  const server = provider.getTracer('server').startSpan('GET', { kind: api.SpanKind.SERVER });
  const rpc: { type: typeof core.RPCType.HTTP; span: import('@opentelemetry/api').Span; route?: string } = { type: core.RPCType.HTTP, span: server };
  const ctx = core.setRPCMetadata(api.trace.setSpan(api.ROOT_CONTEXT, server), rpc);
  const res = Object.assign(new EventEmitter(), {});
  const req = { originalUrl: s.layerPath ?? '/', res };
  let nextSawSpan: string | undefined;
  let threw: string | undefined;
  await new Promise<void>((resolve) => {
    const next = () => {
      nextSawSpan = api.trace.getSpan(api.context.active())?.spanContext().spanId === server.spanContext().spanId ? 'server' : 'other';
      resolve();
    };
    try {
      api.context.with(ctx, () => layer.handle(req, res, next));
    } catch (err) {
      threw = (err as Error).message;
    }
    setTimeout(resolve, 20);
  });
  // The response closes (the handler answered, or the app's error handler did).
  res.emit('close');
  server.end();
  const spans = exporter.getFinishedSpans().filter((x: { name: string }) => x.name !== 'GET').map((x: { name: string; attributes: object; parentSpanContext?: { spanId: string }; status: object; events: { name: string; attributes?: Record<string, unknown> }[] }) => ({
    name: x.name,
    attributes: x.attributes,
    parentIsServer: x.parentSpanContext?.spanId === server.spanContext().spanId,
    status: x.status,
    events: x.events.map((e) => ({ name: e.name, type: e.attributes?.['exception.type'], message: e.attributes?.['exception.message'] })),
  }));
  return { spans, route: rpc.route, nextSawSpan, threw };
}

describe('lean express layer wrapper, express detail on', () => {
  const Lean = leanExpressInstrumentationClass() as never;
  beforeAll(() => setDetail(['express']));
  afterAll(() => setDetail([]));
  it.each(SCENARIOS)('$name: same as upstream', async (scenario) => {
    const upstream = await run(ExpressInstrumentation, scenario);
    const lean = await run(Lean, scenario);
    expect(upstream.spans.length).toBeGreaterThan(0);
    expect(lean).toEqual(upstream);
  });
});
