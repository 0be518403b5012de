// The Anthropic SDK's own span of messages.create (0.134 on, read in 0.134 and 1.16): when the app
// aborts the call (its AbortSignal) or closes the stream before the API ends it (the stream's
// controller.abort(), a break out of its loop), the SDK ends the span with its status unset (an
// abort "is a cancellation, not a failure"), no error.type: a success to every backend, and to
// our duration metric. Its other ends are always marked: a success OK, a failure an error with
// error.type (a stream without message_stop included). So an unset status on such a span, at its
// end, is the app's abort, and it gets what ours give (call.ts): error.type AbortError for a
// stream, APIUserAbortError (the error the SDK throws) for a call not streamed, and an error
// status. Set at onEnding, before the span is read-only, so the metric (recorded at onEnd) and the
// exported span agree. The abort reason is not on the span, so a TimeoutError reason looks the same.

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

/** At the span's end, before it is read-only: a call the app aborted is no success. */
export function markSdkAbort(span: Span): void {
  if (!messagesCreate.has(span)) return;
  if (span.status.code !== STATUS_UNSET || span.attributes[ERROR_TYPE] !== undefined) return;
  const streamed = span.attributes['gen_ai.request.stream'] === true;
  span.setAttribute(ERROR_TYPE, streamed ? 'AbortError' : 'APIUserAbortError');
  span.setStatus({ code: STATUS_ERROR, message: streamed ? 'the stream was stopped by the app before its end' : 'the call was aborted by the app before its answer' });
}
