// One model call as our own lean GenAI instrumentations record it (google.ts): a CLIENT span
// `{gen_ai.operation.name} {gen_ai.request.model}` under the active span, the SDK's HTTP request
// under it, ended with the response's model, id, finish reasons and token usage, or with
// `error.type`. Streams pass through chunk by chunk (nothing is buffered); the first chunk sets
// `gen_ai.response.time_to_first_chunk`. The metrics come from span-metrics.ts, from the ended span.
// Content (prompts, completions) only when asked, redacted and bounded (content.ts).

import type { Attributes, Context, Span, Tracer } from '@opentelemetry/api';
import { lineRequire } from '../../otel-line/line';
import { contentAttribute } from './content';
import {
  CACHE_READ_TOKENS, CACHE_WRITE_TOKENS, ERROR_TYPE, FINISH_REASONS, INPUT_MESSAGES, INPUT_TOKENS, OPERATION, OUTPUT_MESSAGES, OUTPUT_TOKENS,
  PROVIDER, REASONING_TOKENS, REQUEST_MODEL, RESPONSE_ID, RESPONSE_MODEL, SYSTEM, SYSTEM_INSTRUCTIONS, TIME_TO_FIRST_CHUNK,
} from './semconv';

export interface CallInfo {
  provider: string;
  operation: string;
  model?: string;
  serverAddress?: string;
  serverPort?: number;
  attributes?: Attributes;
  /** Content, read only when capture is on. */
  input?: () => unknown;
  system?: () => unknown;
}

export interface CallResult {
  responseModel?: string;
  responseId?: string;
  finishReasons?: string[];
  inputTokens?: number;
  outputTokens?: number;
  cacheRead?: number;
  cacheWrite?: number;
  reasoning?: number;
  output?: () => unknown;
}

export class GenAiCall {
  readonly span: Span;
  readonly context: Context;
  private readonly started = performance.now();
  private ended = false;
  private sawChunk = false;

  constructor(tracer: Tracer, private readonly capture: boolean, info: CallInfo) {
    const api = lineRequire('@opentelemetry/api') as typeof import('@opentelemetry/api');
    const attributes: Attributes = { [OPERATION]: info.operation, [PROVIDER]: info.provider, [SYSTEM]: info.provider, ...info.attributes };
    if (info.model !== undefined) attributes[REQUEST_MODEL] = info.model;
    if (info.serverAddress) attributes['server.address'] = info.serverAddress;
    if (info.serverPort) attributes['server.port'] = info.serverPort;
    if (capture) {
      setContent(attributes, INPUT_MESSAGES, info.input);
      setContent(attributes, SYSTEM_INSTRUCTIONS, info.system);
    }
    this.span = tracer.startSpan(info.model ? `${info.operation} ${info.model}` : info.operation, { kind: api.SpanKind.CLIENT, attributes });
    this.context = api.trace.setSpan(api.context.active(), this.span);
  }

  chunk(): void {
    if (this.sawChunk) return;
    this.sawChunk = true;
    this.span.setAttribute(TIME_TO_FIRST_CHUNK, (performance.now() - this.started) / 1000);
  }

  end(result: CallResult): void {
    if (this.ended) return;
    this.ended = true;
    const a: Attributes = {};
    const put = (k: string, v: unknown) => {
      if (v !== undefined && v !== null && !(typeof v === 'number' && !Number.isFinite(v))) a[k] = v as string;
    };
    put(RESPONSE_MODEL, result.responseModel);
    put(RESPONSE_ID, result.responseId);
    if (result.finishReasons?.length) a[FINISH_REASONS] = result.finishReasons;
    put(INPUT_TOKENS, result.inputTokens);
    put(OUTPUT_TOKENS, result.outputTokens);
    put(CACHE_READ_TOKENS, result.cacheRead);
    put(CACHE_WRITE_TOKENS, result.cacheWrite);
    put(REASONING_TOKENS, result.reasoning);
    if (this.capture) setContent(a, OUTPUT_MESSAGES, result.output);
    this.span.setAttributes(a);
    this.span.end();
  }

