// The `express` instrumentation with a lean per-layer wrapper. Upstream's ExpressInstrumentation
// (0.71) wraps every router layer's handle; per request and layer that wrapper copies its
// arguments, binds two functions to contexts (a closure and a defineProperty each) and builds the
// route twice — measured at more than a SERVER span costs (bench/README.md). This subclass keeps
// upstream's patching of express, its route and metadata helpers and its configuration, and only
// replaces the wrapper with one that produces the same spans (name, attributes, status, parent),
// sets the same route on the SERVER span, and runs the layer and its `next` in the same contexts.
// Configurations with per-layer hooks or ignore rules take upstream's wrapper.

// Unless express's detail is on (detail.ts), a layer produces no span: a layer without a path
// (middleware) runs as if unwrapped, and a layer with one (a mount or a route) only records its
// path for the route, which is read once when the response ends (route-at-response.ts).

import type { Span } from '@opentelemetry/api';
import { detailOn } from './detail';
import { addRouteResolver, notFoundCatchAll } from './route-at-response';
import { requireInternal } from '../otel-line/internals';
import { lineRequire } from '../otel-line/line';

type Api = typeof import('@opentelemetry/api');
type Core = typeof import('@opentelemetry/core');
type Handle = ((this: unknown, ...args: unknown[]) => unknown) & { length: number };
interface Layer {
  name?: string;
  path?: string;
  handle: Handle;
  [key: symbol]: unknown;
}
interface Metadata {
  name: string;
  attributes: Record<string, string>;
}
interface Upstream {
  tracer: import('@opentelemetry/api').Tracer;
  getConfig(): Record<string, unknown>;
  _wrap(target: object, name: string, wrapper: (original: Handle) => Handle): void;
  _applyPatch(layer: Layer, layerPath?: string): void;
}

const UPSTREAM_PATH_OPTIONS = ['requestHook', 'spanNameHook', 'ignoreLayers', 'ignoreLayersType'];
// What express passes to `next` that is not an error.
const NOT_ERRORS = new Set<unknown>([undefined, null, 'route', 'router']);
/** What a layer's `next` needs to undo its recorded path when the request moves on. */
interface PassOn {
  next: Handle;
  req: Record<string, unknown>;
  layerPath: string;
  popped: boolean;
}
/** The route a route handler matched before it called next() (see the route resolver). */
const ROUTE_PASSED_ON = Symbol('otel-preload.express.routePassedOn');

