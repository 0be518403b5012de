// Tooling is left alone under the Injector's NODE_OPTIONS: a real `tsc` (through node_modules/.bin,
// as `npx tsc` and npm scripts run it) and a real `vitest run` (which loads instrumented modules,
// starts the SDK and exports runtime metrics when instrumented, in its forked workers too) export
// nothing and print nothing of ours; OTEL_NODE_INCLUDED_PROCESSES brings a tool back.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver } from '../../scripts/otlp-receiver';
import { REPO, run } from '../helpers/processes';
import { DEADLINE_MS } from '../helpers/wait';

let receiver: OtlpReceiver;
let project: string;
beforeAll(async () => {
  receiver = await new OtlpReceiver('grpc').start();
  project = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-tooling-'));
  fs.writeFileSync(path.join(project, 'a.ts'), 'export const answer: number = 42;\n');
  fs.writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { outDir: 'out' }, files: ['a.ts'] }));
  fs.writeFileSync(path.join(project, 'a.test.mjs'), "import { test, expect } from 'vitest';\ntest('one', () => expect(1).toBe(1));\n");
});
afterAll(async () => {
  await receiver.stop();
  fs.rmSync(project, { recursive: true, force: true });
});

const TSC = path.join(REPO, 'node_modules/.bin/tsc');
const VITEST = path.join(REPO, 'node_modules/vitest/vitest.mjs');

function env(service: string, extra: Record<string, string> = {}): Record<string, string> {
  // OTEL_LOG_LEVEL=info: an instrumented process says so (`started`) on stderr.
  return { NODE_OPTIONS: `--require ${path.join(REPO, 'register.cjs')}`, OTEL_LOG_LEVEL: 'info', OTEL_SERVICE_NAME: service, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_METRIC_EXPORT_INTERVAL: '200', ...extra };
}
const fromService = (service: string) => [...receiver.spans, ...receiver.metrics].filter((x) => x.resource['service.name'] === service).length;

describe('build tools and test runners under NODE_OPTIONS', () => {
  it('tsc: compiles as without us; not instrumented', async () => {
    const result = await run([TSC, '-p', project], { cwd: project, env: env('tooling-tsc') });
    expect(result.code, result.stderr).toBe(0);
    expect(fs.existsSync(path.join(project, 'out/a.js'))).toBe(true);
    expect(result.stderr).not.toMatch(/otel-preload info: started/);
  });

  it('vitest run: exports nothing; OTEL_NODE_INCLUDED_PROCESSES=vitest instruments it', async () => {
    const skipped = await run([VITEST, 'run', '--root', project], { cwd: project, env: env('tooling-vitest') });
    expect(skipped.code, skipped.stderr).toBe(0);
    expect(skipped.stderr).not.toMatch(/otel-preload/);
    const included = await run([VITEST, 'run', '--root', project], { cwd: project, env: env('tooling-vitest-included', { OTEL_NODE_INCLUDED_PROCESSES: 'vitest' }) });
    expect(included.code, included.stderr).toBe(0);
    expect(included.stderr).toMatch(/otel-preload info: started/);
    // The included run's data is the positive marker: once it is in, the skipped run's would be.
    await receiver.waitFor(() => fromService('tooling-vitest-included') > 0, DEADLINE_MS, 'metrics of the included run');
    expect(fromService('tooling-vitest')).toBe(0);
  });
});
