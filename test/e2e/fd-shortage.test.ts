// A brief shortage of file descriptors at the first export, under a real low limit (`ulimit -n
// 64`): the app takes every descriptor left, holds them through the first exports, then gives
// them back. Nothing may be switched off for good by it: spans made after the shortage arrive,
// the metric exporter (whose modules were being loaded when none was left) exports again, the
// messages, the loss lines too, name EMFILE (Node reports a module it could not open as "Cannot find module"), and
// every span is exported or counted as lost, exactly.

import { afterEach, describe, expect, it } from 'vitest';
import { CountingReceiver } from '../helpers/counting-receiver';
import { start } from '../helpers/processes';
import { DEADLINE_MS } from '../helpers/wait';

const PHASE = 20; // spans before, during and after the shortage

let receiver: CountingReceiver | undefined;
afterEach(async () => {
  await receiver?.stop();
  receiver = undefined;
});

const hasError = (attrs: Record<string, unknown>) => attrs['error.type'] !== undefined;

describe('file descriptors exhausted at the first export, then freed', () => {
  it.each(['grpc', 'http/protobuf'] as const)('over %s: later spans and metrics arrive; exported + lost = created; the message names EMFILE', async (protocol) => {
    receiver = await new CountingReceiver().start();
    const r = receiver;
    const service = `fd-shortage-${protocol.replace('/', '-')}`;
    const app = start(['-c', 'ulimit -n 64 && exec "$0" "$@"', process.execPath, 'faults/fd-shortage.js'], {
      node: 'bash',
      env: {
        NODE_OPTIONS: '--require otel-preload/register',
        OTEL_SERVICE_NAME: service,
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
        OTEL_EXPORTER_OTLP_ENDPOINT: protocol === 'grpc' ? r.grpcEndpoint : r.httpEndpoint,
        OTEL_BSP_SCHEDULE_DELAY: '100',
        OTEL_METRIC_EXPORT_INTERVAL: '300',
        PHASE: String(PHASE),
        HOLD_MS: '1500',
        AFTER_MS: '1500',
      },
    });
    const result = await app.exited;
    const created = 3 * PHASE;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^shortage \\d+ EMFILE\\ndone ${created}\\n$`));
    const lostInTotal = [...result.stderr.matchAll(/(\d+) spans? \([^)]*?(\d+) in total\)/g)].map((m) => Number(m[2])).at(-1);
    const lost = () => lostInTotal ?? r.selfMetric(service, 'otel.sdk.processor.span.processed', hasError) + r.selfMetric(service, 'otel.sdk.exporter.span.exported', hasError);
    await r.waitFor(() => r.count('traces', service) + lost() === created && r.count('metrics', service) > 0, DEADLINE_MS, 'exported + lost = created, and metrics').catch(() => undefined);
    const detail = `${protocol}: exported ${r.count('traces', service)} spans, lost ${lost()}, ${r.count('metrics', service)} metric points; stderr:\n${result.stderr}`;
    console.info(detail.split('; stderr')[0]);
    expect(r.count('traces', service) + lost(), detail).toBe(created);
    // At least what was made after the shortage; the ones during it were retried or counted.
    expect(r.count('traces', service), detail).toBeGreaterThanOrEqual(PHASE);
    expect(r.count('metrics', service), detail).toBeGreaterThan(0);
    expect(result.stderr, detail).not.toMatch(/Cannot find module|this signal is not exported/);
    for (const line of result.stderr.split('\n').filter((l) => l.includes('could not be created'))) expect(line).toMatch(/EMFILE/);
    // Every loss line names its cause (the metric points' line named none: the reader has no queue
    // to report the failure, and the transport that names it otherwise was never reached).
    const lossLines = result.stderr.split('\n').filter((l) => l.includes('telemetry lost:'));
    for (const line of lossLines) expect(line, detail).toMatch(/ because .*EMFILE/);
  });
});
