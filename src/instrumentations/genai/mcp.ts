// @modelcontextprotocol/sdk (MCP): no upstream instrumentation exists on either OpenTelemetry line,
// so this one is ours, lean (docs/decisions.md, "MCP"). Client and server both extend the SDK's
// shared `Protocol` class; two of its prototype methods carry every request:
// - `request()` (the client's tools/call, prompts/get, …, and a server's requests to its client):
//   a CLIENT span `{mcp.method.name} {target}`, the trace context injected into `params._meta`;
// - `_onrequest()` (a request received): a SERVER span, child of the context found in
//   `params._meta` (else of the active one), ended when the handler's result or error is known.
// - `notification()` (sent, no answer: initialized, progress, list_changed, …): a CLIENT span
//   until it is written; none for a call the SDK debounces into one already pending. No context
//   goes into its params: the SDK hands a notification's params to the app's callbacks as they
//   came (a progress callback, a strict schema), so an added `_meta` would be seen and may break it;
// - `_onnotification()` (received): a SERVER span around its handler, child of a context the
//   sender put into `params._meta` itself, else of the active one.
// Attributes as the MCP conventions name them (mcp.md); `mcp.client.operation.duration` and
// `mcp.server.operation.duration`. Tool arguments and results are content: never captured.
//
// Hooking: the package has no main entry for require() (only subpaths: `…/client/index.js`), and
// require-in-the-middle gives up on a package whose main it cannot resolve, so the CommonJS build
// is patched here directly: at the first require of any subpath, its `shared/protocol.js` is
// loaded (the client and server load it next anyway) and its prototype patched (`patchCommonJs`).
// ES modules go through import-in-the-middle: the build's `shared/protocol.js` is on the import
// hook's include list (table.ts `esmFiles`), and patched as a module file below.

import type { Attributes, Context, Histogram, Span } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import * as fs from 'fs';
import { createRequire } from 'module';
import * as path from 'path';
import { lineRequire } from '../../otel-line/line';
import { ERROR_TYPE, OPERATION } from './semconv';

/** 1.0–1.1 shipped ES modules only (dist/shared); 1.2 on, both builds (dist/cjs, dist/esm). */
export const MCP_RANGE = '>=1.0.0 <2';

const METHOD = 'mcp.method.name';
const TOOL = 'gen_ai.tool.name';
const PROMPT = 'gen_ai.prompt.name';
const RESOURCE = 'mcp.resource.uri';
const SESSION = 'mcp.session.id';
const REQUEST_ID = 'jsonrpc.request.id';
const STATUS_CODE = 'rpc.response.status_code';
/** The conventions' advice for the two MCP operation histograms. */
const BUCKETS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];

type Request = { method?: string; id?: string | number; params?: { name?: unknown; uri?: unknown; _meta?: Record<string, unknown> } & Record<string, unknown> };
type Transport = { sessionId?: string; constructor?: { name?: string } };
type ProtocolThis = {
  _transport?: Transport;
  _requestMessageId?: number;
  _requestHandlers?: Map<string, Handler>;
  fallbackRequestHandler?: Handler;
  _notificationHandlers?: Map<string, NotificationHandler>;
  fallbackNotificationHandler?: NotificationHandler;
};
type NotificationHandler = (notification: Request) => unknown;
type Handler = (request: Request, extra: unknown) => Promise<unknown>;
type Fn = (this: ProtocolThis, ...args: unknown[]) => unknown;
type ProtocolExports = { Protocol?: { prototype: Record<string, unknown> } };

/** The attributes of a request, both sides; the target for the span name. */
function describe(request: Request, transport: Transport | undefined): { name: string; attributes: Attributes } {
  const method = typeof request?.method === 'string' ? request.method : 'unknown';
  const attributes: Attributes = { [METHOD]: method };
  const name = typeof request.params?.name === 'string' ? request.params.name : undefined;
  let target: string | undefined;
  if (method === 'tools/call' && name !== undefined) {
    attributes[TOOL] = target = name;
    attributes[OPERATION] = 'execute_tool';
  } else if (method === 'prompts/get' && name !== undefined) {
    attributes[PROMPT] = target = name;
  }
  if (typeof request.params?.uri === 'string' && method.startsWith('resources/')) attributes[RESOURCE] = request.params.uri;
  if (typeof transport?.sessionId === 'string') attributes[SESSION] = transport.sessionId;
  const kind = transport?.constructor?.name ?? '';
  // stdio is a pipe; streamable HTTP and SSE run over TCP (mcp.md, network.transport).
  if (/Stdio/.test(kind)) attributes['network.transport'] = 'pipe';
  else if (/StreamableHTTP|SSE/i.test(kind)) attributes['network.transport'] = 'tcp';
  return { name: target ? `${method} ${target}` : method, attributes };
}

