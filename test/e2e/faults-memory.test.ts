// The export queue is bounded in bytes as well as in spans: an app whose requests carry 1 MB query
// strings, exporting to a collector that never answers, holds no more than the queue's bound and
// the batch in flight beyond what it holds alone, whatever the number of requests (twice the trips
// hold no more), and the spans beyond the bound are counted as lost (queue_full).
//
// The batch in flight is held twice while it is sent (the batch's buffers and the request encoded
// from them), and on a busy machine, where the run outlasts the export timeout, a timed-out
// request may still be held when the next one goes: that is the margin. Growth with the number of
// requests would be a leak; the second run, with twice the trips, must not hold more.
//
// What is held is read after a full collection: the peak resident size also counts garbage V8 has
// not collected yet (upstream's HTTP client instrumentation parses each 1 MB URL), and how lazily
// V8 collects it differs between Node versions (Node 20: +100 MiB, Node 24: +115-185 MiB over the
// app alone), so the peak gets a looser bound that still catches growth with the trips.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CountingReceiver } from '../helpers/counting-receiver';
import { run } from '../helpers/processes';

const APP = 'faults/big-queries.js';
const TRIPS = 40;
/** The queue's bound (16 MiB), a batch of that size in flight held twice, one timed out still held, and 16 MiB for our own code. */
const HELD_MARGIN_MIB = 80;
/** Twice the trips, the same bound: the longer run may hold one timed-out batch more (twice), never the 80 MiB of its extra spans. */
const GROWTH_MIB = 40;
const PEAK_MARGIN_MIB = 256;

let receiver: CountingReceiver;
beforeAll(async () => {
  receiver = await new CountingReceiver().start();
  await receiver.setMode('blackhole');
});
afterAll(() => receiver.stop());

const mibOf = (stdout: string, what: string) => Number(stdout.match(new RegExp(`${what} MiB: (\\d+)`))?.[1]);

describe('memory is bounded in bytes', () => {
  it(`1 MB query strings and a black-hole collector: memory held stays within ${HELD_MARGIN_MIB} MiB of the app alone`, async () => {
    const env = { ROUND_TRIPS: String(TRIPS) };
    const plain = await run(['--expose-gc', APP], { env });
    const preload = { NODE_OPTIONS: '--require otel-preload/register', OTEL_SERVICE_NAME: 'big-queries', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.grpcEndpoint, OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' };
    const ours = await run(['--expose-gc', APP], { env: { ...env, ...preload } });
    const longer = await run(['--expose-gc', APP], { env: { ...env, ...preload, ROUND_TRIPS: String(2 * TRIPS) } });
    const detail = `plain ${plain.stdout.trim()}, with the preload ${ours.stdout.trim()}, twice the trips ${longer.stdout.trim()}; stderr:\n${ours.stderr}`;
    console.info(detail.split('; stderr')[0].replace(/\n/g, ', '));
    expect(plain.code).toBe(0);
    expect(ours.code, detail).toBe(0);
    // A positive reading first: a missing line would make every comparison below NaN (false).
    expect(mibOf(plain.stdout, 'held'), detail).toBeGreaterThan(0);
    expect(mibOf(ours.stdout, 'held'), detail).toBeGreaterThan(0);
    expect(mibOf(ours.stdout, 'held') - mibOf(plain.stdout, 'held'), detail).toBeLessThanOrEqual(HELD_MARGIN_MIB);
    expect(longer.code, detail).toBe(0);
    expect(mibOf(longer.stdout, 'held') - mibOf(plain.stdout, 'held'), detail).toBeLessThanOrEqual(HELD_MARGIN_MIB);
    expect(mibOf(longer.stdout, 'held') - mibOf(ours.stdout, 'held'), detail).toBeLessThanOrEqual(GROWTH_MIB);
    expect(mibOf(ours.stdout, 'peak rss') - mibOf(plain.stdout, 'peak rss'), detail).toBeLessThanOrEqual(PEAK_MARGIN_MIB);
    // Two 1 MB spans per trip; the queue holds 16 MiB of them, the rest is counted.
    const lost = [...ours.stderr.matchAll(/(\d+) spans \((?:[^)]*?)queue_full (\d+)/g)].reduce((n, m) => n + Number(m[2]), 0);
    expect(lost, detail).toBeGreaterThan(TRIPS);
  });
});
