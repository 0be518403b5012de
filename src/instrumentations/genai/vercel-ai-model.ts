// The Vercel AI SDK `ai` 5 and 6: no `ai:telemetry` channel (7 is the first to publish one), and
// their own OpenTelemetry spans come only when the app switches `experimental_telemetry` on, with
// no `gen_ai.operation.name` and no cached/reasoning tokens. So ours wraps the model the app hands
// the exported `generateText`, `streamText`, `generateObject`, `streamObject`, `embed` and
// `embedMany` (and any model a `prepareStep` returns; a string model id is resolved as the SDK
// would, through the global provider): each of its `doGenerate`/`doStream`/`doEmbed` calls — every
// step and every retry, for any provider package — is one CLIENT span, the same shape as 7's
// (vercel-ai.ts, docs/decisions.md "GenAI").
// A streamed call's span ends with its stream, read through the same pull-through observer as 7's.
//
// An app that switched the SDK's telemetry on keeps its outer spans (`ai.generateText`,
// `ai.streamText`, `ai.toolCall`, `ai.embed`: no gen_ai.* on them), but not the SDK's model-call
// spans (`ai.generateText.doGenerate`, …), which carry gen_ai.* request model and token counts:
// beside ours, one call would be two GenAI spans and a backend would count its tokens twice. So the
// tracer the SDK gets hands out non-recording spans for those names only; ours is the model-call
// span, under the SDK's outer one, as in 7 where the SDK makes no spans at all.
//
// The agent classes (5's `Experimental_Agent`, 6's `ToolLoopAgent`, also exported as
// `Experimental_Agent`) call the SDK's own generateText/streamText, not the exports: their prototype
// is patched in place (so an app's subclass is covered too), and the model the agent hands the SDK
// is wrapped the same way — in 6 on what `prepareCall` returns (the arguments `generate` and
// `stream` pass on, after the app's own `prepareCall`), in 5 on `generate`/`stream`, whose options
// override the agent's settings.
//
// `ai` 7 publishes its generateText/streamText model calls on its channel (vercel-ai.ts), but its
// (deprecated) `generateObject`/`streamObject` call the model without a channel message: those two
// get the model wrapper in 7 as well (OBJECT_CALLS); the channel says nothing of them, so they get
// one span each, not two.

import type { Context, Span, SpanOptions, Tracer } from '@opentelemetry/api';
import { lineRequire } from '../../otel-line/line';
import { GenAiCall } from './call';
import { toInstructions, toMessages } from './messages';
import { errorType, observedStream, providerName, requestAttributes, toResult, type ModelResult, type StreamPart } from './vercel-ai';

export interface ModelHooks {
  tracer(): Tracer;
  capture(): boolean;
  enabled(): boolean;
}

type Operation = 'chat' | 'embeddings';
type Fn = (this: unknown, ...args: unknown[]) => unknown;
type Model = { provider?: unknown; modelId?: unknown; config?: { url?: unknown; baseURL?: unknown } } & Record<string | symbol, unknown>;
type Options = Record<string, unknown> & { model?: unknown; prepareStep?: unknown; experimental_telemetry?: { isEnabled?: boolean; tracer?: Tracer } };

const CALLS: Record<string, Operation> = { generateText: 'chat', streamText: 'chat', generateObject: 'chat', streamObject: 'chat', embed: 'embeddings', embedMany: 'embeddings' };
/** The calls `ai` 7 publishes no model-call message for (vercel-ai.ts). */
export const OBJECT_CALLS: Record<string, Operation> = { generateObject: 'chat', streamObject: 'chat' };
/** The exported agent classes (one class under both names in 6 and 7). */
const AGENTS = ['Experimental_Agent', 'ToolLoopAgent'];
/** The SDK's spans around one model call, made by the calls above; ours replaces them. */
const MODEL_CALL_SPAN = /^ai\.(generateText|streamText|generateObject|streamObject|embed|embedMany)\.do(Generate|Stream|Embed)$/;
const PATCHED = Symbol.for('otel-preload.ai.agent');

