// The only module that reads process.env. It parses every setting of the table, validates it, and
// returns a frozen Config plus one warning per invalid value (naming the variable, the bad value
// and what is used instead). It never throws and never logs: callers decide where warnings go.

import { parseValue, type Parsed } from './parse';
import { SETTINGS, SETTINGS_BY_NAME, SIGNALS, DEFAULT_EXCLUDED_PROCESSES, type Signal } from './settings';
import { splitList } from './parse';
import type { LogLevel } from '../diag/logger';

type Env = Record<string, string | undefined>;

export interface SignalExport {
  exporters: ReadonlyArray<'otlp' | 'console'>;
  protocol: 'grpc' | 'http/protobuf';
  endpoint: string;
  headers: Readonly<Record<string, string>>;
  timeoutMillis: number;
  compression: 'gzip' | 'none';
  certificate?: string;
  clientCertificate?: string;
  clientKey?: string;
}

export interface BatchSettings {
  scheduledDelayMillis: number;
  exportTimeoutMillis: number;
  maxQueueSize: number;
  maxExportBatchSize: number;
}

export interface Config {
  logLevel: LogLevel;
  serviceName?: string;
  resourceAttributes: Readonly<Record<string, string>>;
  resourceDetectors: readonly string[];
  ecsMetadataUri?: string;
  awsLambda: boolean;
  propagators: readonly string[];
  traces: SignalExport;
  metrics: SignalExport;
  logs: SignalExport;
  metricTemporality: 'cumulative' | 'delta' | 'lowmemory';
  metricExportIntervalMillis: number;
  metricExportTimeoutMillis: number;
  spanBatch: BatchSettings;
  logBatch: BatchSettings;
  spanLimits: {
    attributeValueLengthLimit?: number;
    attributeCountLimit: number;
    eventCountLimit: number;
    linkCountLimit: number;
    attributePerEventCountLimit: number;
    attributePerLinkCountLimit: number;
  };
  generalLimits: { attributeValueLengthLimit?: number; attributeCountLimit: number };
  enabledInstrumentations?: readonly string[];
  disabledInstrumentations: readonly string[];
  instrumentationDetail: readonly string[];
  semconvStabilityOptIn: readonly string[];
  shutdownTimeoutMillis: number;
  opamp: {
    endpoint?: string;
    headers: Readonly<Record<string, string>>;
    certificate?: string;
    clientCertificate?: string;
    clientKey?: string;
    heartbeatIntervalMillis: number;
    cacheFile?: string;
  };
  excludedProcesses: readonly string[];
  includedProcesses: readonly string[];
}

export interface ConfigResult {
  config: Readonly<Config>;
  warnings: string[];
}

/** The cheapest possible check, done before anything else is loaded. */
export function isSdkDisabled(env: Env = process.env): boolean {
  return (env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true';
}

/** Names of the OTEL_* variables that are set (for diagnostics), secrets included as names only. */
export function setVariableNames(env: Env = process.env): string[] {
  return Object.keys(env).filter((k) => k.startsWith('OTEL_'));
}

export function isSecretSetting(name: string): boolean {
  return SETTINGS_BY_NAME.get(name)?.secret === true;
}

export function readConfig(env: Env = process.env): ConfigResult {
  const warnings: string[] = [];
  const values = new Map<string, Parsed>();

  for (const setting of SETTINGS) {
    const raw = env[setting.name];
    if (raw === undefined || raw.trim() === '') continue;
    const result = parseValue(setting.kind, raw);
    if ('error' in result) {
      const shown = setting.secret ? '<redacted>' : JSON.stringify(raw);
      const instead = setting.default === undefined ? 'it is ignored' : `using the default ${setting.default}`;
      warnings.push(`${setting.name}=${shown} ${result.error}; ${instead}.`);
    } else {
      values.set(setting.name, result.value);
    }
  }

  const get = <T extends Parsed>(name: string, fallback: T): T => (values.get(name) as T | undefined) ?? fallback;
  const maybe = <T extends Parsed>(name: string): T | undefined => values.get(name) as T | undefined;

  checkSampler(env, warnings);

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
      warnings.push(`OTEL_${prefix}_MAX_EXPORT_BATCH_SIZE=${maxExportBatchSize} is larger than OTEL_${prefix}_MAX_QUEUE_SIZE=${maxQueueSize}; using ${maxQueueSize}.`);
      maxExportBatchSize = maxQueueSize;
    }
    return Object.freeze({
      scheduledDelayMillis: get<number>(`OTEL_${prefix}_SCHEDULE_DELAY`, delay),
      exportTimeoutMillis: get<number>(`OTEL_${prefix}_EXPORT_TIMEOUT`, 30_000),
      maxQueueSize,
      maxExportBatchSize,
    });
  };

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
    semconvStabilityOptIn: Object.freeze(get<string[]>('OTEL_SEMCONV_STABILITY_OPT_IN', ['http'])),
    shutdownTimeoutMillis: get<number>('OTEL_NODE_SHUTDOWN_TIMEOUT', 2000),
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
  return { config: Object.freeze(config), warnings };
}

function checkSampler(env: Env, warnings: string[]): void {
  const sampler = env.OTEL_TRACES_SAMPLER?.trim();
  if (sampler && sampler.toLowerCase() !== 'always_on') {
    warnings.push(`OTEL_TRACES_SAMPLER=${JSON.stringify(sampler)} is ignored: sampling is done centrally, so every span is recorded and exported (always_on).`);
  }
}

const DEFAULT_PORT = { grpc: 4317, 'http/protobuf': 4318 } as const;

/** Spec rule: a per-signal endpoint is used as is; the generic one gets /v1/<signal> appended for http. */
function endpointFor(signal: Signal, protocol: SignalExport['protocol'], perSignal?: string, generic?: string): string {
  if (perSignal) return perSignal;
  const base = generic ?? `http://localhost:${DEFAULT_PORT[protocol]}`;
  if (protocol === 'grpc') return base;
  return `${base.replace(/\/+$/, '')}/v1/${signal}`;
}

export { SIGNALS };
