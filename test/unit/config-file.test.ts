// OTEL_CONFIG_FILE through the same readConfig the preload runs: substitution, precedence, the
// mapping onto Config, the distribution section, refused samplers, unsupported nodes, and every way
// a file can be unusable (one line naming the file, the path in it and what is wrong; telemetry off).

import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { configFilePath, type ConfigResult } from '../../src/config';
import { readConfigFile } from '../../src/config/file';

// readConfig loads the file code with a lazy require (so that processes without a file never load
// it), which vitest cannot resolve in TypeScript sources: dispatch the way readConfig does.
function readConfig(env: Record<string, string | undefined>): ConfigResult {
  return readConfigFile(configFilePath(env)!, env);
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'otel-config-file-'));
let n = 0;
function file(yaml: string): string {
  const f = path.join(dir, `c${n++}.yaml`);
  writeFileSync(f, yaml);
  return f;
}
const REFERENCE = path.join(__dirname, '../../fixtures/config-file/reference.yaml');
const KITCHEN_SINK = path.join(__dirname, '../../fixtures/config-file/kitchen-sink.yaml');

describe('the packaging-style reference file', () => {
  it('with the Injector variables: HTTP/protobuf to their endpoint, their attributes and headers', () => {
    const { config, warnings, off, file: source } = readConfig({
      OTEL_CONFIG_FILE: REFERENCE,
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_RESOURCE_ATTRIBUTES: 'k8s.pod.name=web-1,deployment.environment.name=prod',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=acme',
    });
    expect(warnings).toEqual([]);
    expect(off).toBeUndefined();
    expect(source).toEqual({ path: REFERENCE, fileFormat: '1.0' });
    for (const s of ['traces', 'metrics', 'logs'] as const) {
      expect(config[s]).toMatchObject({ exporters: ['otlp'], protocol: 'http/protobuf', endpoint: `http://collector:4318/v1/${s}`, headers: { 'x-tenant': 'acme' } });
    }
    expect(config.resourceAttributes).toEqual({ 'k8s.pod.name': 'web-1', 'deployment.environment.name': 'prod' });
    // unknown_service is the file's fallback: our detection (package.json, …) names the service instead.
    expect(config.serviceName).toBeUndefined();
    expect(config.propagators).toEqual(['tracecontext', 'baggage']);
  });

  it('says where each setting came from: the file itself or a substitution in it', () => {
    const { sources } = readConfig({ OTEL_CONFIG_FILE: REFERENCE });
    expect(sources).toContainEqual({ setting: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', path: 'tracer_provider.processors[0].batch.exporter.otlp_http.endpoint', from: 'substitution' });
    expect(sources).toContainEqual({ setting: 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', path: 'tracer_provider.processors[0].batch.exporter.otlp_http', from: 'file' });
    expect(sources?.some((s) => s.setting === 'OTEL_BSP_SCHEDULE_DELAY')).toBe(false); // a default
  });

  it('without them: the specification defaults, and OTEL_SERVICE_NAME when it is set', () => {
    const { config, warnings } = readConfig({ OTEL_CONFIG_FILE: REFERENCE, OTEL_SERVICE_NAME: 'checkout' });
    expect(warnings).toEqual([]);
    expect(config.traces.endpoint).toBe('http://localhost:4318/v1/traces');
    expect(config.traces.headers).toEqual({});
    expect(config.serviceName).toBe('checkout');
  });

  it('OTEL_SDK_DISABLED=true substituted into disabled: turns telemetry off without a word', () => {
    const { warnings, off } = readConfig({ OTEL_CONFIG_FILE: REFERENCE, OTEL_SDK_DISABLED: 'true' });
    expect(off).toBe(true);
    expect(warnings).toEqual([]);
  });
});

describe('precedence: with a file, other OTEL_* variables act only through substitution', () => {
  it('exporter, protocol, batch, limits and log level variables are not read', () => {
    const { config, warnings } = readConfig({
      OTEL_CONFIG_FILE: REFERENCE,
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://elsewhere:4317',
      OTEL_BSP_SCHEDULE_DELAY: '1',
      OTEL_LOG_LEVEL: 'debug',
      OTEL_TRACES_SAMPLER: 'always_off',
      OTEL_NODE_SHUTDOWN_TIMEOUT: '100',
    });
    expect(warnings).toEqual([]);
    expect(config.traces).toMatchObject({ exporters: ['otlp'], protocol: 'http/protobuf', endpoint: 'http://localhost:4318/v1/traces' });
    expect(config.spanBatch.scheduledDelayMillis).toBe(5000);
    expect(config.logLevel).toBe('warn');
    expect(config.shutdownTimeoutMillis).toBe(2000);
  });

  it('the process guards still apply: OTEL_NODE_EXCLUDED_PROCESSES / _INCLUDED_PROCESSES', () => {
    const { config } = readConfig({ OTEL_CONFIG_FILE: REFERENCE, OTEL_NODE_EXCLUDED_PROCESSES: 'my-cli', OTEL_NODE_INCLUDED_PROCESSES: 'npm' });
    expect(config.excludedProcesses).toContain('my-cli');
    expect(config.excludedProcesses).toContain('npx');
    expect(config.includedProcesses).toEqual(['npm']);
  });

  it('the deprecated OTEL_EXPERIMENTAL_CONFIG_FILE works, with one line saying so', () => {
    const { warnings, file: source } = readConfig({ OTEL_EXPERIMENTAL_CONFIG_FILE: REFERENCE });
    expect(source?.path).toBe(REFERENCE);
    expect(warnings).toEqual(['OTEL_EXPERIMENTAL_CONFIG_FILE is deprecated; set OTEL_CONFIG_FILE instead.']);
  });

  it('the deprecated name with an unusable file: still one line', () => {
    const { warnings, off } = readConfig({ OTEL_EXPERIMENTAL_CONFIG_FILE: '1.5' });
    expect(off).toBe(true);
    expect(warnings).toEqual(['OTEL_EXPERIMENTAL_CONFIG_FILE (deprecated: set OTEL_CONFIG_FILE) 1.5 does not exist; no telemetry from this process.']);
  });

  it('substitution: defaults, $$ escapes, env: prefix, and typed plain scalars', () => {
    const f = file(`file_format: "1.1"
tracer_provider:
  processors:
    - batch:
        schedule_delay: \${DELAY}
        max_queue_size: \${QUEUE:-4096}
        exporter:
          otlp_grpc:
            endpoint: \${env:EP:-http://default:4317}
            headers: [{ name: x-cost, value: "$$5" }]
`);
    const { config, warnings } = readConfig({ OTEL_CONFIG_FILE: f, DELAY: '250', EP: 'http://gw:4317' });
    expect(warnings).toEqual([]);
    expect(config.spanBatch).toMatchObject({ scheduledDelayMillis: 250, maxQueueSize: 4096 });
    expect(config.traces).toMatchObject({ protocol: 'grpc', endpoint: 'http://gw:4317', headers: { 'x-cost': '$5' } });
    expect(config.metrics.exporters).toEqual([]); // no meter_provider: no metrics, as the spec says
    expect(config.logs.exporters).toEqual([]);
    expect(config.propagators).toEqual([]);
  });
});

describe('what the file cannot change', () => {
  it('a sampler is refused with one line; always_on is accepted silently', () => {
    const sampled = file('file_format: "1.0"\ntracer_provider:\n  processors: [{ batch: { exporter: { otlp_http: {} } } }]\n  sampler:\n    trace_id_ratio_based: { ratio: 0.1 }\n');
    const { warnings } = readConfig({ OTEL_CONFIG_FILE: sampled });
    expect(warnings).toEqual([`${sampled}: tracer_provider.sampler.trace_id_ratio_based is refused: sampling is done centrally, so every span is recorded and exported (always_on).`]);
    const alwaysOn = file('file_format: "1.0"\ntracer_provider:\n  processors: [{ batch: { exporter: { otlp_http: {} } } }]\n  sampler:\n    always_on:\n');
    expect(readConfig({ OTEL_CONFIG_FILE: alwaysOn }).warnings).toEqual([]);
  });

  it('unsupported nodes are all named in one warning, never dropped silently', () => {
    const f = file(`file_format: "1.0"
tracer_provider:
  processors:
    - batch: { exporter: { otlp_grpc: {} } }
    - batch: { exporter: { otlp_http: {} } }
    - simple: { exporter: { otlp_file/development: {} } }
meter_provider:
  readers:
    - pull: { exporter: { prometheus/development: {} } }
  views:
    - selector: { instrument_name: x }
      stream: { aggregation: { drop: {} } }
propagator:
  composite: [{ b3: {} }, { tracecontext: {} }]
instrumentation/development: { java: {} }
`);
    const { config, warnings } = readConfig({ OTEL_CONFIG_FILE: f });
    expect(warnings).toHaveLength(1);
    for (const p of ['tracer_provider.processors[1].batch.exporter.otlp_http', 'tracer_provider.processors[2].simple.exporter.otlp_file/development', 'meter_provider.readers[0].pull', 'meter_provider.views', 'propagator.composite[0].b3', 'instrumentation/development']) {
      expect(warnings[0]).toContain(p);
    }
    expect(config.traces).toMatchObject({ exporters: ['otlp'], protocol: 'grpc', endpoint: 'http://localhost:4317' });
    expect(config.propagators).toEqual(['tracecontext']);
  });

  it('values are bounded as from the environment, reported by their path in the file', () => {
    const f = file('file_format: "1.0"\nmeter_provider:\n  readers:\n    - periodic:\n        interval: 2147483648\n        exporter: { otlp_http: { headers: [{ name: connection, value: close }, { name: x-ok, value: "1" }] } }\n');
    const { config, warnings } = readConfig({ OTEL_CONFIG_FILE: f });
    expect(config.metricExportIntervalMillis).toBe(2_147_483_647);
    expect(config.metrics.headers).toEqual({ 'x-ok': '1' });
    expect(warnings).toHaveLength(2);
    expect(warnings.join('\n')).toContain(`${f}: meter_provider.readers[0].periodic.interval="2147483648" is above the maximum 2147483647`);
    expect(warnings.join('\n')).toContain(`${f}: meter_provider.readers[0].periodic.exporter.otlp_http.headers=<redacted> has headers that cannot be sent`);
  });
});

describe('the kitchen-sink file: every node we support', () => {
  it('maps onto the Config field by field', () => {
    const { config, warnings, file: source } = readConfig({ OTEL_CONFIG_FILE: KITCHEN_SINK, COLLECTOR: 'http://127.0.0.1:4317' });
    // The one thing it asks for that is never done: capturing a credential header.
    expect(warnings).toEqual([expect.stringMatching(/: instrumentation\/development\.general\.http\.server\.request_captured_headers names authorization: credential headers are never captured; it is left out\.$/)]);
    expect(source?.fileFormat).toBe('1.1');
    expect(config.logLevel).toBe('info');
    expect(config.serviceName).toBe('kitchen-sink');
    expect(config.resourceAttributes).toEqual({ 'deployment.environment.name': 'test', 'team': 'core', 'replicas': '3', 'zones': 'a,b' });
    expect(config.resourceDetectors).toEqual(['env', 'host', 'os', 'process', 'serviceinstance', 'container']);
    expect(config.propagators).toEqual(['tracecontext', 'baggage']);
    expect(config.generalLimits).toEqual({ attributeValueLengthLimit: 4096, attributeCountLimit: 64 });
    expect(config.spanLimits).toEqual({ attributeValueLengthLimit: 2048, attributeCountLimit: 100, eventCountLimit: 10, linkCountLimit: 5, attributePerEventCountLimit: 8, attributePerLinkCountLimit: 4 });
    expect(config.traces).toMatchObject({ exporters: ['otlp', 'console'], protocol: 'grpc', endpoint: 'http://127.0.0.1:4317', headers: { 'x-tenant': 'acme', authorization: 'Bearer t0k' }, compression: 'gzip', timeoutMillis: 5000 });
    expect(config.spanBatch).toEqual({ scheduledDelayMillis: 200, exportTimeoutMillis: 2_147_483_647, maxQueueSize: 4096, maxExportBatchSize: 256 });
    expect(config.metrics).toMatchObject({ exporters: ['otlp'], protocol: 'http/protobuf', endpoint: 'http://127.0.0.1:4318/v1/metrics', compression: 'none', certificate: '/etc/ssl/ca.pem', clientCertificate: '/etc/ssl/client.pem', clientKey: '/etc/ssl/client.key' });
    expect(config.metricExportIntervalMillis).toBe(15_000);
    expect(config.metricExportTimeoutMillis).toBe(5000);
    expect(config.metricTemporality).toBe('delta');
    expect(config.logs).toMatchObject({ exporters: ['otlp'], protocol: 'http/protobuf', endpoint: 'http://127.0.0.1:4318/v1/logs' });
    expect(config.logBatch.scheduledDelayMillis).toBe(0); // simple: no delay
    expect(config.shutdownTimeoutMillis).toBe(1500);
    expect(config.excludedProcesses).toEqual(expect.arrayContaining(['npm', 'migrate', 'my-cli']));
    expect(config.enabledInstrumentations).toEqual(['http', 'express', 'pg']);
    expect(config.disabledInstrumentations).toEqual(['fs']);
    expect(config.instrumentationDetail).toEqual(['graphql', 'net']);
    expect(config.baggageSpanAttributes).toEqual(['tenant.id', 'plan']);
    expect(config.genAiCaptureMessageContent).toBe(true);
    expect(config.capturedHeaders).toEqual({ serverRequest: ['x-tenant'], serverResponse: ['content-type'], clientRequest: ['x-request-id'], clientResponse: ['server'] });
    expect(config.opamp).toEqual({ endpoint: 'https://opamp.example:4320/v1/opamp', headers: { authorization: 'Bearer op' }, certificate: '/etc/ssl/opamp-ca.pem', clientCertificate: undefined, clientKey: undefined, heartbeatIntervalMillis: 60_000, cacheFile: '/var/cache/otel-preload/opamp.json' });
    expect(config.configFile).toEqual({ path: KITCHEN_SINK, fileFormat: '1.1' });
  });

  it('an unknown key in our distribution section is named; other distributions are theirs', () => {
    const f = file('file_format: "1.0"\ndistribution:\n  otel-preload:\n    shutdown_timout: 10\n  other-vendor:\n    anything: 1\n');
    const { warnings } = readConfig({ OTEL_CONFIG_FILE: f });
    expect(warnings).toEqual([`${f}: not supported by otel-preload, ignored: distribution.otel-preload.shutdown_timout.`]);
  });
});

describe('a file that cannot be used: one line naming the file, where and what; telemetry off', () => {
  mkdirSync(path.join(dir, 'a-directory'));
  const unreadable = file('file_format: "1.0"\n');
  chmodSync(unreadable, 0o000);
  const cases: Array<[string, string, RegExp]> = [
    ['missing', path.join(dir, 'nope.yaml'), /does not exist/],
    ['a directory', path.join(dir, 'a-directory'), /is not a regular file/],
    ['not YAML', file('file_format: "1.0"\nfoo: [1, 2\n  bar: }\n'), /is not valid YAML: line \d+, column \d+/],
    ['empty', file(''), /is not a YAML mapping/],
    ['a YAML list', file('- a\n- b\n'), /is not a YAML mapping/],
    ['no file_format', file('tracer_provider: { processors: [] }\n'), /has no file_format/],
    ['file_format 2.0', file('file_format: "2.0"\n'), /file_format: "2\.0" is not supported \(1\.0 and 1\.1 are\)/],
    ['file_format unquoted', file('file_format: 1.0\n'), /file_format: 1 is not a string/],
    ['schema-invalid', file('file_format: "1.0"\ntracer_provider:\n  processors:\n    - batch:\n        max_queue_size: -1\n        exporter: { otlp_http: {} }\n'), /does not match the configuration schema: tracer_provider\.processors\[0\]\.batch\.max_queue_size must be/],
    ['bad substitution', file('file_format: "1.0"\nlog_level: ${LEVEL:?required}\n'), /has an invalid substitution: .*\$\{LEVEL:\?required\}/],
  ];
  if (process.getuid?.() !== 0) cases.push(['unreadable', unreadable, /cannot be read \(permission denied\)/]); // root reads anything; e2e covers it as nobody

  it.each(cases)('%s', (_label, f, what) => {
    const { warnings, off, config } = readConfig({ OTEL_CONFIG_FILE: f });
    expect(off).toBe(true);
    expect(warnings).toHaveLength(1);
    expect(warnings[0].startsWith(`OTEL_CONFIG_FILE ${f} `)).toBe(true);
    expect(warnings[0]).toMatch(what);
    expect(warnings[0]).toMatch(/no telemetry from this process\.$/);
    expect(warnings[0]).not.toContain('\n');
    expect(config.traces.exporters).toEqual([]);
  });
});
