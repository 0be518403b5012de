// A plain http server whose dependency tree uses signal-exit (3, through proper-lockfile, and 4
// directly) and no SIGTERM handler of its own: signal-exit runs the exit hooks and re-raises the
// signal, so the process must still die of SIGTERM, with both hooks' effects.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll } from 'vitest';
import { corpusSuite } from './contract';

const lockDirs: string[] = [];
afterAll(() => lockDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

corpusSuite({
  name: 'lockfile-worker',
  service: { name: 'lockfile-worker', version: '0.9.0' },
  argv: () => ['worker.js'],
  env: () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corpus-lock-'));
    lockDirs.push(dir);
    return { LOCK_DIR: dir };
  },
  ready: /lockfile-worker listening/,
  // Plain node:http knows no route.
  requests: [
    { path: '/status', status: 200, route: null },
    { path: '/jobs/1', status: 200, route: null },
  ],
  stopSignal: 'SIGTERM',
});
