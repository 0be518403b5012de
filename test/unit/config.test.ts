// Every environment variable of the settings table, valid and invalid: a valid value is taken,
// an invalid one gives exactly one warning naming the variable, the value and the fallback.

import { describe, expect, it } from 'vitest';
import { readConfig, isSdkDisabled } from '../../src/config';
import { SETTINGS as ALL_SETTINGS, type Setting } from '../../src/config/settings';

// OTEL_CONFIG_FILE switches to the file, whose code loads lazily (test/unit/config-file.test.ts).
const SETTINGS = ALL_SETTINGS.filter((s) => !s.name.endsWith('CONFIG_FILE'));

function validValue(s: Setting): string {
  if (s.name === 'OTEL_TRACES_SAMPLER') return 'always_on'; // the only value that keeps every span
  switch (s.kind.type) {
    case 'boolean': return 'true';
    case 'integer': return '1234';
    case 'enum': return s.kind.values[s.kind.values.length - 1];
    case 'enumList': return s.kind.values.filter((v) => v !== 'none' && v !== 'all').slice(0, 2).join(',');
    case 'list': return 'a,b';
    case 'keyValue':
    case 'headers': return 'k1=v1,k2=v%202';
    case 'url': return 'http://collector.example:4317';
    case 'string':
    case 'path': return 'some-value';
  }
}

function invalidValue(s: Setting): string | undefined {
  switch (s.kind.type) {
    case 'boolean': return 'yes please';
    case 'integer': return '-5x';
    case 'enum': return 'bogus';
    case 'enumList': return 'bogus';
    case 'keyValue':
    case 'headers': return 'novalue,=x';
    case 'url': return 'not a url';
    default: return undefined; // any non-empty string is a valid list, string or path
  }
}

