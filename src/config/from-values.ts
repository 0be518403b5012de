// Builds a Config from OTEL_*-named values: the environment, or the values a config file maps to
// (config/file). Its own module so that the file reader and the environment reader share it
// without importing each other.

import { parseValue, splitList, type Parsed } from './parse';
import { SETTINGS, DEFAULT_EXCLUDED_PROCESSES, type Signal } from './settings';
import type { BatchSettings, Config, ConfigResult, SignalExport } from './types';
import type { LogLevel } from '../log/logger';

type Env = Record<string, string | undefined>;

/**
 * Builds the config from OTEL_*-named values: the environment, or the values a config file maps to.
 * `label` names a setting in warnings (the variable itself, or the path in the config file).
 */
export function configFromValues(env: Env, label: (name: string) => string = (name) => name): ConfigResult {
  // One warning per setting at most: a later correction of the same setting replaces the earlier one.
  const warned = new Map<string, string>();
  const values = new Map<string, Parsed>();

  for (const setting of SETTINGS) {
    const raw = env[setting.name];
    if (raw === undefined || raw.trim() === '') continue;
    const result = parseValue(setting.kind, raw);
    const shown = setting.secret ? '<redacted>' : quote(raw);
    if ('error' in result) {
      const instead = setting.default === undefined ? 'it is ignored' : `using the default ${setting.default}`;
      warned.set(setting.name, `${label(setting.name)}=${shown} ${result.error}; ${instead}.`);
    } else {
      values.set(setting.name, result.value);
      if (result.note) warned.set(setting.name, `${label(setting.name)}=${shown} ${result.note}.`);
    }
  }

  const get = <T extends Parsed>(name: string, fallback: T): T => (values.get(name) as T | undefined) ?? fallback;
  const maybe = <T extends Parsed>(name: string): T | undefined => values.get(name) as T | undefined;

  checkSampler(env, warned);

  const signal = (s: Signal): SignalExport => {
    const key = (n: string) => `OTEL_EXPORTER_OTLP_${s.toUpperCase()}_${n}`;
    const pick = <T extends Parsed>(n: string, fallback: T): T => get(key(n), get(`OTEL_EXPORTER_OTLP_${n}`, fallback));
    const pickMaybe = <T extends Parsed>(n: string): T | undefined => maybe<T>(key(n)) ?? maybe<T>(`OTEL_EXPORTER_OTLP_${n}`);
    const protocol = pick<string>('PROTOCOL', 'grpc') as SignalExport['protocol'];
    const exporters = get<string[]>(`OTEL_${s.toUpperCase()}_EXPORTER`, ['otlp']);
    return Object.freeze({
      exporters: Object.freeze(exporters.filter((e) => e !== 'none') as Array<'otlp' | 'console'>),
      protocol,
      endpoint: endpointFor(s, protocol, maybe<string>(key('ENDPOINT')), maybe<string>('OTEL_EXPORTER_OTLP_ENDPOINT')),
      headers: Object.freeze({ ...get<Record<string, string>>('OTEL_EXPORTER_OTLP_HEADERS', {}), ...get<Record<string, string>>(key('HEADERS'), {}) }),
      timeoutMillis: pick<number>('TIMEOUT', 10_000),
      compression: pick<string>('COMPRESSION', 'none') as SignalExport['compression'],
      certificate: pickMaybe<string>('CERTIFICATE'),
      clientCertificate: pickMaybe<string>('CLIENT_CERTIFICATE'),
      clientKey: pickMaybe<string>('CLIENT_KEY'),
    });
  };

  const batch = (prefix: 'BSP' | 'BLRP', delay: number): BatchSettings => {
    const maxQueueSize = get<number>(`OTEL_${prefix}_MAX_QUEUE_SIZE`, 2048);
    let maxExportBatchSize = get<number>(`OTEL_${prefix}_MAX_EXPORT_BATCH_SIZE`, 512);
    if (maxExportBatchSize > maxQueueSize) {
      const name = `OTEL_${prefix}_MAX_EXPORT_BATCH_SIZE`;
      // Only the user's own batch size is worth a word; the default simply follows a smaller queue.
      if (values.has(name)) warned.set(name, `${label(name)}=${env[name]?.trim()} is larger than ${label(`OTEL_${prefix}_MAX_QUEUE_SIZE`)}=${maxQueueSize}; using ${maxQueueSize}.`);
      maxExportBatchSize = maxQueueSize;
    }
    return Object.freeze({
      scheduledDelayMillis: get<number>(`OTEL_${prefix}_SCHEDULE_DELAY`, delay),
      exportTimeoutMillis: get<number>(`OTEL_${prefix}_EXPORT_TIMEOUT`, 30_000),
      maxQueueSize,
      maxExportBatchSize,
    });
  };

  /** Header names to capture: lower-cased; invalid names and credential headers left out, with one warning. */
  const headers = (which: string): readonly string[] => {
    const name = `OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_${which}`;
    const wanted = get<string[]>(name, []).map((h) => h.toLowerCase());
    if (wanted.length === 0) return Object.freeze([]);
    // Only when headers are named: a process that names none does not load the redaction rules.
    const { isSensitiveHeader } = require('../util/redact') as typeof import('../util/redact');
    const invalid = wanted.filter((h) => !HEADER_NAME.test(h));
    const sensitive = wanted.filter((h) => HEADER_NAME.test(h) && isSensitiveHeader(h));
    const problems = [invalid.length ? `names invalid header names ${invalid.map((h) => quote(h)).join(', ')}` : '', sensitive.length ? `names ${sensitive.join(', ')}: credential headers are never captured` : ''].filter(Boolean);
    if (problems.length) warned.set(name, `${label(name)} ${problems.join('; ')}; ${invalid.length + sensitive.length > 1 ? 'they are' : 'it is'} left out.`);
    return Object.freeze(wanted.filter((h) => HEADER_NAME.test(h) && !isSensitiveHeader(h)));
  };
  const baggageKeys = get<string[]>('OTEL_NODE_BAGGAGE_SPAN_ATTRIBUTES', []);
  const badKeys = baggageKeys.filter((k) => !HEADER_NAME.test(k));
  if (badKeys.length) warned.set('OTEL_NODE_BAGGAGE_SPAN_ATTRIBUTES', `${label('OTEL_NODE_BAGGAGE_SPAN_ATTRIBUTES')} names ${badKeys.map((k) => quote(k)).join(', ')}, not a baggage key; left out.`);

  const attributeCountLimit = get<number>('OTEL_ATTRIBUTE_COUNT_LIMIT', 128);
  const attributeValueLengthLimit = maybe<number>('OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT');
  const resourceAttributes = get<Record<string, string>>('OTEL_RESOURCE_ATTRIBUTES', {});

  const config: Config = {
    logLevel: get<string>('OTEL_LOG_LEVEL', 'warn') as LogLevel,
    serviceName: maybe<string>('OTEL_SERVICE_NAME'),
    resourceAttributes: Object.freeze(resourceAttributes),
    resourceDetectors: Object.freeze(get<string[]>('OTEL_NODE_RESOURCE_DETECTORS', ['all'])),
    ecsMetadataUri: maybe<string>('ECS_CONTAINER_METADATA_URI_V4'),
    awsLambda: maybe<string>('AWS_LAMBDA_FUNCTION_NAME') !== undefined,
    propagators: Object.freeze(get<string[]>('OTEL_PROPAGATORS', ['tracecontext', 'baggage']).filter((p) => p !== 'none')),
    traces: signal('traces'),
    metrics: signal('metrics'),
    logs: signal('logs'),
    metricTemporality: get<string>('OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE', 'cumulative') as Config['metricTemporality'],
    metricExportIntervalMillis: get<number>('OTEL_METRIC_EXPORT_INTERVAL', 60_000),
    metricExportTimeoutMillis: get<number>('OTEL_METRIC_EXPORT_TIMEOUT', 30_000),
    spanBatch: batch('BSP', 5000),
    logBatch: batch('BLRP', 1000),
    spanLimits: Object.freeze({
      attributeValueLengthLimit: maybe<number>('OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT') ?? attributeValueLengthLimit,
      attributeCountLimit: maybe<number>('OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT') ?? attributeCountLimit,
      eventCountLimit: get<number>('OTEL_SPAN_EVENT_COUNT_LIMIT', 128),
      linkCountLimit: get<number>('OTEL_SPAN_LINK_COUNT_LIMIT', 128),
      attributePerEventCountLimit: get<number>('OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT', 128),
      attributePerLinkCountLimit: get<number>('OTEL_LINK_ATTRIBUTE_COUNT_LIMIT', 128),
    }),
    generalLimits: Object.freeze({ attributeValueLengthLimit, attributeCountLimit }),
    enabledInstrumentations: maybe<string[]>('OTEL_NODE_ENABLED_INSTRUMENTATIONS'),
    disabledInstrumentations: Object.freeze(get<string[]>('OTEL_NODE_DISABLED_INSTRUMENTATIONS', [])),
    instrumentationDetail: Object.freeze(get<string[]>('OTEL_NODE_INSTRUMENTATION_DETAIL', [])),
    capturedHeaders: Object.freeze({ serverRequest: headers('SERVER_REQUEST'), serverResponse: headers('SERVER_RESPONSE'), clientRequest: headers('CLIENT_REQUEST'), clientResponse: headers('CLIENT_RESPONSE') }),
    baggageSpanAttributes: Object.freeze(baggageKeys.filter((k) => HEADER_NAME.test(k))),
    genAiCaptureMessageContent: get<boolean>('OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT', false),
    shutdownTimeoutMillis: get<number>('OTEL_NODE_SHUTDOWN_TIMEOUT', 2000),
    codeCache: get<boolean>('OTEL_NODE_CODE_CACHE', true),
    xdgCacheHome: maybe<string>('XDG_CACHE_HOME'),
    opamp: Object.freeze({
      endpoint: maybe<string>('OTEL_NODE_OPAMP_ENDPOINT'),
      headers: Object.freeze(get<Record<string, string>>('OTEL_NODE_OPAMP_HEADERS', {})),
      certificate: maybe<string>('OTEL_NODE_OPAMP_CERTIFICATE'),
      clientCertificate: maybe<string>('OTEL_NODE_OPAMP_CLIENT_CERTIFICATE'),
      clientKey: maybe<string>('OTEL_NODE_OPAMP_CLIENT_KEY'),
      heartbeatIntervalMillis: get<number>('OTEL_NODE_OPAMP_HEARTBEAT_INTERVAL', 30_000),
      cacheFile: maybe<string>('OTEL_NODE_OPAMP_CACHE_FILE'),
    }),
    excludedProcesses: Object.freeze([...splitList(DEFAULT_EXCLUDED_PROCESSES), ...get<string[]>('OTEL_NODE_EXCLUDED_PROCESSES', [])]),
    includedProcesses: Object.freeze(get<string[]>('OTEL_NODE_INCLUDED_PROCESSES', [])),
  };
  return { config: Object.freeze(config), warnings: [...warned.values()].map(oneLine) };
}

