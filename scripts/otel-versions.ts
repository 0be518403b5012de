// `npm run otel:versions [-- --check]`: for each OpenTelemetry JS line, every OpenTelemetry
// dependency (and the hook libraries the lines share) with the version pinned, the newest
// published, and the newest this line can take (its Node range: 2.x must run on ^18.19 || >=20.6,
// so a package whose newest release needs Node >= 22.15 stays at its last release for older
// Node). `--check` exits 1 when a line is behind what it can take. How a bump is made and
// tested: docs/otel-lines.md.

import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { promisify } from 'util';
import { repoRoot } from './repo-root';

const run = promisify(execFile);
const semver = require('semver') as { satisfies(v: string, r: string): boolean; rcompare(a: string, b: string): number; prerelease(v: string): unknown };

interface Line {
  name: '2.x' | '3.x';
  packageJson: string;
  /** The oldest Node.js the line must run on: a candidate's engines.node must admit it. */
  oldestNode: string;
}

const LINES: Line[] = [
  { name: '2.x', packageJson: 'package.json', oldestNode: '18.19.0' },
  { name: '3.x', packageJson: 'lines/3/package.json', oldestNode: '22.15.0' },
];
const TRACKED = (name: string) => name.startsWith('@opentelemetry/') || name === '@fastify/otel' || name === 'import-in-the-middle';

async function view(spec: string, ...fields: string[]): Promise<unknown> {
  const { stdout } = await run('npm', ['view', spec, ...fields, '--json'], { maxBuffer: 16 * 2 ** 20 });
  return stdout.trim() ? JSON.parse(stdout) : undefined;
}

/** Every published version of `name` with its engines.node, in one `npm view` (newest first). */
async function releases(name: string): Promise<Array<{ version: string; node?: string }>> {
  const raw = (await view(`${name}@>=0.0.0`, 'version', 'engines')) as unknown;
  // Several versions: a list of { version, engines }; one: that object alone.
  // No version declares engines: npm prints the bare version list instead.
  const list = (Array.isArray(raw) ? raw : [raw]).map((r) => (typeof r === 'string' ? { version: r } : r)) as Array<{ version: string; engines?: { node?: string } }>;
  const all = list.map((r) => ({ version: r.version, node: r.engines?.node, known: 'engines' in r }));
  return all.filter((r) => r.version && !semver.prerelease(r.version)).sort((a, b) => semver.rcompare(a.version, b.version));
}

/**
 * The newest release whose engines.node admits `oldestNode`. npm prints bare versions, without
 * their engines, when it cannot list them for every version: those few candidates are asked one
 * by one, newest first.
 */
async function newestAdmitting(name: string, all: Array<{ version: string; node?: string; known?: boolean }>, oldestNode: string): Promise<{ version: string } | undefined> {
  for (const [i, r] of all.entries()) {
    let node = r.node;
    if (!r.known) {
      if (i >= 8) return undefined;
      node = ((await view(`${name}@${r.version}`, 'engines')) as { node?: string } | undefined)?.node;
    }
    if (!node || semver.satisfies(oldestNode, node)) return r;
  }
  return undefined;
}

export interface Row {
  line: string;
  name: string;
  pinned: string;
  newest: string;
  newestForLine: string;
}

export async function versionTable(root = repoRoot()): Promise<Row[]> {
  const rows: Row[] = [];
  for (const line of LINES) {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, line.packageJson), 'utf8'));
    const names = Object.keys(pkg.dependencies ?? {}).filter(TRACKED).sort();
    // Four look-ups at a time, one `npm view` per package.
    for (let i = 0; i < names.length; i += 4) {
      rows.push(
        ...(await Promise.all(
          names.slice(i, i + 4).map(async (name) => {
            const all = await releases(name);
            const forLine = await newestAdmitting(name, all, line.oldestNode);
            return { line: line.name, name, pinned: pkg.dependencies[name], newest: all[0]?.version ?? '?', newestForLine: forLine?.version ?? '(none)' };
          }),
        )),
      );
    }
  }
  return rows;
}

if (require.main === module) {
  void versionTable().then((rows) => {
    const width = Math.max(...rows.map((r) => r.name.length));
    let behind = 0;
    for (const line of LINES) {
      console.log(`\nOpenTelemetry JS ${line.name} line (${line.packageJson}, Node >= ${line.oldestNode}):`);
      console.log(`  ${'package'.padEnd(width)}  pinned     newest     newest for this line`);
      for (const r of rows.filter((x) => x.line === line.name)) {
        const mark = r.pinned !== r.newestForLine && r.newestForLine !== '(none)' ? '  <- behind' : '';
        if (mark) behind++;
        console.log(`  ${r.name.padEnd(width)}  ${r.pinned.padEnd(9)}  ${r.newest.padEnd(9)}  ${r.newestForLine}${mark}`);
      }
    }
    console.log(`\n${behind} package(s) behind what their line can take.`);
    if (process.argv.includes('--check') && behind) process.exit(1);
  });
}
