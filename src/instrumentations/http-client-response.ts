// The CLIENT span's 'response' handling without a 'response' listener of ours (issue #26: crash
// output is plain node's). Upstream's _traceClientRequest prepends a 'response' listener to every
// traced ClientRequest. With the app's own callback that makes two listeners, and Node's emit takes
// its array path: a throw in the app's response callback then prints the crash header
// `node:events:536` (Node 20) / `:526` (Node 24) where plain node prints `:524` / `:514`, and every
// such `err.stack` differs. Upstream's listener is kept (both lines' versions differ in what it
// records) but not added: it runs from a patch of ClientRequest's emit, just before the original
// emit with the app's listeners alone — the same order as prepended. Its test of "does the app
// listen?" (`listenerCount('response') <= 1` → resume) sees the count it would have seen with its
// own listener registered, and emit's result stays plain node's (no listener: Node dumps the body).

import type { ClientRequest, IncomingMessage } from 'http';

const ON_RESPONSE = Symbol('otel-preload.http-client.on-response');
const PATCHED = Symbol('otel-preload.http-client.emit');
type Listener = (this: ClientRequest, response: IncomingMessage) => void;
type TrackedRequest = ClientRequest & { [ON_RESPONSE]?: Listener };

/** Wraps upstream's `_traceClientRequest` of `proto` (HttpInstrumentation's prototype). */
export function traceClientResponseWithoutListener(proto: { _traceClientRequest?: (request: ClientRequest, ...rest: unknown[]) => unknown }): void {
  const upstream = proto._traceClientRequest;
  if (typeof upstream !== 'function') return;
  proto._traceClientRequest = function (this: unknown, request: TrackedRequest, ...rest: unknown[]) {
    const hadOwn = Object.prototype.hasOwnProperty.call(request, 'prependListener');
    const own = request.prependListener;
    let captured: Listener | undefined;
    request.prependListener = function (this: TrackedRequest, event: string | symbol, listener: (...args: any[]) => void) {
      if (event === 'response' && captured === undefined) {
        captured = listener as Listener;
        return this;
      }
      return own.call(this, event, listener);
    } as typeof own;
    try {
      return upstream.call(this, request, ...rest);
    } finally {
      if (hadOwn) request.prependListener = own;
      else delete (request as Partial<ClientRequest>).prependListener;
      // Upstream changed its ways (no prepended listener): nothing to run, its code is as it is.
      if (captured) {
        request[ON_RESPONSE] = captured;
        patchEmit(Object.getPrototypeOf(request));
      }
    }
  };
}

/** Once per prototype (ClientRequest's, at the first traced request); untracked requests pay a property read. */
function patchEmit(proto: TrackedRequest & { [PATCHED]?: true }): void {
  if (Object.prototype.hasOwnProperty.call(proto, PATCHED)) return;
  const emit = proto.emit;
  proto[PATCHED] = true;
  proto.emit = function emitWithResponseSpan(this: TrackedRequest, event: string | symbol, ...args: unknown[]) {
    const onResponse = event === 'response' ? this[ON_RESPONSE] : undefined;
    if (onResponse) {
      this[ON_RESPONSE] = undefined;
      runAsPrepended(this, onResponse, args[0] as IncomingMessage);
    }
    return emit.call(this, event, ...args);
  } as typeof emit;
}

/** Upstream's listener, with `listenerCount('response')` counting it as registered. */
function runAsPrepended(request: TrackedRequest, listener: Listener, response: IncomingMessage): void {
  const hadOwn = Object.prototype.hasOwnProperty.call(request, 'listenerCount');
  const count = request.listenerCount;
  request.listenerCount = function (this: TrackedRequest, event: string | symbol, ...rest: unknown[]) {
    const n = (count as (...a: unknown[]) => number).call(this, event, ...rest);
    return event === 'response' ? n + 1 : n;
  } as typeof count;
  try {
    listener.call(request, response);
  } finally {
    if (hadOwn) request.listenerCount = count;
    else delete (request as Partial<ClientRequest>).listenerCount;
  }
}
