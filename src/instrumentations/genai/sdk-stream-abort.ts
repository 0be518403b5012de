// The Anthropic SDK's own span of a streamed messages.create (0.134 on, read in 0.134 and 1.16):
// when the app closes the stream before the API ends it (its AbortSignal, the stream's
// controller.abort(), a break out of its loop), the SDK ends the span with its status unset
// ("the application closed the stream before the API did"), no error.type: a success to every
// backend, and to our duration metric. Its two other ends are always marked: a completed stream OK
// (or an error when message_stop never came), a failed one an error. So an unset status on such a
// span, at its end, is the app's close, and it gets what ours give an aborted stream (call.ts):
// error.type AbortError and an error status. Set at onEnding, before the span is read-only, so
// the metric (recorded at onEnd) and the exported span agree. The abort reason is not on the
// span, so a TimeoutError reason is AbortError here.

import type { Span } from '@opentelemetry/sdk-trace';
import { ERROR_TYPE } from './semconv';
import { isAnthropicSdkSpan } from './scope';

const STATUS_UNSET = 0;
const STATUS_ERROR = 2;

/** The SDK's messages.create spans, noted at start (its name is replaced at start: span-metrics.ts). */
const messagesCreate = new WeakSet<object>();

export function noteSdkMessagesCreate(span: Span): void {
  if (span.name === 'anthropic.messages.create' && isAnthropicSdkSpan(span)) messagesCreate.add(span);
}

/** At the span's end, before it is read-only: a stream the app closed early is no success. */
export function markSdkStreamAbort(span: Span): void {
  if (!messagesCreate.has(span)) return;
  if (span.attributes['gen_ai.request.stream'] !== true || span.status.code !== STATUS_UNSET || span.attributes[ERROR_TYPE] !== undefined) return;
  span.setAttribute(ERROR_TYPE, 'AbortError');
  span.setStatus({ code: STATUS_ERROR, message: 'the stream was stopped by the app before its end' });
}
