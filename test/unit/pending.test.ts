// The synchronous hand-over for the flush at process.exit(): everything queued (open batch,
// waiting batches, the request in flight) leaves the queue as whole OTLP requests, once.

import { describe, expect, it } from 'vitest';
import type { QueueSettings } from '../../src/sdk/queue/batch-queue';
import { decodeMetrics, decodeTrace, logBodies, spanNames } from '../helpers/otlp-decode';
import { markResent, RESENT_ATTRIBUTE } from '../../src/sdk/queue/resent-marker';
import { lineRequire } from '../../src/otel-line/line';

// The SDK loads its parts lazily with require(), which vitest cannot resolve in TypeScript
// sources: these tests run the build (npm test builds first).
const B = '../../build/src';
const { EncodedSpanProcessor } = require(`${B}/sdk/queue/encoded-span-processor`) as typeof import('../../src/sdk/queue/encoded-span-processor');
const { QueuedLogRecordProcessor } = require(`${B}/sdk/queue/log-processor`) as typeof import('../../src/sdk/queue/log-processor');
const { LossLedger } = require(`${B}/sdk/queue/loss-ledger`) as typeof import('../../src/sdk/queue/loss-ledger');
const { createLogger } = require(`${B}/log/logger`) as typeof import('../../src/log/logger');
const { readConfig } = require(`${B}/config`) as typeof import('../../src/config');
const { startSdk } = require(`${B}/sdk`) as typeof import('../../src/sdk');
const { RuntimeState, localSettings } = require(`${B}/runtime/state`) as typeof import('../../src/runtime/state');
const { unregisterGlobals } = require(`${B}/sdk/providers/unregister`) as typeof import('../../src/sdk/providers/unregister');
const { createIntervalReader } = require(`${B}/sdk/queue/interval-reader`) as typeof import('../../src/sdk/queue/interval-reader');

const { TracerProvider } = lineRequire('@opentelemetry/sdk-trace') as typeof import('@opentelemetry/sdk-trace');
const { LoggerProvider } = lineRequire('@opentelemetry/sdk-logs') as typeof import('@opentelemetry/sdk-logs');
const { resourceFromAttributes } = lineRequire('@opentelemetry/resources') as typeof import('@opentelemetry/resources');

const settings: QueueSettings = { scheduledDelayMillis: 60_000, exportTimeoutMillis: 60_000, maxQueueSize: 100, maxExportBatchSize: 3, maxQueueBytes: 1 << 20 };
const lines: string[] = [];
const quiet = () => createLogger('warn', (l) => lines.push(l));

