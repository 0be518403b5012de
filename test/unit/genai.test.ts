// The GenAI pieces that need no SDK: content redaction and bounds, the mapping of each SDK's
// message shapes onto the conventions' (gen-ai-input-messages.json and -output-messages.json), and
// the span-metrics processor (metrics from ended GenAI spans, never for a scope that records its own).

import { afterAll, describe, expect, it } from 'vitest';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { contentAttribute, MAX_CAPTURED_CHARS, MAX_CONTENT_CHARS, redactText } from '../../src/instrumentations/genai/content';
import { toInstructions, toMessages, toOutput } from '../../src/instrumentations/genai/messages';
import { GenAiSpanMetricsProcessor } from '../../src/instrumentations/genai/span-metrics';
import { lineRequire } from '../../src/otel-line/line';

describe('content', () => {
  it.each([
    ['my key is sk-live-abcdefghijklmnopqrstuvwx ok', 'my key is REDACTED ok'],
    ['sk-ant-api03-abcdefghijklmnopqrstuvwxyz', 'REDACTED'],
    ['Authorization: Bearer abc.def.ghijklmnop', 'Authorization: REDACTED'],
    ['google AIzaSyA1234567890abcdefghijklmnopqrstuv', 'google REDACTED'],
    ['aws AKIAABCDEFGHIJKLMNOP', 'aws REDACTED'],
    ['log in with password=hunter2 and api_key: x', 'log in with password=REDACTED and api_key: x'],
    ['db postgres://app:s3cret@db.internal/x?', 'db postgres://REDACTED@db.internal/x?'],
    ['what is 2+2? a=b', 'what is 2+2? a=b'],
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

describe('messages: each SDK\'s shapes as the conventions\' role + typed parts', () => {
  it('Anthropic: text, tool_use, tool_result, thinking, a base64 image; system blocks; the stop reason on the output', () => {
    expect(toMessages([
      { role: 'user', content: [{ type: 'text', text: 'Weather?' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBOR' } }] },
      { role: 'assistant', content: [{ type: 'thinking', thinking: 'hmm' }, { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'Sunny' }] },
    ])).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'Weather?' }, { type: 'blob', modality: 'image', mime_type: 'image/png', content: 'iVBOR' }] },
      { role: 'assistant', parts: [{ type: 'reasoning', content: 'hmm' }, { type: 'tool_call', id: 'toolu_1', name: 'get_weather', arguments: { city: 'Paris' } }] },
      { role: 'user', parts: [{ type: 'tool_call_response', id: 'toolu_1', response: 'Sunny' }] },
    ]);
    expect(toInstructions([{ type: 'text', text: 'Be terse.' }])).toEqual([{ type: 'text', content: 'Be terse.' }]);
    expect(toOutput([{ type: 'text', text: 'Hi' }], 'end_turn')).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: 'Hi' }], finish_reason: 'end_turn' }]);
  });

  it('Gemini: a bare string, bare parts, Content with the model role, function calls and responses, inline data; a Content system instruction', () => {
    expect(toMessages('Say hi')).toEqual([{ role: 'user', parts: [{ type: 'text', content: 'Say hi' }] }]);
    expect(toMessages(['a', { text: 'b' }])).toEqual([{ role: 'user', parts: [{ type: 'text', content: 'a' }, { type: 'text', content: 'b' }] }]);
    expect(toMessages([
      { role: 'user', parts: [{ text: 'Weather?' }, { inlineData: { mimeType: 'audio/wav', data: 'UklG' } }] },
      { role: 'model', parts: [{ functionCall: { id: 'f1', name: 'get_weather', args: { city: 'Paris' } } }] },
      { role: 'user', parts: [{ functionResponse: { id: 'f1', name: 'get_weather', response: { output: 'Sunny' } } }] },
    ])).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'Weather?' }, { type: 'blob', modality: 'audio', mime_type: 'audio/wav', content: 'UklG' }] },
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'f1', name: 'get_weather', arguments: { city: 'Paris' } }] },
      { role: 'user', parts: [{ type: 'tool_call_response', id: 'f1', response: { output: 'Sunny' } }] },
    ]);
    expect(toInstructions({ parts: [{ text: 'Be terse.' }] })).toEqual([{ type: 'text', content: 'Be terse.' }]);
    expect(toOutput({ role: 'model', parts: [{ text: 'Hi' }] }, 'STOP')).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: 'Hi' }], finish_reason: 'STOP' }]);
  });

  it('the Vercel AI SDK: its prompt (system messages as instructions), tool-call and tool-result parts, its result content', () => {
    expect(toInstructions([{ role: 'system', content: 'Be terse.' }])).toEqual([{ type: 'text', content: 'Be terse.' }]);
    expect(toMessages([
      { role: 'user', content: [{ type: 'text', text: 'Weather?' }] },
      { role: 'assistant', content: [{ type: 'tool-call', toolCallId: 'c1', toolName: 'get_weather', input: { city: 'Paris' } }] },
      { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'c1', toolName: 'get_weather', output: { type: 'text', value: 'Sunny' } }] },
    ])).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'Weather?' }] },
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'c1', name: 'get_weather', arguments: { city: 'Paris' } }] },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 'c1', response: { type: 'text', value: 'Sunny' } }] },
    ]);
    expect(toOutput([{ type: 'reasoning', text: 'hmm' }, { type: 'text', text: 'Hi' }], undefined)).toEqual([{ role: 'assistant', parts: [{ type: 'reasoning', content: 'hmm' }, { type: 'text', content: 'Hi' }], finish_reason: 'unknown' }]);
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

  // An SDK may name the provider only after start (span.setAttribute later): the pair is completed at
  // the span's end too, through a real TracerProvider (onEnding is where an ending span can change).
  it('a provider attribute set after start: the ended span carries both, its points the conventions\' one', async () => {
    const t = lineRequire('@opentelemetry/sdk-trace') as typeof import('@opentelemetry/sdk-trace');
    const spans = new t.InMemorySpanExporter();
    const tracer = new t.TracerProvider({ spanProcessors: [new GenAiSpanMetricsProcessor(), new t.SimpleSpanProcessor({ exporter: spans })] }).getTracer('late-provider');
    for (const [key, model] of [['gen_ai.system', 'late-system'], ['gen_ai.provider.name', 'late-provider']]) {
      const span = tracer.startSpan('chat', { kind: api.SpanKind.CLIENT, attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': model } });
      span.setAttribute(key, 'anthropic');
      span.end();
    }
    expect(spans.getFinishedSpans().map((s) => [s.attributes['gen_ai.provider.name'], s.attributes['gen_ai.system']])).toEqual([['anthropic', 'anthropic'], ['anthropic', 'anthropic']]);
    await reader.forceFlush();
    const duration = exporter.getMetrics().at(-1)!.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === 'gen_ai.client.operation.duration')!;
    const late = duration.dataPoints.filter((d) => String(d.attributes['gen_ai.request.model']).startsWith('late-'));
    expect(late.map((d) => d.attributes['gen_ai.provider.name'])).toEqual(['anthropic', 'anthropic']);
  });
});

describe('LangChain provider names', () => {
  it('maps LangChain\'s ls_provider onto the conventions\' gen_ai.provider.name; others pass through', async () => {
    const { providerOf } = await import('../../src/instrumentations/genai/langchain');
    expect(providerOf('openai')).toBe('openai');
    expect(providerOf('anthropic')).toBe('anthropic');
    expect(providerOf('google_genai')).toBe('gcp.gemini');
    expect(providerOf('google_vertexai')).toBe('gcp.vertex_ai');
    expect(providerOf('amazon_bedrock')).toBe('aws.bedrock');
    expect(providerOf('azure')).toBe('azure.ai.openai');
    expect(providerOf('mistralai')).toBe('mistral_ai');
    expect(providerOf('xai')).toBe('x_ai');
    expect(providerOf('fixture')).toBe('fixture');
    expect(providerOf(undefined)).toBeUndefined();
  });
});
