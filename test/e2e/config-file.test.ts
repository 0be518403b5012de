// OTEL_CONFIG_FILE end to end: real apps under NODE_OPTIONS, real OTLP receivers. The packaging's
// reference file works unchanged with the Injector's variables; the file wins over the other OTEL_*
// variables; the distribution section and the tooling guard; a sampler is refused; a kitchen-sink
// file of every supported node; and every unusable file leaves the app alone with one line.

import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver } from '../../scripts/otlp-receiver';
import { makeCertificates, type Certificates } from '../helpers/certs';
import { FIXTURES, get, REPO, run, start, withoutNodeWarnings } from '../helpers/processes';
import { stageForOtherUsers, type Stage } from '../helpers/stage';
import { DEADLINE_MS } from '../helpers/wait';

const REQUIRE = `--require ${path.join(REPO, 'register.cjs')}`;
const REFERENCE = path.join(FIXTURES, 'config-file/reference.yaml');
const KITCHEN_SINK = path.join(FIXTURES, 'config-file/kitchen-sink.yaml');
const JOB = path.join(FIXTURES, 'guards/job.js');
const LOADED = path.join(FIXTURES, 'guards/loaded-modules.js');
const NOBODY = 65534;

let http: OtlpReceiver;
let grpc: OtlpReceiver;
let certs: Certificates;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'otel-config-file-e2e-'));
let n = 0;
function file(yaml: string): string {
  const f = path.join(tmp, `c${n++}.yaml`);
  writeFileSync(f, yaml);
  return f;
}

beforeAll(async () => {
  [http, grpc] = await Promise.all([new OtlpReceiver('http/protobuf').start(), new OtlpReceiver('grpc').start()]);
  certs = makeCertificates();
});
afterAll(async () => {
  await http?.stop();
  await grpc?.stop();
  certs?.remove();
});

const spansOf = (r: OtlpReceiver, service: string) => r.spans.filter((s) => s.resource['service.name'] === service);

describe('the packaging-style reference file, unchanged', () => {
  it('with the Injector variables: spans, metrics and logs over HTTP/protobuf, service name from package.json', async () => {
    const env = {
      NODE_OPTIONS: REQUIRE,
      OTEL_CONFIG_FILE: REFERENCE,
      // What the Injector's default_env.conf and its attribute injection set (never OTEL_SERVICE_NAME).
      OTEL_EXPORTER_OTLP_ENDPOINT: http.endpoint,
      OTEL_RESOURCE_ATTRIBUTES: 'k8s.namespace.name=shop,k8s.pod.name=web-1',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=acme',
      // Read only through substitution: were they read directly, the export would go to gRPC or nowhere.
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_LOG_LEVEL: 'debug',
    };
    const app = start(['cjs-app/app.js'], { env });
    const [, port] = await app.waitForLine(/listening (\d+)/, DEADLINE_MS); // a loaded CI machine starts express slowly
    expect((await get(`http://127.0.0.1:${port}/users/42`)).status).toBe(200);
    await get(`http://127.0.0.1:${port}/shutdown`);
    const finished = await app.exited;
    expect(finished.code).toBe(0);
    expect(withoutNodeWarnings(finished.stderr)).toBe('');

    const service = 'fixture-cjs-app';
    await http.waitFor((r) => spansOf(r, service).some((s) => s.kind === 'SPAN_KIND_SERVER') && r.logs.some((l) => l.resource['service.name'] === service) && r.metrics.some((m) => m.resource['service.name'] === service), DEADLINE_MS);
    const server = spansOf(http, service).find((s) => s.kind === 'SPAN_KIND_SERVER')!;
    expect(server.resource).toMatchObject({ 'k8s.namespace.name': 'shop', 'k8s.pod.name': 'web-1', 'service.version': '1.2.3' });
    expect(http.metrics.some((m) => m.name === 'http.server.request.duration' && m.resource['service.name'] === service)).toBe(true);
  });

  it('OTEL_SERVICE_NAME, when set, names the service through the file', async () => {
    const result = await run([JOB], { env: { NODE_OPTIONS: REQUIRE, OTEL_CONFIG_FILE: REFERENCE, OTEL_EXPORTER_OTLP_ENDPOINT: http.endpoint, OTEL_SERVICE_NAME: 'ref-named' } });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('job done\n');
    expect(withoutNodeWarnings(result.stderr)).toBe('');
    await http.waitFor((r) => spansOf(r, 'ref-named').length >= 2);
  });
});

