// The GenAI pieces that need no SDK: content redaction and bounds, and the span-metrics processor
// (metrics from ended GenAI spans, never for a scope that records its own).

import { afterAll, describe, expect, it } from 'vitest';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { contentAttribute, MAX_CAPTURED_CHARS, MAX_CONTENT_CHARS, redactText } from '../../src/instrumentations/genai/content';
import { GenAiSpanMetricsProcessor } from '../../src/instrumentations/genai/span-metrics';
import { lineRequire } from '../../src/otel-line/line';

describe('content', () => {
  it.each([
    ['my key is sk-live-abcdefghijklmnopqrstuvwx ok', 'my key is REDACTED ok'],
    ['sk-ant-api03-abcdefghijklmnopqrstuvwxyz', 'REDACTED'],
    ['Authorization: Bearer abc.def.ghijklmnop', 'Authorization: REDACTED'],
    ['google AIzaSyA1234567890abcdefghijklmnopqrstuv', 'google REDACTED'],
    ['aws AKIAABCDEFGHIJKLMNOP', 'aws REDACTED'],
    ['plain words stay', 'plain words stay'],
  ])('%s', (raw, expected) => {
    expect(redactText(raw)).toBe(expected);
  });

  it('bounds each string and the whole value', () => {
    const long = 'x'.repeat(MAX_CONTENT_CHARS + 10);
    expect(redactText(long)).toBe(`${'x'.repeat(MAX_CONTENT_CHARS)}…[10 more characters]`);
    const many = Array.from({ length: 20 }, () => 'y'.repeat(MAX_CONTENT_CHARS));
    expect(contentAttribute(many)!.length).toBeLessThanOrEqual(MAX_CAPTURED_CHARS + 1);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => contentAttribute(cyclic)).not.toThrow();
  });
});

describe('GenAiSpanMetricsProcessor', () => {
  const api = lineRequire('@opentelemetry/api') as typeof import('@opentelemetry/api');
  const sdk = lineRequire('@opentelemetry/sdk-metrics') as typeof import('@opentelemetry/sdk-metrics');
  const exporter = new sdk.InMemoryMetricExporter(sdk.AggregationTemporality.CUMULATIVE);
  const reader = new sdk.PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
  const provider = new sdk.MeterProvider({ readers: [reader] });
  api.metrics.setGlobalMeterProvider(provider);
  afterAll(async () => {
    await provider.shutdown();
    api.metrics.disable();
  });

  const span = (scope: string, attributes: Record<string, unknown>, extra: Partial<{ kind: number; status: { code: number } }> = {}) =>
    ({ kind: 2, attributes, duration: [1, 500_000_000], status: { code: 0 }, instrumentationScope: { name: scope }, ...extra }) as unknown as ReadableSpan;

  it('records both metrics from foreign GenAI spans, once each, and skips scopes that record their own', async () => {
    const p = new GenAiSpanMetricsProcessor();
    const chat = { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'anthropic', 'gen_ai.request.model': 'm', 'gen_ai.usage.input_tokens': 17, 'gen_ai.usage.output_tokens': 6, 'gen_ai.input.messages': 'never a metric attribute' };
    p.onEnd(span('com.anthropic.sdk.typescript', chat));
    p.onEnd(span('com.anthropic.sdk.typescript', { 'gen_ai.operation.name': 'chat', 'gen_ai.system': 'anthropic', 'gen_ai.request.model': 'x' }, { status: { code: 2 } }));
    p.onEnd(span('@opentelemetry/instrumentation-openai', { ...chat, 'gen_ai.provider.name': 'openai' }));
    p.onEnd(span('@opentelemetry/instrumentation-http', { 'http.request.method': 'GET' }));
    p.onEnd(span('agent', { 'gen_ai.operation.name': 'invoke_agent' }, { kind: 0 }));
    await reader.forceFlush();
    const metrics = exporter.getMetrics().at(-1)!.scopeMetrics.flatMap((s) => s.metrics);
    const duration = metrics.find((m) => m.descriptor.name === 'gen_ai.client.operation.duration')!;
    const tokens = metrics.find((m) => m.descriptor.name === 'gen_ai.client.token.usage')!;
    expect(duration.dataPoints.map((d) => [d.attributes, (d.value as { count: number; sum: number }).count, (d.value as { sum: number }).sum])).toEqual([
      [{ 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'anthropic', 'gen_ai.request.model': 'm' }, 1, 1.5],
      [{ 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'anthropic', 'gen_ai.request.model': 'x', 'error.type': '_OTHER' }, 1, 1.5],
    ]);
    expect(tokens.dataPoints.map((d) => [d.attributes['gen_ai.token.type'], (d.value as { sum: number }).sum])).toEqual([['input', 17], ['output', 6]]);
    expect((duration.dataPoints[0].value as { buckets: { boundaries: number[] } }).buckets.boundaries).toEqual([0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92]);
  });
});
