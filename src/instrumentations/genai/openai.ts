// The openai instrumentation: upstream's @opentelemetry/instrumentation-openai (spans, both GenAI
// metrics, the GenAI log events), with what it lacks for our use (docs/decisions.md, "GenAI"):
// - openai 7: upstream declares `>=4.19 <7`, and 7.0 changed only its Node floor; the range is
//   extended to `<8` (test/e2e/genai-openai.test.ts runs 4.19, 6 and 7 through the same patch);
// - a stream that fails or is cut mid-way ends its span with `error.type` (upstream leaves it open);
//   so does a stream the app stops reading early or aborts (its AbortSignal, `stream.controller.abort()`:
//   the SDK then ends the iteration quietly, and upstream counted it a success), as `AbortError`;
// - `gen_ai.response.time_to_first_chunk` on streamed calls, cache-read and reasoning tokens;
// - a Responses call cut short (status `incomplete`): its finish reason is the API's reason
//   (`max_output_tokens`, `content_filter`), not upstream's `stop`; streamed, it ends with
//   `response.incomplete`, whose usage upstream ignores (it reads `response.completed` only);
// - `gen_ai.provider.name` and `gen_ai.system` on every span and metric point (upstream sets one or the other);
// - content: only with OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT (upstream puts a
//   Responses call's `instructions` on the span regardless, as a bare string: ours is the
//   conventions' list of parts), and then bounded and redacted (content.ts) in the log events and on the span;
// - upstream `then`s the app's own APIPromise to read the result, which makes the SDK parse (read)
//   the response body; `.asResponse()` + a body read, and the `parse()` helpers (which parse the
//   same response again through `_thenUnwrap`) then fail with "Body has already been read"
//   (upstream issue open-telemetry/opentelemetry-js-contrib#3586). Upstream observes a twin
//   promise instead (`twin` below), parsed from a clone of the response; the app's promise is left
//   untouched, so every method of it works as without the preload.
// Loaded only when `openai` is first required or imported (table.ts `lean`).

import type { AttributeValue, Attributes, Span, SpanOptions, Tracer } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { lineRequire } from '../../otel-line/line';
import { abortType } from './call';
import { redactValue, contentAttribute } from './content';
import {
  CACHE_READ_TOKENS, CONTENT_ATTRIBUTES, ERROR_TYPE, FINISH_REASONS, INPUT_TOKENS, OUTPUT_TOKENS, PROVIDER, REASONING_TOKENS, RESPONSE_MODEL, SYSTEM,
  SYSTEM_INSTRUCTIONS, TIME_TO_FIRST_CHUNK,
} from './semconv';

export const OPENAI_RANGE = '>=4.19.0 <8';

type Config = { captureMessageContent?: boolean };
// Upstream's class is reached by its JavaScript shape (its protected members are not in its types).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Upstream = new (config?: Record<string, unknown>) => any;
type StreamHandler = (iterator: AsyncIterator<unknown>, span: Span, startNow: number, ...rest: unknown[]) => AsyncGenerator<unknown>;
/** The stream's AbortController (the SDK's Stream has one per request), by the span of its call. */
const controllers = new WeakMap<object, { signal?: AbortSignal }>();
/** Thrown into upstream's stream handler when the stream ended because it was aborted (not passed to the app). */
const ABORTED = Symbol('aborted');
/** A Responses API response (or a stream's final event's): what ends it. */
type ResponseEnd = { status?: string; model?: string; incomplete_details?: { reason?: string } | null; usage?: { input_tokens?: number; output_tokens?: number } };
type Usage = { prompt_tokens_details?: { cached_tokens?: number }; completion_tokens_details?: { reasoning_tokens?: number }; input_tokens_details?: { cached_tokens?: number }; output_tokens_details?: { reasoning_tokens?: number } };

