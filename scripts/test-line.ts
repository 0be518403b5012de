// `npm run test:line3 [-- files…]`: the suite (or the files named) on the OpenTelemetry JS 3.x
// line. The line follows the Node.js version (src/otel-line/line.ts), so vitest itself runs on a
// Node 24 binary (scripts/node-binaries.ts; OTEL_PRELOAD_LINE3_NODE picks another >= 22.15): the
// unit tests load the 3.x packages in-process, and every child process the helpers start runs on
// process.execPath, that same Node. `--core` runs the files CI runs on this line (CORE_ON_LINE3).
// The runner's JSON result goes to test-results/vitest-line3.json (scripts/test-counts.mjs adds it).

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { nodeBinary } from './node-binaries';
import { repoRoot } from './repo-root';

/** What CI runs on the 3.x line besides the first, full pass on the system Node (2.x). */
export const CORE_ON_LINE3 = [
  'test/unit',
  'test/e2e/otel-lines.test.ts',
  'test/e2e/telemetry.test.ts',
  'test/e2e/exit-paths.test.ts',
  'test/e2e/exit-signals.test.ts',
  'test/e2e/exit-delivery.test.ts',
  'test/e2e/faults.test.ts',
  'test/e2e/config-file.test.ts',
  'test/e2e/opamp.test.ts',
  'test/e2e/instrumentations.test.ts',
  'test/e2e/routes-express.test.ts',
  'test/e2e/ecs-detector.test.ts',
  // Range extensions and library versions: the extension mechanism must hold on both lines.
  'test/e2e/versions.test.ts',
  // memcached's spans from the 3.x line's instrumentation against a real server.
  'test/e2e/memcached.test.ts',
  'test/e2e/own-traffic.test.ts',
  'test/e2e/secrets.test.ts',
  // host-harms and dist-core run Node 20 and Node 24 themselves.
  'test/e2e/bundle.test.ts',
  // undici 8 (libs-newest) needs Node >= 22.19: its bundled case runs on this line only.
  'test/e2e/bundle-channels.test.ts',
];

if (require.main === module) {
  const version = process.env.OTEL_PRELOAD_LINE3_NODE ?? '24.21.0';
  // A copy any user can execute: some tests run their child as nobody (the cache is root's).
  const node = path.join(os.tmpdir(), `otel-preload-node-${version}`, 'node');
  if (!fs.existsSync(node)) {
    fs.mkdirSync(path.dirname(node), { recursive: true, mode: 0o755 });
    fs.copyFileSync(nodeBinary(version), `${node}.tmp`);
    fs.chmodSync(`${node}.tmp`, 0o755);
    fs.renameSync(`${node}.tmp`, node);
  }
  const args = process.argv.slice(2);
  const files = args.includes('--core') ? [...CORE_ON_LINE3, ...args.filter((a) => a !== '--core')] : args;
  const repo = repoRoot();
  console.log(`OpenTelemetry JS 3.x line: vitest on Node ${version} (${node})`);
  const r = spawnSync(node, [path.join(repo, 'node_modules/vitest/vitest.mjs'), 'run', ...files], { cwd: repo, stdio: 'inherit', env: { ...process.env, OTEL_PRELOAD_TEST_RESULT: 'test-results/vitest-line3.json' } });
  process.exit(r.status ?? 1);
}
