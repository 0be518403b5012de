// The remote-config allowlist, the EDOT mapping and the OpAMP client's small pure parts.

import { describe, expect, it } from 'vitest';
import { ALLOWLIST, parseConfigMap } from '../../src/remote/remote-config';
import { compose } from '../../src/remote';
import { localSettings } from '../../src/sdk/runtime-state';
import { readConfig } from '../../src/config';
import { retryAfterMillis, uuidString, uuidv7 } from '../../src/remote/client';
import { OUR_CAPABILITIES } from '../../src/remote/schema';
import { decodeServerToAgent, encodeAgentToServer } from '../../src/remote/codec';

const entry = (key: string, body: unknown, contentType = 'application/json') => ({ [key]: { body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), contentType } });

describe('remote config', () => {
  it('accepts every allowlisted key', () => {
    const r = parseConfigMap(entry('otel-preload', {
      log_level: 'debug', traces_enabled: false, metrics_enabled: 'true', logs_enabled: false,
      disabled_instrumentations: 'http, @opentelemetry/instrumentation-pg', enabled_instrumentations: ['fs'], instrumentation_detail: 'express,koa',
      http_request_headers: ['X-Request-Id'], http_response_headers: 'content-type', metric_export_interval: '30s', heartbeat_interval: 5000,
    }));
    expect(r).toEqual({ ok: true, settings: {
      logLevel: 'debug', tracesEnabled: false, metricsEnabled: true, logsEnabled: false,
      disabledInstrumentations: ['http', 'pg'], enabledInstrumentations: ['fs'], instrumentationDetail: ['express', 'koa'],
      httpRequestHeaders: ['x-request-id'], httpResponseHeaders: ['content-type'], metricExportIntervalMillis: 30_000, heartbeatIntervalMillis: 5000,
    } });
    expect(Object.keys(ALLOWLIST)).toHaveLength(11);
  });

  it.each([
    ['exporter_endpoint', 'http://evil', /endpoints cannot be changed/],
    ['otlp_headers', 'a=b', /headers cannot be changed/],
    ['client_certificate', '/x.pem', /certificates cannot be changed/],
    ['sampling_rate', 0.1, /sampling is done centrally/],
    ['cache_file', '/tmp/x', /file paths cannot be changed/],
    ['something_else', 1, /not a known setting/],
  ])('refuses %s with a message naming it, failing the whole config', (key, value, why) => {
    const r = parseConfigMap(entry('otel-preload', { log_level: 'info', [key]: value }));
    expect(r.ok).toBe(false);
    expect((r as { error: string }).error).toMatch(new RegExp(`"${key}"`));
    expect((r as { error: string }).error).toMatch(why);
  });

  it('refuses bad values, bad JSON and unsupported content types', () => {
    expect(parseConfigMap(entry('otel-preload', { log_level: 'loud' }))).toMatchObject({ ok: false, error: expect.stringContaining('"log_level" must be one of') });
    expect(parseConfigMap(entry('otel-preload', { metric_export_interval: 5 }))).toMatchObject({ ok: false });
    expect(parseConfigMap(entry('otel-preload', { http_request_headers: ['bad header'] }))).toMatchObject({ ok: false });
    expect(parseConfigMap(entry('otel-preload', '{oops'))).toMatchObject({ ok: false, error: expect.stringContaining('not valid JSON') });
    expect(parseConfigMap(entry('otel-preload', 'a: b', 'text/yaml'))).toMatchObject({ ok: false, error: expect.stringContaining('not supported') });
  });

  it('a map without our entries means no remote settings', () => {
    expect(parseConfigMap({})).toEqual({ ok: true, settings: {} });
    expect(parseConfigMap(entry('some-other-agent', { x: 1 }))).toEqual({ ok: true, settings: {} });
  });

  it('maps the EDOT Node.js entry; our entry wins where both set a value', () => {
    const r = parseConfigMap({
      ...entry('elastic', { logging_level: 'critical', send_traces: 'false', send_metrics: true, send_logs: 'false', deactivate_instrumentations: 'express,pg', opamp_polling_interval: '1m' }),
      ...entry('otel-preload', { traces_enabled: true }),
    });
    expect(r).toEqual({ ok: true, settings: { logLevel: 'error', tracesEnabled: true, metricsEnabled: true, logsEnabled: false, disabledInstrumentations: ['express', 'pg'], heartbeatIntervalMillis: 60_000 } });
    expect(parseConfigMap(entry('elastic', { deactivate_all_instrumentations: 'true' }))).toEqual({ ok: true, settings: { disabledInstrumentations: ['*'] } });
    expect(parseConfigMap(entry('elastic', { sampling_rate: '0.5' }))).toMatchObject({ ok: false, error: expect.stringMatching(/sampling_rate.*refused/) });
  });

  it('a key that disappears reverts to its local value', () => {
    const { config } = readConfig({ OTEL_LOG_LEVEL: 'error', OTEL_METRIC_EXPORT_INTERVAL: '10000' });
    const local = localSettings(config);
    const withRemote = compose(local, { logLevel: 'debug', metricExportIntervalMillis: 5000 });
    expect(withRemote.logLevel).toBe('debug');
    const reverted = compose(local, {});
    expect(reverted).toEqual(local);
    expect(reverted.metricExportIntervalMillis).toBe(10_000);
  });
});

describe('OpAMP client parts', () => {
  it('instance uid is a UUIDv7 with the current time', () => {
    const now = Date.now();
    const uid = uuidv7(now);
    expect(uid).toHaveLength(16);
    expect(uuidString(uid)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(Buffer.from(uid.slice(0, 6)).toString('hex'), 16)).toBe(now);
  });

  it('Retry-After in seconds or as an HTTP date', () => {
    expect(retryAfterMillis('2')).toBe(2000);
    expect(retryAfterMillis(undefined)).toBeUndefined();
    const inFive = new Date(Date.now() + 5000).toUTCString();
    expect(retryAfterMillis(inFive)).toBeGreaterThan(3000);
    expect(retryAfterMillis('soon')).toBeUndefined();
  });

  it('capabilities are 0x3807, and the codec round-trips what the server sends', () => {
    expect(OUR_CAPABILITIES).toBe(0x3807);
    expect(encodeAgentToServer({ instanceUid: new Uint8Array(16), sequenceNum: 1, capabilities: OUR_CAPABILITIES }).length).toBeGreaterThan(16);
    expect(() => decodeServerToAgent(Buffer.from([0xff, 0xff, 0xff]))).toThrow();
  });
});
