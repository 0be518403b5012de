// import-in-the-middle's in-thread ESM hooks (module.registerHooks), with its code loaded at the
// first resolution it would act on instead of at start-up.
//
// Why: its hooks are ES modules, and their imports of builtins (fs, util, url) make Node evaluate
// every lazy export of those builtins (fs streams, fs/promises, TextDecoder, …) besides compiling
// the ES modules themselves: ~35 ms of a no-op script's start-up on Node 24 (bench/README.md). Most
// CommonJS processes never import a module it would wrap.
//
// Why nothing changes: import-in-the-middle's resolve hook hands a resolution back as Node made it
// unless (a) it is an `import` (no 'require' among Node's conditions) and (b) the module is the
// entry script, carries its `?iitm` marks, or is on the `include` list (a regular expression that
// matches the URL, or a string equal to the specifier or the URL; builtins also as `node:`); its
// load hook acts only on what its resolve marked. Ours pass every other resolution through without
// it, and load it for the first one that meets (a) and (b), with the same `include`.

import Module = require('module');
import { pathToFileURL } from 'url';
import { line } from '../otel-line/line';

type Next = (specifierOrUrl: string, context?: unknown) => { url?: string } | undefined;
interface ResolveContext {
  conditions?: readonly string[];
  parentURL?: string;
}
interface Hooks {
  resolveSync(specifier: string, context: ResolveContext, next: Next): unknown;
  loadSync(url: string, context: unknown, next: Next): unknown;
}

/** Whether import-in-the-middle could wrap what `specifier` resolved to, given its `include` list. */
export function includeMatcher(include: ReadonlyArray<string | RegExp>): (specifier: string, url: string | undefined) => boolean {
  // Copies without the g and y flags: a test here must not move the lastIndex that import-in-the-middle's own test starts from.
  const patterns = include.filter((e): e is RegExp => e instanceof RegExp).map((r) => new RegExp(r.source, r.flags.replace(/[gy]/g, '')));
  const names = new Set(include.filter((e): e is string => typeof e === 'string').flatMap((e) => [e, `node:${e}`]));
  return (specifier, url) => names.has(specifier) || (url !== undefined && (names.has(url) || patterns.some((p) => p.test(url))));
}

/** Registers our pass-through hooks now, and import-in-the-middle's (with `include`) at the first resolution it would act on. */
export function registerDeferredEsmHooks(include: Array<string | RegExp>, onFailure: (err: unknown) => void): void {
  const mayWrap = includeMatcher(include);
  let hooks: Hooks | undefined;
  let loading = false;
  let failed = false;

  const load = (): Hooks | undefined => {
    loading = true;
    try {
      // What import-in-the-middle/register-hooks.mjs does at its top level, with its URL as the
      // hook's base (the wrappers import lib/register.js relative to it).
      const registerHooks = line().require.resolve('import-in-the-middle/register-hooks.mjs');
      const { createHook } = line().require('import-in-the-middle/create-hook.mjs') as { createHook(meta: { url: string }): Hooks & { applyOptions(o: unknown): void } };
      const hook = createHook({ url: pathToFileURL(registerHooks).href });
      hook.applyOptions({ include });
      return hook;
    } catch (err) {
      failed = true;
      onFailure(err);
      return undefined; // pass-through from here on: ES modules load uninstrumented, never broken
    } finally {
      loading = false;
    }
  };
  const delegate = (specifier: string, context: ResolveContext, next: Next) => {
    hooks = load();
    return hooks ? hooks.resolveSync(specifier, context, next) : next(specifier, context);
  };

  (Module as unknown as { registerHooks(h: object): void }).registerHooks({
    resolve(specifier: string, context: ResolveContext, next: Next) {
      if (hooks) return hooks.resolveSync(specifier, context, next);
      if (failed || loading || context.conditions?.includes('require')) return next(specifier, context);
      if (!context.parentURL || specifier.includes('iitm')) return delegate(specifier, context, next);
      const result = next(specifier, context);
      if (!mayWrap(specifier, result?.url)) return result;
      // Node's answer for this one is already known: given again rather than asked twice.
      return delegate(specifier, context, (s, c) => (s === specifier && c === context ? result : next(s, c)));
    },
    load(url: string, context: unknown, next: Next) {
      return hooks ? hooks.loadSync(url, context, next) : next(url, context);
    },
  });
}