/** The module's exports with the calls wrapped: in place (an ES module namespace), or a copy (the CommonJS build's getter-only properties). */
export function wrapExports(exports: Record<string, unknown>, hooks: ModelHooks, calls: Record<string, Operation> = CALLS, agents = true): Record<string, unknown> {
  if (agents) for (const name of AGENTS) patchAgent(exports[name], exports, hooks);
  const wrapped: Record<string, unknown> = {};
  for (const [name, op] of Object.entries(calls)) {
    const original = exports[name];
    if (typeof original === 'function') wrapped[name] = wrapCall(original as Fn, op, exports, hooks);
  }
  try {
    for (const [name, fn] of Object.entries(wrapped)) exports[name] = fn;
    if (Object.entries(wrapped).every(([name, fn]) => exports[name] === fn)) return exports;
  } catch {
    // esbuild's CommonJS output: non-configurable getters, so the module gets a copy below.
  }
  const copy: Record<string, unknown> = {};
  for (const key of Object.getOwnPropertyNames(exports)) {
    const d = Object.getOwnPropertyDescriptor(exports, key)!;
    Object.defineProperty(copy, key, key in wrapped ? { value: wrapped[key], enumerable: d.enumerable, writable: true, configurable: true } : { ...d, configurable: true });
  }
  return copy;
}

function wrapCall(original: Fn, op: Operation, exports: Record<string, unknown>, hooks: ModelHooks): Fn {
  return function (this: unknown, options: unknown, ...rest: unknown[]) {
    if (!hooks.enabled() || options === null || typeof options !== 'object') return original.call(this, options, ...rest);
    return original.call(this, traceOptions(options as Options, op, exports, hooks), ...rest);
  };
}

/**
 * The agent class's prototype, patched in place: 6's `prepareCall` (its result is what generate
 * and stream hand generateText/streamText), else 5's `generate` and `stream` (their options
 * override the agent's settings, so ours carry the wrapped model).
 */
function patchAgent(cls: unknown, exports: Record<string, unknown>, hooks: ModelHooks): void {
  try {
    const proto = typeof cls === 'function' ? (cls.prototype as Record<string | symbol, unknown>) : undefined;
    if (!proto || proto[PATCHED]) return;
    Object.defineProperty(proto, PATCHED, { value: true });
    const prepare = proto.prepareCall;
    if (typeof prepare === 'function') {
      proto.prepareCall = async function (this: unknown, ...args: unknown[]) {
        const prepared = await (prepare as Fn).apply(this, args);
        if (!hooks.enabled() || !prepared || typeof prepared !== 'object') return prepared;
        return traceOptions(prepared as Options, 'chat', exports, hooks);
      };
      return;
    }
    for (const method of ['generate', 'stream']) {
      const original = proto[method];
      if (typeof original !== 'function') continue;
      proto[method] = function (this: { settings?: Options }, options?: unknown, ...rest: unknown[]) {
        if (!hooks.enabled() || (options !== undefined && (options === null || typeof options !== 'object'))) return (original as Fn).call(this, options, ...rest);
        let next = options;
        try {
          const given = (options ?? {}) as Options;
          const merged = { ...this?.settings, ...given } as Options;
          const traced = traceOptions(merged, 'chat', exports, hooks);
          if (traced !== merged) {
            next = Object.assign(Object.create(Object.getPrototypeOf(given)) as Options, given);
            for (const key of ['model', 'prepareStep', 'experimental_telemetry'] as const) if (traced[key] !== merged[key]) (next as Record<string, unknown>)[key] = traced[key];
          }
        } catch {
          next = options;
        }
        return (original as Fn).call(this, next, ...rest);
      };
    }
  } catch {
    // An agent class we cannot patch runs as it came.
  }
}

