// The route of a request, read when its response ends from what the framework left on the request
// (Express: the mount paths it went through and the route it matched). Reading it once at the
// end costs less than setting it at every layer, and a request that no route answered (a 404
// after `next()`) gets none instead of the last one tried.

import type { IncomingMessage } from 'http';

/** A framework's answer: the route, null (the framework handled it: no route), or undefined (not its request).
 *  `status` is the response's status code. */
export type RouteResolver = (request: IncomingMessage, status: number | undefined) => string | null | undefined;

// A route whose own path is nothing but a wildcard (Express 5's `*path`, `/{*path}`; Express 4's
// `*`, `(.*)`), relative to where it is mounted.
const CATCH_ALL = /^\/?(?:\*\w*|\{\/?\*\w+\}|\(\.\*\))$/;

/**
 * A catch-all route that answered 404 is a not-found handler, not a route: Nest mounts one
 * (`router.all('*path')`) under `setGlobalPrefix`, which named every 404 inside the prefix
 * `/v1*path`. A catch-all that answers (an SPA fallback) keeps its route.
 */
export function notFoundCatchAll(routePath: unknown, status: number | undefined): boolean {
  return status === 404 && typeof routePath === 'string' && CATCH_ALL.test(routePath);
}

const resolvers: RouteResolver[] = [];

export function addRouteResolver(resolver: RouteResolver): void {
  if (!resolvers.includes(resolver)) resolvers.push(resolver);
}

/** The route as a framework knows it now; undefined when no framework claims the request. */
export function routeAtResponse(request: IncomingMessage | undefined, status?: number): string | null | undefined {
  if (request === undefined) return undefined;
  for (const resolve of resolvers) {
    try {
      const route = resolve(request, status);
      if (route !== undefined) return route;
    } catch {
      // A framework's odd request object must never break the response.
    }
  }
  return undefined;
}

export function hasRouteResolvers(): boolean {
  return resolvers.length > 0;
}
