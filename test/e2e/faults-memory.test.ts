// The export queue is bounded in bytes as well as in spans: an app whose requests carry 1 MB query
// strings, exporting to a collector that never answers, stays within a fixed margin of its memory
// without us, and the spans beyond the bound are counted as lost (queue_full).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CountingReceiver } from '../helpers/counting-receiver';
import { run } from '../helpers/processes';

const APP = 'faults/big-queries.js';
const TRIPS = 40;

let receiver: CountingReceiver;
beforeAll(async () => {
  receiver = await new CountingReceiver().start();
  await receiver.setMode('blackhole');
});
afterAll(() => receiver.stop());

const peakOf = (stdout: string) => Number(stdout.match(/peak rss MiB: (\d+)/)?.[1]);

describe('memory is bounded in bytes', () => {
  it('1 MB query strings and a black-hole collector: resident memory stays within 150 MiB of the app alone', async () => {
    const env = { ROUND_TRIPS: String(TRIPS) };
    const plain = await run([APP], { env });
    const ours = await run([APP], {
      env: { ...env, NODE_OPTIONS: '--require otel-preload/register', OTEL_SERVICE_NAME: 'big-queries', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.grpcEndpoint, OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' },
    });
    const detail = `plain ${plain.stdout.trim()}, with the preload ${ours.stdout.trim()}; stderr:\n${ours.stderr}`;
    console.info(detail.split('; stderr')[0]);
    expect(plain.code).toBe(0);
    expect(ours.code, detail).toBe(0);
    expect(peakOf(ours.stdout) - peakOf(plain.stdout), detail).toBeLessThanOrEqual(150);
    // Two 1 MB spans per trip; the queue holds 16 MiB of them, the rest is counted.
    const lost = [...ours.stderr.matchAll(/(\d+) spans \((?:[^)]*?)queue_full (\d+)/g)].reduce((n, m) => n + Number(m[2]), 0);
    expect(lost, detail).toBeGreaterThan(TRIPS);
  });
});
