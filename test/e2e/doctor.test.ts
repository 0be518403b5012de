// `otel-preload doctor` and the start-up summary, as an operator runs them.

import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver } from '../../scripts/otlp-receiver';
import { FIXTURES, REPO, run } from '../helpers/processes';

const CLI = path.join(REPO, 'build/src/cli/index.js');
let grpcReceiver: OtlpReceiver;
let httpReceiver: OtlpReceiver;

beforeAll(async () => {
  grpcReceiver = await new OtlpReceiver('grpc').start();
  httpReceiver = await new OtlpReceiver('http/protobuf').start();
});
afterAll(async () => {
  await grpcReceiver.stop();
  await httpReceiver.stop();
});

async function doctor(cwd: string, env: Record<string, string>) {
  const result = await run([CLI, 'doctor', '--json'], { cwd: path.join(FIXTURES, cwd), env });
  return { code: result.code, report: JSON.parse(result.stdout), stderr: result.stderr };
}

describe('otel-preload doctor', () => {
  it('good configuration, gRPC and HTTP endpoints up, CommonJS app: exit 0, --require line, express listed', async () => {
    const { code, report } = await doctor('cjs-app', { OTEL_EXPORTER_OTLP_ENDPOINT: grpcReceiver.endpoint, OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/protobuf', OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${httpReceiver.endpoint}/v1/logs` });
    expect(report.checks.filter((c: { ok: boolean }) => !c.ok)).toEqual([]);
    expect(code).toBe(0);
    expect(report.checks.find((c: { check: string }) => c.check === 'traces endpoint').detail).toMatch(/TCP connect ok, gRPC answered \(grpc-status 0\)/);
    expect(report.checks.find((c: { check: string }) => c.check === 'logs endpoint').detail).toMatch(/HTTP answered (2xx|400)/);
    expect(report.app.moduleType).toBe('commonjs');
    expect(report.app.instrumented).toContainEqual({ instrumentation: 'express', module: 'express', version: expect.stringMatching(/^5\./) });
    expect(report.nodeOptions).toBe('NODE_OPTIONS="--require otel-preload/register"');
  });

  it('ES module app: --import line', async () => {
    const { report } = await doctor('esm-app', { OTEL_EXPORTER_OTLP_ENDPOINT: grpcReceiver.endpoint });
    expect(report.app.moduleType).toBe('esm');
    expect(report.nodeOptions).toBe('NODE_OPTIONS="--import otel-preload/register"');
  });

  it('an invalid variable is reported through the same config module, without failing the run', async () => {
    const { code, report } = await doctor('cjs-app', { OTEL_EXPORTER_OTLP_ENDPOINT: grpcReceiver.endpoint, OTEL_BSP_MAX_QUEUE_SIZE: 'lots' });
    expect(report.checks).toContainEqual(expect.objectContaining({ check: 'configuration', ok: false, blocking: false, detail: expect.stringContaining('OTEL_BSP_MAX_QUEUE_SIZE="lots"') }));
    expect(code).toBe(0);
  });

  it('an unreachable endpoint fails the run, in human-readable output too', async () => {
    const { code, report } = await doctor('cjs-app', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' });
    expect(code).toBe(1);
    expect(report.checks.find((c: { check: string }) => c.check === 'traces endpoint')).toMatchObject({ ok: false, detail: expect.stringMatching(/ECONNREFUSED/) });
    const human = await run([CLI, 'doctor'], { cwd: path.join(FIXTURES, 'cjs-app'), env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' } });
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/FAIL +traces → grpc http:\/\/127\.0\.0\.1:9: connect ECONNREFUSED/);
    expect(human.stdout).toMatch(/telemetry would NOT arrive/);
  });

  it('never prints secrets: headers and URL credentials are redacted', async () => {
    const { report } = await doctor('cjs-app', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://user:hunter2@127.0.0.1:9/?api_key=s3cret', OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20tok3n' });
    const text = JSON.stringify(report);
    for (const secret of ['hunter2', 's3cret', 'tok3n']) expect(text).not.toContain(secret);
  });
});

describe('start-up summary', () => {
  it('one JSON line at info, secrets redacted; nothing at the default level', async () => {
    const env = {
      NODE_OPTIONS: '--require otel-preload/register',
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20tok3n,x-team=checkout',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://user:hunter2@collector.example:4317/?token=s3cret',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
    };
    const quiet = await run(['guards/noop.js'], { env });
    expect(quiet.stderr).toBe('');
    const verbose = await run(['guards/noop.js'], { env: { ...env, OTEL_LOG_LEVEL: 'info' } });
    const lines = verbose.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    const summary = JSON.parse(lines[0].replace(/^otel-preload info: started /, ''));
    expect(summary).toMatchObject({
      entry: '--require',
      service: { name: 'fixture-guards', from: 'package.json' },
      traces: { protocol: 'grpc', endpoint: 'https://REDACTED@collector.example:4317/?REDACTED', headers: { authorization: '<redacted>', 'x-team': '<redacted>' } },
      metrics: 'none',
      opamp: 'off',
      instrumentations: expect.arrayContaining(['http', 'express', 'undici']),
    });
    for (const secret of ['hunter2', 's3cret', 'tok3n', 'checkout']) expect(verbose.stderr).not.toContain(secret);
  });
});
