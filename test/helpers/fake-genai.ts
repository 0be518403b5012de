// In-process fake LLM providers speaking the real wire formats (JSON bodies, SSE streams) with
// fixed token usage, for test/e2e/genai-*.test.ts. Model names pick the behaviour:
// `rate-limited` → 429, `broken` → 500, `cut` → a stream that stops mid-way (socket destroyed),
// `gated` → a stream whose rest is sent only after the app POSTs /ack (proves chunks are not buffered),
// `held…` → a stream (chat, messages) whose rest is held until the app goes away (for aborts; sent after 20 s should it not),
// `incomplete` → a Responses answer cut at max_output_tokens (status `incomplete`; streamed: a final `response.incomplete`),
// a chat model whose name starts with `object` answers with OBJECT_TEXT (JSON, for generateObject/streamObject).

import * as http from 'http';

export const OPENAI_USAGE = { prompt_tokens: 11, completion_tokens: 3, total_tokens: 14, prompt_tokens_details: { cached_tokens: 2 }, completion_tokens_details: { reasoning_tokens: 1 } };
export const OPENAI_STREAM_USAGE = { prompt_tokens: 13, completion_tokens: 4, total_tokens: 17 };
export const RESPONSES_USAGE = { input_tokens: 21, output_tokens: 5, total_tokens: 26, input_tokens_details: { cached_tokens: 4 }, output_tokens_details: { reasoning_tokens: 2 } };
export const EMBEDDING_USAGE = { prompt_tokens: 7, total_tokens: 7 };
export const ANTHROPIC_USAGE = { input_tokens: 17, output_tokens: 6 };
export const ANTHROPIC_STREAM_USAGE = { input_tokens: 19, output_tokens: 8 };
export const BEDROCK_USAGE = { inputTokens: 23, outputTokens: 7, totalTokens: 30 };
export const BEDROCK_INVOKE_USAGE = { input_tokens: 29, output_tokens: 9 };
export const GEMINI_USAGE = { promptTokenCount: 9, candidatesTokenCount: 4, totalTokenCount: 15, cachedContentTokenCount: 3, thoughtsTokenCount: 2 };
/** What an `object…` chat model answers (streamed in two pieces, as the others). */
export const OBJECT_TEXT = '{"greeting":"Hello!"}';
export const GEMINI_STREAM_USAGE = { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 };

export interface FakeProvider {
  url: string;
  /** Request bodies received, in order. */
  bodies: Array<{ path: string; body: Record<string, unknown> }>;
  /** True when a gated stream's rest was released by the app's /ack (not by the timeout). */
  gateOpenedByAck: boolean[];
  close(): Promise<void>;
}

const sse = (res: http.ServerResponse, event: unknown, name?: string) => res.write(`${name ? `event: ${name}\n` : ''}data: ${JSON.stringify(event)}\n\n`);

