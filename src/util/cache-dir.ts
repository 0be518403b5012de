// Where our per-user caches live (the OpAMP cache, the code cache): a private, per-user directory, never a shared one (a
// predictable path in the shared temp directory let any local user plant a config for everyone).
// `$XDG_CACHE_HOME/otel-preload`, else `~/.cache/otel-preload`, when we can write there; else a
// `0700` directory named for the uid in the temp directory, used only if it is really ours.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export interface CacheDirOptions {
  /** XDG_CACHE_HOME, as read by the configuration. */
  xdgCacheHome?: string;
  homeDir?: () => string;
  tmpDir?: () => string;
}

/**
 * Why `p` may not hold our cache, or undefined when it may: a real directory (not a symlink),
 * owned by us or root, not writable by group or others. As root with HOME pointing into another
 * user's home (su without -, sudo -E), that user owns the directory and could swap in a symlink
 * that makes root write anywhere.
 */
export function unsafeDir(st: fs.Stats, uid = process.geteuid?.()): string | undefined {
  if (st.isSymbolicLink()) return 'is a symbolic link';
  if (!st.isDirectory()) return 'is not a directory';
  if (uid === undefined) return undefined; // Windows: no uids or modes to check
  if (st.uid !== uid && st.uid !== 0) return `belongs to uid ${st.uid}, not to us (uid ${uid}) or root`;
  if (st.mode & 0o022) return `is writable by group or others (mode ${(st.mode & 0o777).toString(8)})`;
  return undefined;
}

/** The directory, created if missing; undefined (with the reason) when no private place exists. */
export function defaultCacheDir(opts: CacheDirOptions = {}): { dir?: string; why?: string } {
  const uid = process.geteuid?.();
  const bases: string[] = [];
  if (opts.xdgCacheHome && path.isAbsolute(opts.xdgCacheHome)) bases.push(opts.xdgCacheHome);
  try {
    const home = (opts.homeDir ?? os.homedir)();
    if (home && path.isAbsolute(home)) bases.push(path.join(home, '.cache'));
  } catch {
    // no home directory (e.g. a uid without a passwd entry): use the fallback
  }
  for (const base of bases) {
    const dir = path.join(base, 'otel-preload');
    try {
      // Never create through someone else's directory (mkdir follows symlinks).
      fs.mkdirSync(base, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') continue; // not ours to create: next place
    }
    try {
      const why = unsafeDir(fs.lstatSync(base), uid);
      if (why) return { why: `${base} ${why}` };
      try {
        fs.mkdirSync(dir, { mode: 0o700 });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') continue;
      }
      const bad = unsafeDir(fs.lstatSync(dir), uid);
      if (bad) return { why: `${dir} ${bad}` };
      fs.accessSync(dir, fs.constants.W_OK);
      return { dir };
    } catch {
      // not ours to write: try the next place
    }
  }
  if (uid === undefined) return { dir: path.join((opts.tmpDir ?? os.tmpdir)(), 'otel-preload') };
  const dir = path.join((opts.tmpDir ?? os.tmpdir)(), `otel-preload-${uid}`);
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return { why: `${dir} cannot be created (${(err as NodeJS.ErrnoException).code})` };
  }
  // Someone may have created it first: it must be a real directory, ours, and private.
  const st = fs.lstatSync(dir);
  if (!st.isDirectory()) return { why: `${dir} is not a directory` };
  if (st.uid !== uid) return { why: `${dir} belongs to uid ${st.uid}, not to us (uid ${uid})` };
  if (st.mode & 0o077) return { why: `${dir} is accessible to other users (mode ${(st.mode & 0o777).toString(8)})` };
  return { dir };
}

export function cacheFileName(serviceName: string): string {
  return `opamp-${serviceName.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100)}.json`;
}
