// The Vercel AI SDK (`ai` 5, 6 and 7). 5 and 6 have no channel: ours wraps the model the app hands
// `generateText`/`streamText`/`generateObject`/`streamObject`/`embed`/`embedMany` and the agent
// classes (vercel-ai-model.ts), with the same span shape.
//
// `ai` 7: it has no OpenTelemetry of its own, but publishes every call on the
// Node diagnostics tracing channel `ai:telemetry` (its telemetry-channel publisher: one message per
// `generateText`/`streamText`, per step and per model call, `type: 'languageModelCall'`; not for the
// deprecated `generateObject`/`streamObject`, whose model is wrapped as in 5 and 6), whether or
// not the app switched telemetry on (only `telemetry: { isEnabled: false }` stops it). So this one
// is ours, on the channel, no patch (docs/decisions.md, "GenAI"): one CLIENT span per model call
// (`languageModelCall`, each retry its own), none for the SDK's own steps; `embed`/`embedMany` get one
// `embeddings` span per operation (the SDK publishes no message per embedding model call). The subscription is made
// when `ai` first loads (table.ts), so a process without it subscribes to nothing.
//
// The channel runs the model call inside `start.runStores`: a store bound to the start channel runs
// it inside the span's context, so the provider's HTTP request (`@ai-sdk/openai`'s fetch) is the
// span's child. A plain call ends at `asyncEnd` with the provider's result (usage, finish reason,
// response id and model). A streamed call's `asyncEnd` comes as soon as the provider's stream
// exists, before a chunk is read: its span stays open, and the stream is observed as the SDK reads
// it (its `pipeThrough`, the one call the SDK makes on it, gets a pull-through reader in front:
// nothing is buffered), ending the span at the `finish` part, the stream's end, its error or its
// cancellation (then with error.type `AbortError`: the app stopped reading or aborted). Should the SDK ever read it another way, the span ends with its step.

import type { Instrumentation } from '@opentelemetry/instrumentation';
import { lineRequire } from '../../otel-line/line';
import { abortError, abortType, GenAiCall, type CallResult } from './call';
import { toInstructions, toMessages, toOutput } from './messages';
import { OBJECT_CALLS, wrapExports } from './vercel-ai-model';

/** The majors that publish `ai:telemetry` (7 is the first). */
export const VERCEL_AI_RANGE = '>=7.0.0 <8';
/** The majors without the channel, whose exported calls take the model object (vercel-ai-model.ts). */
export const VERCEL_AI_MODEL_RANGE = '>=5.0.0 <7';
export const AI_CHANNEL = 'ai:telemetry';
/** `embed` and `embedMany` publish one message per operation, around its model calls and retries (no message per model call). */
const EMBED_TYPES = new Set(['embed', 'embedMany']);

type Tokens = number | { total?: number; cacheRead?: number; cacheWrite?: number; reasoning?: number } | undefined;
/** v3 (ai 6, 7) counts tokens in objects; v2 (ai 5) in numbers, with cached and reasoning tokens beside them. */
type Usage = { inputTokens?: Tokens; outputTokens?: Tokens; cachedInputTokens?: number; reasoningTokens?: number };
type FinishReason = string | { unified?: string; raw?: string } | undefined;
export interface ModelResult {
  content?: unknown;
  finishReason?: FinishReason;
  usage?: Usage & { tokens?: number };
  response?: { id?: string; modelId?: string };
  request?: { url?: string };
  stream?: ReadableStream<StreamPart>;
}
export type StreamPart = { type?: string; id?: string; modelId?: string; usage?: Usage; finishReason?: FinishReason; delta?: string; error?: unknown };
interface ChannelMessage {
  type?: string;
  event?: {
    callId?: string;
    provider?: string;
    modelId?: string;
    instructions?: unknown;
    messages?: unknown;
    maxOutputTokens?: number;
    temperature?: number;
    topP?: number;
    topK?: number;
    stopSequences?: string[];
    seed?: number;
  };
  result?: ModelResult;
  error?: unknown;
}
type Handlers = Record<'start' | 'end' | 'asyncStart' | 'asyncEnd' | 'error', (ctx: ChannelMessage) => void>;
type TracingChannel = {
  subscribe(handlers: Handlers): void;
  unsubscribe(handlers: Handlers): void;
  start: { bindStore(store: unknown, transform: (ctx: ChannelMessage) => unknown): void; unbindStore(store: unknown): void };
};

