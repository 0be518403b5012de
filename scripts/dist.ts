// `npm run dist`: builds dist/otel-preload/ — a self-contained folder that works when loaded by
// absolute path from anywhere (the Injector, a Dockerfile) — and dist/otel-preload.tgz.
// Only production dependencies, as locked; no tests, source maps, type declarations, docs or
// browser/ESM builds that the preload never loads (pruned by file kind, and folders only when
// nothing loads them); scripts/dist-check.ts then checks that every require in it resolves. `--out DIR` builds into DIR instead of dist/.

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { checkDist, specifiers } from './dist-check';
import { repoRoot } from './repo-root';

const REPO = repoRoot();

// What the preload never loads at run time, by file kind: source maps, type declarations,
// TypeScript sources, build info, and the packages' prose (README, CHANGELOG, *.md).
const PRUNE_FILES = [/\.map$/, /\.d\.[cm]?ts$/, /\.tsbuildinfo$/, /^(CHANGELOG|HISTORY|CONTRIBUTING|README|SECURITY|CODE_OF_CONDUCT|GOVERNANCE)(\..*)?$/i, /\.(?:md|markdown)$/i, /\.ts$/, /\.(?:test|spec)\.[cm]?js$/];
// Folders that usually hold tests, examples, docs or builds for other targets. A folder with one
// of these names is removed only when nothing of its package loads it: no static require/import
// of another file of the package, and no `main` / `exports` (require, node, default) points into
// it. Names alone are not enough: yaml keeps code in dist/doc/ (issue #26).
const CANDIDATE_DIRS = new Set(['test', 'tests', '__tests__', 'docs', 'doc', 'example', 'examples', 'esm', 'esnext', 'browser', '.github', 'bench', 'benchmark']);
// import-in-the-middle's loader and the packages' own ESM entry points are ES modules we do load.
const KEEP_DIRS_UNDER = [/import-in-the-middle/];
// The 3.x packages ship each module twice (tsdown: dist/*.cjs and dist/*.mjs). The preload only
// ever require()s them, so their ES module builds are never read.
const LINE3_ESM_BUILD = /[\\/]node_modules[\\/]@opentelemetry[\\/][^\\/]+[\\/]dist[\\/].*\.mjs$/;

export function buildDist(outRoot: string): { folder: string; tarball: string; files: number; bytes: number; lines: Record<'2.x' | '3.x', { files: number; bytes: number }> } {
  const folder = path.join(outRoot, 'otel-preload');
  fs.rmSync(folder, { recursive: true, force: true });
  fs.mkdirSync(folder, { recursive: true });

  const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
  const slim = { name: pkg.name, version: pkg.version, description: pkg.description, license: pkg.license, type: pkg.type, engines: pkg.engines, exports: pkg.exports, dependencies: pkg.dependencies, overrides: pkg.overrides };
  fs.writeFileSync(path.join(folder, 'package.json'), JSON.stringify(slim, null, 2) + '\n');
  fs.copyFileSync(path.join(REPO, 'package-lock.json'), path.join(folder, 'package-lock.json'));
  for (const f of ['register.cjs', 'register.mjs', 'LICENSE']) if (fs.existsSync(path.join(REPO, f))) fs.copyFileSync(path.join(REPO, f), path.join(folder, f));
  fs.cpSync(path.join(REPO, 'build/src'), path.join(folder, 'build/src'), { recursive: true });
  fs.cpSync(path.join(REPO, 'injector'), path.join(folder, 'injector'), { recursive: true });

  execFileSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline', '--silent'], { cwd: folder, stdio: 'inherit' });
  fs.rmSync(path.join(folder, 'package-lock.json'));
  fs.rmSync(path.join(folder, 'node_modules/.package-lock.json'), { force: true });
  prune(path.join(folder, 'node_modules'));

  const duplicates = duplicatePackages(path.join(folder, 'node_modules'));
  if (duplicates.length) throw new Error(`duplicate package copies in the distribution: ${duplicates.join(', ')}`);

  // The 3.x line (Node >= 22.15): only its dependencies, as locked, beside ours; our own code
  // (build/src) is there once, for both lines (src/otel-line/line.ts picks one at start).
  const line3 = path.join(folder, 'lines', '3');
  fs.mkdirSync(line3, { recursive: true });
  for (const f of ['package.json', 'package-lock.json']) fs.copyFileSync(path.join(REPO, 'lines', '3', f), path.join(line3, f));
  execFileSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline', '--silent', '--loglevel=error'], { cwd: line3, stdio: 'inherit' });
  fs.rmSync(path.join(line3, 'package-lock.json'));
  fs.rmSync(path.join(line3, 'node_modules/.package-lock.json'), { force: true });
  prune(path.join(line3, 'node_modules'), LINE3_ESM_BUILD);
  const duplicates3 = duplicatePackages(path.join(line3, 'node_modules'));
  if (duplicates3.length) throw new Error(`duplicate package copies in the 3.x line: ${duplicates3.join(', ')}`);

  // Every static require/import in what we ship resolves (the prune removed no code).
  const problems = checkDist(folder);
  if (problems.length) throw new Error(`the distribution misses files its code loads:\n  ${problems.join('\n  ')}`);

  const { files, bytes } = measure(folder);
  const lines = { '2.x': measure(path.join(folder, 'node_modules')), '3.x': measure(path.join(line3, 'node_modules')) };
  const tarball = path.join(outRoot, 'otel-preload.tgz');
  execFileSync('tar', ['czf', tarball, '-C', outRoot, 'otel-preload']);
  // World-readable, so that any user's process can load it.
  execFileSync('chmod', ['-R', 'a+rX', folder]);
  return { folder, tarball, files, bytes, lines };
}

