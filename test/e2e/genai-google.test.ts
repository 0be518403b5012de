// @google/genai (newest major) against a fake Gemini API server (JSON and SSE, fixed token usage),
// called inside the app's own HTTP requests, loaded by require() and by import: our own lean
// instrumentation (instrumentations/genai/google.ts) makes one CLIENT span per model call under the
// request, the two GenAI metrics come from those spans once per call, errors and a cut stream end
// their span with error.type, and prompt text stays home unless asked for (then redacted).
// The SDK is installed in the corpus cache (test/corpus/apps/genai-google), not as a devDependency.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver } from '../../scripts/otlp-receiver';
import { get, type Running } from '../helpers/processes';
import { genaiApp, genaiChild, point, serverSpan, startGenaiApp } from '../helpers/genai-apps';
import { GEMINI_STREAM_USAGE, GEMINI_USAGE, startFakeProvider, type FakeProvider } from '../helpers/fake-genai';
import { DEADLINE_MS } from '../helpers/wait';

let receiver: OtlpReceiver;
let provider: FakeProvider;

beforeAll(async () => {
  receiver = await new OtlpReceiver('grpc').start();
  provider = await startFakeProvider();
});
afterAll(async () => {
  await receiver.stop();
  await provider.close();
});

const ROUTES = ['/generate', '/generate-stream', '/generate-cut', '/generate-429', '/embed-content'];
const of = (service: string) => receiver.spans.filter((s) => s.resource['service.name'] === service);