/** `gen_ai.provider.name` from the AI SDK's provider id (`openai.chat`, `google.generative-ai`, …). */
const PROVIDERS: Record<string, string> = {
  'openai': 'openai', 'azure': 'azure.ai.openai', 'anthropic': 'anthropic', 'amazon-bedrock': 'aws.bedrock', 'bedrock': 'aws.bedrock',
  'google': 'gcp.gemini', 'google.generative-ai': 'gcp.gemini', 'google.vertex': 'gcp.vertex_ai', 'vertex': 'gcp.vertex_ai',
  'mistral': 'mistral_ai', 'xai': 'x_ai', 'groq': 'groq', 'deepseek': 'deepseek', 'perplexity': 'perplexity', 'cohere': 'cohere',
};
export function providerName(provider: unknown): string {
  if (typeof provider !== 'string' || !provider) return '_OTHER';
  const parts = provider.split('.');
  return PROVIDERS[`${parts[0]}.${parts[1]}`] ?? PROVIDERS[parts[0]] ?? parts[0];
}

export function vercelAiInstrumentationClass(): new (options: Record<string, unknown>) => Instrumentation {
  const { InstrumentationBase, InstrumentationNodeModuleDefinition } = lineRequire('@opentelemetry/instrumentation') as typeof import('@opentelemetry/instrumentation');
  const dc = require('diagnostics_channel') as {
    tracingChannel?: (name: string) => TracingChannel;
    channel(name: string): { subscribe(fn: (message: unknown) => void): void; unsubscribe(fn: (message: unknown) => void): void };
  };
  const api = lineRequire('@opentelemetry/api') as typeof import('@opentelemetry/api');

  class VercelAiInstrumentation extends InstrumentationBase<import('@opentelemetry/instrumentation').InstrumentationConfig & { captureMessageContent?: boolean }> {
    // `declare`: no field initialiser may reset what enable() set inside the base constructor.
    declare private handlers?: Handlers;
    declare private store?: { run(value: unknown, fn: () => unknown): unknown };
    declare private onRequest?: (message: unknown) => void;

    constructor(options: Record<string, unknown> = {}) {
      super('otel-preload-ai', '1.0.0', options);
    }

    protected init() {
      // 7: nothing to patch, the definition names the module and its range (coverage, the README table).
      // 5 and 6: the exported calls, which check at each call whether we are on (a remote switch
      // applies at once), so unpatching leaves them in place.
      const hooks = { tracer: () => this.tracer, capture: () => this.getConfig().captureMessageContent === true, enabled: () => this.isEnabled() };
      return [
        // 7's generateObject/streamObject publish no model-call message: theirs are wrapped as in 5 and 6.
        new InstrumentationNodeModuleDefinition('ai', [VERCEL_AI_RANGE], (exports: unknown) => wrapExports(exports as Record<string, unknown>, hooks, OBJECT_CALLS, false), (exports: unknown) => exports),
        new InstrumentationNodeModuleDefinition('ai', [VERCEL_AI_MODEL_RANGE], (exports: unknown) => wrapExports(exports as Record<string, unknown>, hooks), (exports: unknown) => exports),
      ];
    }

    enable(): void {
      super.enable();
      if (this.handlers || typeof dc.tracingChannel !== 'function') return;
      const calls = new WeakMap<object, GenAiCall>();
      /**
       * Embedding calls still without their server: the SDK reports no URL for them (no model-call
       * message, an embed result without request.url), so the provider's first fetch request made
       * inside the call's span (Node's fetch publishes `undici:request:create` in the caller's
       * context) names it.
       */
      const unplaced = new WeakMap<object, GenAiCall>();
      this.onRequest = (message: unknown) => {
        try {
          const span = api.trace.getActiveSpan();
          const call = span && unplaced.get(span);
          if (!call) return;
          unplaced.delete(span);
          const origin = (message as { request?: { origin?: unknown } })?.request?.origin;
          if (typeof origin === 'string') server(call, { request: { url: origin } });
        } catch {
          // no server known
        }
      };
      dc.channel('undici:request:create').subscribe(this.onRequest);
      /** Streamed calls not ended yet, by the SDK's call id, for the step's end to close. */
      const open = new Map<string, Set<GenAiCall>>();
      const forget = (id: string | undefined, call: GenAiCall) => {
        const set = id === undefined ? undefined : open.get(id);
        set?.delete(call);
        if (set && !set.size) open.delete(id!);
      };

      // Called by runStores before `start` is published, in the caller's context; a throw here would
      // be an uncaught exception (Node's wrapStoreRun), so nothing may escape.
      const enter = (ctx: ChannelMessage) => {
        const active = api.context.active();
        try {
          if ((ctx?.type !== 'languageModelCall' && !EMBED_TYPES.has(ctx?.type as string)) || !this.isEnabled()) return active;
          const call = this.start(ctx);
          calls.set(ctx, call);
          if (EMBED_TYPES.has(ctx.type as string)) unplaced.set(call.span, call);
          return call.context;
        } catch {
          return active;
        }
      };
      const finish = (ctx: ChannelMessage) => {
        try {
          if (ctx?.type === 'step' || ctx?.type === 'streamText') {
            // A step (and the whole streamText) ends after its stream: any of its calls still open end with it.
            const id = ctx.event?.callId;
            if (id === undefined) return;
            for (const call of open.get(id) ?? []) ctx.error !== undefined ? call.fail(ctx.error, errorType(ctx.error)) : call.end({});
            open.delete(id);
            return;
          }
          const call = calls.get(ctx);
          if (!call) return;
          calls.delete(ctx);
          if (ctx.error !== undefined) {
            server(call, { request: { url: (ctx.error as { url?: string })?.url } });
            return call.fail(ctx.error, errorType(ctx.error));
          }
          const result = ctx.result ?? {};
          const stream = result.stream;
          if (stream && typeof (stream as { pipeThrough?: unknown }).pipeThrough === 'function') {
            const id = ctx.event?.callId;
            if (id !== undefined) {
              if (!open.has(id)) open.set(id, new Set());
              open.get(id)!.add(call);
            }
            observeOnPipe(stream, call, result, this.getConfig().captureMessageContent === true, () => forget(id, call));
            return;
          }
          server(call, result);
          call.end(toResult(result));
        } catch {
          // Telemetry never breaks the app's call.
        }
      };
      this.store = { run: (value, fn) => api.context.with(value as import('@opentelemetry/api').Context, fn) };
      const channel = dc.tracingChannel(AI_CHANNEL);
      channel.start.bindStore(this.store, enter);
      this.handlers = { start: () => {}, end: () => {}, asyncStart: () => {}, asyncEnd: finish, error: () => {} };
      channel.subscribe(this.handlers);
    }

    disable(): void {
      super.disable();
      if (this.handlers && typeof dc.tracingChannel === 'function') {
        const channel = dc.tracingChannel(AI_CHANNEL);
        channel.unsubscribe(this.handlers);
        if (this.store) channel.start.unbindStore(this.store);
      }
      if (this.onRequest) dc.channel('undici:request:create').unsubscribe(this.onRequest);
      this.handlers = undefined;
      this.store = undefined;
      this.onRequest = undefined;
    }

    private start(ctx: ChannelMessage): GenAiCall {
      const e = ctx.event ?? {};
      const attributes = requestAttributes(e);
      const embeddings = EMBED_TYPES.has(ctx.type as string);
      return new GenAiCall(this.tracer, this.getConfig().captureMessageContent === true, {
        provider: providerName(e.provider),
        operation: embeddings ? 'embeddings' : 'chat',
        model: typeof e.modelId === 'string' ? e.modelId : undefined,
        attributes,
        input: () => (embeddings ? undefined : toMessages(e.messages)),
        system: () => (embeddings ? undefined : toInstructions(e.instructions)),
      });
    }
  }
  return VercelAiInstrumentation as never;
}

