// `npm run dist`: builds dist/otel-preload/ — a self-contained folder that works when loaded by
// absolute path from anywhere (the Injector, a Dockerfile) — and dist/otel-preload.tgz.
// Only production dependencies, as locked; no tests, source maps, type declarations, docs or
// browser/ESM builds that the preload never loads. `--out DIR` builds into DIR instead of dist/.

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { repoRoot } from './repo-root';

const REPO = repoRoot();

// What the preload never loads at run time (it requires the CommonJS builds only).
const PRUNE_DIRS = new Set(['test', 'tests', '__tests__', 'docs', 'doc', 'example', 'examples', 'esm', 'esnext', 'browser', '.github', 'bench', 'benchmark']);
const PRUNE_FILES = [/\.map$/, /\.d\.[cm]?ts$/, /\.tsbuildinfo$/, /^(CHANGELOG|HISTORY|CONTRIBUTING|README|SECURITY|CODE_OF_CONDUCT|GOVERNANCE)(\..*)?$/i, /\.ts$/];
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
      if (PRUNE_DIRS.has(entry.name) && !KEEP_DIRS_UNDER.some((re) => re.test(full))) fs.rmSync(full, { recursive: true, force: true });
      else prune(full, alsoPath);
    } else if (PRUNE_FILES.some((re) => re.test(entry.name)) || alsoPath?.test(full)) {
      fs.rmSync(full, { force: true });
    }
  }
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
