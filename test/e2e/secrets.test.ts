// Nothing secret leaves (issue #26.4): a seeded fuzz of secret-bearing inputs — endpoint values
// (valid ones with user:password and ?token=, invalid ones that a warning names), exporter and
// OpAMP headers, argv, a configuration file's values, and the URLs the app itself requests
// (presigned-URL parameters, in any case; user:password) over http.get and fetch() — in real
// processes exporting to a real OTLP receiver and polling a real OpAMP server. No secret byte may
// reach stderr, a span, a metric, a log record, the OpAMP messages (agent description, effective
// config) or the OpAMP cache directory. FUZZ_SEED=<n> replays a run; the seed is in every message.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver } from '../../scripts/otlp-receiver';
import { SpecOpampServer } from '../helpers/opamp-server';
import { REPO, start } from '../helpers/processes';
import { seededRandom } from '../helpers/random';
import { DEADLINE_MS } from '../helpers/wait';

const random = seededRandom();
const CASES = 6;

// Serves itself; one http.get with user:password and signed-URL parameters, one fetch() with
// others; then waits for SIGTERM (no handler: the preload flushes and the process dies by it).
const APP = `
const http = require('http');
const server = http.createServer((req, res) => res.end('ok'));
server.listen(0, '127.0.0.1', async () => {
  const port = server.address().port;
  await new Promise((resolve, reject) => http.get('http://u:' + process.env.APP_USERINFO_SECRET + '@127.0.0.1:' + port + '/a?' + process.env.APP_QUERY_A, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject));
  const r = await fetch('http://127.0.0.1:' + port + '/b?' + process.env.APP_QUERY_B);
  await r.text();
  console.log('ready');
});
`;

// The parameter names whose values must never leave, in the case an app might write them.
const PARAMS = ['AWSAccessKeyId', 'Signature', 'sig', 'X-Goog-Signature', 'X-Amz-Signature', 'X-Amz-Credential', 'X-Amz-Security-Token', 'x-amz-signature', 'X-Goog-Credential', 'access_token', 'token', 'api_key', 'client_secret'];
// Invalid endpoint shapes that a warning names (each carries the secret where credentials go).
const BAD_ENDPOINTS = [(s: string) => `ftp://user:${s}@collector:4317/?token=${s}`, (s: string) => `user:${s}@collector:4317`, (s: string) => `http://collector:4317 ?token=${s}`, (s: string) => `://user:${s}@collector?api_key=${s}`];

let tmp: string;
let receiver: { grpc: OtlpReceiver; http: OtlpReceiver };
const secretOf = (tag: string) => `zq${tag}${random.below(2 ** 30).toString(36)}${random.below(2 ** 30).toString(36)}`;
const casing = (name: string) => (random.below(3) === 0 ? name.toLowerCase() : name);

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-preload-secrets-'));
  fs.writeFileSync(path.join(tmp, 'app.js'), APP);
  receiver = { grpc: await new OtlpReceiver('grpc').start(), http: await new OtlpReceiver('http/protobuf').start() };
});
afterAll(async () => {
  await receiver.grpc.stop();
  await receiver.http.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const json = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x instanceof Uint8Array ? Buffer.from(x).toString('latin1') : x));

function filesUnder(dir: string): string {
  if (!fs.existsSync(dir)) return '';
  return fs.readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : e.name + fs.readFileSync(path.join(dir, e.name), 'latin1'))).join('\n');
}

