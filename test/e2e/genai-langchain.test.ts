// @langchain/core with @langchain/openai against the fake provider, called inside the app's own
// HTTP requests. LangChain has no OpenTelemetry of its own: ours (instrumentations/genai/langchain.ts)
// adds a handler to its callback system. A top-level chain is an `invoke_agent` span, a tool run an
// `execute_tool` span; a model call has exactly one CLIENT chat span: the openai SDK's (instrumented
// by us) under ChatOpenAI, ours from LangChain's callbacks for a model class that calls fetch itself;
// invoked or streamed (.stream(), .streamEvents()), the SDK's span is a child of the chain's run.
// Newest (core 1.4 + openai 1.6, openai SDK 7) and the 0.3 line (core 0.3.80 + openai 0.6, SDK 5).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver, type ReceivedSpan } from '../../scripts/otlp-receiver';
import { get, type Running } from '../helpers/processes';
import { genaiApp, point, serverSpan, startGenaiApp } from '../helpers/genai-apps';
import { OPENAI_STREAM_USAGE, OPENAI_USAGE, startFakeProvider, type FakeProvider } from '../helpers/fake-genai';
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

const ROUTES = ['/lc-chain', '/lc-model', '/lc-tool', '/lc-fetch', '/lc-429', '/lc-chain-stream', '/lc-chain-events', '/lc-chain-gated'];
const of = (service: string) => receiver.spans.filter((s) => s.resource['service.name'] === service);
/** Every span of the trace of the request to `route`. */
const traceOf = (spans: ReceivedSpan[], route: string) => {
  const request = serverSpan(spans, route);
  return request ? spans.filter((s) => s.traceId === request.traceId) : [];
};
const chats = (spans: ReceivedSpan[]) => spans.filter((s) => s.kind === 'SPAN_KIND_CLIENT' && s.attributes['gen_ai.operation.name'] === 'chat');

