// @google/genai (the Gemini API and Vertex AI): no upstream instrumentation exists on either
// OpenTelemetry line, so this one is ours, lean (docs/decisions.md, "GenAI"). The SDK's public
// methods (`ai.models.generateContent`, …) are per-instance arrow functions, which no prototype
// patch reaches; every model call goes through the class's prototype methods
// `generateContentInternal`, `generateContentStreamInternal` and `embedContentInternal`, which are
// patched here — also the calls of automatic function calling, one span per model call, as the
// conventions want. Loaded only when `@google/genai` is first required or imported (table.ts `lean`).

import type { Instrumentation } from '@opentelemetry/instrumentation';
import { lineRequire } from '../../otel-line/line';
import { GenAiCall, observeStream, type CallResult } from './call';
import { toInstructions, toMessages, toOutput } from './messages';

export const GOOGLE_GENAI_RANGE = '>=1.0.0 <4';
const METHODS = ['generateContentInternal', 'generateContentStreamInternal', 'embedContentInternal'] as const;

type Usage = { promptTokenCount?: number; candidatesTokenCount?: number; cachedContentTokenCount?: number; thoughtsTokenCount?: number };
type Response = { modelVersion?: string; responseId?: string; candidates?: Array<{ finishReason?: string; content?: unknown }>; usageMetadata?: Usage; embeddings?: unknown[] };
type Models = { apiClient?: { isVertexAI?(): boolean; getBaseUrl?(): string } };
type Params = { model?: string; contents?: unknown; config?: { systemInstruction?: unknown } };

export function googleGenAiInstrumentationClass(): new (options: Record<string, unknown>) => Instrumentation {
  const { InstrumentationBase, InstrumentationNodeModuleDefinition } = lineRequire('@opentelemetry/instrumentation') as typeof import('@opentelemetry/instrumentation');

  class GoogleGenAiInstrumentation extends InstrumentationBase<import('@opentelemetry/instrumentation').InstrumentationConfig & { captureMessageContent?: boolean }> {
    constructor(options: Record<string, unknown> = {}) {
      super('otel-preload-google-genai', '1.0.0', options);
    }

    protected init() {
      return [
        new InstrumentationNodeModuleDefinition(
          '@google/genai',
          [GOOGLE_GENAI_RANGE],
          (exports: { Models?: { prototype: Record<string, unknown> } }) => {
            const proto = exports?.Models?.prototype;
            if (!proto) return exports;
            for (const m of METHODS) if (typeof proto[m] === 'function') this._wrap(proto as never, m as never, ((original: (...a: unknown[]) => Promise<unknown>) => this.patched(m, original)) as never);
            return exports;
          },
          (exports: { Models?: { prototype: Record<string, unknown> } }) => {
            const proto = exports?.Models?.prototype;
            if (proto) for (const m of METHODS) this._unwrap(proto as never, m as never);
          },
        ),
      ];
    }

    private patched(method: (typeof METHODS)[number], original: (...a: unknown[]) => Promise<unknown>) {
      const self = this;
      return function (this: Models, ...args: unknown[]) {
        if (!self.isEnabled()) return original.apply(this, args);
        let call: GenAiCall;
        try {
          call = self.start(method, this, (args[0] ?? {}) as Params);
        } catch {
          return original.apply(this, args);
        }
        const capture = self.getConfig().captureMessageContent === true;
        const pending = call.run(() => original.apply(this, args));
        if (method === 'generateContentStreamInternal') {
          return pending.then(
            (stream) => {
              const last: Response = {};
              const finish: string[] = [];
              const text: string[] = [];
              return observeStream(stream as AsyncIterable<Response>, call, (chunk) => {
                if (chunk.modelVersion) last.modelVersion = chunk.modelVersion;
                if (chunk.responseId) last.responseId = chunk.responseId;
                if (chunk.usageMetadata) last.usageMetadata = chunk.usageMetadata;
                for (const c of chunk.candidates ?? []) {
                  if (c.finishReason) finish.push(c.finishReason);
                  if (capture) text.push(...partsText(c.content));
                }
              }, () => ({ ...result(last), finishReasons: finish.length ? finish : undefined, output: () => toOutput(text.join(''), finish[finish.length - 1]) }));
            },
            (err) => {
              call.fail(err);
              throw err;
            },
          );
        }
        return pending.then(
          (response) => {
            try {
              call.end(result(response as Response));
            } catch {
              // never the app's problem
            }
            return response;
          },
          (err) => {
            call.fail(err);
            throw err;
          },
        );
      };
    }

    private start(method: (typeof METHODS)[number], models: Models, params: Params): GenAiCall {
      const vertex = models.apiClient?.isVertexAI?.() === true;
      let serverAddress: string | undefined;
      let serverPort: number | undefined;
      try {
        const url = new URL(String(models.apiClient?.getBaseUrl?.()));
        serverAddress = url.hostname;
        serverPort = url.port ? Number(url.port) : undefined;
      } catch {
        // no base URL known
      }
      const model = typeof params.model === 'string' ? params.model.replace(/^models\//, '') : undefined;
      return new GenAiCall(this.tracer, this.getConfig().captureMessageContent === true, {
        provider: vertex ? 'gcp.vertex_ai' : 'gcp.gemini',
        operation: method === 'embedContentInternal' ? 'embeddings' : 'generate_content',
        model,
        serverAddress,
        serverPort,
        input: () => toMessages(params.contents),
        system: () => toInstructions(params.config?.systemInstruction),
      });
    }
  }

  function result(r: Response): CallResult {
    const u = r?.usageMetadata;
    const output = u?.candidatesTokenCount === undefined ? undefined : u.candidatesTokenCount + (u.thoughtsTokenCount ?? 0);
    return {
      responseModel: r?.modelVersion,
      responseId: r?.responseId,
      finishReasons: r?.candidates?.map((c) => c.finishReason).filter((f): f is string => typeof f === 'string'),
      inputTokens: u?.promptTokenCount,
      outputTokens: output,
      cacheRead: u?.cachedContentTokenCount,
      reasoning: u?.thoughtsTokenCount,
      // One output message per candidate, its parts and finish reason.
      output: () => r?.candidates?.map((c) => toOutput(c.content, c.finishReason)[0]),
    };
  }

  return GoogleGenAiInstrumentation as never;
}

function partsText(content: unknown): string[] {
  const parts = (content as { parts?: Array<{ text?: unknown }> } | undefined)?.parts ?? [];
  return parts.map((p) => (typeof p.text === 'string' ? p.text : '')).filter(Boolean);
}