describe.each([
  ['CommonJS (require)', 'app.cjs', 'false'],
  ['ES module (import)', 'app.mjs', 'false'],
  ['CommonJS (require), content captured', 'app.cjs', 'true'],
])('@google/genai 3, %s', (_label, script, capture) => {
  const service = `genai-google-${script.replace('.', '-')}-${capture}`;
  let app: Running;
  const answers: Record<string, { status: number; body: string }> = {};

  beforeAll(async () => {
    app = startGenaiApp(receiver, provider.url, genaiApp('genai-google'), script, service, { GENAI_SDK: 'google', OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: capture });
    const [, port] = await app.waitForLine(/listening (\d+)/, DEADLINE_MS);
    for (const route of ROUTES) answers[route] = await get(`http://127.0.0.1:${port}${route}`);
    await receiver.waitFor(() => ROUTES.every((r) => genaiChild(of(service), serverSpan(of(service), r))), DEADLINE_MS, `GenAI spans of ${service}`);
  });
  afterAll(async () => {
    app?.child.kill('SIGTERM');
    await app?.exited;
  });

  it('one CLIENT span per call under the request, exact tokens, the HTTP request under it', () => {
    expect(JSON.parse(answers['/generate'].body)).toEqual({ text: 'Hello from Gemini' });
    expect(JSON.parse(answers['/generate-stream'].body)).toEqual({ text: 'Hello Gemini' });
    expect(JSON.parse(answers['/embed-content'].body)).toEqual({ dims: 3 });
    const spans = of(service);
    const plain = genaiChild(spans, serverSpan(spans, '/generate'))!;
    expect(plain.name).toBe('generate_content gemini-fixture');
    expect(plain.kind).toBe('SPAN_KIND_CLIENT');
    expect(plain.attributes).toMatchObject({
      'gen_ai.operation.name': 'generate_content', 'gen_ai.provider.name': 'gcp.gemini', 'gen_ai.system': 'gcp.gemini',
      'gen_ai.request.model': 'gemini-fixture', 'gen_ai.response.model': 'gemini-fixture-001', 'gen_ai.response.id': 'gresp-1', 'gen_ai.response.finish_reasons': ['STOP'],
    });
    expect(Number(plain.attributes['gen_ai.usage.input_tokens'])).toBe(GEMINI_USAGE.promptTokenCount);
    expect(Number(plain.attributes['gen_ai.usage.output_tokens'])).toBe(GEMINI_USAGE.candidatesTokenCount + GEMINI_USAGE.thoughtsTokenCount);
    expect(Number(plain.attributes['gen_ai.usage.cache_read.input_tokens'])).toBe(GEMINI_USAGE.cachedContentTokenCount);
    expect(Number(plain.attributes['gen_ai.usage.reasoning.output_tokens'])).toBe(GEMINI_USAGE.thoughtsTokenCount);
    expect(spans.find((s) => s.kind === 'SPAN_KIND_CLIENT' && s.parentSpanId === plain.spanId), 'HTTP CLIENT span under the GenAI span').toBeDefined();
    const stream = genaiChild(spans, serverSpan(spans, '/generate-stream'))!;
    expect(Number(stream.attributes['gen_ai.usage.input_tokens'])).toBe(GEMINI_STREAM_USAGE.promptTokenCount);
    expect(Number(stream.attributes['gen_ai.usage.output_tokens'])).toBe(GEMINI_STREAM_USAGE.candidatesTokenCount);
    expect(Number(stream.attributes['gen_ai.response.time_to_first_chunk'])).toBeGreaterThan(0);
    expect(genaiChild(spans, serverSpan(spans, '/embed-content'))!.name).toBe('embeddings embed-fixture');
  });

  it('a 429 and a stream cut mid-way end their span with error.type', () => {
    const spans = of(service);
    const limited = genaiChild(spans, serverSpan(spans, '/generate-429'))!;
    expect(limited.status?.code).toBe('STATUS_CODE_ERROR');
    expect(limited.attributes['error.type']).toBe('429');
    const cut = genaiChild(spans, serverSpan(spans, '/generate-cut'))!;
    expect(cut.status?.code).toBe('STATUS_CODE_ERROR');
    expect(cut.attributes['error.type']).toBeTruthy();
  });

  it('the two GenAI metrics, once per call', async () => {
    const gen = { 'gen_ai.operation.name': 'generate_content', 'gen_ai.provider.name': 'gcp.gemini', 'gen_ai.request.model': 'gemini-fixture' };
    const input = GEMINI_USAGE.promptTokenCount + GEMINI_STREAM_USAGE.promptTokenCount;
    await receiver.waitFor(() => point(receiver, service, 'gen_ai.client.token.usage', { ...gen, 'gen_ai.token.type': 'input' })?.sum === input && ['cut', 'rate-limited', 'embed-fixture'].every((model) => !!point(receiver, service, 'gen_ai.client.operation.duration', { 'gen_ai.request.model': model })), DEADLINE_MS, 'GenAI metrics').catch(() => undefined);
    expect(point(receiver, service, 'gen_ai.client.token.usage', { ...gen, 'gen_ai.token.type': 'input' })).toEqual({ count: 2, sum: input });
    expect(point(receiver, service, 'gen_ai.client.operation.duration', gen)?.count).toBe(2);
    expect(point(receiver, service, 'gen_ai.client.operation.duration', { 'gen_ai.request.model': 'rate-limited', 'error.type': '429' })?.count).toBe(1);
    expect(point(receiver, service, 'gen_ai.client.operation.duration', { 'gen_ai.request.model': 'cut' })?.count).toBe(1);
    expect(point(receiver, service, 'gen_ai.client.operation.duration', { 'gen_ai.operation.name': 'embeddings' })?.count).toBe(1);
  });

  it(capture === 'true' ? 'content captured when asked, with secrets masked' : 'no prompt or completion text leaves the process by default', () => {
    const spans = of(service);
    const sent = JSON.stringify(spans);
    if (capture !== 'true') {
      expect(sent).not.toContain('Say hi');
      expect(sent).not.toContain('You are terse');
      expect(sent).not.toContain('Hello from Gemini');
      return;
    }
    expect(sent).not.toContain('sk-live-abcdefghijklmnopqrstuvwx');
    // The conventions' shape (gen-ai-input-messages.json, -output-messages.json, -system-instructions.json):
    // role + typed parts, Gemini's `model` role as `assistant`, the finish reason on each output message.
    const plain = genaiChild(spans, serverSpan(spans, '/generate'))!;
    expect(JSON.parse(String(plain.attributes['gen_ai.input.messages']))).toEqual([{ role: 'user', parts: [{ type: 'text', content: 'Say hi. My key is REDACTED' }] }]);
    expect(JSON.parse(String(plain.attributes['gen_ai.system_instructions']))).toEqual([{ type: 'text', content: 'You are terse.' }]);
    expect(JSON.parse(String(plain.attributes['gen_ai.output.messages']))).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: 'Hello from Gemini' }], finish_reason: 'STOP' }]);
    const stream = genaiChild(spans, serverSpan(spans, '/generate-stream'))!;
    expect(JSON.parse(String(stream.attributes['gen_ai.output.messages']))).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: 'Hello Gemini' }], finish_reason: 'STOP' }]);
  });
});
