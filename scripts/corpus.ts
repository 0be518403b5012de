// The corpus of third-party apps (test/corpus/apps): each app's sources and lockfile are in the
// repo; its node_modules (from the npm registry, at the lockfile's versions) and its build (`next
// build`) live in a cache outside the checkout, reused between runs. The cache key is a hash of
// the app's files, so an edited app is installed afresh and stale copies are removed.
// `node build/scripts/corpus.js [app...]` warms the cache and prints what each step took.

import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { repoRoot } from './repo-root';
import { nodeBinary } from './node-binaries';

/** Apps whose build tool needs a newer Node than the one running the tests (Nuxt 4.5's
 *  builder uses Set.prototype.difference, Node 22+); the built app itself runs on the test's Node. */
const BUILD_NODE: Record<string, string> = { 'nuxt-storefront': '24.21.0' };

export const CORPUS_APPS = path.join(repoRoot(), 'test', 'corpus', 'apps');
/** Libraries at the versions the e2e tests run them at (newest major, oldest claimed): one folder per set, installed the same way. */
export const VERSION_SETS = path.join(repoRoot(), 'test', 'versions');
export const CORPUS_CACHE = process.env.OTEL_PRELOAD_CORPUS_CACHE ?? path.join(os.homedir(), '.cache', 'otel-preload-corpus');
const READY = '.corpus-ready';

export interface Prepared {
  dir: string;
  /** What preparing took now, in ms (0 when the cache already had it). */
  installMs: number;
  buildMs: number;
}

/** The app's installed (and built) copy in the cache, installing it first when missing. */
export function prepareApp(name: string, sources: string = CORPUS_APPS): Prepared {
  const source = path.join(sources, name);
  const dir = path.join(CORPUS_CACHE, `${name}-${hashTree(source)}`);
  if (fs.existsSync(path.join(dir, READY))) return { dir, installMs: 0, buildMs: 0 };
  fs.mkdirSync(CORPUS_CACHE, { recursive: true });
  // Test files run in parallel and share sets: one installs, the others wait for it.
  const release = installLock(dir);
  try {
    if (fs.existsSync(path.join(dir, READY))) return { dir, installMs: 0, buildMs: 0 };
    return install(name, source, dir);
  } finally {
    release();
  }
}

const LOCK_WAIT_MS = 20 * 60_000;

/** A lock folder beside `dir` (mkdir is atomic), held by a live process; a dead holder's is taken over. */
function installLock(dir: string): () => void {
  const lock = `${dir}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
      return () => fs.rmSync(lock, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (holderDied(lock)) {
      fs.rmSync(lock, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`${dir}: another process has been installing it for ${LOCK_WAIT_MS / 60_000} min (lock ${lock})`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
  }
}

function holderDied(lock: string): boolean {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8'));
  } catch {
    // Just made, its pid not yet written; or left by a holder killed in between (then old).
    try {
      return Date.now() - fs.statSync(lock).mtimeMs > 60_000;
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function install(name: string, source: string, dir: string): Prepared {
  // Half-done earlier attempt (killed run): start over.
  fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync(source, dir, { recursive: true });
  const env = toolEnv();
  let t0 = Date.now();
  execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const installMs = Date.now() - t0;
  t0 = Date.now();
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const buildNode = BUILD_NODE[name];
  const buildEnv = buildNode ? { ...env, PATH: `${path.dirname(nodeBinary(buildNode))}${path.delimiter}${env.PATH ?? ''}` } : env;
  if (pkg.scripts?.build) execFileSync('npm', ['run', 'build', '--silent'], { cwd: dir, env: buildEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const buildMs = Date.now() - t0;
  fs.writeFileSync(path.join(dir, READY), new Date().toISOString());
  removeStale(name, dir);
  return { dir, installMs, buildMs };
}

/** Installs and builds run without the preload and without the developer's OTEL_* settings. */
function toolEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OTEL_') && k !== 'NODE_OPTIONS') env[k] = v;
  env.NEXT_TELEMETRY_DISABLED = '1';
  env.NUXT_TELEMETRY_DISABLED = '1';
  return env;
}

function hashTree(root: string): string {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (entry.name === 'node_modules' || entry.name === '.next' || entry.name === '.output' || entry.name === '.nuxt') continue;
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else hash.update(path.relative(root, file)).update('\0').update(fs.readFileSync(file)).update('\0');
    }
  };
  walk(root);
  return hash.digest('hex').slice(0, 12);
}

function removeStale(name: string, keep: string): void {
  for (const entry of fs.readdirSync(CORPUS_CACHE)) {
    const dir = path.join(CORPUS_CACHE, entry);
    if (dir !== keep && entry.startsWith(`${name}-`) && /^[0-9a-f]{12}$/.test(entry.slice(name.length + 1))) fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const names = process.argv.slice(2).length ? process.argv.slice(2) : fs.readdirSync(CORPUS_APPS);
  for (const name of names) {
    const t0 = Date.now();
    const { dir, installMs, buildMs } = prepareApp(name);
    console.log(`${name}: ${dir} (install ${installMs} ms, build ${buildMs} ms, total ${Date.now() - t0} ms)`);
  }
}