/** The request's settings, as the SDK names them in its channel event and in a model call's options alike. */
export function requestAttributes(e: { maxOutputTokens?: unknown; temperature?: unknown; topP?: unknown; topK?: unknown; seed?: unknown; stopSequences?: unknown; frequencyPenalty?: unknown; presencePenalty?: unknown }): Record<string, number | string[]> {
  const attributes: Record<string, number | string[]> = {};
  const put = (key: string, v: unknown) => {
    if (typeof v === 'number' && Number.isFinite(v)) attributes[key] = v;
  };
  put('gen_ai.request.max_tokens', e.maxOutputTokens);
  put('gen_ai.request.temperature', e.temperature);
  put('gen_ai.request.top_p', e.topP);
  put('gen_ai.request.top_k', e.topK);
  put('gen_ai.request.seed', e.seed);
  put('gen_ai.request.frequency_penalty', e.frequencyPenalty);
  put('gen_ai.request.presence_penalty', e.presencePenalty);
  if (Array.isArray(e.stopSequences) && e.stopSequences.length) attributes['gen_ai.request.stop_sequences'] = e.stopSequences.map(String);
  return attributes;
}

/** The conventions want a low-cardinality type: the HTTP status of the SDK's APICallError, else the error's class. */
export function errorType(err: unknown): string {
  const status = (err as { statusCode?: unknown })?.statusCode;
  // A failure on a successful response (a cut stream, a body that is not JSON) is not a status.
  if (typeof status === 'number' && status >= 400) return String(status);
  const name = (err as { constructor?: { name?: string } })?.constructor?.name;
  // An aborted fetch (the app's abortSignal) rejects with a DOMException: its name (AbortError, TimeoutError).
  if (name === 'DOMException') return abortType(err);
  return name && name !== 'Object' ? name : '_OTHER';
}

