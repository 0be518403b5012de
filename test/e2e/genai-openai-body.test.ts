// The openai APIPromise keeps every method under the preload (upstream issue
// open-telemetry/opentelemetry-js-contrib#3586): the `parse()` helpers, `.asResponse()` followed by
// a body read, `.withResponse()` (also on a stream), on chat completions, embeddings and responses. Each route of
// fixtures/genai answers with what the app saw; the same app without the preload must answer the
// same, and the preloaded one still gets its GenAI span for each call. openai 4.19 (no parse
// helpers), 4.104 (the last 4.x: `beta.chat.completions.parse`, node-fetch), 6 and 7, by require()
// and by import.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver } from '../../scripts/otlp-receiver';
import { get, start, type Running } from '../helpers/processes';
import { genaiApp, genaiChild as genai, serverSpan, startGenaiApp } from '../helpers/genai-apps';
import { startFakeProvider, type FakeProvider } from '../helpers/fake-genai';
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

const ROUTES = ['/chat-parse', '/responses-parse', '/chat-as-response', '/chat-with-response', '/chat-stream-with-response', '/responses-stream-with-response', '/embed-as-response', '/responses-as-response'];
const VERSIONS = [['4.19', 'genai-openai4'], ['4.104', 'genai-openai4x'], ['6', 'genai-openai6'], ['7', 'genai-openai7']] as const;

async function answers(app: Running): Promise<Record<string, { status: number; body: string }>> {
  const [, port] = await app.waitForLine(/listening (\d+)/, DEADLINE_MS);
  const out: Record<string, { status: number; body: string }> = {};
  for (const route of ROUTES) out[route] = await get(`http://127.0.0.1:${port}${route}`);
  return out;
}

describe.each(VERSIONS.flatMap(([v, app]) => [[v, app, 'app.cjs'], [v, app, 'app.mjs']] as const))('openai %s (%s), %s', (version, appName, script) => {
  const service = `genai-openai-body-${version}-${script.replace('.', '-')}`;
  let preloaded: Running;
  let plain: Running;
  let withPreload: Record<string, { status: number; body: string }>;
  let without: Record<string, { status: number; body: string }>;

  beforeAll(async () => {
    const dir = genaiApp(appName);
    plain = start([script], { cwd: dir, env: { GENAI_BASE_URL: provider.url } });
    preloaded = startGenaiApp(receiver, provider.url, dir, script, service, {});
    [without, withPreload] = await Promise.all([answers(plain), answers(preloaded)]);
  });
  afterAll(async () => {
    for (const app of [preloaded, plain]) app?.child.kill('SIGTERM');
    await Promise.all([preloaded?.exited, plain?.exited]);
  });

  it('every route answers as without the preload', () => {
    for (const route of ROUTES) {
      expect(without[route].status, `${route} without the preload: ${without[route].body}`).toBe(200);
      expect({ route, ...withPreload[route] }).toEqual({ route, ...without[route] });
    }
    expect(JSON.parse(without['/chat-as-response'].body)).toEqual({ status: 200, text: 'Hello!' });
    expect(JSON.parse(without['/chat-stream-with-response'].body)).toEqual({ status: 200, text: 'Hello!' });
    if (version !== '4.19') expect(JSON.parse(without['/chat-parse'].body)).toEqual({ text: 'Hello!', parsed: null });
  });

  it('each call still has its GenAI span, ended, without error', async () => {
    const called = ROUTES.filter((r) => !JSON.parse(without[r].body).skipped);
    const spanOf = (r: string) => genai(receiver.spans, serverSpan(receiver.spans.filter((s) => s.resource['service.name'] === service), r));
    await receiver.waitFor(() => called.every((r) => spanOf(r)?.endTimeUnixNano), DEADLINE_MS, `GenAI spans of ${service}`).catch(() => undefined);
    for (const r of called) {
      const span = spanOf(r);
      expect(span, `GenAI span for ${r}`).toBeDefined();
      expect(span!.attributes['error.type'], r).toBeUndefined();
      expect(span!.attributes['gen_ai.usage.input_tokens'], r).toBeDefined();
    }
  });
});