export function mcpInstrumentationClass(): new (options: Record<string, unknown>) => Instrumentation {
  const { InstrumentationBase, InstrumentationNodeModuleDefinition, InstrumentationNodeModuleFile } = lineRequire('@opentelemetry/instrumentation') as typeof import('@opentelemetry/instrumentation');
  const api = lineRequire('@opentelemetry/api') as typeof import('@opentelemetry/api');

  class McpInstrumentation extends InstrumentationBase {
    private durations?: { client: Histogram; server: Histogram };
    private readonly patchedPrototypes = new WeakSet<object>();

    constructor(options: Record<string, unknown> = {}) {
      super('otel-preload-mcp', '1.0.0', options);
    }

    protected init() {
      const file = (path: string) =>
        new InstrumentationNodeModuleFile(path, [MCP_RANGE], (exports: ProtocolExports) => (this.patchPrototype(exports?.Protocol?.prototype), exports), (exports: ProtocolExports) => this.unpatchPrototype(exports?.Protocol?.prototype));
      return [new InstrumentationNodeModuleDefinition('@modelcontextprotocol/sdk', [MCP_RANGE], undefined, undefined, ['dist/esm', 'dist', 'dist/cjs'].map((d) => file(`@modelcontextprotocol/sdk/${d}/shared/protocol.js`)))];
    }

    /** The CommonJS build, as seen from the file that first required one of its subpaths. */
    patchCommonJs(loadedBy: string | undefined): void {
      if (!loadedBy || loadedBy === 'import') return;
      try {
        const file = createRequire(loadedBy).resolve('@modelcontextprotocol/sdk/shared/protocol.js');
        const at = file.lastIndexOf(`${path.sep}dist${path.sep}cjs${path.sep}`);
        if (at < 0) return;
        // Its package.json by path: the exports map hides it.
        const { version } = JSON.parse(fs.readFileSync(path.join(file.slice(0, at), 'package.json'), 'utf8')) as { version?: unknown };
        if (typeof version !== 'string' || !version.startsWith('1.')) return;
        this.patchPrototype((require(file) as ProtocolExports)?.Protocol?.prototype);
      } catch {
        // A layout we do not know: MCP runs uninstrumented (the coverage report names the gap).
      }
    }

    private patchPrototype(proto: Record<string, unknown> | undefined): void {
      if (!proto || this.patchedPrototypes.has(proto)) return;
      if (typeof proto.request !== 'function' || typeof proto._onrequest !== 'function') return;
      this.patchedPrototypes.add(proto);
      this._wrap(proto as never, 'request' as never, ((original: Fn) => this.patchedRequest(original)) as never);
      this._wrap(proto as never, '_onrequest' as never, ((original: Fn) => this.patchedOnRequest(original)) as never);
      if (typeof proto.notification === 'function') this._wrap(proto as never, 'notification' as never, ((original: Fn) => this.patchedNotification(original)) as never);
      if (typeof proto._onnotification === 'function') this._wrap(proto as never, '_onnotification' as never, ((original: Fn) => this.patchedOnNotification(original)) as never);
    }

    private unpatchPrototype(proto: Record<string, unknown> | undefined): void {
      if (!proto || !this.patchedPrototypes.has(proto)) return;
      this.patchedPrototypes.delete(proto);
      this._unwrap(proto as never, 'request' as never);
      this._unwrap(proto as never, '_onrequest' as never);
      this._unwrap(proto as never, 'notification' as never);
      this._unwrap(proto as never, '_onnotification' as never);
    }

    private histograms() {
      if (this.durations) return this.durations;
      const meter = this.meter;
      const make = (name: string, side: string) => meter.createHistogram(name, { description: `The duration of the MCP request or notification as observed on the ${side}`, unit: 's', advice: { explicitBucketBoundaries: BUCKETS } });
      return (this.durations = { client: make('mcp.client.operation.duration', 'sender'), server: make('mcp.server.operation.duration', 'receiver') });
    }

    private finish(span: Span, side: 'client' | 'server', started: number, attributes: Attributes, error?: { type: string; message?: string; code?: unknown }): void {
      try {
        if (error) {
          span.setAttribute(ERROR_TYPE, error.type);
          if (error.code !== undefined) span.setAttribute(STATUS_CODE, String(error.code));
          span.setStatus({ code: api.SpanStatusCode.ERROR, message: error.message });
        }
        span.end();
        const metric: Attributes = {};
        for (const key of [METHOD, TOOL, PROMPT, OPERATION, 'network.transport']) if (attributes[key] !== undefined) metric[key] = attributes[key];
        if (error) metric[ERROR_TYPE] = error.type;
        this.histograms()[side].record((performance.now() - started) / 1000, metric);
      } catch {
        // Telemetry never breaks the exchange.
      }
    }

    /** The SERVER span of a request or notification received, child of the context in `params._meta` (else the active one). */
    private startReceived(message: Request, transport: Transport | undefined, id?: unknown): { span: Span; attributes: Attributes; spanContext: Context } | undefined {
      try {
        const { name, attributes } = describe(message, transport);
        if (id !== undefined && id !== null) attributes[REQUEST_ID] = String(id);
        const meta = message.params?._meta;
        const parent = meta && typeof meta === 'object' ? api.propagation.extract(api.context.active(), meta) : api.context.active();
        const span = this.tracer.startSpan(name, { kind: api.SpanKind.SERVER, attributes }, parent);
        return { span, attributes, spanContext: api.trace.setSpan(parent, span) };
      } catch {
        return undefined;
      }
    }

    /** A request sent: CLIENT span, its context in `params._meta` for the peer. */
    private patchedRequest(original: Fn): Fn {
      const self = this;
      return function (this: ProtocolThis, ...args: unknown[]) {
        if (!self.isEnabled()) return original.apply(this, args);
        const request = args[0] as Request;
        let span: Span;
        let attributes: Attributes;
        const started = performance.now();
        try {
          const described = describe(request, this._transport);
          attributes = described.attributes;
          // The id the SDK is about to give this request (a counter, read before it moves).
          if (typeof this._requestMessageId === 'number') attributes[REQUEST_ID] = String(this._requestMessageId);
          span = self.tracer.startSpan(described.name, { kind: api.SpanKind.CLIENT, attributes });
          // An app that carries a trace context of its own in `_meta` (bridged from a queue, say)
          // keeps it: the peer receives what the app wrote, not ours.
          const given = request.params?._meta;
          const appPropagates = !!given && typeof given === 'object' && api.propagation.fields().some((field) => field in given);
          if (!appPropagates) {
            const meta: Record<string, unknown> = { ...(given ?? {}) };
            api.propagation.inject(api.trace.setSpan(api.context.active(), span), meta);
            args[0] = { ...request, params: { ...(request.params ?? {}), _meta: meta } };
          }
        } catch {
          return original.apply(this, args);
        }
        let pending: Promise<unknown>;
        try {
          pending = api.context.with(api.trace.setSpan(api.context.active(), span), () => original.apply(this, args)) as Promise<unknown>;
        } catch (err) {
          self.finish(span, 'client', started, attributes, errorOf(err));
          throw err;
        }
        pending.then(
          (result) => self.finish(span, 'client', started, attributes, toolError(request, result)),
          (err) => self.finish(span, 'client', started, attributes, errorOf(err)),
        );
        return pending;
      };
    }

    /**
     * A request received: SERVER span. The handler is looked up synchronously at the top of
     * `_onrequest` (every release), so it is swapped for the duration of that call for one that
     * runs inside the span and sees the result or the error; the registered one is put back.
     */
    private patchedOnRequest(original: Fn): Fn {
      const self = this;
      return function (this: ProtocolThis, ...args: unknown[]) {
        const request = args[0] as Request;
        const handlers = this._requestHandlers;
        const method = request?.method;
        const handler = typeof method === 'string' ? (handlers?.get(method) ?? this.fallbackRequestHandler) : undefined;
        if (!self.isEnabled() || !handlers || typeof handler !== 'function') return original.apply(this, args);
        const started = performance.now();
        const received = self.startReceived(request, this._transport, request.id);
        if (!received) return original.apply(this, args);
        const { span, attributes, spanContext } = received;
        const wrapped: Handler = (req, extra) =>
          api.context.with(spanContext, () => {
            let out: Promise<unknown>;
            try {
              out = Promise.resolve(handler.call(this, req, extra));
            } catch (err) {
              out = Promise.reject(err);
            }
            // A request the client cancelled (its timeout, an abort) gets no response from the SDK,
            // whatever the handler returns: the span says so rather than record a success.
            const cancelled = () => ((extra as { signal?: AbortSignal } | undefined)?.signal?.aborted ? CANCELLED : undefined);
            out.then(
              (result) => self.finish(span, 'server', started, attributes, cancelled() ?? toolError(request, result)),
              (err) => self.finish(span, 'server', started, attributes, cancelled() ?? errorOf(err)),
            );
            return out;
          });
        return withHandler(handlers, method!, handler, wrapped, () => api.context.with(spanContext, () => original.apply(this, args)));
      };
    }

    /** A notification sent: CLIENT span until the SDK has written (or queued) it. */
    private patchedNotification(original: Fn): Fn {
      const self = this;
      return function (this: ProtocolThis, ...args: unknown[]) {
        if (!self.isEnabled()) return original.apply(this, args);
        const notification = args[0] as Request;
        let span: Span;
        let attributes: Attributes;
        const started = performance.now();
        try {
          if (debouncedAway(this, notification, args[1])) return original.apply(this, args);
          const described = describe(notification, this._transport);
          attributes = described.attributes;
          span = self.tracer.startSpan(described.name, { kind: api.SpanKind.CLIENT, attributes });
        } catch {
          return original.apply(this, args);
        }
        let pending: Promise<unknown>;
        try {
          pending = Promise.resolve(api.context.with(api.trace.setSpan(api.context.active(), span), () => original.apply(this, args)));
        } catch (err) {
          self.finish(span, 'client', started, attributes, errorOf(err));
          throw err;
        }
        pending.then(
          () => self.finish(span, 'client', started, attributes),
          (err) => self.finish(span, 'client', started, attributes, errorOf(err)),
        );
        return pending;
      };
    }

    /** A notification received: SERVER span around its handler (swapped in for the call, as for requests). */
    private patchedOnNotification(original: Fn): Fn {
      const self = this;
      return function (this: ProtocolThis, ...args: unknown[]) {
        const notification = args[0] as Request;
        const handlers = this._notificationHandlers;
        const method = notification?.method;
        const handler = typeof method === 'string' ? (handlers?.get(method) ?? this.fallbackNotificationHandler) : undefined;
        // Nobody listens for it: the SDK drops it, and so do we.
        if (!self.isEnabled() || !handlers || typeof handler !== 'function') return original.apply(this, args);
        const started = performance.now();
        const received = self.startReceived(notification, this._transport);
        if (!received) return original.apply(this, args);
        const { span, attributes, spanContext } = received;
        const wrapped: NotificationHandler = (n) =>
          api.context.with(spanContext, () => {
            let out: Promise<unknown>;
            try {
              out = Promise.resolve(handler(n));
            } catch (err) {
              out = Promise.reject(err);
            }
            out.then(
              () => self.finish(span, 'server', started, attributes),
              (err) => self.finish(span, 'server', started, attributes, errorOf(err)),
            );
            return out;
          });
        return withHandler(handlers, method!, handler as NotificationHandler, wrapped, () => api.context.with(spanContext, () => original.apply(this, args)));
      };
    }
  }
  return McpInstrumentation as never;
}