describe('what the file says goes', () => {
  it('a sampler is refused with one line; every span is still exported', async () => {
    const f = file(`file_format: "1.1"
resource: { attributes: [{ name: service.name, value: sampler-refused }] }
tracer_provider:
  processors: [{ batch: { exporter: { otlp_grpc: { endpoint: ${grpc.endpoint} } } } }]
  sampler: { trace_id_ratio_based: { ratio: 0 } }
`);
    const result = await run([JOB], { env: { NODE_OPTIONS: REQUIRE, OTEL_CONFIG_FILE: f } });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('job done\n');
    expect(withoutNodeWarnings(result.stderr).split('\n')).toEqual([`otel-preload warn: ${f}: tracer_provider.sampler.trace_id_ratio_based is refused: sampling is done centrally, so every span is recorded and exported (always_on).`]);
    await grpc.waitFor((r) => spansOf(r, 'sampler-refused').some((s) => s.kind === 'SPAN_KIND_SERVER') && spansOf(r, 'sampler-refused').some((s) => s.kind === 'SPAN_KIND_CLIENT'));
  });

  it('distribution.otel-preload: excluded_processes leaves the process alone (the debug line is the marker)', async () => {
    const f = file('file_format: "1.0"\nlog_level: debug\ndistribution:\n  otel-preload:\n    excluded_processes: [job]\n');
    const result = await run([JOB], { env: { NODE_OPTIONS: REQUIRE, OTEL_CONFIG_FILE: f } });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('job done\n');
    expect(withoutNodeWarnings(result.stderr)).toMatch(/^otel-preload debug: process job is excluded/);
  });

  it('tooling is left alone before the file is read: npx with a missing file prints nothing', async () => {
    const dir = path.join(tmp, 'bin');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'npx.js'), "console.log('tool ran')\n");
    const result = await run([path.join(dir, 'npx.js')], { env: { NODE_OPTIONS: REQUIRE, OTEL_CONFIG_FILE: path.join(tmp, 'missing.yaml') } });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('tool ran\n');
    expect(result.stderr).toBe('');
  });

  it('kitchen sink: traces over gRPC (gzip, headers), metrics and logs over HTTP, summary names the file', async () => {
    const env = {
      NODE_OPTIONS: REQUIRE,
      OTEL_CONFIG_FILE: KITCHEN_SINK,
      COLLECTOR: grpc.endpoint,
      HTTP_COLLECTOR: http.endpoint,
      KS_CA: certs.file('ca.pem'),
      KS_CERT: certs.file('client.pem'),
      KS_KEY: certs.file('client.key'),
      KS_OPAMP: 'http://127.0.0.1:9/v1/opamp',
    };
    const app = start(['cjs-app/app.js'], { env });
    const [, port] = await app.waitForLine(/listening (\d+)/, DEADLINE_MS); // a loaded CI machine starts express slowly
    expect((await get(`http://127.0.0.1:${port}/users/7`)).status).toBe(200);
    await get(`http://127.0.0.1:${port}/shutdown`);
    const finished = await app.exited;
    expect(finished.code).toBe(0);
    const started = finished.stderr.split('\n').find((l) => l.includes('otel-preload info: started '));
    expect(started, finished.stderr).toBeDefined();
    const summary = JSON.parse(started!.slice(started!.indexOf('{')));
    expect(summary.configFile).toEqual({ path: KITCHEN_SINK, fileFormat: '1.1' });
    expect(summary.traces).toMatchObject({ exporters: ['otlp', 'console'], protocol: 'grpc', compression: 'gzip', headers: { 'x-tenant': '<redacted>', authorization: '<redacted>' } });
    expect(summary.metrics).toMatchObject({ protocol: 'http/protobuf', intervalMs: 15000 });
    await grpc.waitFor((r) => spansOf(r, 'kitchen-sink').some((s) => s.kind === 'SPAN_KIND_SERVER'), DEADLINE_MS, 'spans over gRPC');
    await http.waitFor((r) => r.metrics.some((m) => m.resource['service.name'] === 'kitchen-sink') && r.logs.some((l) => l.resource['service.name'] === 'kitchen-sink'), DEADLINE_MS, 'metrics and logs over HTTP');
    const server = spansOf(grpc, 'kitchen-sink').find((s) => s.kind === 'SPAN_KIND_SERVER')!;
    expect(server.resource).toMatchObject({ team: 'core', replicas: '3', 'deployment.environment.name': 'test' });
    expect(server.resource['host.name']).toBeDefined(); // resource.detection/development: host
  });
});

