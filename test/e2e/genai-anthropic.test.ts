// @anthropic-ai/sdk against a fake Anthropic server (JSON and SSE, fixed token usage), called inside
// the app's own HTTP requests. Since 0.134 the SDK traces itself through @opentelemetry/api: its
// CLIENT spans stay as they are (we add none), and the preload adds the two GenAI metrics from them
// (instrumentations/genai/span-metrics.ts), once per call. 0.133, the last release without its own
// spans, gets ours (instrumentations/genai/anthropic.ts) — the same shape, the same metrics, one
// span per call either way. The SDKs are installed in the corpus cache (test/corpus/apps/genai-anthropic*).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver } from '../../scripts/otlp-receiver';
import { get, type Running } from '../helpers/processes';
import { genaiApp, genaiChild, point, serverSpan, startGenaiApp } from '../helpers/genai-apps';
import { ANTHROPIC_STREAM_USAGE, ANTHROPIC_USAGE, startFakeProvider, type FakeProvider } from '../helpers/fake-genai';
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

const ROUTES = ['/messages', '/messages-stream', '/messages-429'];
/** Streams the app aborts (its AbortSignal) or stops reading after the first event; the server holds the rest. */
const STOPPED = ['/messages-abort', '/messages-break', '/messages-abort-plain'];
const of = (service: string) => receiver.spans.filter((s) => s.resource['service.name'] === service);

