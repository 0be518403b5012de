// The Vercel AI SDK `ai`, each major still in wide use — 7 (newest), 6 and 5 — with the OpenAI
// provider `@ai-sdk/openai` it pairs with, against the fake OpenAI server, called inside the app's
// own HTTP requests, loaded by require() and by import. 7 publishes every model call on its
// `ai:telemetry` tracing channel; 5 and 6 have no channel and make spans only when the app switches
// their `experimental_telemetry` on, so there ours wraps the model the app hands the SDK
// (genai/vercel-ai.ts, genai/vercel-ai-model.ts). Every major gives the same shape, for
// generateText, streamText, generateObject, streamObject and the agent class it exports: one CLIENT
// span per model call under the request, the provider's fetch under it; a streamed call ends when its
// stream does and chunks are not held back; a 429 and a cut stream end with error.type; the two
// GenAI metrics count each call once; prompt text stays home unless asked for. An app that did
// switch the SDK's telemetry on still gets one GenAI span per model call: ours (5 and 6 keep their
// own outer `ai.generateText`/`ai.streamText` spans, which carry no gen_ai.* attribute).
// The provider speaks HTTP with its own fetch, not through the openai SDK: no second GenAI span.
// The SDKs are installed in the corpus cache (test/corpus/apps/genai-ai, -ai6, -ai5), not as devDependencies.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver } from '../../scripts/otlp-receiver';
import { get, type Running } from '../helpers/processes';
import { genaiApp, genaiChild, point, serverSpan, startGenaiApp } from '../helpers/genai-apps';
import type { ReceivedSpan } from '../../scripts/otlp-receiver';
import { EMBEDDING_USAGE, OBJECT_TEXT, OPENAI_STREAM_USAGE, OPENAI_USAGE, startFakeProvider, type FakeProvider } from '../helpers/fake-genai';
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

const ROUTES = ['/ai-generate', '/ai-stream', '/ai-gated', '/ai-cut', '/ai-429', '/ai-embed', '/ai-app-shapes', '/ai-object', '/ai-object-stream', '/ai-object-500', '/ai-agent', '/ai-agent-stream'];
/**
 * A stream the app aborts (its abortSignal) after the first chunk; the server holds the rest. (An
 * app that only stops reading `textStream` does not stop the model call: the SDK reads the
 * provider's stream to its end, and the call's span ends as a success when it does.)
 */
const STOPPED: Array<[string, string]> = [['/ai-abort', 'held-signal']];
/** Routes where the app switched the SDK's telemetry on, and the model each asks for. */
const TELEMETRY: Array<[string, string]> = [['/ai-telemetry', 'telemetry-fixture'], ['/ai-telemetry-stream', 'telemetry-stream'], ['/ai-telemetry-object', 'object-telemetry']];
const of = (service: string) => receiver.spans.filter((s) => s.resource['service.name'] === service);
/** Spans in the request's trace that carry any gen_ai.* attribute (ours, or the SDK's own). */
const genaiInTrace = (spans: ReceivedSpan[], route: string) => {
  const request = serverSpan(spans, route);
  return request ? spans.filter((s) => s.traceId === request.traceId && Object.keys(s.attributes).some((k) => k.startsWith('gen_ai.'))) : [];
};

/** Each major at an exact pin (its corpus app), with the `@ai-sdk/openai` major it pairs with. */
const MAJORS = [
  ['7', 'genai-ai', '7.0.173', '4.0.118'],
  ['6', 'genai-ai6', '6.0.326', '3.0.141'],
  ['5', 'genai-ai5', '5.0.277', '2.0.130'],
] as const;
const LOADERS = [
  ['CommonJS (require)', 'app.cjs', 'false'],
  ['ES module (import)', 'app.mjs', 'false'],
  ['ES module (import), content captured', 'app.mjs', 'true'],
] as const;
const CELLS = MAJORS.flatMap(([major, corpus, ai, openai]) => LOADERS.map(([label, script, capture]) => [major, ai, openai, label, corpus, script, capture] as const));

