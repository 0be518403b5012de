// The two GenAI client metrics, from ended GenAI spans, for every span whose maker does not record
// them itself: SDKs that trace themselves through @opentelemetry/api (Anthropic), and our own lean
// instrumentations (anthropic.ts, google.ts), which leave metrics to this one place so that each
// call is counted exactly once. The upstream openai instrumentation records both metrics itself,
// and so does the aws-sdk instrumentation for Bedrock Runtime (Converse, InvokeModel): their
// scopes are skipped here. At start, and again at end (an SDK may set one after start), a GenAI span
// gets both gen_ai.provider.name and gen_ai.system.
// The Anthropic SDK's own model-call spans are renamed at start to the conventions' shape, and its
// span of a call the app aborted (or a stream it closed early) gets error.type at end (sdk-abort.ts).
// Costs two attribute reads per span that is not a GenAI span.

import type { Attributes, Histogram, Meter } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { lineRequire } from '../../otel-line/line';
import { isWatchingClientSpans, noteClientSpan } from './client-spans';
import { markSdkAbort, noteSdkMessagesCreate } from './sdk-abort';
import { isAnthropicSdkSpan, scopeName } from './scope';
import { DURATION_BUCKETS, ERROR_TYPE, INPUT_TOKENS, METRIC_DURATION, METRIC_TOKEN_USAGE, OPERATION, OUTPUT_TOKENS, PROVIDER, REQUEST_MODEL, RESPONSE_MODEL, SYSTEM, TOKEN_BUCKETS } from './semconv';

/** Scopes whose instrumentation records gen_ai.client.* itself. */
export const RECORDS_OWN_METRICS = new Set(['@opentelemetry/instrumentation-openai', '@opentelemetry/instrumentation-aws-sdk']);
export const METER_NAME = 'otel-preload-genai';

const SPAN_KIND_CLIENT = 2;
const SPAN_KIND_INTERNAL = 0;

export class GenAiSpanMetricsProcessor implements SpanProcessor {
  private instruments?: { duration: Histogram; tokens: Histogram };
  /** Spans of a self-recording scope whose metrics that scope does not record after all. */
  private readonly completed = new WeakSet<object>();

  /** Both provider attributes on every GenAI span (instrumentations set one or the other; consumers read either). */
  onStart(span: Span): void {
    const a = span.attributes;
    noteSdkMessagesCreate(span);
    renameSdkSpan(span);
    if (isWatchingClientSpans() && span.kind === SPAN_KIND_CLIENT && a[OPERATION] !== undefined && a[OPERATION] !== 'execute_tool') noteProviderSpan(span);
    const provider = pairProvider(span);
    if (provider === undefined) return;
    // Bedrock's InvokeModel spans (aws-sdk instrumentation) have no operation name and no metrics:
    // they get both here, so that every Bedrock call is counted (Converse records its own).
    if (a[OPERATION] === undefined && provider === 'aws.bedrock' && String(a['rpc.method']).startsWith('InvokeModel')) {
      span.setAttribute(OPERATION, 'chat');
      this.completed.add(span);
    }
  }

  /** Before the span is read-only: what the metric at onEnd and the exported span must both carry. */
  onEnding(span: Span): void {
    // Again at end: an SDK may set its provider attribute after start.
    pairProvider(span);
    markSdkAbort(span);
  }

