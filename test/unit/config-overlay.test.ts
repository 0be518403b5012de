// A declarative-configuration YAML document received over OpAMP becomes our JSON remote-config
// entry when it stays inside the runtime-safe allowlist, and fails naming the YAML path otherwise.

import { describe, expect, it } from 'vitest';
import { overlayFromYaml } from '../../src/config/file/overlay';
import { parseConfigMap } from '../../src/remote/remote-config';

describe('remote YAML overlay', () => {
  it('the allowlisted nodes map onto our entry, and src/remote accepts that entry as is', () => {
    const result = overlayFromYaml(`file_format: "1.1"
log_level: debug2
meter_provider:
  readers:
    - periodic:
        interval: 15000
        exporter: { otlp_http: {} }
distribution:
  otel-preload:
    traces_enabled: true
    logs_enabled: false
    instrumentations: { disabled: [fs, dns], enabled: [express] }
    http_request_headers: [x-request-id]
    baggage_span_attributes: [tenant.id]
instrumentation/development:
  general:
    http:
      server: { request_captured_headers: [x-tenant] }
      client: { response_captured_headers: [server] }
  js:
    gen_ai: { capture_message_content: true }
`);
    expect(result).toEqual({ ok: true, entry: { log_level: 'debug', metric_export_interval: 15000, traces_enabled: true, logs_enabled: false, disabled_instrumentations: ['fs', 'dns'], enabled_instrumentations: ['express'], http_request_headers: ['x-request-id'], baggage_span_attributes: ['tenant.id'], http_server_request_headers: ['x-tenant'], http_client_response_headers: ['server'], genai_capture_message_content: true } });
    const parsed = parseConfigMap({ 'otel-preload': { body: Buffer.from(JSON.stringify((result as { entry: object }).entry)), contentType: 'application/json' } });
    expect(parsed).toMatchObject({ ok: true, settings: { logLevel: 'debug', metricExportIntervalMillis: 15000, logsEnabled: false, disabledInstrumentations: ['fs', 'dns'] } });
  });

  it.each([
    ['an endpoint', 'tracer_provider:\n  processors: [{ batch: { exporter: { otlp_http: { endpoint: http://evil:4318 } } } }]\n', 'tracer_provider'],
    ['a sampler', 'tracer_provider: { sampler: { always_off: {} } }\n', 'tracer_provider'],
    ['the resource', 'resource: { attributes: [{ name: service.name, value: x }] }\n', 'resource'],
    ['headers of the metric exporter', 'meter_provider:\n  readers: [{ periodic: { interval: 1000, exporter: { otlp_http: { headers: [{ name: a, value: b }] } } } }]\n', 'meter_provider.readers[0].periodic.exporter.otlp_http.headers'],
    ['an OpAMP endpoint in our section', 'distribution:\n  otel-preload:\n    opamp: { endpoint: http://evil }\n', 'distribution.otel-preload.opamp'],
    ['a second reader', 'meter_provider:\n  readers: [{ periodic: { interval: 1000, exporter: { console: {} } } }, { periodic: { interval: 5 } }]\n', 'meter_provider.readers[1]'],
  ])('refuses %s, naming the YAML path', (_label, yaml, path) => {
    const result = overlayFromYaml(yaml);
    expect(result.ok).toBe(false);
    expect((result as { error: string }).error).toContain(path);
  });

  it('never substitutes the environment, and refuses what is not YAML, aliases bombs and huge documents', () => {
    process.env.OVERLAY_SECRET = 's3cret';
    const sub = overlayFromYaml('log_level: ${OVERLAY_SECRET:-warn}\n');
    expect(JSON.stringify(sub)).not.toContain('s3cret');
    expect(overlayFromYaml('log_level: [\n').ok).toBe(false);
    expect(overlayFromYaml('a: &a [x]\nb: [*a, *a]\n').ok).toBe(false);
    expect(overlayFromYaml(`log_level: "${'x'.repeat(70_000)}"`).ok).toBe(false);
    expect(overlayFromYaml('file_format: "2.0"\n').ok).toBe(false);
  });
});

describe('remote YAML overlay through the OpAMP config map (application/yaml)', () => {
  const yamlEntry = (text: string) => ({ 'otel-preload': { body: Buffer.from(text), contentType: 'application/yaml' } });

  it('applied: the allowlisted nodes become run-time settings', () => {
    const parsed = parseConfigMap(yamlEntry('file_format: "1.1"\nlog_level: debug\ndistribution:\n  otel-preload:\n    logs_enabled: false\n    instrumentations: { detail: [express] }\n'));
    expect(parsed).toMatchObject({ ok: true, settings: { logLevel: 'debug', logsEnabled: false, instrumentationDetail: ['express'] } });
  });

  it('refused: anything off the allowlist is FAILED naming the YAML path, and nothing of it applies', () => {
    const parsed = parseConfigMap(yamlEntry('log_level: debug\ntracer_provider:\n  processors: [{ batch: { exporter: { otlp_http: { endpoint: http://evil:4318 } } } }]\n'));
    expect(parsed.ok).toBe(false);
    expect((parsed as { error: string }).error).toMatch(/^otel-preload: .*tracer_provider/);
  });

  it('credential headers stay refused in YAML as in JSON', () => {
    const parsed = parseConfigMap(yamlEntry('distribution:\n  otel-preload:\n    http_request_headers: [authorization]\n'));
    expect(parsed.ok).toBe(false);
    expect((parsed as { error: string }).error).toContain('authorization');
  });
});
