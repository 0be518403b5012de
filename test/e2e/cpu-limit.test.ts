// The flush at exit under a CPU limit of a quarter of a core (a container's `cpus: 0.25`, or a busy
// host): a short job with a healthy collector, whose every span and log record waits for the flush
// (the default 5 s and 1 s delays outlast the job, so the exporters load during it), loses nothing,
// and its exit comes within the flush bound of plain node's under the same limit.

import { afterAll, describe, expect, it } from 'vitest';
import { CountingReceiver } from '../helpers/counting-receiver';
import { cpuLimit } from '../helpers/cpu-limit';
import { start } from '../helpers/processes';
import { DEADLINE_MS } from '../helpers/wait';

const TRIPS = 10;
const SHUTDOWN_MS = 2000;
let receiver: CountingReceiver | undefined;
afterAll(async () => receiver?.stop());

async function job(limit: ReturnType<typeof cpuLimit>, env: Record<string, string>) {
  const [command, ...args] = limit.wrap([process.execPath, 'faults/round-trips.js']);
  const app = start(args, { node: command, env: { ROUND_TRIPS: String(TRIPS), PACE_MS: '0', ...env } });
  await app.waitForLine(/round trips done/);
  const done = Date.now();
  const finished = await app.exited;
  return { finished, exitMs: Date.now() - done };
}

describe('a short job under a quarter of a core', () => {
  it('every span and log record delivered by the flush at exit, within the bound', async () => {
    receiver = await new CountingReceiver().start();
    const r = receiver;
    const service = 'cpu-limited-job';
    const limit = cpuLimit(0.25);
    try {
      const plain = await job(limit, {});
      const ours = await job(limit, { NODE_OPTIONS: '--require otel-preload/register', OTEL_SERVICE_NAME: service, OTEL_EXPORTER_OTLP_ENDPOINT: r.grpcEndpoint });
      await r.waitFor(() => r.count('traces', service) >= 2 * TRIPS && r.count('logs', service) >= TRIPS, DEADLINE_MS, 'every span and record').catch(() => undefined);
      const detail = `${limit.how}: plain exit ${plain.exitMs} ms after the job, ours ${ours.exitMs} ms; spans ${r.count('traces', service)}/${2 * TRIPS}, logs ${r.count('logs', service)}/${TRIPS}; stderr:\n${ours.finished.stderr}`;
      console.info(detail.split('; stderr')[0]);
      expect(ours.finished.code, detail).toBe(plain.finished.code);
      expect(ours.finished.stdout, detail).toBe(plain.finished.stdout);
      expect(ours.finished.stderr, detail).toBe('');
      expect(r.count('traces', service), detail).toBe(2 * TRIPS);
      expect(r.count('logs', service), detail).toBe(TRIPS);
      expect(ours.exitMs - plain.exitMs, detail).toBeLessThan(SHUTDOWN_MS);
    } finally {
      limit.remove();
    }
  });
});
