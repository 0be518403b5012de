// The flush at exit under a CPU limit of a quarter of a core (a container's `cpus: 0.25`, or a busy
// host), for every way a short job ends: the loop drains, process.exit(), an uncaught exception,
// SIGTERM. With a healthy collector nothing is lost — every span (and log record) was left for the
// flush, since the default export delays outlast the job — and the exit comes within the flush
// bound of plain node's under the same limit.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CountingReceiver } from '../helpers/counting-receiver';
import { cpuLimit } from '../helpers/cpu-limit';
import { ourLines } from '../helpers/exit-matrix';
import { start } from '../helpers/processes';
import { DEADLINE_MS } from '../helpers/wait';

const TRIPS = 10;
const SHUTDOWN_MS = 2000;

interface Job {
  name: string;
  app: string;
  env: Record<string, string>;
  /** The line after which the job is done (and the signal, if any, is sent). */
  ready: RegExp;
  signal?: NodeJS.Signals;
  spans: number;
  logs: number;
}

const JOBS: Job[] = [
  { name: 'loop drains', app: 'faults/round-trips.js', env: { ROUND_TRIPS: String(TRIPS), PACE_MS: '0' }, ready: /round trips done/, spans: 2 * TRIPS, logs: TRIPS },
  { name: 'process.exit(3)', app: 'exit/app.js', env: { ROUND_TRIPS: String(TRIPS), EXIT_KIND: 'process-exit' }, ready: /^done/, spans: 2 * TRIPS, logs: 0 },
  { name: 'uncaught exception', app: 'exit/app.js', env: { ROUND_TRIPS: String(TRIPS), EXIT_KIND: 'uncaught' }, ready: /^done/, spans: 2 * TRIPS, logs: 0 },
  { name: 'SIGTERM, no handler', app: 'exit/app.js', env: { ROUND_TRIPS: String(TRIPS), EXIT_KIND: 'serve' }, ready: /listening/, signal: 'SIGTERM', spans: 2 * TRIPS, logs: 0 },
];

const samePorts = (stdout: string) => stdout.replace(/listening \d+/g, 'listening <port>');

let receiver: CountingReceiver;
beforeAll(async () => {
  receiver = await new CountingReceiver().start();
});
afterAll(async () => receiver?.stop());

async function run(limit: ReturnType<typeof cpuLimit>, job: Job, env: Record<string, string>) {
  const [command, ...args] = limit.wrap([process.execPath, job.app]);
  const app = start(args, { node: command, env: { ...job.env, ...env } });
  const watchdog = setTimeout(() => app.child.kill('SIGKILL'), 60_000);
  try {
    await app.waitForLine(job.ready, DEADLINE_MS);
    const done = Date.now();
    if (job.signal) app.child.kill(job.signal);
    const finished = await app.exited;
    return { finished, exitMs: Date.now() - done };
  } finally {
    clearTimeout(watchdog);
  }
}

describe.each(JOBS)('a short job under a quarter of a core: $name', (job) => {
  it('every span and log record delivered by the flush at exit, within the bound', async () => {
    const r = receiver;
    const service = `cpu-limited-${job.name.replace(/\W+/g, '-')}`;
    const limit = cpuLimit(0.25);
    try {
      const plain = await run(limit, job, {});
      const ours = await run(limit, job, { NODE_OPTIONS: '--require otel-preload/register', OTEL_SERVICE_NAME: service, OTEL_EXPORTER_OTLP_ENDPOINT: r.grpcEndpoint });
      await r.waitFor(() => r.count('traces', service) >= job.spans && r.count('logs', service) >= job.logs, DEADLINE_MS, 'every span and record').catch(() => undefined);
      const detail = `${limit.how}: plain exit ${plain.exitMs} ms after the job, ours ${ours.exitMs} ms; spans ${r.count('traces', service)}/${job.spans}, logs ${r.count('logs', service)}/${job.logs}; stderr:\n${ours.finished.stderr}`;
      console.info(`${job.name}: ${detail.split('; stderr')[0]}`);
      expect(ours.finished.code, detail).toBe(plain.finished.code);
      expect(ours.finished.signal, detail).toBe(plain.finished.signal);
      expect(samePorts(ours.finished.stdout), detail).toBe(samePorts(plain.finished.stdout));
      // Nothing of ours on stderr: nothing was lost, nothing to say. (The app's own stack trace may
      // differ by one frame on Node 20/22: the README's known differences.)
      expect(ourLines(ours.finished.stderr), detail).toEqual([]);
      expect(r.count('traces', service), detail).toBe(job.spans);
      expect(r.count('logs', service), detail).toBe(job.logs);
      expect(ours.exitMs - plain.exitMs, detail).toBeLessThan(SHUTDOWN_MS);
    } finally {
      limit.remove();
    }
  });
});
