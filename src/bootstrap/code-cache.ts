// Turns on the code cache of our own files (util/code-cache.ts) where it pays (Node 22 and later)
// and the host has no compile cache of its own. Started when the preload's heavy loading begins (the
// SDK, OpAMP), not at the bootstrap: the cache itself needs crypto, v8 and vm, which cost a process
// that never instruments anything (a CLI, a script) more than its ~50 bootstrap files would save.

import Module = require('module');
import type { Config } from '../config';
import type { Logger } from '../log/logger';
import { packageRoot } from '../otel-line/line';
import { defaultCacheDir } from '../util/cache-dir';
import { codeCacheHelps, installCodeCache, ownPrefixes, versionDir } from '../util/code-cache';

export function startCodeCache(config: Readonly<Config>, log: Logger): void {
  if (!config.codeCache || !codeCacheHelps()) return;
  // The host's own compile cache (NODE_COMPILE_CACHE, module.enableCompileCache) covers our files already.
  if ((Module as { getCompileCacheDir?: () => string | undefined }).getCompileCacheDir?.()) return;
  try {
    const base = defaultCacheDir({ xdgCacheHome: config.xdgCacheHome });
    const { dir, why } = base.dir ? versionDir(base.dir) : base;
    if (!dir) return log.debug(`code cache off: ${why}; our files are compiled at every start.`);
    installCodeCache(ownPrefixes(packageRoot()), dir, (m) => log.debug(m));
  } catch (err) {
    log.debug(`code cache off: ${(err as Error)?.message ?? err}; our files are compiled at every start.`);
  }
}