describe(`secrets never leave (seed ${random.seed})`, () => {
  it.each(Array.from({ length: CASES }, (_, i) => i))('case %i', async (i) => {
    const secrets: Record<string, string> = {};
    const s = (tag: string) => (secrets[tag] = secretOf(tag));
    const protocol = random.pick(['grpc', 'http/protobuf'] as const);
    const viaFile = random.below(2) === 0;
    const level = random.pick(['warn', 'info', 'debug']);
    const service = `secrets-${random.seed}-${i}`;
    const opamp = await new SpecOpampServer().start();
    opamp.setConfig({ 'otel-preload': { log_level: level === 'debug' ? 'debug' : 'info' } });
    const cacheDir = path.join(tmp, `cache-${i}`);
    fs.mkdirSync(cacheDir);
    const collector = protocol === 'grpc' ? receiver.grpc : receiver.http;
    const opampEndpoint = `${opamp.endpoint.replace('://', `://op:${s('opampUserinfo')}@`)}?token=${s('opampQuery')}`;
    const env: Record<string, string> = {
      NODE_OPTIONS: `--require ${path.join(REPO, 'register.cjs')}`,
      OTEL_SERVICE_NAME: service,
      OTEL_LOG_LEVEL: level,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_METRIC_EXPORT_INTERVAL: '500',
      APP_USERINFO_SECRET: s('appUserinfo'),
      APP_QUERY_A: `${casing(random.pick(PARAMS))}=${s('appQueryA')}&ok=1`,
      APP_QUERY_B: `page=2&${casing(random.pick(PARAMS))}=${s('appQueryB')}`,
    };
    if (viaFile) {
      const exporter = protocol === 'grpc' ? `otlp_grpc: { endpoint: "${collector.endpoint}", headers: [{ name: authorization, value: "Bearer ${s('fileHeader')}" }] }` : `otlp_http: { endpoint: "${collector.endpoint}/v1/traces", headers: [{ name: x-api-key, value: "${s('fileHeader')}" }] }`;
      const file = path.join(tmp, `config-${i}.yaml`);
      const metricExporter = protocol === 'grpc' ? `otlp_grpc: { endpoint: "${collector.endpoint}" }` : `otlp_http: { endpoint: "${collector.endpoint}/v1/metrics" }`;
      fs.writeFileSync(file, `file_format: "1.0"
log_level: ${level}
resource:
  attributes: [{ name: service.name, value: ${service} }]
meter_provider:
  readers:
    - periodic: { interval: 500, exporter: { ${metricExporter} } }
tracer_provider:
  processors:
    - batch: { schedule_delay: 100, exporter: { ${exporter} } }
distribution:
  otel-preload:
    opamp:
      endpoint: "${opampEndpoint}"
      headers: [{ name: x-opamp-token, value: "${s('fileOpampHeader')}" }]
      heartbeat_interval: 1000
      cache_file: "${path.join(cacheDir, 'opamp.json')}"
`);
      env.OTEL_CONFIG_FILE = file;
    } else {
      Object.assign(env, {
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint,
        OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer ${s('header')},x-api-key=${s('apiKeyHeader')}`,
        [`OTEL_EXPORTER_OTLP_${random.pick(['LOGS', 'METRICS'])}_ENDPOINT`]: random.pick(BAD_ENDPOINTS)(s('badEndpoint')),
        OTEL_NODE_OPAMP_ENDPOINT: opampEndpoint,
        OTEL_NODE_OPAMP_HEADERS: `x-opamp-token=${s('opampHeader')}`,
        OTEL_NODE_OPAMP_HEARTBEAT_INTERVAL: '1000',
        OTEL_NODE_OPAMP_CACHE_FILE: path.join(cacheDir, 'opamp.json'),
      });
    }
    const argv = [`--db=postgres://app:${s('argvUserinfo')}@db.internal/orders`, `--api-token=${s('argvToken')}`, s('argvBare')];
    const app = start([path.join(tmp, 'app.js'), ...argv], { cwd: tmp, env });
    const where = `seed ${random.seed} case ${i} (${protocol}${viaFile ? ', config file' : ''}, log level ${level})`;
    try {
      await app.waitForLine(/ready/, DEADLINE_MS);
      await collector.waitFor((r) => r.spans.filter((x) => x.resource['service.name'] === service).length >= 4, DEADLINE_MS, `spans of ${service}`);
      await opamp.waitFor((rs) => rs.some((r) => r.a2s.agentDescription) && rs.some((r) => r.a2s.effectiveConfig) && rs.some((r) => r.a2s.remoteConfigStatus), DEADLINE_MS, 'agent description, effective config and a config status');
      await collector.waitFor((r) => r.metrics.some((m) => m.resource['service.name'] === service), DEADLINE_MS, `metrics of ${service}`);
    } finally {
      app.child.kill('SIGTERM');
    }
    const finished = await app.exited;
    await opamp.stop();
    expect(finished.signal, where).toBe('SIGTERM');

    const spans = collector.spans.filter((x) => x.resource['service.name'] === service);
    const places: Record<string, string> = {
      stderr: finished.stderr,
      stdout: finished.stdout,
      spans: json(spans),
      metrics: json(collector.metrics.filter((m) => m.resource['service.name'] === service)),
      logs: json(collector.logs.filter((l) => l.resource['service.name'] === service)),
      opamp: json(opamp.received.map((r) => r.a2s)),
      'opamp cache': filesUnder(cacheDir),
    };
    const leaks = Object.entries(places).flatMap(([place, text]) => Object.entries(secrets).filter(([, secret]) => text.includes(secret)).map(([tag]) => `${tag} in ${place}`));
    expect(leaks, `${where}: ${leaks.join(', ')}\n${finished.stderr}`).toEqual([]);
    // The requests are still on the spans, their secrets replaced; argv is not exported at all.
    expect(spans.some((x) => String(x.attributes['url.query'] ?? x.attributes['url.full'] ?? '').includes('REDACTED')), where).toBe(true);
    expect(spans[0].resource['process.command_args'], where).toBeUndefined();
    expect(fs.readdirSync(cacheDir).length, `${where}: the cache was written`).toBeGreaterThan(0);
  });
});
