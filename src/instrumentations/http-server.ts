// The `http` instrumentation with a lean SERVER side. Upstream's HttpInstrumentation (0.223) does,
// for every incoming request, work that costs more than a small handler itself (bench/README.md):
// it binds both the request and the response emitters, runs every hook through a guard, adds two
// listeners and builds the span's attributes through URL objects. This subclass keeps upstream's
// client side, metric instruments, header capture, configuration and enable/disable, and replaces
// only the per-request path of incoming requests with one that produces the same SERVER span (name,
// kind, attributes, status, `http.route` from RPCMetadata as frameworks set it) and the same
// `http.server.request.duration` point:
//  - attributes are built once, without URL objects, for the common request (a plain Host header,
//    no forwarding headers, a path without dot segments or characters URL parsing would encode);
//    any other request takes upstream's attribute builder, so the result is the same;
//  - the request's events run in the span's context (its 'data'/'end' come from socket reads
//    outside it) through one patch of IncomingMessage's emit, instead of wrapping every listener
//    of every request; the response's events follow writes made inside the context already;
//  - one shared 'close' listener, its state kept on the response.
// Configurations that use upstream's per-request hooks take upstream's whole path.
// test/unit/http-server.test.ts compares both paths' attributes; the e2e tests assert the spans.

import type { IncomingMessage, ServerResponse } from 'http';
import type { Attributes, Context, Histogram, Span, Tracer } from '@opentelemetry/api';
import { SENSITIVE_QUERY_PARAMS } from '../util/redact';
import { isOwnOptions, isOwnPeer } from '../util/own-traffic';
import { hasRouteResolvers, routeAtResponse } from './route-at-response';
import { AttributeSets, installCarriedHashes } from './metric-attributes';
import { LEAN_ROOT } from './lean-context';
import { traceClientResponseWithoutListener } from './http-client-response';
import { requireInternal } from '../otel-line/internals';
import { lineRequire } from '../otel-line/line';

type Api = typeof import('@opentelemetry/api');
type Core = typeof import('@opentelemetry/core');
type RequestHandler = (this: unknown, event: string, ...args: unknown[]) => unknown;
type HeaderCapture = (get: (header: string) => unknown) => Attributes;

/** The upstream members this subclass relies on (private in its typings). */
interface UpstreamInternals {
  tracer: Tracer;
  _httpServerDurationHistogram: Histogram;
  _headerCapture: { server: { captureRequestHeaders: HeaderCapture; captureResponseHeaders: HeaderCapture } };
  _diag: unknown;
  getConfig(): Record<string, unknown> & { headersToSpanAttributes?: { server?: { requestHeaders?: string[]; responseHeaders?: string[] } } };
  _incomingRequestFunction(component: string, original: RequestHandler): RequestHandler;
  _outgoingRequestFunction(component: string, original: (...args: unknown[]) => unknown): (...args: unknown[]) => unknown;
}