export function leanExpressInstrumentationClass(): new (config?: Record<string, unknown>) => unknown {
  const api = lineRequire('@opentelemetry/api') as Api;
  const core = lineRequire('@opentelemetry/core') as Core;
  const { ExpressInstrumentation } = lineRequire('@opentelemetry/instrumentation-express');
  const utils = requireInternal<any>('instrumentation-express/utils');
  const { kLayerPatched, _LAYERS_STORE_PROPERTY: LAYERS } = requireInternal<any>('instrumentation-express/internal-types');
  const { ExpressLayerType } = requireInternal<any>('instrumentation-express/enums/ExpressLayerType');
  const { AttributeNames } = requireInternal<any>('instrumentation-express/enums/AttributeNames');

  class LeanExpressInstrumentation extends ExpressInstrumentation {}
  // Express's answer at the end of a request it handled: the route its layers recorded, or none.
  // A route handler may pass the answer on with next() to a final middleware that renders it
  // (json-server does): the route it matched still names the request, unless nothing answered (404).
  addRouteResolver((req, status) => {
    if (!Array.isArray((req as never)[LAYERS])) return undefined;
    if (notFoundCatchAll((req as { route?: { path?: unknown } }).route?.path, status)) return null;
    const current: string | undefined = utils.getActualMatchedRoute(req);
    if (current) return current;
    const passedOn = (req as never as Record<symbol, string | undefined>)[ROUTE_PASSED_ON];
    return passedOn && (req as { res?: { statusCode?: number } }).res?.statusCode !== 404 ? passedOn : null;
  });
  const upstreamApplyPatch = (ExpressInstrumentation.prototype as Upstream)._applyPatch;

  (LeanExpressInstrumentation.prototype as Upstream)._applyPatch = function (this: Upstream, layer, layerPath) {
    const config = this.getConfig();
    if (UPSTREAM_PATH_OPTIONS.some((option) => config[option] !== undefined)) return upstreamApplyPatch.call(this, layer, layerPath);
    if (layer[kLayerPatched] === true) return;
    layer[kLayerPatched] = true;
    const instrumentation = this;
    this._wrap(layer, 'handle', (original) => {
      // Error handlers stay as they are (upstream does not instrument them either).
      if (original.length === 4) return original;
      const patched = function (this: unknown, req: Record<string, unknown> & { res?: { removeListener(e: string, f: () => void): void } }, res: { once(e: string, f: () => void): void }) {
        if (!detailOn('express')) {
          if (layerPath === undefined) return original.apply(this, arguments as never);
          return recordPathOnly(this, original, arguments as unknown as unknown[], req, layerPath);
        }
        const stored: boolean = utils.storeLayerPath(req, layerPath).isLayerPathStored;
        const constructedRoute: string = utils.getConstructedRoute(req);
        const route: string | undefined = utils.getActualMatchedRoute(req);
        const metadata: Metadata = utils.getLayerMetadata(constructedRoute, layer, layerPath);
        const parentContext = api.context.active();
        const rpcMetadata = core.getRPCMetadata(parentContext);
        if (rpcMetadata?.type === core.RPCType.HTTP) rpcMetadata.route = route;
        const parentSpan = api.trace.getSpan(parentContext);
        if (parentSpan === undefined) return original.apply(this, arguments as never);

        const attributes: Record<string, string | undefined> = { 'http.route': route };
        Object.assign(attributes, metadata.attributes);
        const span: Span = instrumentation.tracer.startSpan(metadata.name, { attributes });
        let ended = false;
        let spanContext = api.trace.setSpan(parentContext, span);
        // Router spans end at once (upstream: their names are not useful yet).
        if (metadata.attributes[AttributeNames.EXPRESS_TYPE] === ExpressLayerType.ROUTER) {
          span.end();
          ended = true;
          spanContext = parentContext;
        }
        const onResponseEnded = () => {
          if (!ended) {
            ended = true;
            span.end();
          }
        };
        const args = arguments as unknown as unknown[];
        let nextIndex = -1;
        for (let i = 0; i < args.length; i++) {
          if (typeof args[i] === 'function') {
            nextIndex = i;
            break;
          }
        }
        if (nextIndex >= 0) {
          const next = args[nextIndex] as Handle;
          args[nextIndex] = function (this: unknown, maybeError?: unknown) {
            const isError = !NOT_ERRORS.has(maybeError);
            if (!ended && isError) {
              const [error, message] = utils.asErrorAndMessage(maybeError);
              span.recordException(error);
              span.setStatus({ code: api.SpanStatusCode.ERROR, message });
            }
            if (!ended) {
              ended = true;
              req.res?.removeListener('close', onResponseEnded);
              span.end();
            }
            if (!(req.route && isError) && stored) (req[LAYERS] as string[]).pop();
            // Keep what middleware put in the context (baggage) but make the parent span current
            // again, so sibling middleware spans do not nest under each other.
            return api.context.with(api.trace.setSpan(api.context.active(), parentSpan), next, this, ...arguments);
          };
        }
        try {
          return api.context.with(spanContext, original, this, ...args);
        } catch (anyError) {
          const [error, message] = utils.asErrorAndMessage(anyError);
          span.recordException(error);
          span.setStatus({ code: api.SpanStatusCode.ERROR, message });
          throw anyError;
        } finally {
          // The layer answered without calling next (or will call it later): end with the response.
          if (!ended) res.once('close', onResponseEnded);
        }
      };
      // `handle` can carry properties (and some apps patch it before us): proxy them as upstream does.
      for (const key in original) {
        Object.defineProperty(patched, key, {
          get: () => (original as unknown as Record<string, unknown>)[key],
          set: (value) => ((original as unknown as Record<string, unknown>)[key] = value),
        });
      }
      return patched as Handle;
    });
  };

  /** Keeps the layer's path while the layer runs, as the spanned path does, and nothing else. */
  function recordPathOnly(self: unknown, original: Handle, args: unknown[], req: Record<string, unknown>, layerPath: string): unknown {
    utils.storeLayerPath(req, layerPath);
    for (let i = 0; i < args.length; i++) {
      if (typeof args[i] !== 'function') continue;
      // A bound function, not a closure: express keeps `next` on the request (req.next), and a
      // closure that captures the request and hangs off it survives V8's young collections
      // (lean-context.ts says what that costs); a bound function and its state do not.
      const state: PassOn = { next: args[i] as Handle, req, layerPath, popped: false };
      args[i] = passOn.bind(state);
      break;
    }
    return original.apply(self, args as never);
  }

  function passOn(this: PassOn, maybeError?: unknown): unknown {
    const { req, layerPath } = this;
    // A route's own layer passing the request on: remember the route it matched.
    if (!this.popped && (req.route as { path?: unknown } | undefined)?.path === layerPath && NOT_ERRORS.has(maybeError)) {
      (req as Record<symbol, unknown>)[ROUTE_PASSED_ON] = utils.getActualMatchedRoute(req) ?? (req as Record<symbol, unknown>)[ROUTE_PASSED_ON];
    }
    if (!this.popped && !(req.route && !NOT_ERRORS.has(maybeError))) (req[LAYERS] as string[]).pop();
    this.popped = true;
    return this.next.apply(undefined, arguments as never);
  }

  return LeanExpressInstrumentation as never;
}
