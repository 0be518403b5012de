// The README's table of instrumentations, from the catalogue: for each entry, the modules it
// watches, the versions its package patches (read from the package itself, our range extensions
// included), the newest published version of each module and whether it is covered, and what it
// produces. The newest versions are checked in (scripts/newest-versions.json) so that the check
// runs offline; `node build/scripts/instrumentation-table.js --refresh` asks the registry again
// (`npm view <module> version`) and `--write` puts the table into README.md.
// test/unit/readme.test.ts fails when the README's copy and the catalogue disagree.

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { builtinModules } from 'module';
import { CATALOGUE, type InstrumentationEntry } from '../src/instrumentations/table';
import { entryRanges } from '../src/instrumentations/coverage';
import { repoRoot } from './repo-root';
import { testedCell } from './e2e-tested';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const semver = require('semver') as { satisfies(v: string, r: string, o?: object): boolean; major(v: string): number };

export const NEWEST_FILE = path.join(repoRoot(), 'scripts', 'newest-versions.json');

export interface NewestVersions {
  checked: string;
  versions: Record<string, string>;
}

export function readNewest(): NewestVersions {
  return JSON.parse(fs.readFileSync(NEWEST_FILE, 'utf8'));
}

const isCore = (m: string) => builtinModules.includes(m);

/** Every non-core module the catalogue watches. */
export function watchedPackages(): string[] {
  return [...new Set(CATALOGUE.flatMap((e) => e.modules.filter((m) => !isCore(m))))].sort();
}

export interface ModuleCoverage {
  module: string;
  ranges: string[];
  via?: { range: string; module?: string; channel?: string; by?: string };
  newest?: string;
  /** undefined: core module or unknown newest. */
  newestCovered?: boolean;
}

export function coverageOf(entry: InstrumentationEntry, newest: Record<string, string>): ModuleCoverage[] {
  const ranges = entryRanges(entry);
  return entry.modules.map((module) => {
    const r = ranges.get(module) ?? [];
    const via = entry.coveredThrough?.[module];
    const n = isCore(module) ? undefined : newest[module];
    const all = via ? [...r, via.range] : r;
    const covered = n === undefined ? undefined : all.some((x) => x === '*' || semver.satisfies(n, x, { includePrerelease: false }));
    return { module, ranges: r, via, newest: n, newestCovered: covered };
  });
}

const code = (s: string) => `\`${s}\``;

function versionsCell(c: ModuleCoverage): string {
  if (isCore(c.module)) return 'Node.js core';
  if (!c.ranges.length) return 'any';
  const own = c.ranges.map((r) => code(r.replace(/\s+/g, ' ')));
  if (c.via) own.push(`${code(c.via.range)} (through ${c.via.by ?? (c.via.module ? code(c.via.module) : `its ${code(c.via.channel ?? '')} tracing channel`)})`);
  return own.join(' or ');
}

function newestCell(c: ModuleCoverage): string {
  if (isCore(c.module)) return '';
  if (c.newest === undefined) return '?';
  return c.newestCovered ? `${c.newest}` : `${c.newest}: **not covered**`;
}

export function instrumentationTable(newest: NewestVersions = readNewest()): string {
  const rows: string[] = [];
  for (const e of CATALOGUE) {
    const name = `${code(e.name)}${e.offByDefault ? ' (off by default)' : ''}`;
    const produces = e.produces ?? '';
    const cov = coverageOf(e, newest.versions);
    const targets: Array<[string, string, string, string]> = cov.map((c) => [code(c.module), versionsCell(c), newestCell(c), isCore(c.module) ? '' : testedCell(c.module)]);
    if (e.onGlobalFetch) targets.push(['global `fetch()`', 'Node.js core', '', '']);
    if (!targets.length) targets.push(['(none: starts with the SDK)', '', '', '']);
    for (const [i, [m, v, n, t]] of targets.entries()) rows.push(`| ${i === 0 ? name : ''} | ${m} | ${v} | ${n} | ${t} | ${i === 0 ? produces : ''} |`);
  }
  return [
    `| Name (for \`OTEL_NODE_*_INSTRUMENTATIONS\`) | Target module | Versions patched | Newest published (${newest.checked}) | Tested end to end | Produces |`,
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

/** Asks the registry for the newest version of every watched package. */
export function refreshNewest(): NewestVersions {
  const versions: Record<string, string> = {};
  for (const m of watchedPackages()) {
    versions[m] = execFileSync('npm', ['view', m, 'version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  }
  const out = { checked: new Date().toISOString().slice(0, 10), versions };
  fs.writeFileSync(NEWEST_FILE, JSON.stringify(out, null, 2) + '\n');
  return out;
}

const START = '<!-- instrumentation-table:start (npm run docs:tables -- --write) -->';
const END = '<!-- instrumentation-table:end -->';

/** Replaces the table between the README's markers. */
export function writeReadme(table: string): void {
  const file = path.join(repoRoot(), 'README.md');
  const text = fs.readFileSync(file, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`README.md has no ${START} … ${END} markers`);
  fs.writeFileSync(file, `${text.slice(0, a + START.length)}\n${table}\n${text.slice(b)}`);
}

if (require.main === module) {
  const newest = process.argv.includes('--refresh') ? refreshNewest() : readNewest();
  const table = instrumentationTable(newest);
  if (process.argv.includes('--write')) writeReadme(table);
  console.log(table);
}
