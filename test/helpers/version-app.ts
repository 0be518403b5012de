// A fixture app on one version set (test/versions, handed over in LIBS_DIR), started under the
// preload before a describe block's tests and stopped after them.

import * as path from 'path';
import { afterAll, beforeAll } from 'vitest';
import { prepareApp, VERSION_SETS } from '../../scripts/corpus';
import type { VersionSet } from '../../scripts/e2e-tested';
import { REPO, start, type Running } from './processes';
import { DEADLINE_MS } from './wait';

/**
 * Starts `fixture` (a path under the repo) in `beforeAll` with `env()` (read then, so that it may
 * name servers the file starts first), exporting spans to `endpoint()` with a short batch delay and
 * no metrics. `port()` is its port once it printed `listening <port>`; `stderr()` what it wrote there.
 */
export function appOnVersionSet(fixture: string, set: VersionSet, endpoint: () => string, env: () => Record<string, string> = () => ({})): { port(): number; stderr(): string } {
  let app: Running | undefined;
  let port = 0;
  beforeAll(async () => {
    app = start([path.join(REPO, fixture)], {
      env: {
        NODE_OPTIONS: `--require ${path.join(REPO, 'register.cjs')}`,
        LIBS_DIR: prepareApp(set, VERSION_SETS).dir,
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint(),
        OTEL_BSP_SCHEDULE_DELAY: '100',
        OTEL_METRICS_EXPORTER: 'none',
        ...env(),
      },
    });
    port = Number((await app.waitForLine(/listening (\d+)/, DEADLINE_MS))[1]);
  });
  afterAll(async () => {
    app?.child.kill('SIGTERM');
    await app?.exited;
  });
  return { port: () => port, stderr: () => app?.stderr() ?? '' };
}
