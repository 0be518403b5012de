// One require hook and one import hook for the whole preload. Each fires `activate(name)` the first
// time a watched package is loaded, *before* the package's exports reach the app, so that the
// instrumentation loaded at that moment can still patch them. Everything else passes straight
// through: the per-require cost is a string check and a Set lookup.

import Module = require('module');
import { pathToFileURL } from 'url';
import { findPackageJson } from '../util/package-json';
import * as path from 'path';
import { nodeVersion } from '../util/node-version';
import { isLineFile, line, lineRequire } from '../otel-line/line';
import { registerDeferredEsmHooks } from './deferred-esm-hooks';

/** Called with the package name and the file that required it, or 'import' for an ESM import. */
type Activate = (moduleName: string, loadedBy?: string) => void;

/** `express` → express, `@scope/pkg/lib/x.js` → @scope/pkg, `node:http` → http, `./x` → undefined. */
export function packageNameOf(id: string): string | undefined {
  if (id.startsWith('node:')) return id.slice(5);
  const first = id.charCodeAt(0);
  if (first === 46 /* . */ || first === 47 /* / */ || id.includes(':')) return undefined;
  const slash = id.indexOf('/');
  if (first === 64 /* @ */) {
    const second = slash < 0 ? -1 : id.indexOf('/', slash + 1);
    return second < 0 ? id : id.slice(0, second);
  }
  return slash < 0 ? id : id.slice(0, slash);
}

/** The package a loaded file (URL or path) belongs to: the last node_modules segment, or a node: builtin. */
export function packageNameOfUrl(url: string): string | undefined {
  if (url.startsWith('node:')) return url.slice(5);
  const at = url.lastIndexOf('/node_modules/');
  if (at < 0) return undefined;
  return packageNameOf(url.slice(at + '/node_modules/'.length));
}

/** What the require hook hands back: a way to run an activation outside a require() as well. */
export interface RequireHook {
  /** Runs `fn` (which activates instrumentations); a require hook OpenTelemetry installs meanwhile is filtered (see below). */
  activating<T>(fn: () => T): T;
}

/**
 * `watched`: packages whose first load activates an instrumentation (shrinks as they activate).
 * `patched(name)`: whether an active instrumentation patches that package or builtin.
 *
 * OpenTelemetry's instrumentations share one require-in-the-middle hook that sees every require()
 * in the process and resolves each one again, twice for a file inside a package, to learn which
 * package it belongs to (measured: 5 % of the instructions the preload adds to a service's
 * start-up, docs/decisions.md). Once that
 * hook is installed on top of ours, ours goes back on top and hands it only the requires that can
 * concern a patched package (by the name asked for, the file asked for, or the package asking);
 * every other require skips it. A hook someone else installed above ours is never bypassed.
 */
export function installRequireHook(watched: Set<string>, activate: Activate, patched: (name: string) => boolean): RequireHook {
  const proto = (Module as unknown as { prototype: { require: (id: string) => unknown } }).prototype;
  const original = proto.require;
  // > 0 while OpenTelemetry code is loading something (and whatever that loads in turn).
  let insideOpenTelemetry = 0;
  proto.require = function otelPreloadRequire(this: { filename?: string | null }, id: string) {
    if (watched.size === 0 || typeof id !== 'string') return original.apply(this, arguments as unknown as [string]);
    const callerFile = typeof this?.filename === 'string' ? this.filename : undefined;
    if (insideOpenTelemetry > 0 || isOpenTelemetryCode(callerFile)) {
      insideOpenTelemetry++;
      try {
        return original.apply(this, arguments as unknown as [string]);
      } finally {
        insideOpenTelemetry--;
      }
    }
    let routed: typeof original | undefined;
    try {
      routed = onRequire(callerFile, id);
    } catch {
      // Never let our bookkeeping break the app's require().
    }
    return (routed ?? original).apply(this, arguments as unknown as [string]);
  };
  const ours = proto.require;
  /** OpenTelemetry's shared hook, once it sits behind our filter. */
  let otelHook: typeof original | undefined;

  // Patched, or about to be: a watched package's first require activates its instrumentation
  // below OpenTelemetry's hook, which must then see the package's exports.
  const concerns = (name: string | undefined) => name !== undefined && (patched(name) || watched.has(name));
  const concernsPatched = (id: string, callerFile: string | undefined): boolean => {
    const name = packageNameOf(id);
    if (concerns(name)) return true;
    if (name !== undefined) return false;
    const asked = id.includes('node_modules') ? packageNameOfUrl(id.replace(/\\/g, '/')) : undefined;
    const asking = callerFile ? packageNameOfUrl(callerFile.replace(/\\/g, '/')) : undefined;
    // A bare name is settled by its name; a path by the file asked for or the package asking.
    return concerns(asked) || concerns(asking);
  };

  /** Runs an activation; puts a hook it installed on top of ours (only ever OpenTelemetry's) behind the filter. */
  const activating = <T>(fn: () => T): T => {
    const before = proto.require;
    try {
      return fn();
    } finally {
      // Only the first time, and only when nothing else sits between: a hook installed on top of
      // the filter wraps it, and bypassing that one would loop.
      if (otelHook === undefined && before === ours && proto.require !== ours) {
        const hook = proto.require;
        otelHook = hook;
        proto.require = function otelPreloadRequireFilter(this: { filename?: string | null }, id: string) {
          if (typeof id === 'string' && !concernsPatched(id, typeof this?.filename === 'string' ? this.filename : undefined)) {
            return ours.apply(this, arguments as unknown as [string]);
          }
          return hook.apply(this, arguments as unknown as [string]);
        };
      }
    }
  };

  /** Activates what this require stands for; returns the require to route it through, if changed. */
  function onRequire(callerFile: string | undefined, id: string): typeof original | undefined {
    // The package asked for, or else the package asking: a CommonJS package imported from an
    // ES module is loaded without require(), but its first own require() tells us it is
    // loading — early enough to patch its internal files.
    let name = packageNameOf(id);
    if (name === undefined || !watched.has(name)) name = callerFile ? packageNameOfUrl(callerFile) : undefined;
    if (name === undefined || !watched.has(name)) return undefined;
    const hookBefore = otelHook;
    const before = proto.require;
    activating(() => activate(name, callerFile));
    // Activating the first instrumentation installs OpenTelemetry's shared require hook; route
    // this very require through it so that it sees the module too.
    if (otelHook !== hookBefore) return otelHook;
    return proto.require !== before ? proto.require : undefined;
  }
  return { activating };
}

