// openai 4.19 (the oldest the instrumentation claims), 6 and 7 (the newest), loaded by require()
// and by import, calling a fake OpenAI server (JSON and SSE, fixed token usage) inside the app's
// own HTTP requests: one CLIENT span per call under the request's SERVER span, with exact token
// counts; the two GenAI metrics count each call once; errors (429, 500, a stream cut mid-way) end
// their span with error.type; stream chunks reach the app before the stream ends; prompt text
// stays home unless OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true, and is then redacted.
// The SDKs are installed in the corpus cache (test/corpus/apps/genai-openai*), not as devDependencies.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver } from '../../scripts/otlp-receiver';
import { get, type Running } from '../helpers/processes';
import { genaiApp, genaiChild as genai, point, serverSpan, startGenaiApp as startApp } from '../helpers/genai-apps';
import { EMBEDDING_USAGE, OPENAI_STREAM_USAGE, OPENAI_USAGE, RESPONSES_USAGE, startFakeProvider, type FakeProvider } from '../helpers/fake-genai';
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

const of = (service: string) => receiver.spans.filter((s) => s.resource['service.name'] === service);
const startGenaiApp = (dir: string, script: string, service: string, env: Record<string, string>) => startApp(receiver, provider.url, dir, script, service, env);

const VERSIONS = [
  ['4.19', 'genai-openai4', false],
  ['6', 'genai-openai6', true],
  ['7', 'genai-openai7', true],
] as const;
const script = (_v: string, s: string) => (s.endsWith('.mjs') ? 'ES module (import)' : 'CommonJS (require)');
const ROUTES = ['/chat', '/chat-stream', '/chat-gated', '/embed', '/responses', '/chat-429', '/chat-500', '/chat-cut', '/chat-break', '/chat-abort', '/chat-controller-abort', '/responses-incomplete', '/responses-stream-incomplete'];