export function leanOpenAiInstrumentationClass(): new (options: Record<string, unknown>) => Instrumentation {
  const { OpenAIInstrumentation } = lineRequire('@opentelemetry/instrumentation-openai') as { OpenAIInstrumentation: Upstream };
  const { SpanStatusCode } = lineRequire('@opentelemetry/api') as typeof import('@opentelemetry/api');
  const proto = OpenAIInstrumentation.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;

  class OpenAiInstrumentation extends OpenAIInstrumentation {
    private wrappedTracer?: { of: Tracer; tracer: Tracer };
    private wrappedLogger?: { of: unknown; logger: unknown };

    constructor(options: Record<string, unknown> = {}) {
      super(options);
      // Upstream's constructor reads OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT itself; our
      // configuration (environment, file, OpAMP) decides instead.
      this.setConfig({ ...this.getConfig(), captureMessageContent: options.captureMessageContent === true });
    }

    init() {
      const definitions = super.init() as Array<{ supportedVersions: string[] }>;
      for (const d of definitions) d.supportedVersions = [OPENAI_RANGE];
      return definitions as never;
    }

    /** Upstream's metric points carry one provider attribute or the other (chat: gen_ai.system only); ours carry both, as the spans do. */
    _updateMetricInstruments() {
      (proto._updateMetricInstruments as () => void).call(this);
      const self = this as unknown as Record<string, { record(v: number, a?: Attributes): void } | undefined>;
      for (const name of ['_genaiClientOperationDuration', '_genaiClientTokenUsage']) {
        const histogram = self[name];
        if (!histogram || typeof histogram.record !== 'function') continue;
        const record = histogram.record.bind(histogram);
        self[name] = { record: (value: number, attributes?: Attributes) => record(value, attributes ? bothProviders(attributes) : attributes) };
      }
    }

    private get capture(): boolean {
      return (this.getConfig() as Config).captureMessageContent === true;
    }

    /** Every span upstream starts goes through here: both provider attributes, content only when asked. */
    get tracer(): Tracer {
      const of = super.tracer as Tracer;
      if (this.wrappedTracer?.of === of) return this.wrappedTracer.tracer;
      const self = this;
      const tracer: Tracer = {
        startSpan(name: string, options?: SpanOptions, context?: import('@opentelemetry/api').Context) {
          return of.startSpan(name, options?.attributes ? { ...options, attributes: self.spanAttributes(options.attributes) } : options, context);
        },
        startActiveSpan: of.startActiveSpan.bind(of) as Tracer['startActiveSpan'],
      };
      this.wrappedTracer = { of, tracer };
      return tracer;
    }

    /** The GenAI log events: content redacted and bounded (upstream only leaves it out when off). */
    get logger() {
      const of = super.logger as { emit(record: Record<string, unknown>): void };
      if (this.wrappedLogger?.of === of) return this.wrappedLogger.logger as never;
      const logger = {
        emit: (record: Record<string, unknown>) => {
          try {
            record = { ...record, body: redactValue(record.body), attributes: redactValue(record.attributes) };
          } catch {
            return;
          }
          of.emit(record);
        },
      };
      this.wrappedLogger = { of, logger };
      return logger as never;
    }

    private spanAttributes(attributes: Attributes): Attributes {
      const out: Attributes = { ...attributes };
      const provider = out[PROVIDER] ?? out[SYSTEM];
      if (provider !== undefined) {
        out[PROVIDER] = provider;
        out[SYSTEM] = provider;
      }
      for (const key of CONTENT_ATTRIBUTES) {
        if (out[key] === undefined) continue;
        if (!this.capture) delete out[key];
        // A Responses call's `instructions` string, in the conventions' shape (a list of parts), as ours record it.
        else if (key === SYSTEM_INSTRUCTIONS && typeof out[key] === 'string') out[key] = contentAttribute([{ type: 'text', content: out[key] }]);
        else out[key] = typeof out[key] === 'string' ? (redactValue(out[key]) as string) : contentAttribute(out[key]);
        if (out[key] === undefined) delete out[key];
      }
      return out;
    }

    _getPatchedChatCompletionsCreate() {
      return observeTwin(proto._getPatchedChatCompletionsCreate.call(this) as Patch, noteController);
    }

    _getPatchedEmbeddingsCreate() {
      return observeTwin(proto._getPatchedEmbeddingsCreate.call(this) as Patch, noteController);
    }

    _getPatchedResponsesCreate() {
      return observeTwin(proto._getPatchedResponsesCreate.call(this) as Patch, noteController);
    }

    _onChatCompletionsStreamIterator(iterator: AsyncIterator<unknown>, span: Span, startNow: number, ...rest: unknown[]) {
      return this.guardedStream(proto._onChatCompletionsStreamIterator as StreamHandler, iterator, span, startNow, rest);
    }

    _onResponsesStreamIterator(iterator: AsyncIterator<unknown>, span: Span, startNow: number, ...rest: unknown[]) {
      return this.guardedStream(proto._onResponsesStreamIterator as StreamHandler, iterator, span, startNow, rest);
    }

    _onChatCompletionsCreateResult(span: Span, ...rest: unknown[]) {
      detailTokens(span, (rest[2] as { usage?: Usage } | undefined)?.usage);
      return proto._onChatCompletionsCreateResult.call(this, span, ...rest);
    }

    _onResponsesCreateResult(span: Span, ...rest: unknown[]) {
      const result = rest[2] as (ResponseEnd & { usage?: Usage }) | undefined;
      detailTokens(span, result?.usage);
      // Upstream names the finish reason from the output items (`stop`): an incomplete response's is the API's reason.
      const reason = incompleteReason(result);
      return proto._onResponsesCreateResult.call(this, reason ? forcing(span, FINISH_REASONS, [reason]) : span, ...rest);
    }

    /** A stream's final `response.incomplete`: the reason, and the usage upstream records only from `response.completed`. */
    private incomplete(span: Span, response: ResponseEnd | undefined, commonAttrs: Attributes | undefined): void {
      const reason = incompleteReason(response);
      if (reason) span.setAttribute(FINISH_REASONS, [reason]);
      const usage = response?.usage;
      const tokens = (this as unknown as { _genaiClientTokenUsage?: { record(v: number, a: Attributes): void } })._genaiClientTokenUsage;
      for (const [key, n, type] of [[INPUT_TOKENS, usage?.input_tokens, 'input'], [OUTPUT_TOKENS, usage?.output_tokens, 'output']] as const) {
        if (typeof n !== 'number' || !Number.isFinite(n)) continue;
        span.setAttribute(key, n);
        tokens?.record(n, { ...commonAttrs, ...(response?.model ? { [RESPONSE_MODEL]: response.model } : {}), 'gen_ai.token.type': type });
      }
    }

    /**
     * Upstream's stream handler, fed through a pass-through iterator that notes the first chunk and
     * the detail tokens of usage chunks; chunks reach the app as they arrive (nothing is buffered).
     * A stream that throws (connection cut, bad event) ends the span with the error.
     */
    private async *guardedStream(handler: StreamHandler, iterator: AsyncIterator<unknown>, span: Span, startNow: number, rest: unknown[]): AsyncGenerator<unknown> {
      let first = true;
      const observed: AsyncIterator<unknown> = {
        next: async (...args: [] | [unknown]) => {
          const r = await iterator.next(...args);
          if (r.done) {
            const signal = controllers.get(span)?.signal;
            if (signal?.aborted) throw ABORTED;
          } else {
            if (first) {
              first = false;
              span.setAttribute(TIME_TO_FIRST_CHUNK, (performance.now() - startNow) / 1000);
            }
            const chunk = r.value as { type?: string; usage?: Usage; response?: ResponseEnd & { usage?: Usage } } | undefined;
            detailTokens(span, chunk?.usage ?? chunk?.response?.usage);
            if (chunk?.type === 'response.incomplete') this.incomplete(span, chunk.response, rest[1] as Attributes | undefined);
          }
          return r;
        },
        return: iterator.return ? (v?: unknown) => iterator.return!(v) : undefined,
        throw: iterator.throw ? (e?: unknown) => iterator.throw!(e) : undefined,
      };
      const fail = (type: string, message: string | undefined) => {
        if (!span.isRecording()) return;
        span.setAttribute(ERROR_TYPE, type);
        span.setStatus({ code: SpanStatusCode.ERROR, message });
        span.end();
        // Upstream records the duration only when a stream completes: a failed one counts too.
        const commonAttrs = rest[1] as Attributes | undefined;
        (this as unknown as { _genaiClientOperationDuration?: { record(v: number, a: Attributes): void } })._genaiClientOperationDuration?.record((performance.now() - startNow) / 1000, { ...commonAttrs, [ERROR_TYPE]: type });
      };
      const stopped = 'the stream was stopped by the app before its end';
      try {
        yield* handler.call(this, observed, span, startNow, ...rest);
      } catch (err) {
        if (err === ABORTED) {
          // Aborted: the SDK ended the app's loop quietly, and so do we (the app sees what it would without us).
          const reason = controllers.get(span)?.signal?.reason;
          fail(abortType(reason), (reason as Error | undefined)?.message || stopped);
          return;
        }
        fail((err as { constructor?: { name?: string } })?.constructor?.name || '_OTHER', (err as Error)?.message);
        throw err;
      } finally {
        // The app stopped reading early (break, return): upstream's handler never reaches its end,
        // and the call never completed (the SDK aborts its request).
        fail('AbortError', stopped);
      }
    }
  }
  return OpenAiInstrumentation as never;
}

