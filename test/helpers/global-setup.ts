// Runs once before the suite. End-to-end tests run the compiled preload (build/) in child
// processes, while unit tests import src/ directly; so that a plain `npx vitest` can never test a
// stale build, the build is redone here whenever a source file is newer than its output.
// It also makes `otel-preload` resolvable by name from the fixture apps, exactly as after
// `npm install otel-preload`, by linking fixtures/node_modules/otel-preload to this checkout.

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const repo = path.resolve(__dirname, '../..');

/** The first file under src/ whose build output is missing or older than it, if any. */
function staleSource(dir = path.join(repo, 'src')): string | undefined {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const stale = staleSource(file);
      if (stale) return stale;
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
      const out = path.join(repo, 'build', path.relative(repo, file)).replace(/\.ts$/, '.js');
      if (!fs.existsSync(out) || fs.statSync(out).mtimeMs < fs.statSync(file).mtimeMs) return file;
    }
  }
  return undefined;
}

function buildIfStale(): void {
  const stale = staleSource();
  if (!stale) return;
  console.warn(`build/ is older than ${path.relative(repo, stale)}: rebuilding before the tests (tsc -p tsconfig.json)`);
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: repo, stdio: 'inherit' });
}

function linkFixtures(): void {
  const link = path.join(repo, 'fixtures/node_modules/otel-preload');
  fs.mkdirSync(path.dirname(link), { recursive: true });
  try {
    if (fs.realpathSync(link) === repo) return;
    fs.rmSync(link, { force: true, recursive: true });
  } catch {
    // not there yet
  }
  fs.symlinkSync(repo, link, 'dir');
}

export default function setup(): void {
  buildIfStale();
  linkFixtures();
}
