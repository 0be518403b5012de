// doctor tells the truth about a real installed app (test/corpus/apps/doctor-shop: koa 1.7.1
// outside its instrumentation's range, postgres with none; bunyan 2 (range extension), mariadb
// (our own instrumentation) and pg covered), misspelled names, the
// NODE_OPTIONS line it recommends (it must work from where it is run), an authenticated collector
// (headers + client certificate), and a protocol sent to the other protocol's port.

import * as https from 'https';
import type { AddressInfo } from 'net';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareApp } from '../../scripts/corpus';
import { OtlpReceiver } from '../../scripts/otlp-receiver';
import { makeCertificates, type Certificates } from '../helpers/certs';
import { REPO, run } from '../helpers/processes';

const CLI = path.join(REPO, 'build/src/cli/index.js');
let shop: string;
let grpcReceiver: OtlpReceiver;
let httpReceiver: OtlpReceiver;
let certs: Certificates;
let secured: https.Server;

interface Report {
  checks: Array<{ ok: boolean; detail: string }>;
  app: { instrumented: Array<{ module: string; version?: string }>; notCovered: Array<{ module: string; version?: string; supported?: string }> };
  nodeOptions: string;
}

beforeAll(async () => {
  shop = prepareApp('doctor-shop').dir;
  grpcReceiver = await new OtlpReceiver('grpc').start();
  httpReceiver = await new OtlpReceiver('http/protobuf').start();
  certs = makeCertificates();
  // A collector that wants both a client certificate and a bearer token, as managed ones do.
  secured = https.createServer({ key: certs.read('server.key'), cert: certs.read('server.pem'), ca: certs.read('ca.pem'), requestCert: true, rejectUnauthorized: true }, (req, res) => {
    req.resume();
    res.statusCode = req.headers.authorization === 'Bearer s3cret' ? 200 : 401;
    res.end();
  });
  await new Promise<void>((r) => secured.listen(0, '127.0.0.1', () => r()));
});

afterAll(async () => {
  await grpcReceiver?.stop();
  await httpReceiver?.stop();
  await new Promise((r) => secured?.close(r));
  certs?.remove();
});

async function doctor(cwd: string, env: Record<string, string>): Promise<Report> {
  const result = await run([CLI, 'doctor', '--json'], { cwd, env });
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout);
}
const details = (r: Report) => r.checks.filter((c) => !c.ok).map((c) => c.detail);

describe('doctor tells the truth', () => {
  it('versions outside the supported range and known drivers without instrumentation are "not covered"', async () => {
    const report = await doctor(shop, { OTEL_EXPORTER_OTLP_ENDPOINT: grpcReceiver.endpoint });
    expect(report.app.notCovered).toEqual([
      { module: 'koa', version: '1.7.1', instrumentation: 'koa', covered: false, supported: '>=2.0.0 <4' },
      { module: 'postgres', version: '3.4.9', covered: false },
    ]);
    expect(report.app.instrumented.map((i) => `${i.module}@${i.version}`)).toEqual(expect.arrayContaining(['pg@8.23.1', 'bunyan@2.0.5', 'mariadb@3.4.5']));
    expect(report.app.instrumented.map((i) => i.module)).not.toContain('koa');
    expect(details(report)).toEqual(['koa 1.7.1: not covered (the koa instrumentation supports >=2.0.0 <4); its calls produce no spans', 'postgres 3.4.9: not covered (otel-preload has no instrumentation for it); its calls produce no spans']);
  });

  it('misspelled OTEL_* variables and instrumentation names are flagged with the nearest valid one', async () => {
    const report = await doctor(shop, { OTEL_EXPORTER_OTLP_ENDPOINT: grpcReceiver.endpoint, OTEL_SERVICENAME: 'shop', OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'expres,fs' });
    expect(details(report)).toContain('OTEL_SERVICENAME is not a variable otel-preload reads: it is ignored; did you mean OTEL_SERVICE_NAME?');
    expect(details(report)).toContain('"expres" in OTEL_NODE_{ENABLED,DISABLED}_INSTRUMENTATIONS is no instrumentation name: it is ignored; did you mean express?');
  });

  it.each([
    ['the app', () => shop],
    ['the distribution folder', () => REPO],
  ])('the recommended NODE_OPTIONS line works for the app when doctor runs from %s', async (_where, cwd) => {
    const report = await doctor(cwd(), { OTEL_EXPORTER_OTLP_ENDPOINT: grpcReceiver.endpoint });
    expect(report.nodeOptions).toBe(`NODE_OPTIONS="--require ${path.join(REPO, 'register.cjs')}"`);
    const line = report.nodeOptions.replace(/^NODE_OPTIONS="(.*)"$/, '$1');
    const started = await run(['-e', 'console.log("app ran")'], { cwd: shop, env: { NODE_OPTIONS: line, OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' } });
    expect({ code: started.code, stdout: started.stdout, stderr: started.stderr }).toEqual({ code: 0, stdout: 'app ran\n', stderr: '' });
  });

  it('probes an authenticated collector with the configured headers, CA and client certificate', async () => {
    const endpoint = `https://127.0.0.1:${(secured.address() as AddressInfo).port}`;
    const base = { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_EXPORTER_OTLP_CERTIFICATE: certs.file('ca.pem') };
    const full = await doctor(shop, { ...base, OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Bearer%20s3cret', OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: certs.file('client.pem'), OTEL_EXPORTER_OTLP_CLIENT_KEY: certs.file('client.key') });
    expect(full.checks.find((c) => c.detail.startsWith('traces →'))?.ok).toBe(true);
    const noToken = await doctor(shop, { ...base, OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: certs.file('client.pem'), OTEL_EXPORTER_OTLP_CLIENT_KEY: certs.file('client.key') });
    expect(noToken.checks.find((c) => c.detail.startsWith('traces →'))?.detail).toMatch(/HTTP 401 \(check OTEL_EXPORTER_OTLP_HEADERS\)/);
  });

  it.each([
    ['grpc', () => httpReceiver.endpoint, /^traces → grpc .*: TCP connect ok, (\d+) answers HTTP\/1\.1, but the protocol is grpc: set OTEL_EXPORTER_OTLP_PROTOCOL=http\/protobuf, or use the collector's gRPC port \(4317\)$/],
    ['http/protobuf', () => grpcReceiver.endpoint, /^traces → http\/protobuf .*: TCP connect ok, (\d+) answers gRPC \(HTTP\/2 only\), but the protocol is http\/protobuf: set OTEL_EXPORTER_OTLP_PROTOCOL=grpc, or use the collector's HTTP port \(4318\)$/],
  ])('protocol %s sent to the other protocol’s port is explained', async (protocol, endpoint, expected) => {
    const report = await doctor(shop, { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint(), OTEL_EXPORTER_OTLP_PROTOCOL: protocol });
    const traces = report.checks.find((c) => c.detail.startsWith('traces →'))!;
    expect(traces.ok).toBe(false);
    expect(traces.detail).toMatch(expected);
    expect(traces.detail.match(expected)![1]).toBe(new URL(endpoint()).port);
  });
});