describe.each(VERSIONS.flatMap(([v, app, responses]) => [[v, script(v, 'app.cjs'), app, responses, 'app.cjs'], [v, script(v, 'app.mjs'), app, responses, 'app.mjs']] as const))('openai %s, %s', (version, _label, appName, hasResponses, script) => {
  const service = `genai-openai-${version}-${script.replace('.', '-')}`;
  let app: Running;
  const answers: Record<string, { status: number; body: string }> = {};

  beforeAll(async () => {
    const dir = genaiApp(appName);
    app = startGenaiApp(dir, script, service, {});
    const [, port] = await app.waitForLine(/listening (\d+)/, DEADLINE_MS);
    for (const route of ROUTES) answers[route] = await get(`http://127.0.0.1:${port}${route}`);
    const missing = () => ROUTES.filter((r) => (hasResponses || !r.startsWith('/responses')) && !genai(of(service), serverSpan(of(service), r))?.endTimeUnixNano);
    await receiver.waitFor(() => missing().length === 0, DEADLINE_MS, `GenAI spans of ${service}`).catch((err) => {
      throw new Error(`${err.message}: none for ${missing().map((r) => `${r} (answered ${answers[r]?.status} ${answers[r]?.body.slice(0, 200)})`).join(', ')}`);
    });
  });
  afterAll(async () => {
    app?.child.kill('SIGTERM');
    await app?.exited;
  });

  it('the app gets the SDK results unchanged', () => {
    expect(JSON.parse(answers['/chat'].body)).toEqual({ text: 'Hello!' });
    expect(JSON.parse(answers['/chat-stream'].body)).toEqual({ text: 'Hello!', chunks: 4 });
    expect(JSON.parse(answers['/embed'].body)).toEqual({ dims: 3 });
    expect(JSON.parse(answers['/chat-429'].body)).toMatchObject({ error: 'RateLimitError', status: 429 });
    expect(JSON.parse(answers['/chat-500'].body)).toMatchObject({ error: 'InternalServerError', status: 500 });
    expect(answers['/chat-cut'].status).toBe(502);
    expect(JSON.parse(answers['/chat-break'].body)).toEqual({ first: 'Hel' });
    // Aborted after the first chunk: the SDK ends the app's loop quietly, with or without us.
    expect(JSON.parse(answers['/chat-abort'].body)).toEqual({ chunks: 1 });
    expect(JSON.parse(answers['/chat-controller-abort'].body)).toEqual({ chunks: 1 });
    if (hasResponses) expect(JSON.parse(answers['/responses'].body)).toEqual({ text: 'Hi there' });
  });

  it('a chat completion: CLIENT span under the request, exact tokens, the HTTP call under it', () => {
    const spans = of(service);
    const chat = genai(spans, serverSpan(spans, '/chat'))!;
    expect(chat.name).toBe('chat gpt-fixture');
    expect(chat.kind).toBe('SPAN_KIND_CLIENT');
    expect(chat.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.system': 'openai',
      'gen_ai.request.model': 'gpt-fixture', 'gen_ai.response.model': 'gpt-fixture-2026', 'gen_ai.response.id': 'chatcmpl-1',
      'gen_ai.response.finish_reasons': ['stop'],
    });
    expect(Number(chat.attributes['gen_ai.usage.input_tokens'])).toBe(OPENAI_USAGE.prompt_tokens);
    expect(Number(chat.attributes['gen_ai.usage.output_tokens'])).toBe(OPENAI_USAGE.completion_tokens);
    expect(Number(chat.attributes['gen_ai.usage.cache_read.input_tokens'])).toBe(OPENAI_USAGE.prompt_tokens_details.cached_tokens);
    expect(Number(chat.attributes['gen_ai.usage.reasoning.output_tokens'])).toBe(OPENAI_USAGE.completion_tokens_details.reasoning_tokens);
    const post = spans.find((s) => s.kind === 'SPAN_KIND_CLIENT' && s.parentSpanId === chat.spanId);
    expect(post, 'the outgoing HTTP request is a child of the GenAI span').toBeDefined();
  });

  it('a streamed chat completion: tokens from the usage chunk, time to first chunk, chunks not held back', () => {
    const spans = of(service);
    const stream = genai(spans, serverSpan(spans, '/chat-stream'))!;
    expect(Number(stream.attributes['gen_ai.usage.input_tokens'])).toBe(OPENAI_STREAM_USAGE.prompt_tokens);
    expect(Number(stream.attributes['gen_ai.usage.output_tokens'])).toBe(OPENAI_STREAM_USAGE.completion_tokens);
    expect(stream.attributes['gen_ai.response.finish_reasons']).toEqual(['stop']);
    const ttfc = Number(stream.attributes['gen_ai.response.time_to_first_chunk']);
    const duration = (Number(BigInt(stream.endTimeUnixNano) - BigInt(stream.startTimeUnixNano)) / 1e9);
    expect(ttfc).toBeGreaterThan(0);
    expect(ttfc).toBeLessThanOrEqual(duration + 0.01); // two clocks: performance.now() and the span's
    // The fake server sends the rest of this stream only after the app has seen its first chunk.
    expect(JSON.parse(answers['/chat-gated'].body)).toEqual({ text: 'Hello!', chunks: 4 });
    expect(provider.gateOpenedByAck).not.toContain(false);
  });

  it('embeddings and responses', () => {
    const spans = of(service);
    const embed = genai(spans, serverSpan(spans, '/embed'))!;
    expect(embed.name).toBe('embeddings embed-fixture');
    const port = Number(new URL(provider.url).port);
    expect(embed.attributes['server.address']).toBe('127.0.0.1');
    expect(Number(embed.attributes['server.port'])).toBe(port);
    expect(Number(embed.attributes['gen_ai.usage.input_tokens'])).toBe(EMBEDDING_USAGE.prompt_tokens);
    if (!hasResponses) return;
    const resp = genai(spans, serverSpan(spans, '/responses'))!;
    expect(resp.attributes).toMatchObject({ 'gen_ai.provider.name': 'openai', 'gen_ai.system': 'openai', 'gen_ai.response.id': 'resp_1', 'server.address': '127.0.0.1' });
    expect(Number(resp.attributes['server.port'])).toBe(port);
    expect(Number(resp.attributes['gen_ai.usage.input_tokens'])).toBe(RESPONSES_USAGE.input_tokens);
    expect(Number(resp.attributes['gen_ai.usage.output_tokens'])).toBe(RESPONSES_USAGE.output_tokens);
    expect(Number(resp.attributes['gen_ai.usage.cache_read.input_tokens'])).toBe(RESPONSES_USAGE.input_tokens_details.cached_tokens);
    expect(resp.attributes['gen_ai.system_instructions'], 'instructions are content: off by default').toBeUndefined();
  });

  it('a Responses call cut at max_output_tokens (status incomplete), plain and streamed: that finish reason, its tokens counted', async () => {
    if (!hasResponses) return;
    expect(JSON.parse(answers['/responses-incomplete'].body)).toEqual({ status: 'incomplete' });
    expect(JSON.parse(answers['/responses-stream-incomplete'].body)).toEqual({ last: 'response.incomplete' });
    const spans = of(service);
    for (const route of ['/responses-incomplete', '/responses-stream-incomplete']) {
      const span = genai(spans, serverSpan(spans, route))!;
      expect(span.attributes['gen_ai.response.finish_reasons'], route).toEqual(['max_output_tokens']);
      expect(Number(span.attributes['gen_ai.usage.input_tokens']), route).toBe(RESPONSES_USAGE.input_tokens);
      expect(Number(span.attributes['gen_ai.usage.output_tokens']), route).toBe(RESPONSES_USAGE.output_tokens);
    }
    const input = { 'gen_ai.request.model': 'incomplete', 'gen_ai.token.type': 'input' };
    await receiver.waitFor(() => point(receiver, service, 'gen_ai.client.token.usage', input)?.count === 2, DEADLINE_MS, 'incomplete tokens').catch(() => undefined);
    expect(point(receiver, service, 'gen_ai.client.token.usage', input)).toEqual({ count: 2, sum: 2 * RESPONSES_USAGE.input_tokens });
  });

  it('a stream the app stops reading after its first chunk, or aborts, ends its span as no success (AbortError)', async () => {
    const spans = of(service);
    for (const [route, model] of [['/chat-break', 'gpt-fixture'], ['/chat-abort', 'held-signal'], ['/chat-controller-abort', 'held-controller']]) {
      const stopped = genai(spans, serverSpan(spans, route))!;
      expect(stopped.endTimeUnixNano, route).toBeTruthy();
      expect(stopped.attributes['error.type'], route).toBe('AbortError');
      expect(stopped.status?.code, route).toBe('STATUS_CODE_ERROR');
      const attrs = { 'gen_ai.request.model': model, 'error.type': 'AbortError' };
      await receiver.waitFor(() => point(receiver, service, 'gen_ai.client.operation.duration', attrs)?.count === 1, DEADLINE_MS, `duration of ${route}`).catch(() => undefined);
      expect(point(receiver, service, 'gen_ai.client.operation.duration', attrs)?.count, route).toBe(1);
    }
  });

  it('429, 500 and a stream cut mid-way: the span ends with error.type', () => {
    const spans = of(service);
    const e429 = genai(spans, serverSpan(spans, '/chat-429'))!;
    expect(e429.attributes['error.type']).toBe('RateLimitError');
    expect(e429.status?.code).toBe('STATUS_CODE_ERROR');
    expect(genai(spans, serverSpan(spans, '/chat-500'))!.attributes['error.type']).toBe('InternalServerError');
    const cut = genai(spans, serverSpan(spans, '/chat-cut'))!;
    expect(cut.status?.code).toBe('STATUS_CODE_ERROR');
    expect(cut.attributes['error.type']).toBeTruthy();
  });

  it('gen_ai.client.token.usage and gen_ai.client.operation.duration count every call once', async () => {
    // Both provider attributes on every point, chat and Responses alike (upstream: one or the other).
    const chat = { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-fixture', 'gen_ai.provider.name': 'openai', 'gen_ai.system': 'openai' };
    const calls = 2 + (hasResponses ? 1 : 0);
    const input = OPENAI_USAGE.prompt_tokens + OPENAI_STREAM_USAGE.prompt_tokens + (hasResponses ? RESPONSES_USAGE.input_tokens : 0);
    await receiver.waitFor(() => point(receiver, service, 'gen_ai.client.token.usage', { ...chat, 'gen_ai.token.type': 'input' })?.sum === input && point(receiver, service, 'gen_ai.client.operation.duration', chat)?.count === calls + 1 && ['cut', 'rate-limited', 'broken', 'held-signal', 'held-controller'].every((model) => point(receiver, service, 'gen_ai.client.operation.duration', { 'gen_ai.request.model': model })?.count === 1), DEADLINE_MS, 'GenAI metrics').catch(() => undefined);
    expect(point(receiver, service, 'gen_ai.client.token.usage', { ...chat, 'gen_ai.token.type': 'input' })).toEqual({ count: calls, sum: input });
    expect(point(receiver, service, 'gen_ai.client.token.usage', { ...chat, 'gen_ai.token.type': 'output' })).toEqual({ count: calls, sum: OPENAI_USAGE.completion_tokens + OPENAI_STREAM_USAGE.completion_tokens + (hasResponses ? RESPONSES_USAGE.output_tokens : 0) });
    expect(point(receiver, service, 'gen_ai.client.operation.duration', chat)?.count, 'and the stream the app stopped reading').toBe(calls + 1);
    expect(point(receiver, service, 'gen_ai.client.operation.duration', { 'gen_ai.request.model': 'rate-limited', 'error.type': 'RateLimitError' })?.count).toBe(1);
    expect(point(receiver, service, 'gen_ai.client.operation.duration', { 'gen_ai.request.model': 'broken', 'error.type': 'InternalServerError' })?.count).toBe(1);
    const bounds = receiver.metrics.find((m) => m.name === 'gen_ai.client.operation.duration' && m.resource['service.name'] === service)!.dataPoints[0].explicitBounds as number[];
    expect(bounds.map(Number)).toEqual([0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92]);
  });

  it('no prompt or completion text leaves the process by default', () => {
    const sent = JSON.stringify([of(service), receiver.logs.filter((l) => l.resource['service.name'] === service)]);
    expect(sent).not.toContain('Say hi');
    expect(sent).not.toContain('You are terse');
    expect(sent).not.toContain('Hello!');
  });
});

