// @langchain/core (LangChain.js): no upstream OpenTelemetry instrumentation exists, so this one is
// ours, lean (docs/decisions.md, "LangChain"), made from LangChain's own callback system: one
// handler is added wherever LangChain configures a run's callbacks (`CallbackManager._configureSync`,
// the one place every invoke, stream and batch goes through, with or without callbacks of the app).
// - a top-level chain or agent run: INTERNAL span `invoke_agent {run name}` (GenAI agent spans);
// - a tool run: INTERNAL span `execute_tool {tool name}`;
// - a model run: exactly one CLIENT span per call. The provider SDK underneath (openai, anthropic,
//   google, bedrock) is usually instrumented already and makes the `chat {model}` span itself;
//   ours is made only when none was started under the same parent during the run (a model class
//   that calls fetch itself), at the run's end, with the run's start time and its token usage.
// Nested chains (prompt templates, parsers, graph nodes) get no span: their tools and models are
// parented to the nearest run that has one, or to the span active when the run started. The
// handler is awaited inline (not queued), so it sees the caller's active context.
// Callbacks cannot make a span active for the run's body, so a chat model's `generate()` (every
// invoke and batch goes through it) is also wrapped to run in the context of the run that called
// it: the provider SDK's span is then a child of `invoke_agent`, not its sibling. So is a streamed
// call (`_streamIterator`, the async generator every `.stream()`, `.streamEvents()` and a chain's
// streamed step go through): each of its `next()`/`return()`/`throw()` runs in that context, which
// the generator's body (the provider call included) inherits; chunks pass one by one as they came.
// `gen_ai.provider.name` is the model's provider as LangChain tells it (`ls_provider` of the model's
// LangSmith params: `openai`, `anthropic`, `google_genai` → `gcp.gemini`, …): on our chat spans, and
// on an `invoke_agent` span from its first model run (until then, and for a run that calls no
// model, `langchain`). Content (inputs, outputs, tool arguments) is never recorded here. Loaded only when @langchain/core
// is first required or imported (table.ts `lean`; `esmFiles` for the subpath imports).

import type { Attributes, Context, Span } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { lineRequire } from '../../otel-line/line';
import { clientSpansUnder, watchClientSpans } from './client-spans';
import { ERROR_TYPE, INPUT_TOKENS, OPERATION, OUTPUT_TOKENS, PROVIDER, REQUEST_MODEL, RESPONSE_MODEL, SYSTEM } from './semconv';

export const LANGCHAIN_RANGE = '>=0.3.0 <2';
/** What an agent run's span names as its provider until its model tells (and when none does). */
const UNKNOWN_PROVIDER = 'langchain';

/** LangChain's `ls_provider` values whose name in the conventions differs (gen_ai.provider.name's well-known values). */
const PROVIDERS: Record<string, string> = {
  google_genai: 'gcp.gemini', google_vertexai: 'gcp.vertex_ai', google: 'gcp.gemini', vertexai: 'gcp.vertex_ai',
  amazon_bedrock: 'aws.bedrock', bedrock: 'aws.bedrock', bedrock_converse: 'aws.bedrock',
  azure: 'azure.ai.openai', azure_openai: 'azure.ai.openai', mistralai: 'mistral_ai', mistral: 'mistral_ai', xai: 'x_ai',
  ibm: 'ibm.watsonx.ai', watsonx: 'ibm.watsonx.ai',
};

/** The conventions' provider name for LangChain's `ls_provider` (unknown ones pass through as LangChain names them). */
export function providerOf(lsProvider: unknown): string | undefined {
  if (typeof lsProvider !== 'string' || !lsProvider) return undefined;
  return PROVIDERS[lsProvider.toLowerCase()] ?? lsProvider;
}
const HANDLER_NAME = 'otel_preload_tracer';

type Serialized = { id?: string[]; name?: string; kwargs?: Record<string, unknown> };
type Usage = { input_tokens?: number; output_tokens?: number };
type LLMResult = {
  llmOutput?: { tokenUsage?: { promptTokens?: number; completionTokens?: number }; model_name?: string; model?: string };
  generations?: Array<Array<{ message?: { usage_metadata?: Usage; response_metadata?: { model_name?: string; model?: string } } }>>;
};
type Manager = { handlers?: Array<{ name?: string }>; addHandler(h: unknown, inherit?: boolean): void };
type ManagerClass = { _configureSync?: (...a: unknown[]) => Manager | undefined; new (): Manager };
type ManagerExports = { CallbackManager?: ManagerClass };
type ChatModelExports = { BaseChatModel?: { prototype: Record<string, unknown> } };
type Generate = (this: unknown, messages: unknown, options?: { callbacks?: unknown }, callbacks?: unknown) => unknown;
type StreamIterator = (this: unknown, ...args: unknown[]) => AsyncGenerator<unknown>;