/** The call's options with its model wrapped (and its prepareStep and the SDK's own tracer, to match); `given` itself when nothing changes. */
function traceOptions(given: Options, op: Operation, exports: Record<string, unknown>, hooks: ModelHooks): Options {
  let next = given;
  try {
    const model = wrapModel(given.model, op, exports, hooks);
    if (model !== given.model) {
      // Own properties copied and the prototype kept: options the app inherits stay visible.
      next = Object.assign(Object.create(Object.getPrototypeOf(given)) as Options, given);
      next.model = model;
      const prepare = given.prepareStep;
      if (typeof prepare === 'function') {
        next.prepareStep = async function (this: unknown, ...args: unknown[]) {
          // The app sees its own model object, not ours (identity checks, WeakMap lookups).
          const first = args[0] as Options | undefined;
          const own = first && typeof first === 'object' && first.model && typeof first.model === 'object' ? originals.get(first.model) : undefined;
          if (own) args[0] = { ...first, model: own };
          const step = await (prepare as Fn).apply(this, args);
          if (!step || typeof step !== 'object' || (step as Options).model === undefined) return step;
          return { ...step, model: wrapModel((step as Options).model, op, exports, hooks) };
        };
      }
      const telemetry = given.experimental_telemetry;
      if (telemetry && typeof telemetry === 'object' && telemetry.isEnabled === true) {
        const api = lineRequire('@opentelemetry/api') as typeof import('@opentelemetry/api');
        next.experimental_telemetry = { ...telemetry, tracer: withoutModelCallSpans(telemetry.tracer ?? api.trace.getTracer('ai')) };
      }
    }
  } catch {
    next = given;
  }
  return next;
}

const proxies = new WeakMap<object, object>();
/** Ours → the app's model. */
const originals = new WeakMap<object, object>();
const ours = new WeakSet<object>();

/** A method a Proxy may not hand back changed (a frozen model's own data property). */
const fixed = (model: object, prop: string) => {
  const d = Object.getOwnPropertyDescriptor(model, prop);
  return !!d && d.configurable === false && d.writable === false;
};

/** The model with its calls traced; anything we cannot read is handed back as it came. */
function wrapModel(model: unknown, op: Operation, exports: Record<string, unknown>, hooks: ModelHooks): unknown {
  if (typeof model === 'string') {
    // As the SDK's resolveLanguageModel/resolveEmbeddingModel do: the app's default provider, else the gateway.
    try {
      const provider = ((globalThis as { AI_SDK_DEFAULT_PROVIDER?: unknown }).AI_SDK_DEFAULT_PROVIDER ?? exports.gateway) as Record<string, unknown> | undefined;
      const resolve = (op === 'chat' ? provider?.languageModel : (provider?.embeddingModel ?? provider?.textEmbeddingModel)) as ((id: string) => unknown) | undefined;
      if (typeof resolve !== 'function') return model;
      return wrapModel(resolve.call(provider, model), op, exports, hooks);
    } catch {
      return model;
    }
  }
  if (!model || typeof model !== 'object' || ours.has(model)) return model;
  const methods = op === 'chat' ? ['doGenerate', 'doStream'] : ['doEmbed'];
  // A chat model may implement only one of the two.
  const present = methods.filter((m) => typeof (model as Model)[m] === 'function');
  if (present.length === 0) return model;
  let proxy = proxies.get(model);
  if (!proxy && present.some((m) => fixed(model, m))) {
    // Frozen: a Proxy's get may not change these, so a delegate whose prototype is the model.
    const target = model as Model;
    const delegate = Object.create(target) as Model;
    for (const m of present) {
      const method = target[m] as Fn;
      Object.defineProperty(delegate, m, { value: (callOptions: Record<string, unknown>, ...rest: unknown[]) => traced(target, m, method, op, hooks, callOptions, rest), enumerable: false, configurable: true, writable: true });
    }
    proxy = delegate;
  } else if (!proxy) {
    proxy = new Proxy(model, {
      // As the SDK's own v2→v3 adapter: everything else is read on the model itself.
      get(target: Model, prop) {
        if (prop === 'doGenerate' || prop === 'doStream' || prop === 'doEmbed') {
          const method = target[prop] as Fn;
          if (typeof method !== 'function' || !present.includes(prop)) return method;
          return (callOptions: Record<string, unknown>, ...rest: unknown[]) => traced(target, prop, method, op, hooks, callOptions, rest);
        }
        return target[prop];
      },
    });
  }
  if (!ours.has(proxy)) {
    proxies.set(model, proxy);
    originals.set(proxy, model);
    ours.add(proxy);
  }
  return proxy;
}

