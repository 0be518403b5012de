// Which of the app's packages telemetry would cover, checked the way the instrumentation itself
// decides: the installed version against the ranges its module definitions declare. A version
// outside them is patched by nothing, so doctor says "not covered" instead of listing it.

import { readFileSync } from 'fs';
import * as path from 'path';
import { CATALOGUE, type InstrumentationEntry } from '../instrumentations/table';
import { entryRanges } from '../instrumentations/coverage';
import { satisfies } from '../util/version-range';

/** Popular drivers and clients no instrumentation of this distribution covers. */
export const UNCOVERED_DRIVERS = ['postgres', 'better-sqlite3', 'sqlite3', 'neo4j-driver', 'couchbase', 'mqtt', 'nats', '@prisma/client', 'mssql'];

export interface Coverage {
  module: string;
  version?: string;
  instrumentation?: string;
  covered: boolean;
  /** The supported ranges, when the version is outside them. */
  supported?: string;
}

export function coverageOf(dependencies: readonly string[], cwd: string): Coverage[] {
  const out: Coverage[] = [];
  for (const entry of CATALOGUE) {
    for (const module of entry.modules) {
      if (!dependencies.includes(module)) continue;
      const version = installedVersion(cwd, module);
      const ranges = supportedRanges(entry, module);
      // Versions covered another way (redis 4+ through @redis/client, graphql 17 through its channel).
      const via = entry.coveredThrough?.[module];
      if (ranges && via) ranges.push(via.range);
      const covered = version === undefined || ranges === undefined || ranges.some((r) => satisfies(version, r));
      out.push({ module, version, instrumentation: entry.name, covered, ...(covered ? {} : { supported: ranges!.join(' || ') }) });
    }
  }
  for (const module of UNCOVERED_DRIVERS) {
    if (dependencies.includes(module) && !out.some((c) => c.module === module)) out.push({ module, version: installedVersion(cwd, module), covered: false });
  }
  return out;
}

/** The version the app would load, resolved as Node would from its directory. */
export function installedVersion(cwd: string, name: string): string | undefined {
  try {
    return JSON.parse(readFileSync(require.resolve(`${name}/package.json`, { paths: [cwd] }), 'utf8')).version;
  } catch {
    // An exports map without ./package.json (postgres): look in node_modules, as Node would, upward.
    for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
      try {
        return JSON.parse(readFileSync(path.join(dir, 'node_modules', name, 'package.json'), 'utf8')).version;
      } catch {
        if (path.dirname(dir) === dir) return undefined;
      }
    }
  }
}

/** The ranges the catalogue patches for `module`: the package's own, our extensions, declared ones (built disabled: patches nothing). */
function supportedRanges(entry: InstrumentationEntry, module: string): string[] | undefined {
  try {
    const ranges = entryRanges(entry).get(module) ?? [];
    return ranges.length && !ranges.includes('*') ? [...ranges] : undefined;
  } catch {
    return undefined;
  }
}

export interface ImportedByEsm {
  module: string;
  version: string;
  instrumentation: string;
  /** The app's dependency, an ES module package, that imports it (Nest 12's platform-express imports express). */
  importedBy: string;
}

/**
 * Instrumented packages in range that the app's ES module dependencies ("type": "module") depend
 * on: those load through `import`, which the require hook never sees, so without an ESM hook
 * (an older Node and a CommonJS entry) they run unpatched although their version is covered.
 */
export function importedByEsm(dependencies: readonly string[], cwd: string): ImportedByEsm[] {
  const out: ImportedByEsm[] = [];
  for (const dependency of dependencies) {
    const pkgFile = packageJsonOf(dependency, cwd);
    if (!pkgFile) continue;
    let pkg: { type?: unknown; dependencies?: Record<string, unknown> };
    try {
      pkg = JSON.parse(readFileSync(pkgFile, 'utf8'));
    } catch {
      continue;
    }
    if (pkg.type !== 'module') continue;
    for (const module of Object.keys(pkg.dependencies ?? {})) {
      const entry = CATALOGUE.find((e) => e.modules.includes(module));
      if (!entry || out.some((o) => o.module === module)) continue;
      const version = installedVersion(path.dirname(pkgFile), module);
      const ranges = version ? supportedRanges(entry, module) : undefined;
      if (version && ranges?.some((r) => satisfies(version, r))) out.push({ module, version, instrumentation: entry.name, importedBy: dependency });
    }
  }
  return out;
}

function packageJsonOf(name: string, cwd: string): string | undefined {
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'node_modules', name, 'package.json');
    try {
      readFileSync(file);
      return file;
    } catch {
      if (path.dirname(dir) === dir) return undefined;
    }
  }
}