// What OpenTelemetry's own packages load (an exporter loading http and, through it, net and
// dns; an SDK loading the API) never stands for the app loading a library: activating on
// their behalf would only cost, at the worst moment (an exporter loaded during the flush at exit).
const OTEL_PACKAGE = /[\\/]node_modules[\\/]@opentelemetry[\\/]/;
const OUR_BUILD = path.resolve(__dirname, '..');

function isOpenTelemetryCode(file: string | undefined): boolean {
  return typeof file === 'string' && (OTEL_PACKAGE.test(file) || file.startsWith(OUR_BUILD) || isLineFile(file));
}

/**
 * Registers import-in-the-middle's loader for the watched specifiers only, so that no other ESM
 * module is wrapped, and one hook that activates instrumentations on first import.
 * - Node with in-thread hooks (module.registerHooks fixed: 22.22.3+, 24.11.1+, 26): always, their
 *   code loaded at the first import (deferred-esm-hooks.ts) — except for `node -e`/`-p`/REPL, where import-in-the-middle's
 *   in-thread loader makes Node's own require('module') fail (ENOENT 'module').
 * - Older Node: the loader runs on its own thread (~50 ms and ~25 MB per process), so only for
 *   an ES module entry script; CommonJS apps are instrumented through the require hook.
 */
export type EsmHookMode = 'in-thread' | 'loader-thread' | 'off';

/** A file (not a package) to wrap as well, and what to do with its exports when it is imported. */
export interface WatchedFile {
  url: string;
  onImport(exports: Record<string, unknown>): void;
}

/** `files`: files inside watched packages to wrap as well (a package imported by subpath only); their import activates the package's instrumentation. */
export function installImportHook(watched: Set<string>, activate: Activate, parentUrl: string, mainScript: string | undefined, onLateFailure: (err: unknown) => void, file?: WatchedFile, files: readonly RegExp[] = []): EsmHookMode {
  const include: Array<string | RegExp> = [...watched, ...(file ? [file.url] : []), ...files];
  const mod = Module as unknown as { register?: Function; registerHooks?: Function };
  let mode: EsmHookMode;
  if (!mainScript) return 'off';
  if (supportsSyncHooks() && mod.registerHooks) {
    registerDeferredEsmHooks(include, onLateFailure);
    mode = 'in-thread';
  } else if (mod.register && isEsmEntry(mainScript)) {
    // The loader of the line's own import-in-the-middle: the hooks below are added to that copy.
    mod.register(pathToFileURL(line().require.resolve('import-in-the-middle/hook.mjs')).href, parentUrl, { data: { include } });
    mode = 'loader-thread';
  } else {
    return 'off';
  }
  const iitm = lineRequire('import-in-the-middle');
  const { importHooks } = lineRequire('import-in-the-middle/lib/register.js') as { importHooks: Function[] };
  iitm.addHook(function otelPreloadImport(url: string, namespace: unknown, specifier: string, format?: string) {
    if (file && url === file.url) return file.onImport(namespace as Record<string, unknown>);
    const name = packageNameOfUrl(url) ?? (specifier ? packageNameOf(specifier) : undefined);
    if (name === undefined || !watched.has(name)) return;
    const before = importHooks.length;
    activate(name, 'import');
    // Hooks added while this module is being registered would otherwise miss it.
    for (const hook of importHooks.slice(before)) hook(url, namespace, specifier, format);
  });
  return mode;
}

/** .mjs, or .js/extensionless under a package.json with "type": "module" (Node's rule). */
export function isEsmEntry(script: string): boolean {
  if (/\.mjs$/.test(script)) return true;
  if (/\.cjs$/.test(script)) return false;
  return findPackageJson(path.dirname(path.resolve(script)), () => true)?.type === 'module';
}

/** import-in-the-middle's in-thread hooks need a module.registerHooks that accepts nullish CJS source. */
export function supportsSyncHooks(): boolean {
  const [major, minor, patch] = nodeVersion();
  if (major >= 26) return true;
  if (major === 25) return minor >= 1;
  if (major === 24) return minor > 11 || (minor === 11 && patch >= 1);
  if (major === 22) return minor > 22 || (minor === 22 && patch >= 3);
  return false;
}

/** fetch() is a global backed by Node's bundled undici: no module load to wait for. */
export function installFetchTrigger(activate: () => void): void {
  const original = globalThis.fetch;
  if (typeof original !== 'function') return;
  let activated = false;
  const fetch = function fetch(this: unknown, ...args: Parameters<typeof original>) {
    if (!activated) {
      activated = true;
      if (globalThis.fetch === fetch) globalThis.fetch = original;
      activate();
    }
    return original.apply(this, args);
  };
  globalThis.fetch = fetch as typeof original;
}

export function fileUrlOf(file: string): string {
  return pathToFileURL(file).href;
}