type Fn = (this: unknown, ...args: unknown[]) => unknown;
type Patch = (original: Fn) => Fn;
type Response = { clone?: () => Response; bodyUsed?: boolean };
type Props = { response?: Response };
type ApiPromise = Promise<unknown> & { responsePromise?: Promise<Props>; _thenUnwrap?: (f: (x: unknown) => unknown) => ApiPromise };

/**
 * Upstream's patch, handed an `original` that returns a twin of the SDK's APIPromise: upstream
 * `then`s the twin (span, metrics, events as before), the app gets the SDK's own promise. Streams
 * keep the real promise: upstream wraps the Stream object the app iterates, and making it does
 * not read the body.
 */
function observeTwin(upstreamPatch: Patch, onStream: (real: ApiPromise) => void): Patch {
  return (original) =>
    function patchedCreate(this: unknown, ...args: unknown[]) {
      let real: unknown;
      let shadow: unknown;
      const stand: Fn = function (this: unknown, ...a: unknown[]) {
        real = original.apply(this, a);
        const streamed = Boolean((a[0] as { stream?: unknown } | undefined)?.stream);
        if (streamed) onStream(real as ApiPromise);
        shadow = streamed ? real : twin(real as ApiPromise);
        return shadow;
      };
      const out = upstreamPatch(stand).apply(this, args);
      if (shadow !== undefined && out === shadow) return real;
      if (real !== undefined && out !== real) keepResponseMethods(out, real as ApiPromise);
      return out;
    };
}

