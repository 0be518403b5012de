// An event loop blocked longer than the export timeout (the app's own 5 s of synchronous work
// against OTEL_EXPORTER_OTLP_TIMEOUT=3000) while an export is in flight to a collector that answers
// within a second: the answer waits in the socket buffer while the loop is blocked. Every span
// arrives exactly once, and none may be counted as lost: the collector acknowledged them all.

import { afterEach, describe, expect, it } from 'vitest';
import { CountingReceiver } from '../helpers/counting-receiver';
import { start } from '../helpers/processes';
import { DEADLINE_MS } from '../helpers/wait';

let receiver: CountingReceiver | undefined;
afterEach(async () => {
  await receiver?.stop();
  receiver = undefined;
});

const hasError = (attrs: Record<string, unknown>) => attrs['error.type'] !== undefined;

describe('the event loop blocked past the export timeout', () => {
  it.each(['grpc', 'http/protobuf'] as const)('over %s: every span delivered once, none counted lost', async (protocol) => {
    receiver = await new CountingReceiver().start();
    const r = receiver;
    r.slowMillis = 1000;
    await r.setMode('slow');
    const service = `blocked-loop-${protocol.replace('/', '-')}`;
    const app = start(['faults/block-loop.js'], {
      env: {
        NODE_OPTIONS: '--require otel-preload/register',
        OTEL_SERVICE_NAME: service,
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
        OTEL_EXPORTER_OTLP_ENDPOINT: protocol === 'grpc' ? r.grpcEndpoint : r.httpEndpoint,
        OTEL_EXPORTER_OTLP_TIMEOUT: '3000',
        OTEL_BSP_SCHEDULE_DELAY: '100',
        OTEL_METRIC_EXPORT_INTERVAL: '1000',
        ROUNDS: '2',
        PHASE: '20',
        WAIT_MS: '300',
        BLOCK_MS: '5000',
      },
    });
    const result = await app.exited;
    const created = 40;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(`done ${created}\n`);
    const lost = () => r.selfMetric(service, 'otel.sdk.processor.span.processed', hasError) + r.selfMetric(service, 'otel.sdk.exporter.span.exported', hasError);
    const delivered = () => r.selfMetric(service, 'otel.sdk.exporter.span.exported', (a) => !hasError(a));
    await r.waitFor(() => r.count('traces', service) >= created && delivered() >= created, DEADLINE_MS, 'every span, and the self-metrics saying so').catch(() => undefined);
    const detail = `${protocol}: arrived ${r.count('traces', service)}, counted delivered ${delivered()}, counted lost ${lost()}; stderr:\n${result.stderr}`;
    console.info(detail.split('; stderr')[0]);
    expect(r.count('traces', service), detail).toBe(created);
    expect(delivered(), detail).toBe(created);
    expect(lost(), detail).toBe(0);
    expect(result.stderr, detail).not.toMatch(/telemetry lost/);
  });
});