describe.each(CELLS)('ai %s (%s) with @ai-sdk/openai %s, %s', (major, _ai, _openai, _label, corpus, script, capture) => {
  const service = `genai-ai${major}-${script.replace('.', '-')}-${capture}`;
  let app: Running;
  const answers: Record<string, { status: number; body: string }> = {};

  beforeAll(async () => {
    app = startGenaiApp(receiver, provider.url, genaiApp(corpus), script, service, { GENAI_SDK: 'ai', OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: capture });
    const [, port] = await app.waitForLine(/listening (\d+)/, DEADLINE_MS);
    for (const route of [...ROUTES, ...TELEMETRY.map(([r]) => r), ...STOPPED.map(([r]) => r)]) answers[route] = await get(`http://127.0.0.1:${port}${route}`);
    const missing = () => [
      ...[...ROUTES, ...STOPPED.map(([r]) => r)].filter((r) => !genaiChild(of(service), serverSpan(of(service), r))?.endTimeUnixNano),
      ...TELEMETRY.map(([r]) => r).filter((r) => !genaiInTrace(of(service), r).some((s) => s.scope === 'otel-preload-ai')),
    ];
    await receiver.waitFor(() => missing().length === 0, DEADLINE_MS, `GenAI spans of ${service}`).catch((err) => {
      throw new Error(`${err.message}: none for ${missing().map((r) => `${r} (answered ${answers[r]?.status} ${answers[r]?.body.slice(0, 200)})`).join(', ')}`);
    });
  });
  afterAll(async () => {
    app?.child.kill('SIGTERM');
    await app?.exited;
  });

  it('the app gets the SDK results unchanged', () => {
    expect(JSON.parse(answers['/ai-generate'].body)).toEqual({ text: 'Hello!' });
    expect(JSON.parse(answers['/ai-telemetry'].body)).toEqual({ text: 'Hello!' });
    expect(JSON.parse(answers['/ai-telemetry-stream'].body)).toEqual({ text: 'Hello!' });
    expect(JSON.parse(answers['/ai-stream'].body)).toEqual({ text: 'Hello!', chunks: 2 });
    expect(answers['/ai-429'].status).toBe(502);
    expect(answers['/ai-cut'].status).toBe(502);
    expect(JSON.parse(answers['/ai-object'].body)).toEqual({ object: JSON.parse(OBJECT_TEXT) });
    expect(JSON.parse(answers['/ai-object-stream'].body)).toEqual({ object: JSON.parse(OBJECT_TEXT), streamed: true });
    expect(JSON.parse(answers['/ai-telemetry-object'].body)).toEqual({ object: JSON.parse(OBJECT_TEXT) });
    expect(answers['/ai-object-500'].status).toBe(502);
    expect(JSON.parse(answers['/ai-agent'].body)).toEqual({ text: 'Hello!' });
    expect(JSON.parse(answers['/ai-agent-stream'].body)).toEqual({ text: 'Hello!', chunks: 2 });
  });

  /** The shape every model call has, whichever export made it: as generateText's, plus the provider's fetch under it. */
  const expectModelCall = (spans: ReceivedSpan[], route: string, model: string, streamed: boolean) => {
    const call = genaiChild(spans, serverSpan(spans, route));
    expect(call, `${route}: a GenAI span directly under the request`).toBeDefined();
    expect(call!.name).toBe(`chat ${model}`);
    expect(call!.kind).toBe('SPAN_KIND_CLIENT');
    expect(call!.scope).toBe('otel-preload-ai');
    expect(call!.attributes, route).toMatchObject({
      'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.system': 'openai', 'gen_ai.request.model': model,
      'gen_ai.response.model': `${model}-2026`, 'gen_ai.response.id': streamed ? 'chatcmpl-s1' : 'chatcmpl-1', 'gen_ai.response.finish_reasons': ['stop'], 'server.address': '127.0.0.1',
    });
    const usage = streamed ? OPENAI_STREAM_USAGE : OPENAI_USAGE;
    expect(Number(call!.attributes['gen_ai.usage.input_tokens']), route).toBe(usage.prompt_tokens);
    expect(Number(call!.attributes['gen_ai.usage.output_tokens']), route).toBe(usage.completion_tokens);
    expect(call!.status?.code, route).not.toBe('STATUS_CODE_ERROR');
    if (streamed) {
      const ttfc = Number(call!.attributes['gen_ai.response.time_to_first_chunk']);
      expect(ttfc, `${route}: time to first chunk`).toBeGreaterThan(0);
      expect(ttfc).toBeLessThanOrEqual(Number(BigInt(call!.endTimeUnixNano) - BigInt(call!.startTimeUnixNano)) / 1e9 + 0.01);
    } else expect(call!.attributes['gen_ai.response.time_to_first_chunk'], route).toBeUndefined();
    expect(spans.find((s) => s.kind === 'SPAN_KIND_CLIENT' && s.parentSpanId === call!.spanId), `${route}: the provider's fetch under it`).toBeDefined();
  };

  it('generateObject and streamObject: the same CLIENT span as generateText (streamObject\'s ends with its stream); a 500 ends with error.type', () => {
    const spans = of(service);
    expectModelCall(spans, '/ai-object', 'object-fixture', false);
    expectModelCall(spans, '/ai-object-stream', 'object-stream', true);
    const broken = genaiChild(spans, serverSpan(spans, '/ai-object-500'))!;
    expect(broken.name).toBe('chat broken');
    expect(broken.status?.code).toBe('STATUS_CODE_ERROR');
    expect(broken.attributes['error.type']).toBe('500');
  });

  it('the agent class (generate and stream): the same CLIENT span per model call, under the request', () => {
    const spans = of(service);
    expectModelCall(spans, '/ai-agent', 'agent-fixture', false);
    expectModelCall(spans, '/ai-agent-stream', 'agent-stream', true);
  });

  it('generateObject, streamObject and the agent: the two GenAI metrics once per call', async () => {
    const models = ['object-fixture', 'object-stream', 'agent-fixture', 'agent-stream'];
    const usage = (model: string) => (model.endsWith('stream') ? OPENAI_STREAM_USAGE : OPENAI_USAGE);
    const ready = () => models.every((model) => point(receiver, service, 'gen_ai.client.token.usage', { 'gen_ai.request.model': model, 'gen_ai.token.type': 'output' })) && !!point(receiver, service, 'gen_ai.client.operation.duration', { 'gen_ai.request.model': 'broken' });
    await receiver.waitFor(ready, DEADLINE_MS, 'GenAI metrics of object and agent calls').catch(() => undefined);
    for (const model of models) {
      const base = { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': model };
      expect(point(receiver, service, 'gen_ai.client.token.usage', { ...base, 'gen_ai.token.type': 'input' }), model).toEqual({ count: 1, sum: usage(model).prompt_tokens });
      expect(point(receiver, service, 'gen_ai.client.token.usage', { ...base, 'gen_ai.token.type': 'output' }), model).toEqual({ count: 1, sum: usage(model).completion_tokens });
      expect(point(receiver, service, 'gen_ai.client.operation.duration', base)?.count, model).toBe(1);
    }
    expect(point(receiver, service, 'gen_ai.client.operation.duration', { 'gen_ai.request.model': 'broken', 'error.type': '500' })?.count).toBe(1);
  });

  it('the app\'s own shapes work as without us: a frozen model with doGenerate only (traced too), inherited options, its model object in prepareStep', () => {
    expect(answers['/ai-app-shapes'].status, answers['/ai-app-shapes'].body).toBe(200);
    expect(JSON.parse(answers['/ai-app-shapes'].body)).toEqual({ text: 'Hello!', sawSystem: true, same: true });
    const call = genaiChild(of(service), serverSpan(of(service), '/ai-app-shapes'))!;
    expect(call.name).toBe('chat shapes-fixture');
    expect(Number(call.attributes['gen_ai.usage.input_tokens'])).toBe(OPENAI_USAGE.prompt_tokens);
  });

  it('generateText: one CLIENT span under the request, exact tokens, the provider\'s HTTP request under it', () => {
    const spans = of(service);
    const request = serverSpan(spans, '/ai-generate')!;
    const call = genaiChild(spans, request)!;
    expect(call.name).toBe('chat gpt-fixture');
    expect(call.kind).toBe('SPAN_KIND_CLIENT');
    expect(call.scope).toBe('otel-preload-ai');
    expect(call.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.system': 'openai',
      'gen_ai.request.model': 'gpt-fixture', 'gen_ai.response.model': 'gpt-fixture-2026', 'gen_ai.response.id': 'chatcmpl-1',
      'gen_ai.response.finish_reasons': ['stop'], 'server.address': '127.0.0.1',
    });
    expect(Number(call.attributes['gen_ai.usage.input_tokens'])).toBe(OPENAI_USAGE.prompt_tokens);
    expect(Number(call.attributes['gen_ai.usage.output_tokens'])).toBe(OPENAI_USAGE.completion_tokens);
    expect(Number(call.attributes['gen_ai.usage.cache_read.input_tokens'])).toBe(OPENAI_USAGE.prompt_tokens_details.cached_tokens);
    expect(Number(call.attributes['gen_ai.usage.reasoning.output_tokens'])).toBe(OPENAI_USAGE.completion_tokens_details.reasoning_tokens);
    const post = spans.find((s) => s.kind === 'SPAN_KIND_CLIENT' && s.parentSpanId === call.spanId);
    expect(post, 'the provider\'s fetch is a child of the GenAI span').toBeDefined();
    expect(post!.attributes['gen_ai.operation.name']).toBeUndefined();
  });

  it('never two GenAI spans for one call: the provider uses its own fetch, not the openai SDK', () => {
    const spans = of(service);
    for (const route of ROUTES) expect(genaiInTrace(spans, route).map((s) => s.scope), route).toEqual(['otel-preload-ai']);
  });

  it('the app switched the SDK\'s telemetry on: still one GenAI span per model call, ours, in the request\'s trace', () => {
    const spans = of(service);
    for (const [route, model] of TELEMETRY) {
      // 5 and 6 would add their own `ai.*.doGenerate`/`doStream` span with gen_ai.* attributes (tokens counted twice downstream).
      const genai = genaiInTrace(spans, route);
      expect(genai.map((s) => `${s.scope} ${s.kind} ${s.name}`), route).toEqual([`otel-preload-ai SPAN_KIND_CLIENT chat ${model}`]);
      const usage = route.endsWith('stream') ? OPENAI_STREAM_USAGE : OPENAI_USAGE;
      expect(Number(genai[0].attributes['gen_ai.usage.input_tokens']), route).toBe(usage.prompt_tokens);
      expect(Number(genai[0].attributes['gen_ai.usage.output_tokens']), route).toBe(usage.completion_tokens);
      expect(spans.find((s) => s.kind === 'SPAN_KIND_CLIENT' && s.parentSpanId === genai[0].spanId), `${route}: the provider's fetch under it`).toBeDefined();
      // Under the request, through the SDK's own outer span where the SDK makes one.
      const request = serverSpan(spans, route)!;
      let parent = spans.find((s) => s.spanId === genai[0].parentSpanId);
      while (parent && parent !== request) parent = spans.find((s) => s.spanId === parent!.parentSpanId);
      expect(parent, `${route}: ours is under the request`).toBe(request);
    }
  });

  it('streamText: the span ends with the stream, tokens from its finish, time to first chunk, chunks not held back', () => {
    const spans = of(service);
    const stream = genaiChild(spans, serverSpan(spans, '/ai-stream'))!;
    expect(stream.name).toBe('chat gpt-fixture');
    expect(Number(stream.attributes['gen_ai.usage.input_tokens'])).toBe(OPENAI_STREAM_USAGE.prompt_tokens);
    expect(Number(stream.attributes['gen_ai.usage.output_tokens'])).toBe(OPENAI_STREAM_USAGE.completion_tokens);
    expect(stream.attributes['gen_ai.response.finish_reasons']).toEqual(['stop']);
    expect(stream.attributes['gen_ai.response.id']).toBe('chatcmpl-s1');
    expect(stream.status?.code).not.toBe('STATUS_CODE_ERROR');
    const ttfc = Number(stream.attributes['gen_ai.response.time_to_first_chunk']);
    const duration = Number(BigInt(stream.endTimeUnixNano) - BigInt(stream.startTimeUnixNano)) / 1e9;
    expect(ttfc).toBeGreaterThan(0);
    expect(ttfc).toBeLessThanOrEqual(duration + 0.01);
    expect(spans.find((s) => s.kind === 'SPAN_KIND_CLIENT' && s.parentSpanId === stream.spanId), 'the provider\'s fetch under the streamed call').toBeDefined();
    // The fake server sends the rest of this stream only after the app has seen its first chunk.
    expect(JSON.parse(answers['/ai-gated'].body)).toEqual({ text: 'Hello!', chunks: 2 });
    expect(provider.gateOpenedByAck).not.toContain(false);
    const gated = genaiChild(spans, serverSpan(spans, '/ai-gated'))!;
    expect(Number(gated.attributes['gen_ai.usage.output_tokens']), 'the gated stream\'s span ended after its last chunk').toBe(OPENAI_STREAM_USAGE.completion_tokens);
  });

  it('embed: one embeddings span, its input tokens', () => {
    expect(JSON.parse(answers['/ai-embed'].body)).toEqual({ dims: 3 });
    const spans = of(service);
    const embed = genaiChild(spans, serverSpan(spans, '/ai-embed'))!;
    expect(embed.name).toBe('embeddings embed-fixture');
    expect(embed.kind).toBe('SPAN_KIND_CLIENT');
    expect(embed.attributes).toMatchObject({ 'gen_ai.operation.name': 'embeddings', 'gen_ai.provider.name': 'openai', 'server.address': '127.0.0.1' });
    expect(Number(embed.attributes['server.port']), 'the provider\'s port').toBe(Number(new URL(provider.url).port));
    expect(Number(embed.attributes['gen_ai.usage.input_tokens'])).toBe(EMBEDDING_USAGE.prompt_tokens);
    expect(embed.attributes['gen_ai.output.messages']).toBeUndefined();
    expect(spans.find((s) => s.kind === 'SPAN_KIND_CLIENT' && s.parentSpanId === embed.spanId), 'the provider\'s fetch under the embeddings span').toBeDefined();
  });

  it('a 429 and a stream cut mid-way end their span with error.type', () => {
    const spans = of(service);
    const limited = genaiChild(spans, serverSpan(spans, '/ai-429'))!;
    expect(limited.name).toBe('chat rate-limited');
    expect(limited.status?.code).toBe('STATUS_CODE_ERROR');
    expect(limited.attributes['error.type']).toBe('429');
    expect(limited.attributes['server.address']).toBe('127.0.0.1');
    const cut = genaiChild(spans, serverSpan(spans, '/ai-cut'))!;
    expect(cut.status?.code).toBe('STATUS_CODE_ERROR');
    expect(cut.attributes['error.type']).toBeTruthy();
  });

  it('a stream the app aborts is no success: error.type on its span and its duration', async () => {
    const spans = of(service);
    for (const [route, model] of STOPPED) {
      const span = genaiChild(spans, serverSpan(spans, route))!;
      expect(JSON.parse(answers[route].body), route).toEqual({ chunks: 1 });
      expect(span.attributes['error.type'], route).toBe('AbortError');
      expect(span.status?.code, route).toBe('STATUS_CODE_ERROR');
      const attrs = { 'gen_ai.request.model': model, 'error.type': 'AbortError' };
      await receiver.waitFor(() => point(receiver, service, 'gen_ai.client.operation.duration', attrs)?.count === 1, DEADLINE_MS, `duration of ${route}`).catch(() => undefined);
      expect(point(receiver, service, 'gen_ai.client.operation.duration', attrs)?.count, route).toBe(1);
    }
  });

  it('the two GenAI metrics, once per call', async () => {
    const chat = { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-fixture' };
    const input = OPENAI_USAGE.prompt_tokens + OPENAI_STREAM_USAGE.prompt_tokens;
    await receiver.waitFor(() => point(receiver, service, 'gen_ai.client.token.usage', { ...chat, 'gen_ai.token.type': 'input' })?.sum === input && ['cut', 'rate-limited', 'gated', 'embed-fixture', 'telemetry-stream'].every((model) => !!point(receiver, service, 'gen_ai.client.operation.duration', { 'gen_ai.request.model': model })), DEADLINE_MS, 'GenAI metrics').catch(() => undefined);
    expect(point(receiver, service, 'gen_ai.client.token.usage', { ...chat, 'gen_ai.token.type': 'input' })).toEqual({ count: 2, sum: input });
    expect(point(receiver, service, 'gen_ai.client.token.usage', { ...chat, 'gen_ai.token.type': 'output' })).toEqual({ count: 2, sum: OPENAI_USAGE.completion_tokens + OPENAI_STREAM_USAGE.completion_tokens });
    expect(point(receiver, service, 'gen_ai.client.operation.duration', chat)?.count).toBe(2);
    expect(point(receiver, service, 'gen_ai.client.operation.duration', { 'gen_ai.request.model': 'gated' })?.count).toBe(1);
    expect(point(receiver, service, 'gen_ai.client.operation.duration', { 'gen_ai.request.model': 'rate-limited', 'error.type': '429' })?.count).toBe(1);
    expect(point(receiver, service, 'gen_ai.client.operation.duration', { 'gen_ai.request.model': 'cut' })?.count).toBe(1);
    expect(point(receiver, service, 'gen_ai.client.token.usage', { 'gen_ai.operation.name': 'embeddings', 'gen_ai.token.type': 'input' })).toEqual({ count: 1, sum: EMBEDDING_USAGE.prompt_tokens });
    expect(point(receiver, service, 'gen_ai.client.token.usage', { 'gen_ai.request.model': 'telemetry-fixture', 'gen_ai.token.type': 'input' }), 'telemetry on: counted once').toEqual({ count: 1, sum: OPENAI_USAGE.prompt_tokens });
    expect(point(receiver, service, 'gen_ai.client.operation.duration', { 'gen_ai.request.model': 'telemetry-stream' })?.count).toBe(1);
  });

  it(capture === 'true' ? 'content captured when asked, with secrets masked' : 'no prompt or completion text leaves the process by default', () => {
    // The SDK's own spans (5 and 6, on the /ai-telemetry routes) follow the SDK's own switches
    // (`recordInputs`/`recordOutputs`, on by default once the app turns telemetry on), not ours.
    const spans = of(service).filter((s) => s.scope !== 'ai');
    const sent = JSON.stringify(spans);
    expect(sent).not.toContain('sk-live-abcdefghijklmnopqrstuvwx');
    if (capture !== 'true') {
      expect(sent).not.toContain('Say hi');
      expect(sent).not.toContain('You are terse');
      expect(sent).not.toContain('Hello!');
      return;
    }
    // The conventions' shape (gen-ai-input-messages.json, -output-messages.json, -system-instructions.json):
    // role + typed parts, the finish reason on the output message; the same on 5, 6 (the model's prompt) and 7 (the channel's event).
    const plain = genaiChild(spans, serverSpan(spans, '/ai-generate'))!;
    expect(JSON.parse(String(plain.attributes['gen_ai.input.messages']))).toEqual([{ role: 'user', parts: [{ type: 'text', content: 'Say hi. My key is REDACTED' }] }]);
    expect(JSON.parse(String(plain.attributes['gen_ai.system_instructions']))).toEqual([{ type: 'text', content: 'You are terse.' }]);
    expect(JSON.parse(String(plain.attributes['gen_ai.output.messages']))).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: 'Hello!' }], finish_reason: 'stop' }]);
    expect(JSON.parse(String(genaiChild(spans, serverSpan(spans, '/ai-stream'))!.attributes['gen_ai.output.messages']))).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: 'Hello!' }], finish_reason: 'stop' }]);
    expect(JSON.parse(String(genaiChild(spans, serverSpan(spans, '/ai-agent'))!.attributes['gen_ai.system_instructions']))).toEqual([{ type: 'text', content: 'You are terse.' }]);
  });
});
