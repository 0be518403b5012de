// Installs the OpenTelemetry JS 3.x line (lines/3/: its own package.json and lockfile) beside the
// package's own dependencies, which are the 2.x line. Run by the root `prepare` script, so a plain
// `npm ci` (or `npm install`) on a clean clone installs both lines. `npm ci` on lines/3 only when
// its lockfile changed since the last install: a second `npm install` costs nothing here.
// Why two lines: docs/otel-lines.md.

import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { repoRoot } from './repo-root';

export function installLine3(dir: string = path.join(repoRoot(), 'lines', '3'), force = false): boolean {
  const lock = fs.readFileSync(path.join(dir, 'package-lock.json'));
  const hash = createHash('sha256').update(lock).digest('hex');
  const stamp = path.join(dir, 'node_modules', '.otel-preload-lock-sha256');
  if (!force && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === hash) return false;
  // --ignore-scripts: no package of the line needs an install script. Installed with whatever Node
  // runs npm (CI's Node 20 too): engines are checked by the preload at start, not here.
  execFileSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, stdio: 'inherit' });
  fs.writeFileSync(stamp, hash);
  return true;
}

if (require.main === module) {
  const installed = installLine3(undefined, process.argv.includes('--force'));
  console.log(installed ? 'lines/3: OpenTelemetry JS 3.x line installed' : 'lines/3: up to date');
}
