// The checkout's root, whether this code runs compiled (build/…) or from source under vitest.

import * as fs from 'fs';
import * as path from 'path';

export function repoRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'otel-preload') return dir;
    if (path.dirname(dir) === dir) throw new Error(`no otel-preload package.json above ${from}`);
  }
}
