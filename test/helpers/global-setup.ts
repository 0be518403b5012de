// Makes `otel-preload` resolvable by name from the fixture apps, exactly as after `npm install
// otel-preload`, by linking fixtures/node_modules/otel-preload to this checkout.

import * as fs from 'fs';
import * as path from 'path';

export default function setup(): void {
  const repo = path.resolve(__dirname, '../..');
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
