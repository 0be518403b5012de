// Nitro's matched route (Nuxt, Analog, SolidStart and other Nitro builds). A Nitro production
// build bundles h3 and its router into `.output/server/chunks/nitro/nitro.mjs`: no package is
// loaded that an instrumentation could patch. What the bundle does export is Nitro's own runtime
// API, `useNitroApp()`, whose hooks are public (`request`, `beforeResponse`, …). So when the entry
// script is a Nitro output, that one chunk is wrapped by the import hook; its `request` hook keeps
// the h3 event on the request, and when the response ends the route h3's router matched
// (`event.context.matchedRoute.path`, e.g. `/api/items/:id`; `/**` for Nuxt's page renderer, none
// when that catch-all answers 404) is read onto the SERVER span and `http.server.request.duration` (route-at-response.ts). A build
// whose exports lost their names (minified) keeps its SERVER spans, without a route.

import { existsSync } from 'fs';
import type { IncomingMessage } from 'http';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { addRouteResolver } from './route-at-response';

const EVENT = Symbol('otel-preload.nitro-event');

interface H3Event {
  node?: { req?: IncomingMessage; res?: { statusCode?: number } };
  context?: { matchedRoute?: { path?: unknown } };
}
interface NitroApp {
  hooks?: { hook?: (name: string, fn: (event: H3Event) => void) => unknown };
}

/** The file URL of the Nitro chunk when `mainScript` is a Nitro build's server entry, else undefined. */
export function nitroChunkUrl(mainScript: string | undefined): string | undefined {
  if (!mainScript || path.basename(mainScript) !== 'index.mjs') return undefined;
  const serverDir = path.dirname(path.resolve(mainScript));
  const chunk = path.join(serverDir, 'chunks', 'nitro', 'nitro.mjs');
  return existsSync(path.join(serverDir, '..', 'nitro.json')) && existsSync(chunk) ? pathToFileURL(chunk).href : undefined;
}

/** Given the chunk's exports: finds useNitroApp among them and hooks the app. False when it is not there. */
export function instrumentNitro(exports: Record<string, unknown>): boolean {
  const useNitroApp = Object.values(exports).find((v) => typeof v === 'function' && v.name === 'useNitroApp') as (() => NitroApp) | undefined;
  const hooks = useNitroApp?.()?.hooks;
  if (typeof hooks?.hook !== 'function') return false;
  hooks.hook('request', (event) => {
    const req = event?.node?.req as (IncomingMessage & { [EVENT]?: H3Event }) | undefined;
    if (req) req[EVENT] = event;
  });
  addRouteResolver(nitroRoute);
  return true;
}

/** h3's matched route; null for a request Nitro answered without a route (static files, 404s). */
function nitroRoute(req: IncomingMessage): string | null | undefined {
  const event = (req as IncomingMessage & { [EVENT]?: H3Event })[EVENT];
  if (event === undefined) return undefined;
  const route = event.context?.matchedRoute?.path;
  if (typeof route !== 'string') return null;
  // A catch-all (Nuxt's page renderer, `/**`) answering 404 matched nothing the app defined.
  return route.endsWith('/**') && event.node?.res?.statusCode === 404 ? null : route;
}