describe('takePendingSync', () => {
  it('spans: the batch in flight, the open batch — each once, and new spans queue as before', async () => {
    const sent: Uint8Array[] = [];
    const ledger = new LossLedger(quiet(), () => undefined);
    // The first export never answers: its batch stays in flight.
    const processor = new EncodedSpanProcessor((bytes) => (sent.push(bytes), new Promise<void>(() => undefined)), settings, ledger, () => undefined);
    const tracer = new TracerProvider({ resource: resourceFromAttributes({ 'service.name': 'p' }), spanProcessors: [processor] }).getTracer('t');
    for (let i = 0; i < 5; i++) tracer.startSpan(`s${i}`).end();
    await new Promise((r) => setImmediate(r));
    expect(sent).toHaveLength(1); // s0..s2 in flight, s3..s4 open
    const taken = processor.takePendingSync();
    expect(taken.map((t) => t.count)).toEqual([3, 2]);
    expect(taken.flatMap((t) => spanNames(t.bytes))).toEqual(['s0', 's1', 's2', 's3', 's4']);
    // The batch in flight goes again, each span marked as resent; the open batch is unmarked.
    expect(Buffer.from(markResent(sent[0])).equals(Buffer.from(taken[0].bytes))).toBe(true);
    const resent = (bytes: Uint8Array) => decodeTrace(bytes).resourceSpans.flatMap((r) => r.scopeSpans.flatMap((sc) => (sc.spans ?? []).map((sp) => sp.attributes?.[RESENT_ATTRIBUTE])));
    expect(resent(taken[0].bytes)).toEqual([true, true, true]);
    expect(resent(taken[1].bytes)).toEqual([undefined, undefined]);
    expect(processor.size).toEqual({ items: 0, bytes: 0 });
    expect(processor.takePendingSync()).toEqual([]);
    tracer.startSpan('after').end();
    expect(processor.takePendingSync().flatMap((t) => spanNames(t.bytes))).toEqual(['after']);
    // Handed over is neither delivered nor lost: the caller accounts for it.
    expect(ledger.totalLost()).toBe(0);
    expect(ledger.exported.traces).toBe(0);
  });

  it('logs: queued records come out as one ExportLogsServiceRequest', () => {
    const ledger = new LossLedger(quiet(), () => undefined);
    const processor = new QueuedLogRecordProcessor(() => new Promise<void>(() => undefined), { ...settings, maxExportBatchSize: 10 }, ledger, () => undefined);
    const logger = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': 'p' }), processors: [processor] }).getLogger('l');
    for (let i = 0; i < 4; i++) logger.emit({ body: `line ${i}` });
    const taken = processor.takePendingSync();
    expect(taken.map((t) => t.count)).toEqual([4]);
    expect(logBodies(taken[0].bytes)).toEqual(['line 0', 'line 1', 'line 2', 'line 3']);
  });

  it('metrics: what the synchronous instruments recorded since the last export, once; no gauge; nothing after shutdown', async () => {
    const { config } = readConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_TRACES_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/protobuf' });
    const sdk = startSdk(config, quiet(), new RuntimeState(localSettings(config)), 'id');
    const api = lineRequire('@opentelemetry/api') as typeof import('@opentelemetry/api');
    const counter = api.metrics.getMeter('x').createCounter('c');
    const names = (bytes: Uint8Array) => decodeMetrics(bytes).resourceMetrics.flatMap((r) => r.scopeMetrics.flatMap((s) => (s.metrics ?? []).map((m) => m.name))).sort();
    try {
      const meter = api.metrics.getMeter('x');
      const histogram = meter.createHistogram('h');
      meter.createObservableGauge('g').addCallback((r) => r.observe(1));
      expect(sdk.takePendingSync()).toEqual([]); // nothing recorded yet
      counter.add(3);
      histogram.record(1, { a: 1 });
      histogram.record(2, { a: 2 });
      const [pending, ...rest] = sdk.takePendingSync();
      expect(rest).toEqual([]);
      expect([pending.signal, pending.count, pending.target.protocol, pending.target.path]).toEqual(['metrics', 3, 'http/protobuf', '/v1/metrics']);
      expect(names(pending.bytes)).toEqual(['c', 'h']);
      expect(sdk.takePendingSync()).toEqual([]); // nothing new since: not sent again
      counter.add(1);
      expect(sdk.takePendingSync().map((p) => [p.signal, names(p.bytes)])).toEqual([['metrics', ['c', 'h']]]);
    } finally {
      unregisterGlobals();
      await sdk.shutdown().catch(() => undefined);
    }
    counter.add(1); // after shutdown: its last export took everything
    expect(sdk.takePendingSync()).toEqual([]);
  });

  it.each([
    ['cumulative', 1, ['c'], []],
    ['delta', 0, [], [[1, 'timeout']]],
  ] as const)('metrics, %s: an export in flight is counted by its late answer, or handed over at exit (cumulative) or counted lost (delta), never both', async (_name, temporality, resent, lostAtExit) => {
    const { MeterProvider } = lineRequire('@opentelemetry/sdk-metrics') as typeof import('@opentelemetry/sdk-metrics');
    const outcomes: Array<[number, string | undefined]> = [];
    const answers: Array<(r: { code: number }) => void> = [];
    const exporter = { export: (_m: unknown, done: (r: { code: number }) => void) => answers.push(done), forceFlush: async () => undefined, shutdown: async () => undefined };
    const reader = () => {
      const r = createIntervalReader(exporter as never, 60_000, 50, () => temporality as never, (n, lost) => outcomes.push([n, lost]));
      new MeterProvider({ readers: [r] }).getMeter('m').createCounter('c').add(1);
      return r;
    };
    // The answer comes after the reader stopped waiting (50 ms): it is counted as it came.
    const late = reader();
    await late.forceFlush();
    expect(outcomes).toEqual([]);
    answers.shift()!({ code: 0 });
    expect(outcomes).toEqual([[1, undefined]]);
    // No answer before the exit: taken by the hand-over, and a later answer counts nothing.
    outcomes.length = 0;
    const exiting = reader();
    await exiting.forceFlush();
    const taken = exiting.takePendingSync();
    expect(taken.flatMap((m) => m.scopeMetrics.flatMap((s) => s.metrics.map((x) => x.descriptor.name)))).toEqual(resent);
    expect(outcomes).toEqual(lostAtExit);
    answers.shift()!({ code: 0 });
    expect(outcomes).toEqual(lostAtExit);
  });

  it.each(['shutdown', 'forceFlush'] as const)('metrics: %s while a periodic export is in flight collects again, so the last export carries what was recorded since', async (how) => {
    const { MeterProvider } = lineRequire('@opentelemetry/sdk-metrics') as typeof import('@opentelemetry/sdk-metrics');
    const values: number[] = [];
    const answers: Array<(r: { code: number }) => void> = [];
    type Exported = { scopeMetrics: Array<{ metrics: Array<{ dataPoints: Array<{ value: number }> }> }> };
    const exporter = {
      export: (m: Exported, done: (r: { code: number }) => void) => (values.push(m.scopeMetrics[0].metrics[0].dataPoints[0].value), answers.push(done)),
      forceFlush: async () => undefined,
      shutdown: async () => undefined,
    };
    const reader = createIntervalReader(exporter as never, 60_000, 5_000, () => 1 as never);
    const counter = new MeterProvider({ readers: [reader] }).getMeter('m').createCounter('c');
    counter.add(1);
    const first = reader.forceFlush(); // stands for the periodic export: collected (1), not answered yet
    await new Promise((r) => setImmediate(r));
    expect(values).toEqual([1]);
    counter.add(1); // recorded while that export is in flight
    const ending = how === 'shutdown' ? reader.shutdown() : reader.forceFlush();
    answers.shift()!({ code: 0 });
    await first;
    for (let i = 0; i < 5 && values.length < 2; i++) await new Promise((r) => setImmediate(r));
    expect(values).toEqual([1, 2]);
    answers.shift()!({ code: 0 });
    await ending;
  });

  it('the Sdk hands over spans and logs with their targets, and countLost counts', async () => {
    const { config } = readConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_EXPORTER_OTLP_HEADERS: 'x-a=b', OTEL_TRACES_EXPORTER: 'otlp', OTEL_LOGS_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/protobuf', OTEL_METRICS_EXPORTER: 'none' });
    const log = quiet();
    const sdk = startSdk(config, log, new RuntimeState(localSettings(config)), 'id');
    const api = lineRequire('@opentelemetry/api') as typeof import('@opentelemetry/api');
    const { logs } = lineRequire('@opentelemetry/api-logs') as typeof import('@opentelemetry/api-logs');
    try {
      api.trace.getTracer('x').startSpan('one').end();
      logs.getLogger('x').emit({ body: 'hello' });
      const pending = sdk.takePendingSync();
      expect(pending.map((p) => [p.signal, p.count, p.target.protocol, p.target.endpoint, p.target.path])).toEqual([
        ['traces', 1, 'grpc', 'http://127.0.0.1:9', '/opentelemetry.proto.collector.trace.v1.TraceService/Export'],
        ['logs', 1, 'http/protobuf', 'http://127.0.0.1:9', '/v1/logs'],
      ]);
      expect(pending[0].target.headers).toEqual({ 'x-a': 'b' });
      expect(spanNames(pending[0].bytes)).toEqual(['one']);
      expect(sdk.takePendingSync()).toEqual([]);
      sdk.countLost('traces', 1, 'timeout');
      expect(sdk.totalLost()).toBe(1);
      sdk.reportLosses();
      expect(lines.at(-1)).toMatch(/telemetry lost: 1 spans \(timeout 1; 1 in total\)/);
    } finally {
      unregisterGlobals();
      await sdk.shutdown().catch(() => undefined);
    }
  });
});
