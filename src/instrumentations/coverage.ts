// What the catalogue covers, read from the instrumentations themselves: each entry's modules and the
// version ranges its package patches (extensions included), and, in a running process, the modules
// that loaded at a version no instrumentation patched (a silent gap otherwise: upstream leaves them
// unpatched with a debug line only).

import type { Instrumentation } from '@opentelemetry/instrumentation';
import { lineRequire } from '../otel-line/line';
import type { InstrumentationEntry } from './table';
import { applyRangeExtensions, hookedDefinitions, supportedRanges, type ModuleDefinition } from './ranges';
import { satisfies } from '../util/version-range';

/** Module → ranges for an entry, from a disabled instance of its package (nothing is patched). */
export function entryRanges(entry: InstrumentationEntry): Map<string, string[]> {
  const Class = entry.lean ? entry.lean() : lineRequire(entry.pkg)[entry.cls];
  const instance: Instrumentation = new Class({ enabled: false });
  if (entry.extendRanges) applyRangeExtensions(instance, entry.extendRanges);
  const ranges = supportedRanges(instance);
  for (const [m, r] of Object.entries(entry.declaredRanges ?? {})) ranges.set(m, [r]);
  return ranges;
}

export interface OutOfRange {
  instrumentation: string;
  module: string;
  version: string;
  /** In range, yet nothing patched: the hooks saw only its internal files load, not the module itself
   *  (a CommonJS package imported from an ES module with no ESM hook, or another loader). */
  inRange?: true;
}

/**
 * Modules an active instrumentation saw load (their version is recorded on its definitions) but
 * patched nothing of: the version was outside every range it declares, or (`inRange`) the hooks
 * saw the package's internal files load but not its main module: a CommonJS package imported from
 * an ES module while no ESM hook runs, whose first own require() still tells the require hook.
 */
export function outOfRange(active: ReadonlyMap<string, Instrumentation>, catalogue: readonly InstrumentationEntry[]): OutOfRange[] {
  const out: OutOfRange[] = [];
  for (const [name, instrumentation] of active) {
    const through = catalogue.find((e) => e.name === name)?.coveredThrough ?? {};
    let defs: ModuleDefinition[];
    try {
      defs = hookedDefinitions(instrumentation);
    } catch {
      continue;
    }
    const seen = new Map<string, { version: string; patched: boolean }>();
    for (const d of defs) {
      if (typeof d.moduleVersion !== 'string') continue;
      const patched = d.moduleExports !== undefined || (d.files ?? []).some((f) => f.moduleExports !== undefined);
      const prev = seen.get(d.name);
      seen.set(d.name, { version: d.moduleVersion, patched: patched || (prev?.patched ?? false) });
    }
    // A module covered through another (redis 4+ through @redis/client) is covered when that one is patched.
    // A module covered through a channel it publishes from a major on (graphql 17) is covered at that major.
    for (const [module, via] of Object.entries(through)) {
      const s = seen.get(module);
      if (!s) continue;
      if (via.module && seen.get(via.module)?.patched) seen.delete(module);
      if (via.channel && Number.parseInt(s.version, 10) >= Number.parseInt(via.range.replace(/^>=/, ''), 10)) seen.delete(module);
      // Covered another way from a version on (@anthropic-ai/sdk 0.134+ traces itself).
      if (via.by && atLeast(s.version, via.range.replace(/^>=/, ''))) seen.delete(module);
    }
    const ranges = supportedRanges(instrumentation);
    for (const [module, s] of seen) {
      if (s.patched) continue;
      const inRange = (ranges.get(module) ?? []).some((r) => satisfies(s.version, r));
      out.push({ instrumentation: name, module, version: s.version, ...(inRange ? { inRange: true as const } : {}) });
    }
  }
  return out;
}

/** `version` >= `floor`, both dotted numbers (a prerelease tag is ignored). */
export function atLeast(version: string, floor: string): boolean {
  const a = version.split(/[.-]/).map((x) => Number.parseInt(x, 10));
  const b = floor.split(/[.-]/).map((x) => Number.parseInt(x, 10));
  for (let i = 0; i < 3; i++) {
    const x = a[i] || 0, y = b[i] || 0;
    if (x !== y) return x > y;
  }
  return true;
}

const THROUGH_CHANNELS = ['mysql2', 'ioredis', 'graphql', 'redis', '@redis/client', 'undici', 'fastify'];

export interface BundleVisibility {
  /** Instrumented packages whose code is inside the bundle: they produce nothing. */
  instrumentedInside: string[];
  seen: string;
  notSeen: string;
  todo: string;
}

/** What a bundled app's telemetry can and cannot show, given the packages found inside it. */
export function bundleVisibility(packagesInside: readonly string[], catalogue: readonly InstrumentationEntry[]): BundleVisibility {
  const watched = new Set(catalogue.flatMap((e) => e.modules));
  const inside = packagesInside.filter((p) => watched.has(p));
  // Traced through the tracing channels they publish, bundled or not (graphql 17, recent mysql2 3.x, ioredis 6, node-redis 5.12+, undici, fastify).
  const dark = inside.filter((p) => !THROUGH_CHANNELS.includes(p));
  // node-redis publishes a MULTI/EXEC batch on `node-redis:batch` only, its size and not its
  // commands: one span per batch, without the commands' own spans and text.
  const multi = inside.some((p) => p === 'redis' || p === '@redis/client') ? '; the commands of a node-redis MULTI/EXEC batch (one span per batch: node-redis publishes no command of a MULTI on its channels)' : '';
  return {
    instrumentedInside: inside,
    seen: 'HTTP SERVER and CLIENT spans and metrics (core http/https, fetch()), graphql 17 operations, mysql2 queries, ioredis 6 and node-redis 5.12+ commands (a MULTI as one span), undici requests and fastify routes (their diagnostics channels), and every instrumented library left outside the bundle (loaded from node_modules)',
    notSeen: (dark.length
      ? `spans, routes and log correlation of the instrumented libraries inside the bundle: ${dark.join(', ')}`
      : 'spans, routes and log correlation of instrumented libraries inside the bundle (a minified bundle does not name them)') + multi,
    todo: 'keep instrumented libraries out of the bundle (esbuild --packages=external or --external:<name>, webpack externals, ncc -e <name>, rollup external) so that they load from node_modules',
  };
}

/** Node versions whose ESM hook runs in-thread for every app (lazy-hooks.ts supportsSyncHooks). */
export const IN_THREAD_ESM_NODE = '22.22.3+, 24.11.1+ or 26+';

/**
 * Why a module in its instrumentation's range was not patched, and what to do, given how this
 * process hooks ES modules ('off': no ESM hook — an older Node with a CommonJS entry script).
 */
export function unseenLoad(esmHook: 'in-thread' | 'loader-thread' | 'off'): { why: string; todo: string } {
  if (esmHook === 'off') {
    return {
      why: 'in range, but imported by an ES module (or loaded by another loader) where no hook of ours runs: this Node has no in-thread ESM hook, and a CommonJS entry script gets no ESM loader',
      todo: `run on Node.js ${IN_THREAD_ESM_NODE} (the ESM hook runs in-thread for every app), or start the app from an ES module entry (.mjs, or "type": "module") with NODE_OPTIONS=--import`,
    };
  }
  return {
    why: 'in range, but loaded in a way the hooks could not see: by another loader (a bundler\'s or a custom --loader/--import hook registered before ours), or before the preload started',
    todo: 'put the preload first in NODE_OPTIONS, ahead of other loaders, and keep the module out of bundles and custom loaders so that it loads from node_modules',
  };
}