describe.each([
  ['1.16 (its own spans)', 'CommonJS (require)', 'app.cjs', 'genai-anthropic', 'com.anthropic.sdk.typescript'],
  ['1.16 (its own spans)', 'ES module (import)', 'app.mjs', 'genai-anthropic', 'com.anthropic.sdk.typescript'],
  ['0.133 (ours)', 'CommonJS (require)', 'app.cjs', 'genai-anthropic0', 'otel-preload-anthropic'],
  ['0.133 (ours)', 'ES module (import)', 'app.mjs', 'genai-anthropic0', 'otel-preload-anthropic'],
  ['0.133 (ours)', 'CommonJS (require), content captured', 'app.cjs', 'genai-anthropic0', 'otel-preload-anthropic', 'true'],
  // The SDK's own content switch: what it records gets our redaction too.
  ['1.16 (its own spans)', 'CommonJS (require), content by the SDK\'s own switch', 'app.cjs', 'genai-anthropic', 'com.anthropic.sdk.typescript', 'sdk'],
])('@anthropic-ai/sdk %s, %s', (_version, _label, script, appName, scope, capture = 'false') => {
  const service = `${appName}-${script.replace('.', '-')}-${capture}`;
  let app: Running;
  const answers: Record<string, { status: number; body: string }> = {};

  beforeAll(async () => {
    app = startGenaiApp(receiver, provider.url, genaiApp(appName), script, service, { GENAI_SDK: 'anthropic', OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: capture === 'true' ? 'true' : 'false', ...(capture === 'sdk' ? { ANTHROPIC_OPEN_TELEMETRY_TRACES_CONTENT_MODE: 'content' } : {}) });
    const [, port] = await app.waitForLine(/listening (\d+)/, DEADLINE_MS);
    for (const route of [...ROUTES, ...STOPPED]) answers[route] = await get(`http://127.0.0.1:${port}${route}`);
    await receiver.waitFor(() => [...ROUTES, ...STOPPED].every((r) => genaiChild(of(service), serverSpan(of(service), r))), DEADLINE_MS, `GenAI spans of ${service}`);
  });
  afterAll(async () => {
    app?.child.kill('SIGTERM');
    await app?.exited;
  });

  it('the SDK\'s own spans, one per call, under the request, with exact tokens', () => {
    expect(JSON.parse(answers['/messages'].body)).toEqual({ text: 'Hello from Claude' });
    expect(JSON.parse(answers['/messages-stream'].body)).toEqual({ text: 'Hello stream' });
    const spans = of(service);
    const plain = genaiChild(spans, serverSpan(spans, '/messages'))!;
    expect(plain.kind).toBe('SPAN_KIND_CLIENT');
    expect(plain.scope).toBe(scope);
    // The SDK names its span after its method (anthropic.messages.create); ours renames it to the conventions' shape.
    expect(plain.name).toBe('chat claude-fixture');
    expect(plain.attributes).toMatchObject({ 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'anthropic', 'gen_ai.request.model': 'claude-fixture', 'gen_ai.response.model': 'claude-fixture-2026' });
    expect(Number(plain.attributes['gen_ai.usage.input_tokens'])).toBe(ANTHROPIC_USAGE.input_tokens);
    expect(Number(plain.attributes['gen_ai.usage.output_tokens'])).toBe(ANTHROPIC_USAGE.output_tokens);
    const stream = genaiChild(spans, serverSpan(spans, '/messages-stream'))!;
    expect(Number(stream.attributes['gen_ai.usage.input_tokens'])).toBe(ANTHROPIC_STREAM_USAGE.input_tokens);
    expect(Number(stream.attributes['gen_ai.usage.output_tokens'])).toBe(ANTHROPIC_STREAM_USAGE.output_tokens);
    // A stream read to its end is a success (only one the app closed early is marked aborted).
    expect(stream.status?.code).not.toBe('STATUS_CODE_ERROR');
    expect(stream.attributes['error.type']).toBeUndefined();
    const failed = genaiChild(spans, serverSpan(spans, '/messages-429'))!;
    expect(failed.status?.code).toBe('STATUS_CODE_ERROR');
    // The same error.type on both sides of 0.134 (ours takes the API's own type, as the SDK does).
    expect(failed.attributes['error.type']).toBe('rate_limit_error');
    // Never both: exactly one GenAI span per call.
    for (const r of ROUTES) expect(spans.filter((s) => s.parentSpanId === serverSpan(spans, r)!.spanId && s.attributes['gen_ai.operation.name'] !== undefined)).toHaveLength(1);
  });

  it('gen_ai.client.token.usage and gen_ai.client.operation.duration from its spans, once per call', async () => {
    const chat = { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'anthropic', 'gen_ai.request.model': 'claude-fixture' };
    const input = ANTHROPIC_USAGE.input_tokens + ANTHROPIC_STREAM_USAGE.input_tokens;
    await receiver.waitFor(() => point(receiver, service, 'gen_ai.client.token.usage', { ...chat, 'gen_ai.token.type': 'input' })?.sum === input && !!point(receiver, service, 'gen_ai.client.operation.duration', { 'gen_ai.request.model': 'rate-limited' }), DEADLINE_MS, 'GenAI metrics').catch(() => undefined);
    expect(point(receiver, service, 'gen_ai.client.token.usage', { ...chat, 'gen_ai.token.type': 'input' })).toEqual({ count: 2, sum: input });
    expect(point(receiver, service, 'gen_ai.client.token.usage', { ...chat, 'gen_ai.token.type': 'output' })).toEqual({ count: 2, sum: ANTHROPIC_USAGE.output_tokens + ANTHROPIC_STREAM_USAGE.output_tokens });
    expect(point(receiver, service, 'gen_ai.client.operation.duration', chat)?.count).toBe(2);
    const failed = point(receiver, service, 'gen_ai.client.operation.duration', { 'gen_ai.request.model': 'rate-limited' });
    expect(failed?.count).toBe(1);
    const errorType = receiver.metrics.flatMap((m) => (m.name === 'gen_ai.client.operation.duration' && m.resource['service.name'] === service ? m.dataPoints : [])).find((p) => p.attributes['gen_ai.request.model'] === 'rate-limited')!.attributes['error.type'];
    expect(errorType).toBeTruthy();
  });

  // Both sides of 0.134: the SDK's own span of such a stream ends with its status unset, which the
  // span processor marks as ours are (genai/sdk-abort.ts); one duration point each.
  it('a stream the app aborts or stops reading is no success: error.type on its span and its duration', async () => {
    expect(JSON.parse(answers['/messages-abort'].body)).toEqual({ events: 3 });
    expect(JSON.parse(answers['/messages-break'].body)).toEqual({ first: 'message_start' });
    const spans = of(service);
    for (const [route, model] of [['/messages-abort', 'held-signal'], ['/messages-break', 'held-break']]) {
      const span = genaiChild(spans, serverSpan(spans, route))!;
      expect(span.attributes['error.type'], route).toBe('AbortError');
      expect(span.status?.code, route).toBe('STATUS_CODE_ERROR');
      await receiver.waitFor(() => !!point(receiver, service, 'gen_ai.client.operation.duration', { 'gen_ai.request.model': model }), DEADLINE_MS, `duration of ${model}`);
      expect(point(receiver, service, 'gen_ai.client.operation.duration', { 'gen_ai.request.model': model, 'error.type': 'AbortError' })?.count, route).toBe(1);
      // Counted once: no second point without error.type.
      expect(point(receiver, service, 'gen_ai.client.operation.duration', { 'gen_ai.request.model': model })?.count, route).toBe(1);
    }
  });

  // The SDK's own span of a call it was not streaming ends with its status unset too when the app
  // aborts it; ours (0.133) end with the error the SDK throws. Either way APIUserAbortError.
  it('a call the app aborts before its answer is no success: error.type APIUserAbortError, one duration point', async () => {
    // The app saw the abort (the error's name differs by version: APIUserAbortError in 1.16, Error in 0.133).
    expect(['APIUserAbortError', 'Error']).toContain(JSON.parse(answers['/messages-abort-plain'].body).aborted);
    const spans = of(service);
    const span = genaiChild(spans, serverSpan(spans, '/messages-abort-plain'))!;
    expect(span.attributes['error.type']).toBe('APIUserAbortError');
    expect(span.status?.code).toBe('STATUS_CODE_ERROR');
    await receiver.waitFor(() => !!point(receiver, service, 'gen_ai.client.operation.duration', { 'gen_ai.request.model': 'held-plain' }), DEADLINE_MS, 'duration of held-plain');
    expect(point(receiver, service, 'gen_ai.client.operation.duration', { 'gen_ai.request.model': 'held-plain', 'error.type': 'APIUserAbortError' })?.count).toBe(1);
    expect(point(receiver, service, 'gen_ai.client.operation.duration', { 'gen_ai.request.model': 'held-plain' })?.count).toBe(1);
  });

  it(capture === 'true' ? 'content captured when asked, in the conventions\' shape, with secrets masked' : capture === 'sdk' ? 'content the SDK records itself is masked as ours' : 'no prompt or completion text leaves the process by default', () => {
    const spans = of(service);
    const sent = JSON.stringify(spans);
    expect(sent).not.toContain('sk-live-abcdefghijklmnopqrstuvwx');
    if (capture === 'sdk') {
      // Positive marker: the SDK did record the prompt; only the key in it is masked.
      expect(sent).toContain('Say hi');
      expect(sent).toContain('REDACTED');
      return;
    }
    if (capture !== 'true') {
      expect(sent).not.toContain('Say hi');
      expect(sent).not.toContain('You are terse');
      expect(sent).not.toContain('Hello from Claude');
      return;
    }
    // gen-ai-input-messages.json, -output-messages.json, -system-instructions.json: role + typed parts, the finish reason on the output.
    const plain = genaiChild(spans, serverSpan(spans, '/messages'))!;
    expect(JSON.parse(String(plain.attributes['gen_ai.input.messages']))).toEqual([{ role: 'user', parts: [{ type: 'text', content: 'Say hi. My key is REDACTED' }] }]);
    expect(JSON.parse(String(plain.attributes['gen_ai.system_instructions']))).toEqual([{ type: 'text', content: 'You are terse.' }]);
    expect(JSON.parse(String(plain.attributes['gen_ai.output.messages']))).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: 'Hello from Claude' }], finish_reason: 'end_turn' }]);
    const stream = genaiChild(spans, serverSpan(spans, '/messages-stream'))!;
    expect(JSON.parse(String(stream.attributes['gen_ai.output.messages']))).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: 'Hello stream' }], finish_reason: 'end_turn' }]);
  });
});