/**
 * A streamed call's AbortController, noted for its span (upstream runs the SDK call with the span
 * active) before the app can iterate: this `then` is registered before upstream's and the app's.
 */
function noteController(real: ApiPromise): void {
  try {
    const { trace } = lineRequire('@opentelemetry/api') as typeof import('@opentelemetry/api');
    const span = trace.getActiveSpan();
    if (!span || typeof real?.then !== 'function') return;
    real.then((stream) => {
      const controller = (stream as { controller?: { signal?: AbortSignal } } | null)?.controller;
      if (controller && typeof controller === 'object') controllers.set(span, controller);
    }, () => undefined);
  } catch {
    // No controller known: an aborted stream then counts as upstream counts it.
  }
}

/**
 * A streamed Responses call: upstream hands the app `apiPromise.then(wrap the stream)`, a plain
 * promise without the APIPromise's `asResponse()` / `withResponse()`. They are lent from the real
 * promise: its parse is the one upstream already started (cached), so `withResponse().data` is the
 * very Stream upstream wrapped. Not made an APIPromise: openai 7's `responses.stream()` would then
 * `_thenUnwrap` it into a second Stream that upstream never sees.
 */
function keepResponseMethods(out: unknown, real: ApiPromise): void {
  const target = out as Record<string, unknown> | null;
  const from = real as unknown as Record<string, unknown> | null;
  if (!target || typeof target.then !== 'function' || !from) return;
  for (const name of ['asResponse', 'withResponse']) {
    const method = from[name];
    if (typeof method === 'function' && !(name in target)) {
      Object.defineProperty(target, name, { value: (...a: unknown[]) => (method as Fn).apply(real, a), configurable: true, writable: true });
    }
  }
}

/**
 * A second APIPromise on the same HTTP response, parsing a clone of its body (tee'd: the app's
 * body stays unread). `_thenUnwrap` keeps the SDK's own parser and client (a private field in
 * openai 5+); its response promise is then swapped for one that hands out the clone. Taken on
 * the same tick as the request, before the app can read the body. Any other shape: the real promise.
 */
function twin(real: ApiPromise): unknown {
  try {
    if (typeof real?._thenUnwrap !== 'function' || typeof real.responsePromise?.then !== 'function') return real;
    const shadow = real._thenUnwrap((x) => x);
    shadow.responsePromise = real.responsePromise.then((props) => {
      const response = props?.response;
      if (typeof response?.clone !== 'function' || response.bodyUsed) return props;
      return { ...props, response: response.clone() };
    });
    return shadow;
  } catch {
    return real;
  }
}

function incompleteReason(response: ResponseEnd | undefined): string | undefined {
  if (response?.status !== 'incomplete') return undefined;
  const reason = response.incomplete_details?.reason;
  return typeof reason === 'string' && reason ? reason : 'incomplete';
}

/** The span as upstream sees it, with `key` set to `value` whatever upstream sets it to. */
function forcing(span: Span, key: string, value: AttributeValue): Span {
  return new Proxy(span, {
    get(target, prop) {
      if (prop === 'setAttribute') {
        return (k: string, v: AttributeValue) => {
          target.setAttribute(k, k === key ? value : v);
          return target;
        };
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

function bothProviders(attributes: Attributes): Attributes {
  const provider = attributes[PROVIDER] ?? attributes[SYSTEM];
  return provider === undefined || (attributes[PROVIDER] !== undefined && attributes[SYSTEM] !== undefined) ? attributes : { ...attributes, [PROVIDER]: provider, [SYSTEM]: provider };
}

function detailTokens(span: Span, usage: Usage | undefined): void {
  if (!usage) return;
  const cached = usage.prompt_tokens_details?.cached_tokens ?? usage.input_tokens_details?.cached_tokens;
  const reasoning = usage.completion_tokens_details?.reasoning_tokens ?? usage.output_tokens_details?.reasoning_tokens;
  if (typeof cached === 'number') span.setAttribute(CACHE_READ_TOKENS, cached);
  if (typeof reasoning === 'number') span.setAttribute(REASONING_TOKENS, reasoning);
}
