// SIGTERM and SIGINT under the preload, whoever handles them: nobody (Node's default), the app
// (exits, sets exitCode and closes its server, keeps serving while it drains), or signal-exit v3/v4
// (the real packages, loaded before or after the preload's SDK starts). Against a collector that
// works, is down or never answers: exit code, signal, stdout and time as under plain node; spans
// (those of a drain included) delivered exactly, or counted and named in one line.

import { afterAll, beforeAll, describe, it } from 'vitest';
import { COLLECTORS, Collectors, expectLikePlain, ROUND_TRIPS, runCase, type ExitCase, type Outcome } from '../helpers/exit-matrix';

const serve = (env: Record<string, string>, signal: NodeJS.Signals = 'SIGTERM', trips = ROUND_TRIPS): ExitCase => ({
  name: `${signal}, ${Object.values(env).join(' ') || 'no handler'}`,
  env: { EXIT_KIND: 'serve', ...env },
  signal,
  spans: 2 * trips,
});

const CASES: ExitCase[] = [
  serve({}),
  serve({}, 'SIGINT'),
  serve({ HANDLER: 'exit' }),
  serve({ HANDLER: 'exitcode' }),
  serve({ HANDLER: 'drain' }, 'SIGTERM', 2 * ROUND_TRIPS),
  ...['v3-before', 'v3-after', 'v4-before', 'v4-after'].map((v) => serve({ SIGNAL_EXIT: v })),
  serve({ SIGNAL_EXIT: 'v4-after' }, 'SIGINT'),
  // OTLP/HTTP: an export in flight to a black hole must not hold the app's exit either.
  { ...serve({ HANDLER: 'exitcode', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_BSP_SCHEDULE_DELAY: '100' }), collectors: ['black hole'] },
  // A collector that refuses at once with a retryable answer: the backoff between retries must not
  // hold the app's exit at all (OTLP/HTTP held it for the whole bound while upstream's retry timers ran).
  ...(['http/protobuf', 'grpc'] as const).map((protocol) => ({
    ...serve({ HANDLER: 'exitcode', OTEL_EXPORTER_OTLP_PROTOCOL: protocol, OTEL_BSP_SCHEDULE_DELAY: '100' }),
    collectors: ['unavailable' as const],
    maxExtraMs: 1000,
  })),
  // A metric export in flight to a collector that never answers when the app ends must not hold
  // the exit either (the reader's wait for it held the loop until the export gave up: 10–12 s).
  ...(['http/protobuf', 'grpc'] as const).map((protocol) => ({
    ...serve({ HANDLER: 'exitcode', OTEL_EXPORTER_OTLP_PROTOCOL: protocol, OTEL_METRICS_EXPORTER: 'otlp', OTEL_METRIC_EXPORT_INTERVAL: '4000', READY_AFTER_MS: '4500' }),
    collectors: ['black hole' as const],
  })),
];

const collectors = new Collectors();
const plain = new Map<string, Outcome>();
beforeAll(async () => {
  await collectors.start();
  for (const c of CASES) plain.set(c.name, await runCase(c, {}));
});
afterAll(() => collectors.stop());

describe.each(CASES)('$name', (c) => {
  it.each(c.collectors ?? COLLECTORS)('collector %s: exit code, signal, stdout and time as plain node; spans delivered or counted', async (collector) => {
    await expectLikePlain(c, plain.get(c.name)!, collector, collectors);
  });
});