describe('config: every variable of the table', () => {
  it.each(SETTINGS.map((s) => [s.name, s] as const))('%s accepts a valid value without warning', (name, setting) => {
    const { warnings } = readConfig({ [name]: validValue(setting) });
    expect(warnings.filter((w) => w.startsWith(name + '='))).toEqual([]);
  });

  it.each(SETTINGS.filter((s) => invalidValue(s) !== undefined).map((s) => [s.name, s] as const))('%s: an invalid value gives one warning and the default', (name, setting) => {
    const bad = invalidValue(setting)!;
    const { config, warnings } = readConfig({ [name]: bad });
    const mine = warnings.filter((w) => w.startsWith(name + '='));
    expect(mine).toHaveLength(1);
    expect(mine[0]).toContain(setting.secret ? '<redacted>' : JSON.stringify(bad));
    expect(mine[0]).toMatch(setting.default === undefined ? /it is ignored/ : /using the default/);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('never throws, whatever the input', () => {
    const garbage = ['', ' ', '\u0000', '%%%', '=', ',,,', 'x'.repeat(10_000), '💥', '-1', '1e9999', 'NaN'];
    for (const s of SETTINGS) for (const g of garbage) expect(() => readConfig({ [s.name]: g })).not.toThrow();
  });
});

describe('config: meaning of the values', () => {
  it('defaults: gRPC to localhost:4317 for every signal, otlp exporters, W3C propagators', () => {
    const { config, warnings } = readConfig({});
    expect(warnings).toEqual([]);
    for (const s of [config.traces, config.metrics, config.logs]) {
      expect(s.protocol).toBe('grpc');
      expect(s.endpoint).toBe('http://localhost:4317');
      expect(s.exporters).toEqual(['otlp']);
      expect(s.timeoutMillis).toBe(10_000);
    }
    expect(config.propagators).toEqual(['tracecontext', 'baggage']);
    expect(config.logLevel).toBe('warn');
    expect(config.shutdownTimeoutMillis).toBe(2000);
  });

  it('http/protobuf appends /v1/<signal> to the generic endpoint, not to a per-signal one', () => {
    const { config } = readConfig({
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/',
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://logs:9999/custom',
    });
    expect(config.traces.endpoint).toBe('http://c:4318/v1/traces');
    expect(config.metrics.endpoint).toBe('http://c:4318/v1/metrics');
    expect(config.logs.endpoint).toBe('http://logs:9999/custom');
    expect(readConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' }).config.traces.endpoint).toBe('http://localhost:4318/v1/traces');
  });

  it('per-signal settings win over generic ones; headers merge', () => {
    const { config } = readConfig({
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_TIMEOUT: '500',
      OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '700',
      OTEL_EXPORTER_OTLP_HEADERS: 'a=1,b=2',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'b=3',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
      OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE: '/etc/ca.pem',
    });
    expect(config.metrics.protocol).toBe('http/protobuf');
    expect(config.traces.protocol).toBe('grpc');
    expect(config.traces.timeoutMillis).toBe(700);
    expect(config.logs.timeoutMillis).toBe(500);
    expect(config.traces.headers).toEqual({ a: '1', b: '3' });
    expect(config.logs.headers).toEqual({ a: '1', b: '2' });
    expect(config.logs.compression).toBe('gzip');
    expect(config.logs.certificate).toBe('/etc/ca.pem');
    expect(config.traces.certificate).toBeUndefined();
  });

  it('exporters: none and console, lists allowed', () => {
    const { config } = readConfig({ OTEL_TRACES_EXPORTER: 'console,otlp', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'CONSOLE' });
    expect(config.traces.exporters).toEqual(['console', 'otlp']);
    expect(config.metrics.exporters).toEqual([]);
    expect(config.logs.exporters).toEqual(['console']);
  });

  it('a sampler other than always_on is ignored with a warning that sampling is central', () => {
    const { warnings } = readConfig({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/OTEL_TRACES_SAMPLER="traceidratio" is ignored: sampling is done centrally/);
    expect(readConfig({ OTEL_TRACES_SAMPLER: 'always_on' }).warnings).toEqual([]);
    expect(readConfig({ OTEL_TRACES_SAMPLER: 'parentbased_always_on' }).warnings).toHaveLength(1);
  });

  it('resource attributes are percent-decoded; a malformed list is discarded whole', () => {
    expect(readConfig({ OTEL_RESOURCE_ATTRIBUTES: 'service.name=a%20b,k8s.pod.name=p-1' }).config.resourceAttributes).toEqual({ 'service.name': 'a b', 'k8s.pod.name': 'p-1' });
    const bad = readConfig({ OTEL_RESOURCE_ATTRIBUTES: 'ok=1,broken' });
    expect(bad.config.resourceAttributes).toEqual({});
    expect(bad.warnings[0]).toMatch(/^OTEL_RESOURCE_ATTRIBUTES=/);
  });

  it('secret values never appear in warnings', () => {
    const { warnings } = readConfig({ OTEL_EXPORTER_OTLP_HEADERS: 'authorization' });
    expect(warnings[0]).toContain('<redacted>');
    expect(warnings.join()).not.toContain('authorization');
  });

  it('batch size larger than the queue is clamped with a warning', () => {
    const { config, warnings } = readConfig({ OTEL_BSP_MAX_QUEUE_SIZE: '100', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '500' });
    expect(config.spanBatch.maxExportBatchSize).toBe(100);
    expect(warnings[0]).toMatch(/OTEL_BSP_MAX_EXPORT_BATCH_SIZE=500 is larger than OTEL_BSP_MAX_QUEUE_SIZE=100/);
  });

  it('span limits fall back to the general attribute limits', () => {
    const { config } = readConfig({ OTEL_ATTRIBUTE_COUNT_LIMIT: '10', OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '64', OTEL_SPAN_EVENT_COUNT_LIMIT: '3' });
    expect(config.spanLimits.attributeCountLimit).toBe(10);
    expect(config.spanLimits.attributeValueLengthLimit).toBe(64);
    expect(config.spanLimits.eventCountLimit).toBe(3);
    expect(readConfig({ OTEL_ATTRIBUTE_COUNT_LIMIT: '10', OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '20' }).config.spanLimits.attributeCountLimit).toBe(20);
  });

  it('instrumentation switches, detectors, semconv opt-in, processes', () => {
    const { config } = readConfig({
      OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http, express',
      OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'express',
      OTEL_NODE_RESOURCE_DETECTORS: 'env,host',
      OTEL_SEMCONV_STABILITY_OPT_IN: 'http,database',
      OTEL_NODE_EXCLUDED_PROCESSES: 'my-cli',
    });
    expect(config.enabledInstrumentations).toEqual(['http', 'express']);
    expect(config.disabledInstrumentations).toEqual(['express']);
    expect(config.resourceDetectors).toEqual(['env', 'host']);
    expect(config.excludedProcesses).toContain('npm');
    expect(config.excludedProcesses).toContain('my-cli');
  });

  it('captured headers: lower-cased per side and direction; credential and invalid names left out with one warning each', () => {
    const { config, warnings } = readConfig({
      OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST: 'X-Tenant, Cookie, X-Api-Key',
      OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_RESPONSE: 'x-plan',
      OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_REQUEST: 'bad header',
      OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_RESPONSE: 'Server',
      OTEL_NODE_BAGGAGE_SPAN_ATTRIBUTES: 'tenant.id,plan',
      OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true',
    });
    expect(config.capturedHeaders).toEqual({ serverRequest: ['x-tenant'], serverResponse: ['x-plan'], clientRequest: [], clientResponse: ['server'] });
    expect(config.baggageSpanAttributes).toEqual(['tenant.id', 'plan']);
    expect(config.genAiCaptureMessageContent).toBe(true);
    expect(readConfig({}).config.genAiCaptureMessageContent).toBe(false);
    expect(warnings).toEqual([
      'OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST names cookie, x-api-key: credential headers are never captured; they are left out.',
      'OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_REQUEST names invalid header names "bad header"; it is left out.',
    ]);
    expect(readConfig({}).config.capturedHeaders).toEqual({ serverRequest: [], serverResponse: [], clientRequest: [], clientResponse: [] });
  });

  it('OTEL_SDK_DISABLED is read by the cheapest check', () => {
    expect(isSdkDisabled({ OTEL_SDK_DISABLED: ' TRUE ' })).toBe(true);
    expect(isSdkDisabled({ OTEL_SDK_DISABLED: 'false' })).toBe(false);
    expect(isSdkDisabled({})).toBe(false);
  });
});
