// A collector that answers with an OTLP partial success took the request but refused some of its
// items: they are counted as lost (export_failed) and the collector's message is on the loss
// line, for spans (the export queue) and metric data points (the metric reader), over HTTP.

import * as http from 'http';
import type { AddressInfo } from 'net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lineRequire } from '../../src/otel-line/line';

const B = '../../build/src';
const { createLogger } = require(`${B}/log/logger`) as typeof import('../../src/log/logger');
const { readConfig } = require(`${B}/config`) as typeof import('../../src/config');
const { startSdk } = require(`${B}/sdk`) as typeof import('../../src/sdk');
const { RuntimeState, localSettings } = require(`${B}/runtime/state`) as typeof import('../../src/runtime/state');
const { unregisterGlobals } = require(`${B}/sdk/providers/unregister`) as typeof import('../../src/sdk/providers/unregister');

/** Export<Signal>ServiceResponse{ partial_success { rejected_<items> = n, error_message } } */
function partialSuccess(rejected: number, message: string): Buffer {
  const text = Buffer.from(message);
  const inner = Buffer.concat([Buffer.from([0x08, rejected, 0x12, text.length]), text]);
  return Buffer.concat([Buffer.from([0x0a, inner.length]), inner]);
}

const requests: string[] = [];
const server = http.createServer((req, res) => {
  req.resume().on('end', () => {
    requests.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(partialSuccess(2, 'quota: 2 refused'));
  });
});
let endpoint = '';
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => server.close());

/** Starts the SDK against the collector with `env`, runs `emit`, shuts down: the warn lines and what was lost. */
async function exportOnce(env: Record<string, string>, emit: (api: typeof import('@opentelemetry/api')) => void) {
  const lines: string[] = [];
  const { config } = readConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_LOGS_EXPORTER: 'none', ...env });
  const sdk = startSdk(config, createLogger('warn', (l) => lines.push(l)), new RuntimeState(localSettings(config)), 'id');
  try {
    emit(lineRequire('@opentelemetry/api') as typeof import('@opentelemetry/api'));
  } finally {
    unregisterGlobals();
    await sdk.shutdown().catch(() => undefined);
  }
  return { lines, loss: lines.filter((l) => /telemetry lost/.test(l)).join('\n'), totalLost: sdk.totalLost() };
}

describe('partial success', () => {
  it('spans and data points the collector refused are counted as lost, with its message; the rest as delivered', async () => {
    const { lines, loss, totalLost } = await exportOnce({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_METRICS_EXPORTER: 'otlp' }, (api) => {
      for (let i = 0; i < 5; i++) api.trace.getTracer('t').startSpan(`s${i}`).end();
      const counter = api.metrics.getMeter('m').createCounter('c');
      for (let i = 0; i < 3; i++) counter.add(1, { i });
    });
    expect(requests).toContain('/v1/traces');
    expect(requests).toContain('/v1/metrics');
    expect(loss).toMatch(/2 spans \(export_failed 2; 2 in total\)/);
    expect(loss).toMatch(/metric data points \(export_failed 2;/);
    expect(loss).toMatch(/quota: 2 refused/);
    expect(lines.join('\n')).not.toMatch(/Received Partial Success/);
    expect(totalLost).toBe(4);
  });

  it('a metrics-only loss line names the collector\'s words too (the metric reader has no queue to name them)', async () => {
    const { loss } = await exportOnce({ OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'otlp' }, (api) => {
      const counter = api.metrics.getMeter('m').createCounter('c');
      for (let i = 0; i < 3; i++) counter.add(1, { i });
    });
    expect(loss).toMatch(/metric data points \(export_failed 2;/);
    expect(loss).toMatch(/metrics export to \S+ failed \(the collector refused 2 in a partial success: quota: 2 refused\)/);
  });
});
