// The shape of the configuration the SDK is built from, whatever the source (environment or file).

import type { LogLevel } from '../log/logger';

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

/** Header names (lower case) captured as span attributes, per side and direction. */
export interface CapturedHeaders {
  serverRequest: readonly string[];
  serverResponse: readonly string[];
  clientRequest: readonly string[];
  clientResponse: readonly string[];
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
  capturedHeaders: Readonly<CapturedHeaders>;
  /** Baggage entries copied onto spans as attributes. */
  baggageSpanAttributes: readonly string[];
  /** Prompts and completions of LLM calls recorded (bounded, redacted); off by default. */
  genAiCaptureMessageContent: boolean;
  shutdownTimeoutMillis: number;
  /** V8 code cache of our own files (util/code-cache.ts). */
  codeCache: boolean;
  /** XDG_CACHE_HOME: the default place of our per-user caches (util/cache-dir.ts). */
  xdgCacheHome?: string;
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
  /** Set when the settings came from OTEL_CONFIG_FILE (for the summary and doctor; the SDK ignores it). */
  configFile?: { path: string; fileFormat: string };
}

export interface ConfigResult {
  config: Readonly<Config>;
  /** One line each, naming the setting (or the path in the config file) and what is used instead. */
  warnings: string[];
  /** true: no telemetry from this process (a config file that cannot be used, or `disabled: true`). */
  off?: boolean;
  /** Set when the configuration came from OTEL_CONFIG_FILE. */
  file?: { path: string; fileFormat: string };
  /** With a file: where each setting it sets came from (settings not listed keep their default). */
  sources?: Array<{ setting: string; path: string; from: 'file' | 'substitution' }>;
}