/** Options whose hooks run per request: with any of them set, upstream's path runs. */
const UPSTREAM_PATH_OPTIONS = [
  'ignoreIncomingRequestHook',
  'requestHook',
  'responseHook',
  'startIncomingSpanHook',
  'applyCustomAttributesOnSpan',
  'requireParentforIncomingSpans',
  'enableSyntheticSourceDetection',
  'redactedQueryParamsServer',
];
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'QUERY']);
/** Request targets whose path URL parsing leaves as is (no dot segments, nothing it encodes). */
const PLAIN_TARGET = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*(?:\?[^#\s"<>`{}\\]*)?$/;
const DOT_SEGMENT = /\/\.\.?(?:\/|\?|$)/;
const PLAIN_HOST = /^[A-Za-z0-9\-._]+(?::\d{1,5})?$/;
const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-host', 'x-forwarded-for'];

const STATE = Symbol('otel-preload.http-server');
const REQUEST_CONTEXT = Symbol('otel-preload.http-server.context');
type TrackedRequest = IncomingMessage & { [REQUEST_CONTEXT]?: Context };
interface ResponseState {
  instrumentation: UpstreamInternals;
  span: Span;
  rpc: import('@opentelemetry/core').RPCMetadata & { route?: string };
  started: number;
  method: string;
  metricAttributes: Attributes;
  captureResponseHeaders?: HeaderCapture;
  ended: boolean;
}
type TrackedResponse = ServerResponse & { [STATE]?: ResponseState };

export function leanHttpInstrumentationClass(): new (config?: Record<string, unknown>) => unknown {
  const api = lineRequire('@opentelemetry/api') as Api;
  const core = lineRequire('@opentelemetry/core') as Core;
  const { HttpInstrumentation } = lineRequire('@opentelemetry/instrumentation-http');
  // Upstream's own builder, for requests the plain path does not cover.
  const { getIncomingRequestAttributes } = requireInternal<{ getIncomingRequestAttributes: any }>('instrumentation-http/utils');

  class LeanHttpInstrumentation extends HttpInstrumentation {}
  installCarriedHashes();
  const metricSets = new AttributeSets(['http.request.method', 'url.scheme', 'network.protocol.version', 'http.route', 'http.response.status_code', 'error.type']);
  const upstreamIncoming = (HttpInstrumentation.prototype as UpstreamInternals)._incomingRequestFunction;
  const upstreamOutgoing = (HttpInstrumentation.prototype as UpstreamInternals)._outgoingRequestFunction;
  // The CLIENT side's 'response' handling without a listener of ours (http-client-response.ts).
  traceClientResponseWithoutListener(LeanHttpInstrumentation.prototype as never);

  // Our own requests (util/own-traffic.ts: marked options, or a context with tracing suppressed —
  // the ECS detector's requests are not ours to mark) go to Node untouched: upstream would make no
  // span under suppression, but would still record http.client.request.duration.
  (LeanHttpInstrumentation.prototype as UpstreamInternals)._outgoingRequestFunction = function (this: UpstreamInternals, component, original) {
    const traced = upstreamOutgoing.call(this, component, original);
    return function outgoingRequest(this: unknown, options: unknown, ...args: unknown[]) {
      if (isOwnOptions(options) || isOwnOptions(args[0]) || core.isTracingSuppressed(api.context.active())) return original.apply(this, [options, ...args]);
      return traced.apply(this, [options, ...args]);
    };
  };

  (LeanHttpInstrumentation.prototype as UpstreamInternals)._incomingRequestFunction = function (this: UpstreamInternals, component, original) {
    const instrumentation = this;
    const upstream = upstreamIncoming.call(this, component, original);
    // The configuration object only changes through setConfig: decide once per object.
    let decidedFor: object | undefined;
    let useUpstream = false;
    return function incomingRequest(this: unknown, event: string, request?: unknown, response?: unknown) {
      if (event !== 'request') return original.apply(this, arguments as never);
      // A request from this process's own export or OpAMP socket (the endpoint is the app's own port).
      if (isOwnPeer((request as IncomingMessage | undefined)?.socket as import('net').Socket | undefined)) return original.apply(this, arguments as never);
      const config = instrumentation.getConfig();
      if (config !== decidedFor) {
        decidedFor = config;
        useUpstream = UPSTREAM_PATH_OPTIONS.some((option) => config[option] !== undefined);
      }
      if (useUpstream) return upstream.apply(this, arguments as never);
      return traceRequest(instrumentation, component, original, this, request as IncomingMessage, response as TrackedResponse);
    };
  };

  function traceRequest(instrumentation: UpstreamInternals, component: string, original: RequestHandler, server: unknown, request: IncomingMessage, response: TrackedResponse): unknown {
    const attributes = requestAttributes(request, component) ?? getIncomingRequestAttributes(request, { component, enableSyntheticSourceDetection: false, redactedQueryParams: SENSITIVE_QUERY_PARAMS }, instrumentation._diag);
    const captureHeaders = instrumentation.getConfig().headersToSpanAttributes?.server;
    if (captureHeaders?.requestHeaders?.length) Object.assign(attributes, instrumentation._headerCapture.server.captureRequestHeaders((h) => request.headers[h]));
    const metricAttributes: Attributes = { 'http.request.method': attributes['http.request.method'], 'url.scheme': attributes['url.scheme'] };
    if (attributes['network.protocol.version']) metricAttributes['network.protocol.version'] = attributes['network.protocol.version'];

    const method = request.method || 'GET';
    // Every context of the request derives from a root without per-instance closures (lean-context.ts).
    const parent = api.propagation.extract(LEAN_ROOT, request.headers);
    // Attributes set on the started span are checked once; passed to startSpan they would be
    // sanitised twice more, for a sampler (always-on here) and start processors (none) that do
    // not read them — ~15 % of a span's life measured (bench/README.md).
    const span = instrumentation.tracer.startSpan(method, { kind: api.SpanKind.SERVER }, parent);
    span.setAttributes(attributes);
    const rpc = { type: core.RPCType.HTTP, span };
    const ctx: Context = core.setRPCMetadata(api.trace.setSpan(parent, span), rpc);
    response[STATE] = {
      instrumentation,
      span,
      rpc,
      started: performance.now(),
      method,
      metricAttributes,
      captureResponseHeaders: captureHeaders?.responseHeaders?.length ? instrumentation._headerCapture.server.captureResponseHeaders : undefined,
      ended: false,
    };
    response.on('close', onResponseClose);
    (request as TrackedRequest)[REQUEST_CONTEXT] = ctx;
    // Patched at the first request, not before: requiring http while the instrumentation is being
    // built would hand OpenTelemetry's require hook an unpatched copy to cache.
    runRequestEventsInContext(api, Object.getPrototypeOf(request));
    // No catch-and-rethrow: a rethrow from here would make Node's crash output point at this file
    // instead of the app's line. The error reaches the span through the process's
    // 'uncaughtExceptionMonitor' (before the crash, or before the app's own handler), else, if
    // something up the stack caught it, the span ends with a generic error at the next turn.
    let threw = true;
    try {
      const result = api.context.with(ctx, original, server, 'request', request, response);
      threw = false;
      return result;
    } finally {
      if (threw) handlerThrew(response);
    }
  }

  function handlerThrew(response: TrackedResponse): void {
    threwIn.add(response);
    if (!monitoring) {
      monitoring = true;
      process.on('uncaughtExceptionMonitor', (err) => {
        for (const r of threwIn) endWithError(r, err);
        threwIn.clear();
      });
    }
    setImmediate(() => {
      if (threwIn.delete(response)) endWithError(response, new Error('the request handler threw'));
    }).unref();
  }

  function onResponseClose(this: TrackedResponse): void {
    if (this.errored) return endWithError(this, this.errored);
    const state = takeState(this);
    if (!state) return;
    const { span, rpc, metricAttributes } = state;
    if (state.captureResponseHeaders) span.setAttributes(state.captureResponseHeaders((h) => this.getHeader(h)));
    const status = this.statusCode;
    span.setAttribute('http.response.status_code', status);
    // A framework that knows the route at the end (route-at-response.ts) has the last word.
    const known = hasRouteResolvers() ? routeAtResponse(this.req, status) : undefined;
    const route = known === undefined ? rpc.route : (known ?? undefined);
    if (route !== undefined) {
      span.setAttribute('http.route', route);
      metricAttributes['http.route'] = route;
    }
    if (route) span.updateName(`${state.method} ${route}`);
    if (status) metricAttributes['http.response.status_code'] = status;
    if (status >= 500 && status < 600) {
      span.setStatus({ code: api.SpanStatusCode.ERROR });
      metricAttributes['error.type'] = String(status);
    }
    finish(state);
  }

  /** Responses whose handler threw, until the error is known (handlerThrew). */
  const threwIn = new Set<TrackedResponse>();
  let monitoring = false;

  function endWithError(response: TrackedResponse, err: unknown): void {
    const state = takeState(response);
    if (!state) return;
    const error = err instanceof Error ? err : new Error(String(err));
    state.span.recordException(error);
    state.span.setStatus({ code: api.SpanStatusCode.ERROR, message: error.message });
    state.metricAttributes['error.type'] = error.name;
    finish(state);
  }

  function finish(state: ResponseState): void {
    state.span.end();
    // One shared set per distinct combination (metric-attributes.ts).
    state.instrumentation._httpServerDurationHistogram.record((performance.now() - state.started) / 1000, metricSets.of(state.metricAttributes));
  }

  function takeState(response: TrackedResponse): ResponseState | undefined {
    const state = response[STATE];
    if (!state || state.ended) return undefined;
    state.ended = true;
    response[STATE] = undefined;
    return state;
  }

  return LeanHttpInstrumentation as never;
}

/**
 * Every event of a traced request is emitted in its SERVER span's context, as upstream's binding
 * of the request does, for the price of one property read on untraced ones. Patched once, never
 * removed: without the SERVER side no request carries a context, and emit behaves as before.
 */
function runRequestEventsInContext(api: Api, proto: TrackedRequest): void {
  const emit = proto.emit as typeof proto.emit & { [REQUEST_CONTEXT]?: true };
  if (emit[REQUEST_CONTEXT]) return;
  const patched = function emitInRequestContext(this: TrackedRequest, ...args: Parameters<typeof emit>) {
    const ctx = this[REQUEST_CONTEXT];
    // An event nobody listens to runs no code: no context to enter (entering one costs a frame).
    return ctx === undefined || this.listenerCount(args[0]) === 0 ? emit.apply(this, args) : api.context.with(ctx, emit, this, ...args);
  } as typeof emit & { [REQUEST_CONTEXT]?: true };
  patched[REQUEST_CONTEXT] = true;
  proto.emit = patched;
}

/**
 * The SERVER span's request attributes exactly as upstream's getIncomingRequestAttributes builds
 * them (stable semantic conventions, same keys in the same order), or undefined when the request
 * needs its full parsing.
 */
export function requestAttributes(request: IncomingMessage, component: string): Attributes | undefined {
  const { headers, method = 'GET' } = request;
  const host = headers.host;
  const url = request.url ?? '/';
  if (!KNOWN_METHODS.has(method) || !host || !PLAIN_HOST.test(host) || !PLAIN_TARGET.test(url) || DOT_SEGMENT.test(url)) return undefined;
  for (const header of FORWARDING_HEADERS) if (headers[header] !== undefined) return undefined;
  const colon = host.indexOf(':');
  const query = url.indexOf('?');
  const attributes: Attributes = {
    'http.request.method': method,
    'url.scheme': component,
    'server.address': colon < 0 ? host : host.slice(0, colon),
    'network.peer.address': request.socket.remoteAddress,
    'network.peer.port': request.socket.remotePort,
    'network.protocol.version': request.httpVersion,
    'user_agent.original': headers['user-agent'],
    'url.path': query < 0 ? url : url.slice(0, query),
  };
  if (query >= 0 && query < url.length - 1) attributes['url.query'] = redactQuery(url.slice(query + 1));
  if (request.socket.remoteAddress) attributes['client.address'] = request.socket.remoteAddress;
  attributes['server.port'] = colon < 0 ? (component === 'https' ? 443 : 80) : Number(host.slice(colon + 1));
  return attributes;
}

function redactQuery(query: string): string {
  const params = new URLSearchParams(query);
  for (const name of SENSITIVE_QUERY_PARAMS) if (params.has(name)) params.set(name, 'REDACTED');
  return params.toString();
}