describe('OTEL_NODE_DISABLED_INSTRUMENTATIONS=anthropic: the SDK\'s own spans (1.16) stop too', () => {
  const service = 'genai-anthropic-disabled';
  let app: Running;

  beforeAll(async () => {
    app = startGenaiApp(receiver, provider.url, genaiApp('genai-anthropic'), 'app.cjs', service, { GENAI_SDK: 'anthropic', OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'anthropic' });
    const [, port] = await app.waitForLine(/listening (\d+)/, DEADLINE_MS);
    expect((await get(`http://127.0.0.1:${port}/messages`)).status).toBe(200);
    // The positive marker: the SDK's own HTTP request, exported, in the request's trace.
    await receiver.waitFor(() => of(service).some((s) => s.kind === 'SPAN_KIND_CLIENT' && s.parentSpanId === serverSpan(of(service), '/messages')?.spanId), DEADLINE_MS, `the HTTP spans of ${service}`);
  });
  afterAll(async () => {
    app?.child.kill('SIGTERM');
    await app?.exited;
  });

  it('no GenAI span, the SDK\'s HTTP request directly under the app\'s request, no GenAI metrics', async () => {
    const spans = of(service);
    expect(spans.filter((s) => s.attributes['gen_ai.operation.name'] !== undefined || s.scope.startsWith('com.anthropic'))).toEqual([]);
    const request = serverSpan(spans, '/messages')!;
    expect(spans.find((s) => s.kind === 'SPAN_KIND_CLIENT' && s.parentSpanId === request.spanId)?.traceId).toBe(request.traceId);
    await receiver.waitFor(() => receiver.metrics.some((m) => m.resource['service.name'] === service && m.name === 'http.server.request.duration'), DEADLINE_MS, 'the HTTP metrics');
    expect(receiver.metrics.filter((m) => m.resource['service.name'] === service && m.name.startsWith('gen_ai.'))).toEqual([]);
  });
});