function traced(model: Model, method: string, fn: Fn, op: Operation, hooks: ModelHooks, options: Record<string, unknown>, rest: unknown[]): unknown {
  if (!hooks.enabled()) return fn.call(model, options, ...rest);
  let call: GenAiCall;
  const capture = hooks.capture();
  const server = serverOf(model);
  try {
    const prompt = Array.isArray(options?.prompt) ? (options.prompt as Array<{ role?: string; content?: unknown }>) : undefined;
    call = new GenAiCall(hooks.tracer(), capture, {
      provider: providerName(model.provider),
      operation: op,
      model: typeof model.modelId === 'string' ? model.modelId : undefined,
      serverAddress: server?.address,
      serverPort: server?.port,
      attributes: op === 'chat' ? requestAttributes(options ?? {}) : {},
      input: () => toMessages(prompt?.filter((m) => m?.role !== 'system')),
      system: () => toInstructions(prompt?.filter((m) => m?.role === 'system')),
    });
  } catch {
    return fn.call(model, options, ...rest);
  }
  const failed = (err: unknown) => {
    try {
      // A provider whose config we could not read: the URL the SDK's APICallError names.
      const at = server ? undefined : serverOf({ config: { baseURL: (err as { url?: unknown })?.url } });
      if (at) call.span.setAttributes(at.port ? { 'server.address': at.address, 'server.port': at.port } : { 'server.address': at.address });
      call.fail(err, errorType(err));
    } catch {
      // Telemetry never breaks the app's call.
    }
    throw err;
  };
  let pending: unknown;
  try {
    pending = call.run(() => fn.call(model, options, ...rest));
  } catch (err) {
    return failed(err);
  }
  return Promise.resolve(pending).then((result) => {
    try {
      const r = (result ?? {}) as ModelResult;
      if (method === 'doStream' && r.stream && typeof (r.stream as { getReader?: unknown }).getReader === 'function') {
        return { ...r, stream: observedStream(r.stream as ReadableStream<StreamPart>, call, r, capture, () => {}) };
      }
      call.end(toResult(r));
    } catch {
      // Telemetry never breaks the app's call.
    }
    return result;
  }, failed);
}

/** Host and port of the provider: the base URL its config builds request URLs from (`@ai-sdk/openai`'s `url()`, others' `baseURL`). */
function serverOf(model: Pick<Model, 'config' | 'modelId'>): { address: string; port?: number } | undefined {
  try {
    const config = model.config;
    const base = typeof config?.url === 'function' ? (config.url as (o: object) => unknown)({ path: '', modelId: model.modelId }) : config?.baseURL;
    if (typeof base !== 'string' || !base) return undefined;
    const url = new URL(base);
    return { address: url.hostname, port: url.port ? Number(url.port) : undefined };
  } catch {
    return undefined;
  }
}

/**
 * The app's tracer for the SDK's spans, except its model-call spans: for those a non-recording span
 * carrying the active context, run without changing it, so ours (made inside) is under the SDK's outer span.
 */
function withoutModelCallSpans(tracer: Tracer): Tracer {
  const api = lineRequire('@opentelemetry/api') as typeof import('@opentelemetry/api');
  const nothing = (context?: Context): Span => api.trace.wrapSpanContext(api.trace.getSpanContext(context ?? api.context.active()) ?? api.INVALID_SPAN_CONTEXT);
  return {
    startSpan: (name: string, options?: SpanOptions, context?: Context) => (MODEL_CALL_SPAN.test(name) ? nothing(context) : tracer.startSpan(name, options, context)),
    startActiveSpan: ((...args: unknown[]) => {
      if (!MODEL_CALL_SPAN.test(String(args[0]))) return (tracer.startActiveSpan as (...a: unknown[]) => unknown).apply(tracer, args);
      const fn = args[args.length - 1] as (span: Span) => unknown;
      return fn(nothing(args.length >= 4 ? (args[2] as Context) : undefined));
    }) as Tracer['startActiveSpan'],
  };
}