const total = (t: Tokens) => (typeof t === 'number' ? t : t?.total);
const reason = (f: FinishReason) => (typeof f === 'string' ? f : (f?.raw ?? f?.unified));

export function toResult(r: ModelResult, output?: () => unknown): CallResult {
  const usage = r.usage;
  const input = usage?.inputTokens;
  const out = usage?.outputTokens;
  const finish = reason(r.finishReason);
  return {
    responseModel: r.response?.modelId,
    responseId: r.response?.id,
    finishReasons: finish ? [finish] : undefined,
    // Embeddings report one count, of input tokens (`usage.tokens`; NaN when the provider gave none).
    inputTokens: total(input) ?? usage?.tokens,
    outputTokens: total(out),
    cacheRead: typeof input === 'object' ? input.cacheRead : usage?.cachedInputTokens,
    cacheWrite: typeof input === 'object' ? input.cacheWrite : undefined,
    reasoning: typeof out === 'object' ? out.reasoning : usage?.reasoningTokens,
    output: output ?? (() => ('embedding' in r || 'embeddings' in r ? undefined : toOutput(r.content, finish))),
  };
}

/** Server address and port of the provider, from the origin the SDK reports (`request.url`). */
function server(call: GenAiCall, r: ModelResult): void {
  try {
    if (!r.request?.url) return;
    const url = new URL(r.request.url);
    call.span.setAttribute('server.address', url.hostname);
    if (url.port) call.span.setAttribute('server.port', Number(url.port));
  } catch {
    // no URL known
  }
}

/**
 * The first `pipeThrough` of the provider's stream (the SDK's own, in streamLanguageModelCall) reads
 * it through a pull-through stream that notes the parts as they pass: nothing is read ahead or held.
 */
function observeOnPipe(stream: ReadableStream<StreamPart>, call: GenAiCall, result: ModelResult, capture: boolean, done: () => void): void {
  server(call, result);
  const pipeThrough = stream.pipeThrough;
  Object.defineProperty(stream, 'pipeThrough', {
    configurable: true,
    writable: true,
    value: function (this: ReadableStream<StreamPart>, ...args: Parameters<ReadableStream['pipeThrough']>) {
      delete (stream as { pipeThrough?: unknown }).pipeThrough;
      let observed: ReadableStream<StreamPart>;
      try {
        observed = observedStream(stream, call, result, capture, done);
      } catch {
        call.end(toResult({ response: result.response }));
        done();
        return pipeThrough.apply(stream, args);
      }
      return observed.pipeThrough(...args);
    },
  });
}

/**
 * The provider's stream read through a pull-through stream (highWaterMark 0: nothing read ahead or
 * held) that notes the parts as they pass and ends the call at the `finish` part's stream end, at
 * the stream's error or at its cancellation. Shared by 7 (observeOnPipe) and 5/6 (vercel-ai-model.ts).
 */
export function observedStream(stream: ReadableStream<StreamPart>, call: GenAiCall, result: ModelResult, capture: boolean, done: () => void): ReadableStream<StreamPart> {
  const seen: ModelResult = { response: { ...result.response }, usage: undefined };
  let text = '';
  let streamError: unknown;
  const end = (err?: unknown) => {
    done();
    if (err !== undefined) return call.fail(err, errorType(err));
    call.end(toResult(seen, () => toOutput(text, reason(seen.finishReason))));
  };
  const onPart = (part: StreamPart) => {
    switch (part?.type) {
      case 'response-metadata':
        if (part.id) seen.response!.id = part.id;
        if (part.modelId) seen.response!.modelId = part.modelId;
        return;
      case 'finish':
        seen.usage = part.usage;
        seen.finishReason = part.finishReason;
        return;
      case 'error':
        streamError ??= part.error ?? new Error('stream error');
        return;
      case 'stream-start':
      case 'raw':
        return;
      default:
        call.chunk();
        if (capture && part?.type === 'text-delta' && typeof part.delta === 'string') text += part.delta;
    }
  };
  const reader = stream.getReader();
  return new ReadableStream<StreamPart>({
    async pull(controller) {
      let r: { done: boolean; value?: StreamPart };
      try {
        r = await reader.read();
      } catch (err) {
        end(err);
        controller.error(err);
        return;
      }
      if (r.done) {
        end(streamError);
        controller.close();
        return;
      }
      try {
        onPart(r.value as StreamPart);
      } catch {
        // never the app's problem
      }
      controller.enqueue(r.value as StreamPart);
    },
    cancel(why) {
      // The SDK cancels the provider's stream when the app stops reading or aborts: the call did
      // not complete, so it is no success.
      done();
      const err = abortError(why);
      call.fail(err, err.name);
      return reader.cancel(why);
    },
  }, { highWaterMark: 0 });
}
