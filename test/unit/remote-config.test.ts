// The remote-config allowlist, the EDOT mapping and the OpAMP client's small pure parts.

import { describe, expect, it } from 'vitest';
import { ALLOWLIST, parseConfigMap } from '../../src/remote/remote-config';
import { compose } from '../../src/remote';
import { localSettings } from '../../src/runtime/state';
import { readConfig } from '../../src/config';
import { retryAfterMillis, uuidString, uuidv7 } from '../../src/remote/client';
import { OUR_CAPABILITIES } from '../../src/remote/schema';
import { decodeServerToAgent, encodeAgentToServer } from '../../src/remote/codec';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import * as pb from '@elastic/mockopampserver/lib/generated/opamp_pb.js';
import { RemoteConfigStatuses } from '../helpers/opamp-server';

const entry = (key: string, body: unknown, contentType = 'application/json') => ({ [key]: { body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), contentType } });

describe('remote config', () => {
  it('accepts every allowlisted key', () => {
    const r = parseConfigMap(entry('otel-preload', {
      log_level: 'debug', traces_enabled: false, metrics_enabled: 'true', logs_enabled: false,
      disabled_instrumentations: 'http, @opentelemetry/instrumentation-pg', enabled_instrumentations: ['fs'], instrumentation_detail: 'express,koa',
      http_request_headers: ['X-Request-Id'], http_response_headers: 'content-type', metric_export_interval: '30s', heartbeat_interval: 5000,
      http_server_request_headers: ['X-Tenant'], http_server_response_headers: ['x-plan'], http_client_request_headers: 'traceparent', http_client_response_headers: ['Server'],
      baggage_span_attributes: 'tenant.id, Plan', genai_capture_message_content: 'true',
    }));
    expect(r).toEqual({ ok: true, settings: {
      logLevel: 'debug', tracesEnabled: false, metricsEnabled: true, logsEnabled: false,
      disabledInstrumentations: ['http', 'pg'], enabledInstrumentations: ['fs'], instrumentationDetail: ['express', 'koa'],
      httpRequestHeaders: ['x-request-id'], httpResponseHeaders: ['content-type'], metricExportIntervalMillis: 30_000, heartbeatIntervalMillis: 5000,
      httpServerRequestHeaders: ['x-tenant'], httpServerResponseHeaders: ['x-plan'], httpClientRequestHeaders: ['traceparent'], httpClientResponseHeaders: ['server'],
      baggageSpanAttributes: ['tenant.id', 'Plan'], genAiCaptureMessageContent: true,
    } });
    expect(Object.keys(ALLOWLIST)).toHaveLength(17);
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
    expect(parseConfigMap(entry('otel-preload', { http_client_request_headers: ['Authorization'] }))).toMatchObject({ ok: false, error: expect.stringMatching(/authorization: credential headers cannot be captured remotely/) });
    expect(parseConfigMap(entry('otel-preload', { http_server_response_headers: ['set-cookie'] }))).toMatchObject({ ok: false, error: expect.stringMatching(/set-cookie/) });
    expect(parseConfigMap(entry('otel-preload', { baggage_span_attributes: ['not a key'] }))).toMatchObject({ ok: false, error: expect.stringMatching(/invalid baggage keys/) });
    expect(parseConfigMap(entry('otel-preload', '{oops'))).toMatchObject({ ok: false, error: expect.stringContaining('not valid JSON') });
    expect(parseConfigMap(entry('otel-preload', 'a: b', 'text/plain'))).toMatchObject({ ok: false, error: expect.stringContaining('not supported') });
    // YAML is read as a declarative-configuration overlay: an unknown node is named.
    expect(parseConfigMap(entry('otel-preload', 'a: b', 'text/yaml'))).toMatchObject({ ok: false, error: expect.stringMatching(/otel-preload: .*\ba\b/) });
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

  it('capabilities are 0x3807; garbage does not decode', () => {
    expect(OUR_CAPABILITIES).toBe(0x3807);
    expect(() => decodeServerToAgent(Buffer.from([0xff, 0xff, 0xff]))).toThrow();
  });

  // Differential round trips: our codec on one side, code generated from the official opamp.proto
  // (@bufbuild/protobuf) on the other, so a field our schema numbers or types wrongly shows up here.
  it('AgentToServer: what we encode, the official schema decodes field for field', () => {
    const uid = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
    const hash = Uint8Array.from([0xab, 0xcd, 0xef]);
    const bytes = encodeAgentToServer({
      instanceUid: uid,
      sequenceNum: 7,
      capabilities: OUR_CAPABILITIES,
      agentDescription: { identifyingAttributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }], nonIdentifyingAttributes: [{ key: 'os.pid', value: { intValue: 42 } }, { key: 'debug', value: { boolValue: true } }] },
      health: { healthy: false, startTimeUnixNano: 1_700_000_000_000_000_000n.toString(), lastError: 'export failed', status: 'degraded' },
      effectiveConfig: { configMap: { configMap: { 'otel-preload': { body: Buffer.from('{"a":1}'), contentType: 'application/json' } } } },
      remoteConfigStatus: { lastRemoteConfigHash: hash, status: RemoteConfigStatuses.RemoteConfigStatuses_FAILED, errorMessage: 'bad key' },
      agentDisconnect: {},
    });
    const m = fromBinary(pb.AgentToServerSchema, bytes);
    expect(Buffer.from(m.instanceUid)).toEqual(Buffer.from(uid));
    expect(m.sequenceNum).toBe(7n);
    expect(m.capabilities).toBe(0x3807n);
    const kv = (list: Array<{ key: string; value?: { value: { case?: string; value?: unknown } } }> = []) => list.map((x) => [x.key, x.value?.value.case, x.value?.value.value]);
    expect(kv(m.agentDescription?.identifyingAttributes)).toEqual([['service.name', 'stringValue', 'checkout']]);
    expect(kv(m.agentDescription?.nonIdentifyingAttributes)).toEqual([['os.pid', 'intValue', 42n], ['debug', 'boolValue', true]]);
    expect(m.health).toMatchObject({ healthy: false, startTimeUnixNano: 1_700_000_000_000_000_000n, lastError: 'export failed', status: 'degraded' });
    const file = m.effectiveConfig!.configMap!.configMap['otel-preload'];
    expect([Buffer.from(file.body).toString(), file.contentType]).toEqual(['{"a":1}', 'application/json']);
    expect(Buffer.from(m.remoteConfigStatus!.lastRemoteConfigHash)).toEqual(Buffer.from(hash));
    expect([m.remoteConfigStatus!.status, m.remoteConfigStatus!.errorMessage]).toEqual([RemoteConfigStatuses.RemoteConfigStatuses_FAILED, 'bad key']);
    expect(m.agentDisconnect).toBeDefined();
  });

  it('ServerToAgent: what the official schema encodes, we decode field for field', () => {
    const bytes = toBinary(pb.ServerToAgentSchema, create(pb.ServerToAgentSchema, {
      instanceUid: new Uint8Array(16).fill(9),
      remoteConfig: { config: { configMap: { 'otel-preload': { body: Buffer.from('{"log_level":"debug"}'), contentType: 'application/json' } } }, configHash: Uint8Array.from([1, 2, 3]) },
      connectionSettings: { opamp: { heartbeatIntervalSeconds: 17n } },
      errorResponse: { type: pb.ServerErrorResponseType.ServerErrorResponseType_Unavailable, errorMessage: 'busy', Details: { case: 'retryInfo', value: { retryAfterNanoseconds: 2_000_000_000n } } },
      flags: BigInt(pb.ServerToAgentFlags.ServerToAgentFlags_ReportFullState),
      capabilities: 3n,
      agentIdentification: { newInstanceUid: new Uint8Array(16).fill(5) },
    }));
    const m = decodeServerToAgent(bytes);
    expect(Buffer.from(m.instanceUid!)).toEqual(Buffer.alloc(16, 9));
    const file = m.remoteConfig!.config!.configMap!['otel-preload'];
    expect([Buffer.from(file.body!).toString(), file.contentType]).toEqual(['{"log_level":"debug"}', 'application/json']);
    expect(Buffer.from(m.remoteConfig!.configHash!)).toEqual(Buffer.from([1, 2, 3]));
    expect(m.connectionSettings?.opamp?.heartbeatIntervalSeconds).toBe(17);
    expect(m.errorResponse).toMatchObject({ type: pb.ServerErrorResponseType.ServerErrorResponseType_Unavailable, errorMessage: 'busy', retryInfo: { retryAfterNanoseconds: 2_000_000_000 } });
    expect(m.flags).toBe(pb.ServerToAgentFlags.ServerToAgentFlags_ReportFullState);
    expect(m.capabilities).toBe(3);
    expect(Buffer.from(m.agentIdentification!.newInstanceUid!)).toEqual(Buffer.alloc(16, 5));
  });
});