describe.each([
  ['1.4 (newest)', 'CommonJS (require)', 'app.cjs', 'genai-langchain'],
  ['1.4 (newest)', 'ES module (import)', 'app.mjs', 'genai-langchain'],
  ['0.3', 'CommonJS (require)', 'app.cjs', 'genai-langchain0'],
  ['0.3', 'ES module (import)', 'app.mjs', 'genai-langchain0'],
])('@langchain/core %s, %s', (_version, _label, script, appName) => {
  const service = `${appName}-${script.replace('.', '-')}`;
  let app: Running;
  const answers: Record<string, { status: number; body: string }> = {};

  beforeAll(async () => {
    app = startGenaiApp(receiver, provider.url, genaiApp(appName), script, service, { GENAI_SDK: 'langchain' });
    const [, port] = await app.waitForLine(/listening (\d+)/, DEADLINE_MS);
    for (const route of ROUTES) answers[route] = await get(`http://127.0.0.1:${port}${route}`);
    const done = () => ['/lc-chain', '/lc-model', '/lc-fetch', '/lc-429', '/lc-chain-stream', '/lc-chain-events', '/lc-chain-gated'].every((r) => chats(traceOf(of(service), r)).length > 0) && traceOf(of(service), '/lc-tool').some((s) => s.name === 'execute_tool get_weather');
    await receiver.waitFor(done, DEADLINE_MS, `LangChain spans of ${service}`);
  });
  afterAll(async () => {
    app?.child.kill('SIGTERM');
    await app?.exited;
  });

  it('a chain: invoke_agent under the request, and one chat span (the openai SDK\'s), its child, with exact tokens', () => {
    expect(JSON.parse(answers['/lc-chain'].body)).toEqual({ text: 'Hello!' });
    const spans = of(service);
    const request = serverSpan(spans, '/lc-chain')!;
    const trace = traceOf(spans, '/lc-chain');
    const agent = trace.find((s) => s.attributes['gen_ai.operation.name'] === 'invoke_agent');
    expect(agent?.name).toBe('invoke_agent RunnableSequence');
    expect(agent?.kind).toBe('SPAN_KIND_INTERNAL');
    expect(agent?.parentSpanId).toBe(request.spanId);
    // The provider of the run's model, as LangChain tells it (ChatOpenAI's ls_provider), not the framework.
    expect(agent?.attributes['gen_ai.provider.name']).toBe('openai');
    const chat = chats(trace);
    expect(chat).toHaveLength(1);
    expect(chat[0].name).toBe('chat gpt-fixture');
    expect(chat[0].scope).toBe('@opentelemetry/instrumentation-openai');
    expect(chat[0].parentSpanId).toBe(agent?.spanId);
    expect(Number(chat[0].attributes['gen_ai.usage.input_tokens'])).toBe(OPENAI_USAGE.prompt_tokens);
  });

  it('a streamed chain (.stream() and .streamEvents()): the openai SDK\'s streamed chat span is a child of invoke_agent, chunks passed on', () => {
    expect(JSON.parse(answers['/lc-chain-stream'].body)).toEqual({ text: 'Hello!', streamed: true });
    expect(JSON.parse(answers['/lc-chain-events'].body)).toEqual({ text: 'Hello!' });
    const spans = of(service);
    for (const route of ['/lc-chain-stream', '/lc-chain-events']) {
      const trace = traceOf(spans, route);
      const agent = trace.find((s) => s.attributes['gen_ai.operation.name'] === 'invoke_agent');
      expect(agent?.name, route).toBe('invoke_agent RunnableSequence');
      expect(agent?.parentSpanId, route).toBe(serverSpan(spans, route)!.spanId);
      const chat = chats(trace);
      expect(chat.map((s) => `${s.scope} ${s.name}`), route).toEqual(['@opentelemetry/instrumentation-openai chat gpt-fixture']);
      expect(chat[0].parentSpanId, `${route}: the provider's span under the chain's run`).toBe(agent?.spanId);
      expect(Number(chat[0].attributes['gen_ai.usage.input_tokens']), route).toBe(OPENAI_STREAM_USAGE.prompt_tokens);
      expect(Number(chat[0].attributes['gen_ai.response.time_to_first_chunk']), route).toBeGreaterThan(0);
    }
  });

  it('a streamed chain passes each chunk on as it comes (the server sends the rest only after the app has seen the first)', () => {
    const spans = of(service);
    expect(JSON.parse(answers['/lc-chain-gated'].body)).toEqual({ text: 'Hello!' });
    expect(provider.gateOpenedByAck).toContain(true);
    expect(provider.gateOpenedByAck).not.toContain(false);
    const gated = chats(traceOf(spans, '/lc-chain-gated'));
    expect(gated.map((s) => s.name)).toEqual(['chat gated']);
    expect(gated[0].parentSpanId).toBe(traceOf(spans, '/lc-chain-gated').find((s) => s.attributes['gen_ai.operation.name'] === 'invoke_agent')?.spanId);
  });

  it('a model called alone, and a failing one: one chat span each', () => {
    expect(chats(traceOf(of(service), '/lc-model'))).toHaveLength(1);
    const failed = chats(traceOf(of(service), '/lc-429'));
    expect(failed).toHaveLength(1);
    expect(failed[0].status?.code).toBe('STATUS_CODE_ERROR');
  });

  it('a tool: execute_tool get_weather under the request', () => {
    expect(JSON.parse(answers['/lc-tool'].body)).toEqual({ text: 'Sunny in Paris' });
    const spans = of(service);
    const tool = traceOf(spans, '/lc-tool').find((s) => s.name === 'execute_tool get_weather');
    expect(tool?.attributes).toMatchObject({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'get_weather' });
    expect(tool?.parentSpanId).toBe(serverSpan(spans, '/lc-tool')!.spanId);
  });

  it('a model that calls fetch itself: our chat span from the callbacks, with its tokens, under the chain', () => {
    expect(JSON.parse(answers['/lc-fetch'].body)).toEqual({ text: 'Hello!' });
    const trace = traceOf(of(service), '/lc-fetch');
    const chat = chats(trace);
    expect(chat).toHaveLength(1);
    expect(chat[0].scope).toBe('otel-preload-langchain');
    expect(chat[0].name).toBe('chat fetch-fixture');
    expect(chat[0].attributes).toMatchObject({ 'gen_ai.provider.name': 'fixture', 'gen_ai.request.model': 'fetch-fixture', 'gen_ai.response.model': 'fetch-fixture-2026' });
    expect(Number(chat[0].attributes['gen_ai.usage.input_tokens'])).toBe(OPENAI_USAGE.prompt_tokens);
    expect(Number(chat[0].attributes['gen_ai.usage.output_tokens'])).toBe(OPENAI_USAGE.completion_tokens);
    const agent = trace.find((s) => s.attributes['gen_ai.operation.name'] === 'invoke_agent');
    expect(chat[0].parentSpanId).toBe(agent?.spanId);
    expect(agent?.attributes['gen_ai.provider.name'], 'the model\'s ls_provider').toBe('fixture');
  });

  it('gen_ai.client.token.usage counts each model call once', async () => {
    const attrs = { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'fetch-fixture', 'gen_ai.token.type': 'input' };
    await receiver.waitFor(() => !!point(receiver, service, 'gen_ai.client.token.usage', attrs), DEADLINE_MS, 'token metrics');
    expect(point(receiver, service, 'gen_ai.client.token.usage', attrs)).toEqual({ count: 1, sum: OPENAI_USAGE.prompt_tokens });
    // ChatOpenAI's four successful calls (two invoked, two streamed): recorded by the openai instrumentation, not again by us.
    const input = 2 * OPENAI_USAGE.prompt_tokens + 2 * OPENAI_STREAM_USAGE.prompt_tokens;
    await receiver.waitFor(() => point(receiver, service, 'gen_ai.client.token.usage', { 'gen_ai.request.model': 'gpt-fixture', 'gen_ai.token.type': 'input' })?.sum === input, DEADLINE_MS, 'openai token metrics').catch(() => undefined);
    expect(point(receiver, service, 'gen_ai.client.token.usage', { 'gen_ai.request.model': 'gpt-fixture', 'gen_ai.token.type': 'input' })).toEqual({ count: 4, sum: input });
  });
});