  onEnd(span: ReadableSpan): void {
    const a = span.attributes;
    redactSdkContent(span);
    const operation = a[OPERATION];
    if (typeof operation !== 'string') return;
    // Agent and tool spans (invoke_agent, execute_tool) are INTERNAL: the model calls are the CLIENT
    // ones. An MCP tool call is a CLIENT execute_tool span: no model call either (mcp.ts has its metrics).
    if (operation === 'execute_tool') return;
    if (span.kind !== SPAN_KIND_CLIENT && !(span.kind === SPAN_KIND_INTERNAL && operation !== 'invoke_agent')) return;
    if (RECORDS_OWN_METRICS.has(scopeName(span)) && !this.completed.has(span)) return;
    try {
      const { duration, tokens } = (this.instruments ??= createInstruments());
      const provider = a[PROVIDER] ?? a[SYSTEM];
      const attrs: Attributes = { [OPERATION]: operation };
      if (provider !== undefined) attrs[PROVIDER] = provider;
      for (const key of [REQUEST_MODEL, RESPONSE_MODEL, 'server.address', 'server.port', ERROR_TYPE]) if (a[key] !== undefined) attrs[key] = a[key];
      // An error recorded only as the span status still counts as an error (`_OTHER`, as the conventions say).
      if (attrs[ERROR_TYPE] === undefined && span.status?.code === 2) attrs[ERROR_TYPE] = '_OTHER';
      const [s, ns] = span.duration;
      duration.record(s + ns / 1e9, attrs);
      for (const [key, type] of [[INPUT_TOKENS, 'input'], [OUTPUT_TOKENS, 'output']] as const) {
        const n = a[key];
        if (typeof n === 'number' && Number.isFinite(n) && n >= 0) tokens.record(n, { ...attrs, 'gen_ai.token.type': type });
      }
    } catch {
      // Metrics are a by-product: a failure here never touches the span or the app.
    }
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** Both provider attributes, from whichever the span has; the provider, if any. */
function pairProvider(span: Span): unknown {
  const a = span.attributes;
  const provider = a[PROVIDER] ?? a[SYSTEM];
  if (provider === undefined) return undefined;
  if (a[PROVIDER] === undefined) span.setAttribute(PROVIDER, provider);
  else if (a[SYSTEM] === undefined) span.setAttribute(SYSTEM, provider);
  return provider;
}

/**
 * The Anthropic SDK names its spans after its methods (`anthropic.messages.create`); a model call's
 * span gets the conventions' name, `{gen_ai.operation.name} {gen_ai.request.model}`, as every other
 * GenAI span has. Its other spans (count_tokens, sessions) keep theirs.
 */
function renameSdkSpan(span: Span): void {
  const a = span.attributes;
  const operation = a[OPERATION];
  const model = a[REQUEST_MODEL];
  if (typeof operation !== 'string' || typeof model !== 'string' || !span.name.startsWith('anthropic.')) return;
  if (!isAnthropicSdkSpan(span)) return;
  span.updateName(`${operation} ${model}`);
}

const CONTENT_KEYS = ['gen_ai.input.messages', 'gen_ai.output.messages', 'gen_ai.system_instructions', 'gen_ai.tool.definitions'];

/**
 * The Anthropic SDK records content itself when the app asks it to (its own switch): that content
 * gets the redaction and bounds of ours (content.ts) before it leaves, as every captured value does.
 * Mutated in place at end: this processor runs before the exporting ones (providers/traces.ts).
 */
function redactSdkContent(span: ReadableSpan): void {
  if (!isAnthropicSdkSpan(span)) return;
  const a = span.attributes as Record<string, unknown>;
  if (!CONTENT_KEYS.some((key) => typeof a[key] === 'string')) return;
  const { contentAttribute, redactText } = require('./content') as typeof import('./content');
  for (const key of CONTENT_KEYS) {
    const value = a[key];
    if (typeof value !== 'string') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      a[key] = redactText(value);
      continue;
    }
    a[key] = contentAttribute(parsed) ?? '';
  }
}

/** LangChain's own chat spans are not provider spans (langchain.ts asks about the others). */
function noteProviderSpan(span: Span): void {
  if (scopeName(span) === 'otel-preload-langchain') return;
  // 2.x: parentSpanId; 3.x: parentSpanContext.
  const s = span as unknown as { parentSpanId?: string; parentSpanContext?: { spanId?: string } };
  const parent = s.parentSpanContext?.spanId ?? s.parentSpanId;
  noteClientSpan(parent ? `${span.spanContext().traceId}/${parent}` : '');
}

function createInstruments(): { duration: Histogram; tokens: Histogram } {
  const { metrics } = lineRequire('@opentelemetry/api') as typeof import('@opentelemetry/api');
  const meter: Meter = metrics.getMeterProvider().getMeter(METER_NAME);
  return {
    duration: meter.createHistogram(METRIC_DURATION, { description: 'GenAI operation duration', unit: 's', advice: { explicitBucketBoundaries: DURATION_BUCKETS } }),
    tokens: meter.createHistogram(METRIC_TOKEN_USAGE, { description: 'Measures number of input and output tokens used', unit: '{token}', advice: { explicitBucketBoundaries: TOKEN_BUCKETS } }),
  };
}
