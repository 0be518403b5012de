// @aws-sdk/client-bedrock-runtime (newest) against a fake Bedrock Runtime endpoint, called inside
// the app's own HTTP requests: the aws-sdk instrumentation's Bedrock extension makes the GenAI span
// (Converse, InvokeModel) and records both GenAI metrics itself; the span-metrics processor skips
// its scope, so each call is counted once (not twice). The SDK is installed in the corpus cache
// (test/corpus/apps/genai-bedrock).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver } from '../../scripts/otlp-receiver';
import { get, type Running } from '../helpers/processes';
import type { ReceivedSpan } from '../../scripts/otlp-receiver';
import { genaiApp, point, serverSpan, startGenaiApp } from '../helpers/genai-apps';
import { BEDROCK_INVOKE_USAGE, BEDROCK_USAGE, startFakeProvider, type FakeProvider } from '../helpers/fake-genai';
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

const ROUTES = ['/converse', '/invoke', '/converse-429'];
// InvokeModel spans carry gen_ai.system but no gen_ai.operation.name (upstream leaves it out).
const genaiChild = (spans: ReceivedSpan[], parent: ReceivedSpan | undefined) => spans.find((s) => s.parentSpanId === parent?.spanId && s.attributes['gen_ai.system'] !== undefined);
const of = (service: string) => receiver.spans.filter((s) => s.resource['service.name'] === service);

describe.each([
  ['CommonJS (require)', 'app.cjs'],
  ['ES module (import)', 'app.mjs'],
])('@aws-sdk/client-bedrock-runtime, %s', (_label, script) => {
  const service = `genai-bedrock-${script.replace('.', '-')}`;
  let app: Running;
  const answers: Record<string, { status: number; body: string }> = {};

  beforeAll(async () => {
    app = startGenaiApp(receiver, provider.url, genaiApp('genai-bedrock'), script, service, { GENAI_SDK: 'bedrock' });
    const [, port] = await app.waitForLine(/listening (\d+)/, DEADLINE_MS);
    for (const route of ROUTES) answers[route] = await get(`http://127.0.0.1:${port}${route}`);
    const missing = () => ROUTES.filter((r) => !genaiChild(of(service), serverSpan(of(service), r)));
    await receiver.waitFor(() => missing().length === 0, DEADLINE_MS, `GenAI spans of ${service}`).catch((err) => {
      throw new Error(`${err.message}: none for ${missing().map((r) => `${r} (answered ${answers[r]?.status} ${answers[r]?.body.slice(0, 200)})`).join(', ')}`);
    });
  });
  afterAll(async () => {
    app?.child.kill('SIGTERM');
    await app?.exited;
  });

  it('Converse and InvokeModel: one CLIENT span each under the request, exact tokens', () => {
    expect(JSON.parse(answers['/converse'].body)).toEqual({ text: 'Hello from Bedrock' });
    expect(JSON.parse(answers['/invoke'].body)).toEqual({ text: 'Hello from Claude on Bedrock' });
    const spans = of(service);
    const converse = genaiChild(spans, serverSpan(spans, '/converse'))!;
    expect(converse.kind).toBe('SPAN_KIND_CLIENT');
    expect(converse.attributes).toMatchObject({ 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'amazon.nova-fixture', 'gen_ai.system': 'aws.bedrock', 'gen_ai.provider.name': 'aws.bedrock' });
    // The aws-sdk instrumentation's span (through @smithy/core, the only one of its targets this client loads), with its rpc.* attributes.
    expect(converse.scope).toBe('@opentelemetry/instrumentation-aws-sdk');
    expect(converse.attributes).toMatchObject({ 'rpc.system': 'aws-api', 'rpc.method': 'Converse' });
    expect(String(converse.attributes['rpc.service'])).toMatch(/^Bedrock ?Runtime$/);
    expect(Number(converse.attributes['gen_ai.usage.input_tokens'])).toBe(BEDROCK_USAGE.inputTokens);
    expect(Number(converse.attributes['gen_ai.usage.output_tokens'])).toBe(BEDROCK_USAGE.outputTokens);
    const invoke = genaiChild(spans, serverSpan(spans, '/invoke'))!;
    expect(Number(invoke.attributes['gen_ai.usage.input_tokens'])).toBe(BEDROCK_INVOKE_USAGE.input_tokens);
    expect(Number(invoke.attributes['gen_ai.usage.output_tokens'])).toBe(BEDROCK_INVOKE_USAGE.output_tokens);
    expect(genaiChild(spans, serverSpan(spans, '/converse-429'))!.status?.code).toBe('STATUS_CODE_ERROR');
  });

  it('the two GenAI metrics, once per call (the instrumentation\'s own; not again from its spans)', async () => {
    const converse = { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'amazon.nova-fixture' };
    await receiver.waitFor(() => !!point(receiver, service, 'gen_ai.client.token.usage', { ...converse, 'gen_ai.token.type': 'input' }) && !!point(receiver, service, 'gen_ai.client.operation.duration', { 'gen_ai.request.model': 'anthropic.claude-fixture' }), DEADLINE_MS, 'GenAI metrics').catch(() => undefined);
    expect(point(receiver, service, 'gen_ai.client.token.usage', { ...converse, 'gen_ai.token.type': 'input' })).toEqual({ count: 1, sum: BEDROCK_USAGE.inputTokens });
    expect(point(receiver, service, 'gen_ai.client.token.usage', { ...converse, 'gen_ai.token.type': 'output' })).toEqual({ count: 1, sum: BEDROCK_USAGE.outputTokens });
    expect(point(receiver, service, 'gen_ai.client.operation.duration', converse)?.count).toBe(1);
    expect(point(receiver, service, 'gen_ai.client.operation.duration', { 'gen_ai.request.model': 'anthropic.claude-fixture' })?.count).toBe(1);
  });
});