describe('a file that cannot be used: the app runs unchanged, one line, no telemetry', () => {
  const unreadable = path.join(tmp, 'unreadable.yaml');
  const cases: Array<[string, () => string, RegExp, { uid?: number; gid?: number }?]> = [
    ['missing', () => path.join(tmp, 'nope.yaml'), /does not exist/],
    ['unreadable (as nobody)', () => unreadable, /cannot be read \(permission denied\)/, { uid: NOBODY, gid: NOBODY }],
    ['not YAML', () => file('file_format: "1.0"\ntracer_provider: [\n'), /is not valid YAML: line \d+/],
    ['wrong file_format', () => file('file_format: "0.3"\n'), /file_format: "0\.3" is not supported/],
    ['schema-invalid', () => file('file_format: "1.0"\ntracer_provider:\n  processors:\n    - batch: { exporter: { otlp_http: { endpoint: 42 } } }\n'), /does not match the configuration schema: tracer_provider\.processors\[0\]\.batch\.exporter\.otlp_http\.endpoint must be string/],
  ];
  // The app run as nobody runs from a copy any user can read (the checkout may be under a 0700 home).
  let stage: Stage | undefined;
  beforeAll(() => {
    writeFileSync(unreadable, 'file_format: "1.0"\n');
    chmodSync(unreadable, 0o600); // root's; the child runs as nobody
    stage = stageForOtherUsers();
  });
  afterAll(() => stage?.remove());

  it.each(cases)('%s', async (_label, make, what, user) => {
    const f = make();
    const staged = user && stage ? { loaded: path.join(stage.fixtures, 'guards/loaded-modules.js'), require: stage.require, cwd: stage.fixtures } : { loaded: LOADED, require: REQUIRE, cwd: FIXTURES };
    const plain = await run([staged.loaded], { env: {}, cwd: staged.cwd, ...user });
    const result = await run([staged.loaded], { env: { NODE_OPTIONS: staged.require, OTEL_CONFIG_FILE: f, OTEL_EXPORTER_OTLP_ENDPOINT: grpc.endpoint }, cwd: staged.cwd, ...user });
    expect(result.code).toBe(plain.code);
    const lines = withoutNodeWarnings(result.stderr).split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^otel-preload warn: OTEL_CONFIG_FILE ${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `));
    expect(lines[0]).toMatch(what);
    expect(lines[0]).toMatch(/no telemetry from this process\.$/);
    // No telemetry, checked positively: the SDK, exporters and instrumentations were never loaded.
    const loaded: string[] = JSON.parse(result.stdout);
    const telemetry = loaded.filter((m) => /node_modules\/@opentelemetry\/(sdk-|instrumentation|exporter|otlp-)|build\/src\/(sdk|instrumentations)\//.test(m));
    expect(telemetry).toEqual([]);
    expect(loaded.some((m) => m.includes('build/src/config/'))).toBe(true);
  });
});

describe('otel-preload doctor with OTEL_CONFIG_FILE (the same code path as the preload)', () => {
  const CLI = path.join(REPO, 'build/src/cli/index.js');
  type Check = { check: string; ok: boolean; detail: string };
  const doctor = async (env: Record<string, string>) => {
    const result = await run([CLI, 'doctor', '--json'], { cwd: path.join(FIXTURES, 'cjs-app'), env });
    return { code: result.code, checks: JSON.parse(result.stdout).checks as Check[] };
  };

  it('a good file: reported with its file_format, the endpoints it names probed', async () => {
    const { code, checks } = await doctor({ OTEL_CONFIG_FILE: REFERENCE, OTEL_EXPORTER_OTLP_ENDPOINT: http.endpoint });
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(code).toBe(0);
    expect(checks.find((c) => c.check === 'config file')?.detail).toContain(`${REFERENCE} (file_format 1.0)`);
    expect(checks.find((c) => c.check === 'traces endpoint')?.detail).toContain(`http/protobuf ${http.endpoint}/v1/traces`);
    expect(checks.find((c) => c.check === 'config sources')?.detail).toContain('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ← tracer_provider.processors[0].batch.exporter.otlp_http.endpoint (substitution)');
  });

  it('a bad file: the start-up line, and doctor fails', async () => {
    const f = file('file_format: "1.0"\ntracer_provider: [\n');
    const { code, checks } = await doctor({ OTEL_CONFIG_FILE: f });
    expect(code).not.toBe(0);
    expect(checks.map((c) => c.detail)).toContainEqual(expect.stringMatching(new RegExp(`^OTEL_CONFIG_FILE .*is not valid YAML`)));
    expect(checks.find((c) => c.check === 'config file' && !c.ok)).toBeDefined();
  });
});