export async function startFakeProvider(): Promise<FakeProvider> {
  const bodies: FakeProvider['bodies'] = [];
  const gateOpenedByAck: boolean[] = [];
  let ack: (() => void) | undefined;
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0];
      if (path === '/ack') {
        ack?.();
        return void res.writeHead(204).end();
      }
      const body = raw ? JSON.parse(raw) : {};
      bodies.push({ path, body });
      const model = String(body.model ?? /models\/([^:]+):/.exec(path)?.[1] ?? /^\/model\/([^/]+)\//.exec(path)?.[1]);
      if (model === 'rate-limited') return void res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '0', 'x-amzn-errortype': 'ThrottlingException' }).end(JSON.stringify({ error: { message: 'Rate limit reached', type: 'rate_limit_error', code: 'rate_limit_exceeded' }, type: 'error' }));
      if (model === 'broken') return void res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'Internal error', type: 'server_error' }, type: 'error' }));
      if (path === '/v1/chat/completions') return body.stream ? chatStream(res, model) : json(res, { id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: `${model}-2026`, choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: model.startsWith('object') ? OBJECT_TEXT : 'Hello!' } }], usage: OPENAI_USAGE });
      // openai 5+ asks for base64 (little-endian float32) and decodes it itself.
      const vector = body.encoding_format === 'base64' ? Buffer.from(new Float32Array([0.1, 0.2, 0.3]).buffer).toString('base64') : [0.1, 0.2, 0.3];
      if (path === '/v1/embeddings') return json(res, { object: 'list', data: [{ object: 'embedding', index: 0, embedding: vector }], model: `${model}-2026`, usage: EMBEDDING_USAGE });
      if (path === '/v1/responses' && body.stream) return responsesStream(res, model);
      const status = model === 'incomplete' ? { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } } : { status: 'completed' };
      if (path === '/v1/responses') return json(res, { id: 'resp_1', object: 'response', created_at: 1, ...status, model: `${model}-2026`, output: [{ type: 'message', id: 'msg_1', status: status.status, role: 'assistant', content: [{ type: 'output_text', text: 'Hi there', annotations: [] }] }], usage: RESPONSES_USAGE });
      const bedrock = /^\/model\/([^/]+)\/(converse|invoke)$/.exec(path);
      if (bedrock) return bedrockAnswer(res, decodeURIComponent(bedrock[1]), bedrock[2]);
      const gemini = /^\/v1(?:beta)?\/models\/([^:]+):(generateContent|streamGenerateContent|batchEmbedContents)$/.exec(path);
      if (gemini) return geminiAnswer(res, gemini[1], gemini[2]);
      if (path === '/v1/messages') {
        if (body.stream) return messagesStream(res, model);
        const answer = () => json(res, { id: 'msg_01', type: 'message', role: 'assistant', model: `${model}-2026`, content: [{ type: 'text', text: 'Hello from Claude' }], stop_reason: 'end_turn', stop_sequence: null, usage: ANTHROPIC_USAGE });
        // A `held…` call is answered only should the app not give up on it first.
        return model.startsWith('held') ? hold(res, answer) : answer();
      }
      res.writeHead(404).end();
    });
  });

  function json(res: http.ServerResponse, value: unknown) {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(value));
  }

  function responsesStream(res: http.ServerResponse, model: string) {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const response = { id: 'resp_s1', object: 'response', created_at: 1, model: `${model}-2026`, output: [] as unknown[] };
    const end = model === 'incomplete' ? { type: 'response.incomplete', status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } } : { type: 'response.completed', status: 'completed' };
    const item = { type: 'message', id: 'msg_s1', status: end.status, role: 'assistant', content: [{ type: 'output_text', text: 'Hi there', annotations: [] }] };
    sse(res, { type: 'response.created', sequence_number: 0, response: { ...response, status: 'in_progress' } }, 'response.created');
    sse(res, { type: 'response.output_text.delta', sequence_number: 1, item_id: 'msg_s1', output_index: 0, content_index: 0, delta: 'Hi there' }, 'response.output_text.delta');
    sse(res, { type: 'response.output_item.done', sequence_number: 2, output_index: 0, item }, 'response.output_item.done');
    const { type, ...final } = end;
    res.end(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: 3, response: { ...response, ...final, output: [item], usage: RESPONSES_USAGE } })}\n\n`);
  }

  function chatStream(res: http.ServerResponse, model: string) {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({ id: 'chatcmpl-s1', object: 'chat.completion.chunk', created: 1, model: `${model}-2026`, choices: [{ index: 0, delta, finish_reason: finish }] });
    const text = model.startsWith('object') ? OBJECT_TEXT : 'Hello!';
    sse(res, chunk({ role: 'assistant', content: text.slice(0, text.length - 3) }));
    const rest = () => {
      sse(res, chunk({ content: text.slice(-3) }));
      sse(res, chunk({}, 'stop'));
      sse(res, { id: 'chatcmpl-s1', object: 'chat.completion.chunk', created: 1, model: `${model}-2026`, choices: [], usage: OPENAI_STREAM_USAGE });
      res.end('data: [DONE]\n\n');
    };
    if (model === 'cut') return void setImmediate(() => res.socket?.destroy());
    if (model.startsWith('held')) return hold(res, rest);
    if (model !== 'gated') return rest();
    const timer = setTimeout(() => {
      gateOpenedByAck.push(false);
      rest();
    }, 5000);
    ack = () => {
      clearTimeout(timer);
      ack = undefined;
      gateOpenedByAck.push(true);
      rest();
    };
  }

  /** The rest of a `held…` stream waits for the client to abort (a long generation the app gives up on). */
  function hold(res: http.ServerResponse, rest: () => void) {
    const timer = setTimeout(() => {
      if (!res.destroyed) rest();
    }, 20_000);
    res.on('close', () => clearTimeout(timer));
  }

  function bedrockAnswer(res: http.ServerResponse, model: string, method: string) {
    if (method === 'converse') return json(res, { output: { message: { role: 'assistant', content: [{ text: 'Hello from Bedrock' }] } }, stopReason: 'end_turn', usage: BEDROCK_USAGE, metrics: { latencyMs: 12 } });
    json(res, { id: 'msg_b1', type: 'message', role: 'assistant', model, content: [{ type: 'text', text: 'Hello from Claude on Bedrock' }], stop_reason: 'end_turn', usage: BEDROCK_INVOKE_USAGE });
  }

  function geminiAnswer(res: http.ServerResponse, model: string, method: string) {
    if (method === 'batchEmbedContents') return json(res, { embeddings: [{ values: [0.1, 0.2, 0.3] }] });
    const candidate = (text: string, finishReason?: string) => ({ content: { role: 'model', parts: [{ text }] }, index: 0, ...(finishReason ? { finishReason } : {}) });
    if (method === 'generateContent') return json(res, { candidates: [candidate('Hello from Gemini', 'STOP')], usageMetadata: GEMINI_USAGE, modelVersion: `${model}-001`, responseId: 'gresp-1' });
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    sse(res, { candidates: [candidate('Hello ')], modelVersion: `${model}-001`, responseId: 'gresp-s1' });
    if (model === 'cut') return void setImmediate(() => res.socket?.destroy());
    sse(res, { candidates: [candidate('Gemini', 'STOP')], usageMetadata: GEMINI_STREAM_USAGE, modelVersion: `${model}-001`, responseId: 'gresp-s1' });
    res.end();
  }

  function messagesStream(res: http.ServerResponse, model: string) {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    sse(res, { type: 'message_start', message: { id: 'msg_s1', type: 'message', role: 'assistant', model: `${model}-2026`, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: ANTHROPIC_STREAM_USAGE.input_tokens, output_tokens: 1 } } }, 'message_start');
    sse(res, { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, 'content_block_start');
    sse(res, { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello ' } }, 'content_block_delta');
    if (model.startsWith('held')) return hold(res, () => messagesRest(res));
    messagesRest(res);
  }

  function messagesRest(res: http.ServerResponse) {
    sse(res, { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'stream' } }, 'content_block_delta');
    sse(res, { type: 'content_block_stop', index: 0 }, 'content_block_stop');
    sse(res, { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: ANTHROPIC_STREAM_USAGE.output_tokens } }, 'message_delta');
    sse(res, { type: 'message_stop' }, 'message_stop');
    res.end();
  }

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    bodies,
    gateOpenedByAck,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
