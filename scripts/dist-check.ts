// `node build/scripts/dist-check.js [DIR]` (run by `npm run dist` on what it built): every static
// require()/import inside the distribution's JavaScript files must resolve to a file that is
// there. The dist is pruned (scripts/dist.ts); a prune that removes code some module loads
// (issue #26: yaml's dist/doc/ went with "docs" folders) shows up here by name, before a host does.
//
// What counts as missing:
// - a relative specifier ('./x', '../doc/directives.js') that resolves to no file;
// - a package the requiring package declares in `dependencies` that cannot be resolved from it.
// A bare specifier the package does not declare (an optional peer, a guarded `try { require() }`)
// is not ours to check. Node's built-ins are skipped.

import * as fs from 'fs';
import Module = require('module');
import * as path from 'path';

const JS = /\.(?:c|m)?js$/;
const REQUIRE = /\brequire\s*\(\s*(['"])([^'"\n\\]+)\1\s*\)/g;
const IMPORT_FROM = /(?:^|[\s;}])(?:import|export)\s[^'"]*?\sfrom\s*(['"])([^'"\n\\]+)\1/g;
const IMPORT_BARE = /(?:^|[\s;])import\s*(['"])([^'"\n\\]+)\1/g;
const IMPORT_CALL = /\bimport\s*\(\s*(['"])([^'"\n\\]+)\1\s*\)/g;

const BUILTINS = new Set(Module.builtinModules);
// Requires that are guarded on purpose and fail by design in a dist (path relative to the dist).
const GUARDED = new Set([
  // version.ts's fallback for sources run directly (unit tests); the dist takes '../../package.json'.
  'build/src/version.js ../package.json',
]);
// Comments mention requires as examples (protobufjs: `require("./compiled.js")`).
const BLOCK_COMMENT = /\/\*[\s\S]*?\*\//g;
const LINE_COMMENT = /(^|[^:\\'"`])\/\/[^\n]*/g;

function isBuiltin(spec: string): boolean {
  return spec.startsWith('node:') || BUILTINS.has(spec) || BUILTINS.has(spec.split('/')[0]);
}

/** Static specifiers of one file, by the kind of module it is. */
export function specifiers(source: string, esm: boolean): string[] {
  const out = new Set<string>();
  source = source.replace(BLOCK_COMMENT, '').replace(LINE_COMMENT, '$1');
  const add = (re: RegExp) => {
    for (const m of source.matchAll(re)) out.add(m[2]);
  };
  add(REQUIRE);
  add(IMPORT_CALL);
  if (esm) {
    add(IMPORT_FROM);
    add(IMPORT_BARE);
  }
  return [...out];
}

function packageOf(file: string): { dir: string; json: any } | undefined {
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const p = path.join(dir, 'package.json');
    if (!fs.existsSync(p)) continue;
    try {
      const json = JSON.parse(fs.readFileSync(p, 'utf8'));
      // Nested package.json files that only set "type" are not packages.
      if (json.name) return { dir, json };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function packageName(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function relativeExists(from: string, spec: string, esm: boolean): boolean {
  const base = path.resolve(path.dirname(from), spec);
  if (esm) return fs.existsSync(base);
  try {
    Module.createRequire(from).resolve(spec);
    return true;
  } catch {
    return false;
  }
}

/** One line per unresolvable require/import: `<file>: '<specifier>' …`. */
export function checkDist(root: string): string[] {
  const problems: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && JS.test(entry.name)) checkFile(full);
    }
  };
  const checkFile = (file: string) => {
    const source = fs.readFileSync(file, 'utf8');
    const esm = file.endsWith('.mjs') || (file.endsWith('.js') && packageType(file) === 'module');
    for (const spec of specifiers(source, esm)) {
      if (isBuiltin(spec) || spec.includes('${')) continue;
      if (GUARDED.has(`${path.relative(root, file)} ${spec}`)) continue;
      if (/^\.\.?(\/|$)/.test(spec) || spec.startsWith('/')) {
        if (!relativeExists(file, spec, esm)) problems.push(`${path.relative(root, file)}: '${spec}' resolves to no file`);
        continue;
      }
      const pkg = packageOf(file);
      const name = packageName(spec);
      if (!pkg || !(pkg.json.dependencies && name in pkg.json.dependencies)) continue;
      if (!resolvesBare(file, spec, name, esm)) problems.push(`${path.relative(root, file)}: '${spec}' (a dependency of ${pkg.json.name}) is not installed`);
    }
  };
  walk(root);
  return problems;
}

function resolvesBare(file: string, spec: string, name: string, esm: boolean): boolean {
  const req = Module.createRequire(file);
  try {
    req.resolve(spec);
    return true;
  } catch {
    // An ESM-only export ("import" condition) cannot be resolved by require: the package folder will do.
    if (!esm) return false;
    try {
      req.resolve(`${name}/package.json`);
      return true;
    } catch {
      return (req.resolve.paths(name) ?? []).some((p) => fs.existsSync(path.join(p, name, 'package.json')));
    }
  }
}

const typeCache = new Map<string, string | undefined>();
function packageType(file: string): string | undefined {
  const dir = path.dirname(file);
  if (typeCache.has(dir)) return typeCache.get(dir);
  let type: string | undefined;
  const p = path.join(dir, 'package.json');
  if (fs.existsSync(p)) {
    try {
      type = JSON.parse(fs.readFileSync(p, 'utf8')).type ?? 'commonjs';
    } catch {
      type = 'commonjs';
    }
  } else if (path.dirname(dir) !== dir) type = packageType(dir);
  typeCache.set(dir, type);
  return type;
}

if (require.main === module) {
  const dir = path.resolve(process.argv[2] ?? path.join(__dirname, '../../dist/otel-preload'));
  const problems = checkDist(dir);
  if (problems.length) {
    console.error(`dist-check: ${problems.length} require(s) in ${dir} do not resolve:\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  console.log(`dist-check: every static require/import in ${dir} resolves`);
}
