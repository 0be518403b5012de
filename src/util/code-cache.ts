// A V8 code cache for otel-preload's own files only (our build, our dependencies, the 3.x line),
// so that a process does not compile the same ~400 files at every start. Node's own compile cache
// (`module.enableCompileCache`) cannot be used: it is process-wide and would cache the host's
// files too. Measured on the six-library service (bench/README.md, "Code cache"): −42 ms to the
// first answer on Node 24, −10 ms on Node 22, nothing on Node 20, where it is therefore not used.
//
// How: CommonJS files under our package root are compiled with `vm.Script` and the cached data
// kept in a private per-user directory (util/cache-dir.ts); every other file goes through Node's
// compile untouched. The cache is written once, a second after start-up, off the app's critical
// path; a cache that cannot be read or written only costs the compile it would have saved.

import Module = require('module');
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
// The timers module's own setTimeout: an app that fakes the global one (in its tests) never stops the write.
import { setTimeout } from 'timers';
import * as v8 from 'v8';
import * as vm from 'vm';
import { unsafeDir } from './cache-dir';
import { nodeVersion } from './node-version';

/**
 * When what was compiled fresh is written, counted from the first such file: late enough that the
 * functions run at start-up are compiled too (they are in the cache then), early enough that a job
 * that lives under a second writes its files (else it would compile them at every start).
 */
const WRITE_AFTER_MILLIS = 250;
/** Entries per directory before it is emptied and filled again (a build has ~500 files). */
const MAX_ENTRIES = 3000;
/** A cached-data file larger than this is not ours to trust. */
const MAX_ENTRY_BYTES = 8 * 1024 * 1024;
/** Directories of other Node versions (or V8 flags) unused for this long are removed. */
const STALE_MILLIS = 30 * 24 * 3600 * 1000;

type Compile = (this: Module, content: string, filename: string, format?: string) => unknown;

/** Where the measurement says the cache pays: Node 22 and later (V8 12+). */
export function codeCacheHelps(version: string = process.versions.node): boolean {
  return nodeVersion(version)[0] >= 22;
}

/** The folders of the package root whose files are ours: the build, our dependencies, the lines. */
export function ownPrefixes(root: string): string[] {
  return ['build', 'node_modules', 'lines'].map((d) => path.join(root, d) + path.sep);
}

/**
 * A directory for this Node binary's code (the V8 tag changes with V8's version, its flags and the
 * CPU's features: cached data made under another is rejected by V8 anyway), created private.
 * Undefined, with the reason, when it is not safely ours.
 */