  /** `type`: the error.type when the caller knows it better than the error's class (vercel-ai.ts). */
  fail(err: unknown, type?: string): void {
    if (this.ended) return;
    this.ended = true;
    const api = lineRequire('@opentelemetry/api') as typeof import('@opentelemetry/api');
    const status = (err as { status?: unknown; code?: unknown })?.status ?? (err as { code?: unknown })?.code;
    const name = (err as { constructor?: { name?: string } })?.constructor?.name;
    // The SDK's error class (RateLimitError) when it names the failure, else the HTTP status when the
    // class is generic (Google's ApiError), as the conventions' error.type wants: low cardinality.
    const generic = !name || ['Error', 'ApiError', 'APIError', 'Object', 'TypeError'].includes(name);
    // An aborted fetch rejects with a DOMException: its name (AbortError, TimeoutError) is the type.
    type ??= name === 'DOMException' ? abortType(err) : !generic ? name! : typeof status === 'number' ? String(status) : (name ?? '_OTHER');
    this.span.setAttribute(ERROR_TYPE, type);
    this.span.setStatus({ code: api.SpanStatusCode.ERROR, message: (err as Error)?.message });
    this.span.end();
  }

  /** Runs `fn` with this call's span active, so the SDK's HTTP request is its child. */
  run<T>(fn: () => T): T {
    const api = lineRequire('@opentelemetry/api') as typeof import('@opentelemetry/api');
    return api.context.with(this.context, fn);
  }
}

function setContent(into: Attributes, key: string, read: (() => unknown) | undefined): void {
  if (!read) return;
  try {
    const value = read();
    if (value === undefined || value === null) return;
    const text = contentAttribute(value);
    if (text !== undefined) into[key] = text;
  } catch {
    // Content is optional: a shape we cannot read is left out.
  }
}

/**
 * The error.type of a call the app cut short: the abort reason's name when it has one (`AbortError`
 * from `AbortController.abort()`, `TimeoutError` from `AbortSignal.timeout()`), else `AbortError`.
 * The call did not complete (no final usage, no finish reason), so it is not counted as a success.
 */
export function abortType(reason: unknown): string {
  const name = (reason as { name?: unknown })?.name;
  return typeof name === 'string' && /^[A-Za-z_]{1,64}$/.test(name) && name !== 'Error' ? name : 'AbortError';
}

/** What ends a call the app stopped reading, or aborted, before the provider finished it. */
export function abortError(reason?: unknown): Error {
  const err = new Error(reason instanceof Error && reason.message ? reason.message : 'the stream was stopped by the app before its end');
  err.name = abortType(reason);
  return err;
}

/**
 * A stream's chunks, passed on as they come; `onChunk` gathers what the end needs. The call ends
 * when the stream does, or with the error that broke it. A stream the app stops reading early
 * (break, `return()`) or aborts (its AbortSignal, the SDK's `controller.abort()`: the Stainless
 * SDKs then end the iteration quietly) ends with error.type `AbortError`. `aborted` tells the
 * latter: the abort reason when the SDK's request was aborted, else undefined.
 */
export async function* observeStream<T>(stream: AsyncIterable<T>, call: GenAiCall, onChunk: (chunk: T) => void, result: () => CallResult, aborted?: () => unknown): AsyncGenerator<T> {
  let failed = false;
  let completed = false;
  try {
    for await (const chunk of stream) {
      call.chunk();
      try {
        onChunk(chunk);
      } catch {
        // Telemetry never breaks the app's stream.
      }
      yield chunk;
    }
    completed = true;
  } catch (err) {
    failed = true;
    call.fail(err);
    throw err;
  } finally {
    if (!failed) {
      let reason: unknown;
      try {
        reason = aborted?.();
      } catch {
        reason = undefined;
      }
      if (!completed || reason !== undefined) {
        const err = abortError(reason);
        call.fail(err, err.name);
      } else call.end(result());
    }
  }
}