function prune(dir: string, alsoPath?: RegExp): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (CANDIDATE_DIRS.has(entry.name) && !KEEP_DIRS_UNDER.some((re) => re.test(full)) && !loadedByItsPackage(full)) fs.rmSync(full, { recursive: true, force: true });
      else prune(full, alsoPath);
    } else if (PRUNE_FILES.some((re) => re.test(entry.name)) || alsoPath?.test(full)) {
      fs.rmSync(full, { force: true });
    }
  }
}

const packageTargets = new Map<string, [string, string][]>();

/** Does any file of the folder's package, outside the folder, load something inside it? */
function loadedByItsPackage(folder: string): boolean {
  const root = packageRootOf(folder);
  if (!root) return true; // not inside a package: keep (we cannot tell)
  const targets = packageTargets.get(root) ?? loadTargets(root);
  packageTargets.set(root, targets);
  const inside = folder + path.sep;
  return targets.some(([from, to]) => !from.startsWith(inside) && (to === folder || to.startsWith(inside)));
}

function packageRootOf(folder: string): string | undefined {
  for (let d = path.dirname(folder); d !== path.dirname(d) && path.basename(d) !== 'node_modules'; d = path.dirname(d)) {
    const p = path.join(d, 'package.json');
    if (!fs.existsSync(p)) continue;
    try {
      if (JSON.parse(fs.readFileSync(p, 'utf8')).name) return d;
    } catch {
      return d;
    }
  }
  return undefined;
}

/** [file, absolute target] of every relative static require/import in the package and of its entry points. */
function loadTargets(root: string): [string, string][] {
  const out: [string, string][] = [];
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const manifest = path.join(root, 'package.json');
  for (const entry of [pkg.main, ...requireTargets(pkg.exports)]) if (typeof entry === 'string') out.push([manifest, path.resolve(root, entry)]);
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'node_modules') walk(full);
      } else if (/\.(?:c|m)?js$/.test(e.name)) {
        for (const spec of specifiers(fs.readFileSync(full, 'utf8'), true)) if (spec.startsWith('.')) out.push([full, path.resolve(d, spec)]);
      }
    }
  };
  walk(root);
  return out;
}

/** The `exports` targets a require() can reach (not the import, module, browser or types conditions). */
function requireTargets(exports: unknown): string[] {
  if (typeof exports === 'string') return [exports];
  if (Array.isArray(exports)) return exports.flatMap(requireTargets);
  if (!exports || typeof exports !== 'object') return [];
  return Object.entries(exports).flatMap(([key, value]) => (['import', 'module', 'browser', 'types'].includes(key) ? [] : requireTargets(value)));
}

/** Package names installed more than once anywhere under node_modules. */
function duplicatePackages(nodeModules: string): string[] {
  const seen = new Map<string, number>();
  const walk = (dir: string) => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      const names = entry.name.startsWith('@') ? fs.readdirSync(path.join(dir, entry.name)).map((n) => `${entry.name}/${n}`) : [entry.name];
      for (const name of names) {
        seen.set(name, (seen.get(name) ?? 0) + 1);
        walk(path.join(dir, name, 'node_modules'));
      }
    }
  };
  walk(nodeModules);
  return [...seen].filter(([, n]) => n > 1).map(([name]) => name);
}

function measure(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else {
        files++;
        bytes += fs.statSync(full).size;
      }
    }
  };
  walk(dir);
  return { files, bytes };
}

if (require.main === module) {
  const at = process.argv.indexOf('--out');
  const out = at > 0 ? path.resolve(process.argv[at + 1]) : path.join(REPO, 'dist');
  const r = buildDist(out);
  const tgz = fs.statSync(r.tarball).size;
  console.log(`${r.folder}: ${r.files} files, ${(r.bytes / 2 ** 20).toFixed(1)} MiB; ${r.tarball}: ${(tgz / 2 ** 20).toFixed(1)} MiB`);
  for (const [name, m] of Object.entries(r.lines)) console.log(`  ${name} line's packages: ${m.files} files, ${(m.bytes / 2 ** 20).toFixed(1)} MiB`);
}
