// Conservation under collector faults: an app with an exact number of spans and log records runs
// while the receiver misbehaves, then heals; every span and record is either accepted by the
// receiver or counted as lost in the self-metrics the app exported once the receiver was healthy
// again (otel.sdk.processor.*.processed and otel.sdk.exporter.*.exported with error.type), or
// named in the one line at exit when the loss happened too late to be exported.

import * as path from 'path';
import { afterEach, describe, expect, it } from 'vitest';
import { CountingReceiver, type FaultMode } from '../helpers/counting-receiver';
import { FIXTURES, start } from '../helpers/processes';
import { DEADLINE_MS } from '../helpers/wait';

const APP = path.join(FIXTURES, 'faults/round-trips.js');
const TRIPS = 40;
const PACE_MS = 50; // ~2.5 s of trips
const FAULT_MS = 1500; // the fault lasts through the first half of them

let receiver: CountingReceiver | undefined;
afterEach(async () => {
  await receiver?.stop();
  receiver = undefined;
});

const hasError = (attrs: Record<string, unknown>) => attrs['error.type'] !== undefined;

function lostOf(r: CountingReceiver, service: string, item: 'span' | 'log'): number {
  return r.selfMetric(service, `otel.sdk.processor.${item}.processed`, hasError) + r.selfMetric(service, `otel.sdk.exporter.${item}.exported`, hasError);
}

/**
 * What is lost at the very end (the flush at exit cut short) can only be named in the exit line,
 * whose "N in total" is the process's whole count: when present it is the authoritative figure.
 */
function lostAtExit(stderr: string, item: 'span' | 'log'): number | undefined {
  const noun = item === 'span' ? 'spans?' : 'log records?';
  const totals = [...stderr.matchAll(new RegExp(`(\\d+) ${noun} \\([^)]*?(\\d+) in total\\)`, 'g'))];
  return totals.length ? Number(totals[totals.length - 1][2]) : undefined;
}

async function conservation(mode: FaultMode, protocol: 'grpc' | 'http/protobuf') {
  receiver = await new CountingReceiver().start();
  receiver.slowMillis = 5000; // well past the export timeout: the client gives up first
  const r = receiver;
  const service = `faults-${mode}-${protocol.replace('/', '-')}`;
  await r.setMode(mode);
  const app = start([APP], {
    env: {
      NODE_OPTIONS: '--require otel-preload/register',
      OTEL_SERVICE_NAME: service,
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      OTEL_EXPORTER_OTLP_ENDPOINT: protocol === 'grpc' ? r.grpcEndpoint : r.httpEndpoint,
      OTEL_EXPORTER_OTLP_TIMEOUT: '3000',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_BLRP_SCHEDULE_DELAY: '100',
      ROUND_TRIPS: String(TRIPS),
      PACE_MS: String(PACE_MS),
    },
  });
  await app.waitForLine(/listening/, DEADLINE_MS);
  await new Promise((resolve) => setTimeout(resolve, FAULT_MS));
  const callsDuringFault = r.calls.traces;
  await r.setMode('ok');
  const result = await app.exited;
  expect(result.code, result.stderr).toBe(0);
  expect(result.stdout).toBe(`listening\nround trips done: ${TRIPS}\n`);
  const created = { span: 2 * TRIPS, log: TRIPS };
  const tally = () => ({
    spans: { exported: r.count('traces', service), lost: lostAtExit(result.stderr, 'span') ?? lostOf(r, service, 'span') },
    logs: { exported: r.count('logs', service), lost: lostAtExit(result.stderr, 'log') ?? lostOf(r, service, 'log') },
  });
  const balanced = () => {
    const t = tally();
    return t.spans.exported + t.spans.lost === created.span && t.logs.exported + t.logs.lost === created.log;
  };
  await r.waitFor(balanced, DEADLINE_MS, 'exported + lost = created').catch(() => undefined);
  const t = tally();
  const detail = `${mode} over ${protocol}: ${JSON.stringify(t)}, created ${JSON.stringify(created)}, calls during the fault ${callsDuringFault}; stderr:\n${result.stderr}`;
  console.info(detail.split('; stderr')[0]);
  expect(t.spans.exported + t.spans.lost, detail).toBe(created.span);
  expect(t.logs.exported + t.logs.lost, detail).toBe(created.log);
  // Never a hot loop: backoff keeps export calls to a handful while the fault lasts.
  // (A healthy collector is simply exported to on the batch schedule.)
  if (mode !== 'ok') expect(callsDuringFault, detail).toBeLessThanOrEqual(12);
  // Losses, if any, were named on stderr; an error line names the signal and the endpoint.
  if (t.spans.lost + t.logs.lost > 0) expect(result.stderr, detail).toMatch(/telemetry lost: /);
  return t;
}

describe('exported + counted lost = created, under every collector fault (gRPC)', () => {
  for (const mode of ['ok', 'down', 'unavailable', 'resource_exhausted', 'http503', 'blackhole', 'slow', 'goaway'] as FaultMode[]) {
    it(mode, async () => {
      const t = await conservation(mode, 'grpc');
      if (mode === 'ok') expect(t.spans.lost + t.logs.lost).toBe(0);
    });
  }
});

describe('exported + counted lost = created, under collector faults (HTTP/protobuf)', () => {
  for (const mode of ['ok', 'down', 'http503', 'resource_exhausted', 'blackhole'] as FaultMode[]) {
    it(mode, async () => {
      const t = await conservation(mode, 'http/protobuf');
      if (mode === 'ok') expect(t.spans.lost + t.logs.lost).toBe(0);
    });
  }
});

describe('under load, a collector that keeps saying UNAVAILABLE', () => {
  it('sees a few export calls, not a hot loop; every span is counted at exit, also past the flush bound', async () => {
    receiver = await new CountingReceiver().start();
    await receiver.setMode('unavailable');
    const t0 = Date.now();
    const result = await start(['faults/load.js'], {
      env: { NODE_OPTIONS: '--require otel-preload/register', OTEL_SERVICE_NAME: 'faults-load', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.grpcEndpoint, OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none', TICKS: '100' },
    }).exited;
    const seconds = (Date.now() - t0) / 1000;
    const detail = `${receiver.calls.traces} calls in ${seconds} s; stderr:\n${result.stderr}`;
    console.info(detail.split('; stderr')[0]);
    expect(result.code, detail).toBe(0);
    expect(result.stdout).toBe('load done: 10000\n');
    // Retries back off (1 s, 1.5 s, …) inside each batch's deadline.
    expect(receiver.calls.traces / seconds, detail).toBeLessThanOrEqual(2);
    // The exit line carries the running total: every span, since none was accepted.
    const totals = [...result.stderr.matchAll(/(\d+) spans \([^;]*; (\d+) in total\)/g)].map((m) => Number(m[2]));
    expect(totals.at(-1), detail).toBe(10_000);
    expect(receiver.count('traces', 'faults-load')).toBe(0);
  });
});
