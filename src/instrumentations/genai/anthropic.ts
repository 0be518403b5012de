// @anthropic-ai/sdk before 0.134: the releases that make no spans of their own. From 0.134 the SDK
// traces itself through @opentelemetry/api (its spans get our metrics from span-metrics.ts); the
// range below stops there, so a call never gets two spans. Patches `Messages.prototype.create`
// (plain and `stream: true`; the `messages.stream()` helper calls it too). The SDK's APIPromise is
// returned as it is (its `withResponse()` and `asResponse()` stay); a stream's iterator is wrapped
// on the instance, chunks passing through as they come. Loaded only when the SDK is first
// required or imported (table.ts `lean`).

import type { Instrumentation } from '@opentelemetry/instrumentation';
import { lineRequire } from '../../otel-line/line';
import { GenAiCall, observeStream, type CallResult } from './call';
import { toInstructions, toMessages, toOutput } from './messages';

/** The last release without its own tracing is 0.133; 0.134 added it. */
export const ANTHROPIC_RANGE = '>=0.20.0 <0.134.0';

type Usage = { input_tokens?: number; output_tokens?: number; cache_read_input_tokens?: number | null; cache_creation_input_tokens?: number | null };
type Message = { id?: string; model?: string; stop_reason?: string | null; usage?: Usage; content?: unknown };
type StreamEvent = { type?: string; message?: Message; delta?: { stop_reason?: string | null; text?: string }; usage?: Usage };
type Exports = { Anthropic?: { Messages?: { prototype: Record<string, unknown> } }; default?: { Messages?: { prototype: Record<string, unknown> } } };

const messagesPrototype = (exports: Exports) => (exports?.Anthropic ?? exports?.default)?.Messages?.prototype;

export function anthropicInstrumentationClass(): new (options: Record<string, unknown>) => Instrumentation {
  const { InstrumentationBase, InstrumentationNodeModuleDefinition } = lineRequire('@opentelemetry/instrumentation') as typeof import('@opentelemetry/instrumentation');

  class AnthropicInstrumentation extends InstrumentationBase<import('@opentelemetry/instrumentation').InstrumentationConfig & { captureMessageContent?: boolean }> {
    constructor(options: Record<string, unknown> = {}) {
      super('otel-preload-anthropic', '1.0.0', options);
    }

    protected init() {
      return [
        new InstrumentationNodeModuleDefinition(
          '@anthropic-ai/sdk',
          [ANTHROPIC_RANGE],
          (exports: Exports) => {
            const proto = messagesPrototype(exports);
            if (proto && typeof proto.create === 'function') this._wrap(proto as never, 'create' as never, ((original: (...a: unknown[]) => unknown) => this.patched(original)) as never);
            return exports;
          },
          (exports: Exports) => {
            const proto = messagesPrototype(exports);
            if (proto) this._unwrap(proto as never, 'create' as never);
          },
        ),
      ];
    }

    private patched(original: (...a: unknown[]) => unknown) {
      const self = this;
      return function (this: { _client?: { baseURL?: string } }, ...args: unknown[]) {
        if (!self.isEnabled()) return original.apply(this, args);
        const params = (args[0] ?? {}) as { model?: string; messages?: unknown; system?: unknown; stream?: boolean };
        let call: GenAiCall;
        try {
          let serverAddress: string | undefined;
          let serverPort: number | undefined;
          try {
            const url = new URL(String(this._client?.baseURL));
            serverAddress = url.hostname;
            serverPort = url.port ? Number(url.port) : undefined;
          } catch {
            // no base URL known
          }
          call = new GenAiCall(self.tracer, self.getConfig().captureMessageContent === true, {
            provider: 'anthropic', operation: 'chat', model: params.model, serverAddress, serverPort,
            input: () => toMessages(params.messages), system: () => toInstructions(params.system),
          });
        } catch {
          return original.apply(this, args);
        }
        const apiPromise = call.run(() => original.apply(this, args)) as Promise<unknown>;
        // Telemetry rides on the SDK's own promise (registered before the app's await, so a stream's
        // iterator is wrapped before the app reads it); the app gets the APIPromise unchanged.
        apiPromise.then(
          (value) => {
            if (params.stream === true) wrapStream(value as AsyncIterable<StreamEvent> & Record<PropertyKey, unknown>, call, self.getConfig().captureMessageContent === true);
            else call.end(result(value as Message));
          },
          (err) => call.fail(err, apiErrorType(err)),
        );
        return apiPromise;
      };
    }
  }
  return AnthropicInstrumentation as never;
}

function inputTokens(usage: Message['usage']): number | undefined {
  if (typeof usage?.input_tokens !== 'number') return undefined;
  return usage.input_tokens + (usage.cache_read_input_tokens ?? 0) + (usage.cache_creation_input_tokens ?? 0);
}

/** The API's own error type (`rate_limit_error`), as the SDK's own spans name it from 0.134 on. */
function apiErrorType(err: unknown): string | undefined {
  const type = (err as { error?: { error?: { type?: unknown } } })?.error?.error?.type;
  return typeof type === 'string' && /^[a-z_]{1,64}$/.test(type) ? type : undefined;
}

function result(m: Message): CallResult {
  return {
    responseModel: m?.model,
    responseId: m?.id,
    finishReasons: m?.stop_reason ? [m.stop_reason] : undefined,
    // Cached tokens are input too (the conventions, and the SDK's own spans from 0.134: totals do
    // not jump when an app upgrades across it).
    inputTokens: inputTokens(m?.usage),
    outputTokens: m?.usage?.output_tokens,
    cacheRead: m?.usage?.cache_read_input_tokens ?? undefined,
    cacheWrite: m?.usage?.cache_creation_input_tokens ?? undefined,
    output: () => toOutput(m?.content, m?.stop_reason),
  };
}

function wrapStream(stream: AsyncIterable<StreamEvent> & Record<PropertyKey, unknown>, call: GenAiCall, capture: boolean): void {
  const iterate = stream?.[Symbol.asyncIterator];
  if (typeof iterate !== 'function') return void call.end({});
  const seen: Message = { usage: {} };
  let text = '';
  stream[Symbol.asyncIterator] = () =>
    observeStream({ [Symbol.asyncIterator]: () => iterate.call(stream) as AsyncIterator<StreamEvent> }, call, (e) => {
      if (e.type === 'message_start' && e.message) Object.assign(seen, { ...e.message, usage: { ...e.message.usage } });
      if (e.type === 'message_delta') {
        if (e.delta?.stop_reason) seen.stop_reason = e.delta.stop_reason;
        if (e.usage) Object.assign(seen.usage!, Object.fromEntries(Object.entries(e.usage).filter(([, v]) => v !== null && v !== undefined)));
      }
      if (capture && e.type === 'content_block_delta' && typeof e.delta?.text === 'string') text += e.delta.text;
    }, () => ({ ...result(seen), output: () => toOutput(text, seen.stop_reason) }), () => abortReason(stream));
}

/**
 * The SDK's Stream ends its iteration quietly when its request is aborted (the app's AbortSignal,
 * `stream.controller.abort()`): its controller tells. After a stream read to its end it is not aborted.
 */
function abortReason(stream: Record<PropertyKey, unknown>): unknown {
  const signal = (stream?.controller as { signal?: AbortSignal } | undefined)?.signal;
  return signal?.aborted ? (signal.reason ?? true) : undefined;
}