describe('OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true (openai 7)', () => {
  const service = 'genai-openai-content';
  let app: Running;

  beforeAll(async () => {
    app = startGenaiApp(genaiApp('genai-openai7'), 'app.cjs', service, { OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true' });
    const [, port] = await app.waitForLine(/listening (\d+)/, DEADLINE_MS);
    await get(`http://127.0.0.1:${port}/chat`);
    await get(`http://127.0.0.1:${port}/responses`);
    await receiver.waitFor(() => receiver.logs.filter((l) => l.resource['service.name'] === service).length >= 3 && !!genai(of(service), serverSpan(of(service), '/responses')), DEADLINE_MS, 'GenAI events');
  });
  afterAll(async () => {
    app?.child.kill('SIGTERM');
    await app?.exited;
  });

  it('prompts and completions are recorded, with secrets masked', () => {
    const logs = JSON.stringify(receiver.logs.filter((l) => l.resource['service.name'] === service));
    expect(logs).toContain('Say hi');
    expect(logs).toContain('Hello!');
    expect(logs).not.toContain('sk-live-abcdefghijklmnopqrstuvwx');
    expect(logs).toContain('REDACTED');
    const resp = genai(of(service), serverSpan(of(service), '/responses'))!;
    // gen-ai-system-instructions.json: a list of parts, as ours (Anthropic, Google, ai) record it.
    expect(JSON.parse(String(resp.attributes['gen_ai.system_instructions']))).toEqual([{ type: 'text', content: 'Be brief.' }]);
  });
});