interface Run {
  /** The context children are parented to. */
  context: Context;
  span?: Span;
  model?: { started: number; startTime: number; parentKey: string; before: number; attributes: Attributes; name: string };
}

export function langchainInstrumentationClass(): new (options: Record<string, unknown>) => Instrumentation {
  const { InstrumentationBase, InstrumentationNodeModuleDefinition, InstrumentationNodeModuleFile } = lineRequire('@opentelemetry/instrumentation') as typeof import('@opentelemetry/instrumentation');
  const api = lineRequire('@opentelemetry/api') as typeof import('@opentelemetry/api');

  class LangChainInstrumentation extends InstrumentationBase {
    private readonly runs = new Map<string, Run>();
    /** Agent-run spans whose provider is not known yet (their first model run tells). */
    private readonly unnamed = new WeakSet<Span>();
    private readonly handler = this.makeHandler();

    constructor(options: Record<string, unknown> = {}) {
      super('otel-preload-langchain', '1.0.0', options);
      watchClientSpans();
    }

    protected init() {
      const file = (path: string) =>
        new InstrumentationNodeModuleFile(
          path,
          [LANGCHAIN_RANGE],
          (exports: ManagerExports) => {
            const cls = exports?.CallbackManager;
            if (cls && typeof cls._configureSync === 'function') this._wrap(cls as never, '_configureSync' as never, ((original: (...a: unknown[]) => Manager | undefined) => this.patchedConfigure(cls, original)) as never);
            return exports;
          },
          (exports: ManagerExports) => {
            if (exports?.CallbackManager) this._unwrap(exports.CallbackManager as never, '_configureSync' as never);
          },
        );
      const chatModels = (path: string) =>
        new InstrumentationNodeModuleFile(
          path,
          [LANGCHAIN_RANGE],
          (exports: ChatModelExports) => {
            const proto = exports?.BaseChatModel?.prototype;
            if (proto && typeof proto.generate === 'function') this._wrap(proto as never, 'generate' as never, ((original: Generate) => this.patchedGenerate(original)) as never);
            if (proto && typeof proto._streamIterator === 'function') this._wrap(proto as never, '_streamIterator' as never, ((original: StreamIterator) => this.patchedStream(original)) as never);
            return exports;
          },
          (exports: ChatModelExports) => {
            if (!exports?.BaseChatModel) return;
            this._unwrap(exports.BaseChatModel.prototype as never, 'generate' as never);
            this._unwrap(exports.BaseChatModel.prototype as never, '_streamIterator' as never);
          },
        );
      return [
        new InstrumentationNodeModuleDefinition('@langchain/core', [LANGCHAIN_RANGE], undefined, undefined, [
          file('@langchain/core/dist/callbacks/manager.cjs'),
          file('@langchain/core/dist/callbacks/manager.js'),
          chatModels('@langchain/core/dist/language_models/chat_models.cjs'),
          chatModels('@langchain/core/dist/language_models/chat_models.js'),
        ]),
      ];
    }

    /** The context of the run whose callbacks a model call was handed (`options.callbacks`, or generate's third argument). */
    private callerContext(options: unknown, callbacks?: unknown): Context | undefined {
      try {
        const manager = (options && typeof options === 'object' && !Array.isArray(options) ? (options as { callbacks?: unknown }).callbacks : undefined) ?? callbacks;
        const parentRunId = (manager as { getParentRunId?: () => string | undefined } | undefined)?.getParentRunId?.();
        return parentRunId !== undefined && this.isEnabled() ? this.runs.get(parentRunId)?.context : undefined;
      } catch {
        return undefined;
      }
    }

    /** The model call runs in the context of the run that made it (its callbacks' parent run). */
    private patchedGenerate(original: Generate): Generate {
      const self = this;
      return function (this: unknown, ...args: Parameters<Generate>) {
        const context = self.callerContext(args[1], args[2]);
        return context ? api.context.with(context, () => original.apply(this, args)) : original.apply(this, args);
      };
    }

    /**
     * The streamed model call, the same: the generator is driven in the calling run's context (its
     * body runs inside next(), and what it awaits carries that context on). The app gets a
     * generator of the same prototype whose next/return/throw are the original's, one call each:
     * nothing is read ahead or held.
     */
    private patchedStream(original: StreamIterator): StreamIterator {
      const self = this;
      return function (this: unknown, ...args: unknown[]) {
        const context = self.callerContext(args[1]);
        const generator = original.apply(this, args);
        if (!context || !generator || typeof generator.next !== 'function') return generator;
        try {
          const driven = Object.create(Object.getPrototypeOf(generator)) as AsyncGenerator<unknown>;
          for (const method of ['next', 'return', 'throw'] as const) {
            const fn = generator[method] as (v?: unknown) => Promise<IteratorResult<unknown>>;
            Object.defineProperty(driven, method, { value: (v?: unknown) => api.context.with(context, () => fn.call(generator, v)), configurable: true, writable: true });
          }
          return driven;
        } catch {
          return generator;
        }
      };
    }

    private patchedConfigure(cls: ManagerClass, original: (...a: unknown[]) => Manager | undefined) {
      const self = this;
      return function (this: unknown, ...args: unknown[]) {
        let manager = original.apply(this, args);
        if (!self.isEnabled()) return manager;
        try {
          manager ??= new cls();
          if (!manager.handlers?.some((h) => h?.name === HANDLER_NAME)) manager.addHandler(self.handler, true);
        } catch {
          // Telemetry never changes what LangChain runs.
        }
        return manager;
      };
    }

    private parentContext(parentRunId: string | undefined): Context {
      return (parentRunId !== undefined ? this.runs.get(parentRunId)?.context : undefined) ?? api.context.active();
    }

    private startSpan(runId: string, parentRunId: string | undefined, name: string, attributes: Attributes): void {
      const parent = this.parentContext(parentRunId);
      const span = this.tracer.startSpan(name, { kind: api.SpanKind.INTERNAL, attributes }, parent);
      this.runs.set(runId, { context: api.trace.setSpan(parent, span), span });
    }

    private endRun(runId: string, err?: unknown): void {
      const run = this.runs.get(runId);
      this.runs.delete(runId);
      if (!run?.span) return;
      if (err !== undefined) fail(run.span, err);
      run.span.end();
    }

    private startModel(llm: Serialized, runId: string, parentRunId: string | undefined, extraParams: Record<string, unknown> | undefined, metadata: Record<string, unknown> | undefined, operation: string): void {
      const parent = this.parentContext(parentRunId);
      // A provider span would be a child of the span active now (not of our run spans: callbacks
      // cannot make a span active for the run's body).
      const active = api.trace.getSpan(api.context.active())?.spanContext();
      const parentKey = active && api.trace.isSpanContextValid(active) ? `${active.traceId}/${active.spanId}` : '';
      const params = (extraParams?.invocation_params ?? {}) as Record<string, unknown>;
      const model = str(metadata?.ls_model_name) ?? str(params.model) ?? str(params.model_name) ?? str(llm?.kwargs?.model) ?? str(llm?.kwargs?.model_name);
      const told = providerOf(metadata?.ls_provider);
      const provider = told ?? llm?.id?.[llm.id.length - 1] ?? UNKNOWN_PROVIDER;
      // The agent run this model runs under (the nearest of our spans) takes the model's provider.
      const agent = told ? api.trace.getSpan(parent) : undefined;
      if (agent && this.unnamed.has(agent)) {
        this.unnamed.delete(agent);
        agent.setAttributes({ [PROVIDER]: told, [SYSTEM]: told });
      }
      const attributes: Attributes = { [OPERATION]: operation, [PROVIDER]: provider, [SYSTEM]: provider };
      if (model) attributes[REQUEST_MODEL] = model;
      // The provider's span would start after this callback: count those already there.
      this.runs.set(runId, { context: parent, model: { started: performance.now(), startTime: Date.now(), parentKey, before: clientSpansUnder(parentKey), attributes, name: model ? `${operation} ${model}` : operation } });
    }

    /** The model run's CLIENT span, only when no provider instrumentation made one under the same parent. */
    private endModel(runId: string, output: LLMResult | undefined, err?: unknown): void {
      const run = this.runs.get(runId);
      this.runs.delete(runId);
      const m = run?.model;
      if (!run || !m || clientSpansUnder(m.parentKey) > m.before) return;
      const span = this.tracer.startSpan(m.name, { kind: api.SpanKind.CLIENT, attributes: m.attributes, startTime: m.startTime }, run.context);
      if (err !== undefined) fail(span, err);
      else {
        const a: Attributes = {};
        const message = output?.generations?.[0]?.[0]?.message;
        const usage = message?.usage_metadata;
        const tokens = output?.llmOutput?.tokenUsage;
        const input = usage?.input_tokens ?? tokens?.promptTokens;
        const out = usage?.output_tokens ?? tokens?.completionTokens;
        if (typeof input === 'number') a[INPUT_TOKENS] = input;
        if (typeof out === 'number') a[OUTPUT_TOKENS] = out;
        const responseModel = str(message?.response_metadata?.model_name) ?? str(message?.response_metadata?.model) ?? str(output?.llmOutput?.model_name) ?? str(output?.llmOutput?.model);
        if (responseModel) a[RESPONSE_MODEL] = responseModel;
        span.setAttributes(a);
      }
      span.end(m.startTime + (performance.now() - m.started));
    }

    private makeHandler() {
      const self = this;
      const guard =
        <A extends unknown[]>(fn: (...a: A) => void) =>
        (...a: A): void => {
          if (!self.isEnabled()) return;
          try {
            fn(...a);
          } catch {
            // A callback never fails the run.
          }
        };
      return {
        name: HANDLER_NAME,
        // Inline, not queued: the callbacks see the run's active context.
        awaitHandlers: true,
        raiseError: false,
        ignoreLLM: false,
        ignoreChain: false,
        ignoreAgent: false,
        ignoreRetriever: true,
        ignoreCustomEvent: true,
        lc_serializable: false,
        copy() {
          return this;
        },
        handleChainStart: guard((chain: Serialized, _inputs: unknown, runId: string, parentRunId?: string, _tags?: unknown, _metadata?: unknown, _runType?: unknown, runName?: string) => {
          if (parentRunId !== undefined && self.runs.has(parentRunId)) {
            // A step inside a run: no span of its own.
            self.runs.set(runId, { context: self.parentContext(parentRunId) });
            return;
          }
          const name = runName ?? chain?.name ?? chain?.id?.[chain.id.length - 1] ?? 'chain';
          self.startSpan(runId, parentRunId, `invoke_agent ${name}`, { [OPERATION]: 'invoke_agent', 'gen_ai.agent.name': name, [PROVIDER]: UNKNOWN_PROVIDER });
          const span = self.runs.get(runId)?.span;
          if (span) self.unnamed.add(span);
        }),
        handleChainEnd: guard((_outputs: unknown, runId: string) => self.endRun(runId)),
        handleChainError: guard((err: unknown, runId: string) => self.endRun(runId, err)),
        handleToolStart: guard((tool: Serialized, _input: unknown, runId: string, parentRunId?: string, _tags?: unknown, _metadata?: unknown, runName?: string, toolCallId?: string) => {
          const name = runName ?? tool?.name ?? tool?.id?.[tool.id.length - 1] ?? 'tool';
          const attributes: Attributes = { [OPERATION]: 'execute_tool', 'gen_ai.tool.name': name, 'gen_ai.tool.type': 'function' };
          if (typeof toolCallId === 'string') attributes['gen_ai.tool.call.id'] = toolCallId;
          self.startSpan(runId, parentRunId, `execute_tool ${name}`, attributes);
        }),
        handleToolEnd: guard((_output: unknown, runId: string) => self.endRun(runId)),
        handleToolError: guard((err: unknown, runId: string) => self.endRun(runId, err)),
        handleChatModelStart: guard((llm: Serialized, _messages: unknown, runId: string, parentRunId?: string, extraParams?: Record<string, unknown>, _tags?: unknown, metadata?: Record<string, unknown>) =>
          self.startModel(llm, runId, parentRunId, extraParams, metadata, 'chat'),
        ),
        handleLLMStart: guard((llm: Serialized, _prompts: unknown, runId: string, parentRunId?: string, extraParams?: Record<string, unknown>, _tags?: unknown, metadata?: Record<string, unknown>) =>
          self.startModel(llm, runId, parentRunId, extraParams, metadata, 'text_completion'),
        ),
        handleLLMEnd: guard((output: LLMResult, runId: string) => self.endModel(runId, output)),
        handleLLMError: guard((err: unknown, runId: string) => self.endModel(runId, undefined, err)),
      };
    }
  }

  function fail(span: Span, err: unknown): void {
    const name = (err as { constructor?: { name?: string } })?.constructor?.name;
    span.setAttribute(ERROR_TYPE, name && name !== 'Object' ? name : '_OTHER');
    span.setStatus({ code: api.SpanStatusCode.ERROR, message: (err as Error)?.message });
  }
  return LangChainInstrumentation as never;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}