export function versionDir(base: string, uid = process.geteuid?.()): { dir?: string; why?: string } {
  const parent = path.join(base, 'code-cache');
  const dir = path.join(parent, `${process.version}-${process.arch}-${v8.cachedDataVersionTag()}`);
  for (const d of [parent, dir]) {
    try {
      fs.mkdirSync(d, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return { why: `${d} cannot be created (${(err as NodeJS.ErrnoException).code})` };
    }
    const why = unsafeDir(fs.lstatSync(d), uid);
    if (why) return { why: `${d} ${why}` };
  }
  return { dir };
}

/**
 * Installs the cache for files under `prefixes` (ownPrefixes), kept in `dir` (versionDir).
 * `debug` gets one line when the cache is written (what was read, rejected and written) or cannot
 * be; nothing is ever thrown into a require().
 */
export function installCodeCache(prefixes: readonly string[], dir: string, debug: (msg: string) => void, writeAfterMillis = WRITE_AFTER_MILLIS): void {
  const proto = Module.prototype as unknown as { _compile: Compile };
  const original = proto._compile;
  const fresh: Array<{ script: vm.Script; file: string }> = [];
  let hits = 0;
  let rejected = 0;
  let timer: NodeJS.Timeout | undefined;
  let broken = false;
  let reported = false;

  const ours = (filename: unknown, content: unknown, format: unknown): boolean =>
    typeof filename === 'string' &&
    typeof content === 'string' &&
    (format === undefined || format === 'commonjs') &&
    prefixes.some((p) => filename.startsWith(p)) &&
    // A dynamic import() needs Node's own compile (vm.Script has no module loader); a hashbang
    // line cannot stand inside the module wrapper.
    !content.includes('import(') &&
    !content.startsWith('#!');

  proto._compile = function otelPreloadCompile(this: Module, content: string, filename: string, format?: string) {
    if (broken || !ours(filename, content, format)) return original.apply(this, arguments as unknown as Parameters<Compile>);
    let fn: Function;
    try {
      const file = path.join(dir, crypto.createHash('sha1').update(filename).update('\0').update(content).digest('hex'));
      const cachedData = readEntry(file);
      const script = new vm.Script(Module.wrap(content), { filename, cachedData });
      if (cachedData && !script.cachedDataRejected) hits++;
      else {
        if (cachedData) rejected++;
        fresh.push({ script, file });
      }
      // Armed for what is to be written, and once for the line that says what was read.
      if (fresh.length || !reported) timer ??= setTimeout(write, writeAfterMillis).unref();
      fn = script.runInThisContext({ displayErrors: true });
    } catch {
      // A file V8 will not compile this way (or a cache we cannot read): Node's own compile,
      // which also throws the error the app would see without us.
      return original.apply(this, arguments as unknown as Parameters<Compile>);
    }
    return fn.call(this.exports, this.exports, requireFor(this), this, filename, path.dirname(filename));
  };

  function write(): void {
    timer = undefined;
    const todo = fresh.splice(0);
    if ((!todo.length && reported) || broken) return;
    reported = true;
    const t0 = Date.now();
    try {
      if (todo.length) bound(dir);
      for (const { script, file } of todo) {
        const tmp = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
        // Atomic: a process starting meanwhile reads the old entry or the new one, never half.
        fs.renameSync(tmp, file);
      }
      debug(`code cache: ${hits} of our files compiled from ${dir}, ${rejected} rejected by V8, ${todo.length} written in ${Date.now() - t0} ms.`);
    } catch (err) {
      broken = true;
      debug(`code cache off: ${dir} cannot be written (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); our files are compiled at every start.`);
    }
  }
}

/** The cached data of one file, if there is a plausible one. */
function readEntry(file: string): Buffer | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
    const st = fs.fstatSync(fd);
    if (!st.isFile() || st.size === 0 || st.size > MAX_ENTRY_BYTES) return undefined;
    return fs.readFileSync(fd);
  } catch {
    return undefined; // not cached yet
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Keeps the cache bounded: a full directory starts again, other versions' unused ones go. */
function bound(dir: string): void {
  const names = fs.readdirSync(dir);
  if (names.length > MAX_ENTRIES) for (const n of names) fs.rmSync(path.join(dir, n), { force: true });
  const parent = path.dirname(dir);
  for (const other of fs.readdirSync(parent)) {
    const full = path.join(parent, other);
    if (full === dir) continue;
    const st = fs.lstatSync(full);
    if (st.isDirectory() && Date.now() - st.mtimeMs > STALE_MILLIS) fs.rmSync(full, { recursive: true, force: true });
  }
}

/** The `require` Node gives a module, bound to it (what the CommonJS loader builds). */
function requireFor(mod: Module): NodeJS.Require {
  const M = Module as unknown as {
    _resolveFilename(request: string, parent: Module, isMain: boolean, options?: unknown): string;
    _resolveLookupPaths(request: string, parent: Module): string[] | null;
    _extensions: NodeJS.RequireExtensions;
    _cache: NodeJS.Dict<NodeJS.Module>;
  };
  const require = function require(id: string) {
    return mod.require(id);
  } as NodeJS.Require;
  const resolve = ((request: string, options?: unknown) => M._resolveFilename(request, mod, false, options)) as NodeJS.RequireResolve;
  resolve.paths = (request: string) => M._resolveLookupPaths(request, mod);
  require.resolve = resolve;
  require.main = process.mainModule;
  require.extensions = M._extensions;
  require.cache = M._cache;
  return require;
}