/** A value as a warning shows it: quoted, escaped, and short (a 20 kB value is not worth 20 kB of log). */
function quote(raw: string): string {
  return raw.length > 120 ? `${JSON.stringify(raw.slice(0, 120))}… (${raw.length} characters)` : JSON.stringify(raw);
}

/** Whatever a value held, a warning stays one line and bounded. */
function oneLine(warning: string): string {
  const flat = warning.replace(/[\r\n\u2028\u2029]+/g, ' ');
  return flat.length > 1000 ? `${flat.slice(0, 1000)}…` : flat;
}

function checkSampler(env: Env, warned: Map<string, string>): void {
  const sampler = env.OTEL_TRACES_SAMPLER?.trim();
  if (sampler && sampler.toLowerCase() !== 'always_on') {
    warned.set('OTEL_TRACES_SAMPLER', `OTEL_TRACES_SAMPLER=${quote(sampler)} is ignored: sampling is done centrally, so every span is recorded and exported (always_on).`);
  }
}

/** An HTTP header name (RFC 9110 token); baggage keys are tokens too. */
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

const DEFAULT_PORT = { grpc: 4317, 'http/protobuf': 4318 } as const;

/** Spec rule: a per-signal endpoint is used as is; the generic one gets /v1/<signal> appended for http. */
function endpointFor(signal: Signal, protocol: SignalExport['protocol'], perSignal?: string, generic?: string): string {
  if (perSignal) return perSignal;
  const base = generic ?? `http://localhost:${DEFAULT_PORT[protocol]}`;
  if (protocol === 'grpc') return base;
  return `${base.replace(/\/+$/, '')}/v1/${signal}`;
}


