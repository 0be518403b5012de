// The filter in front of OpenTelemetry's shared require hook (instrumentations/lazy-hooks.ts) must
// pass it every require that concerns an instrumented package — including a package's first
// require, which activates its instrumentation only then — and skip the others.

import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, run } from '../helpers/processes';

const REQUIRE = `--require ${path.join(FIXTURES, '..', 'register.cjs')}`;

describe('require filter', () => {
  it('libraries loaded after the first instrumented one are patched all the same', async () => {
    const r = await run([path.join(FIXTURES, 'require-filter/app.js')], { env: { NODE_OPTIONS: REQUIRE, OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' } });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ hook: 'otelPreloadRequireFilter', pg: true, ioredis: true, mysql2: true, mysql2Promise: true, amqplib: true, pino: true });
  });

  it('without the preload nothing is patched (the fixture can tell)', async () => {
    const r = await run([path.join(FIXTURES, 'require-filter/app.js')], { env: {} });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ pg: false, ioredis: false, mysql2: false, amqplib: false });
  });
});