/**
 * Runs `run` (the SDK's `_onrequest`/`_onnotification`, which look the handler up synchronously at
 * their top) with `wrapped` registered for `method`, then puts back what was registered.
 */
function withHandler<H>(handlers: Map<string, H>, method: string, registered: H, wrapped: H, run: () => unknown): unknown {
  const had = handlers.has(method);
  handlers.set(method, wrapped);
  try {
    return run();
  } finally {
    if (had) handlers.set(method, registered);
    else handlers.delete(method);
  }
}

/** The SDK will drop this call: one of the same method, debounced, is already pending (Protocol.notification). */
function debouncedAway(protocol: ProtocolThis, notification: Request, options: unknown): boolean {
  const p = protocol as ProtocolThis & { _options?: { debouncedNotificationMethods?: unknown }; _pendingDebouncedNotifications?: { has(m: unknown): boolean } };
  const methods = p._options?.debouncedNotificationMethods;
  const o = options as { relatedRequestId?: unknown; relatedTask?: unknown } | undefined;
  const debounced = Array.isArray(methods) && methods.includes(notification?.method) && !notification?.params && !o?.relatedRequestId && !o?.relatedTask;
  return debounced && p._pendingDebouncedNotifications?.has(notification.method) === true;
}

/** A JSON-RPC error: its code is the error.type (mcp.md); else the error's class. */
const CANCELLED = { type: 'cancelled', message: 'the client cancelled the request' };

function errorOf(err: unknown): { type: string; message?: string; code?: unknown } {
  const code = (err as { code?: unknown })?.code;
  const name = (err as { constructor?: { name?: string } })?.constructor?.name;
  const type = typeof code === 'number' && Number.isInteger(code) ? String(code) : name && name !== 'Object' ? name : '_OTHER';
  return { type, message: (err as Error)?.message, code: typeof code === 'number' ? code : undefined };
}

/** A tool that failed answers a successful JSON-RPC response with `isError: true`: `tool_error`. */
function toolError(request: Request, result: unknown): { type: string } | undefined {
  return request?.method === 'tools/call' && (result as { isError?: unknown })?.isError === true ? { type: 'tool_error' } : undefined;
}
