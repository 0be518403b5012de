// The route of a request, read when its response ends from what the framework left on the request
// (Express: the mount paths it went through and the route it matched). Reading it once at the
// end costs less than setting it at every layer, and a request that no route answered (a 404
// after `next()`) gets none instead of the last one tried.

import type { IncomingMessage } from 'http';

/** A framework's answer: the route, null (the framework handled it: no route), or undefined (not its request). */
export type RouteResolver = (request: IncomingMessage) => string | null | undefined;

const resolvers: RouteResolver[] = [];

export function addRouteResolver(resolver: RouteResolver): void {
  if (!resolvers.includes(resolver)) resolvers.push(resolver);
}

/** The route as a framework knows it now; undefined when no framework claims the request. */
export function routeAtResponse(request: IncomingMessage | undefined): string | null | undefined {
  if (request === undefined) return undefined;
  for (const resolve of resolvers) {
    try {
      const route = resolve(request);
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
