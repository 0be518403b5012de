// Exporter factories, one table keyed by signal and protocol. OTLP exporters are wrapped in a lazy
// shell: the exporter packages (and the HTTP/2 client with them) are loaded on the first export,
// so a process that never produces telemetry never pays for it.

import { readFileSync } from 'fs';
import type { Signal } from '../config/settings';
import type { SignalExport } from '../config';
import type { Logger } from '../diag/logger';
import type { RuntimeState } from './runtime-state';
import type { EncodedSpans } from './encoded-span-processor';
import { DISTRO_VERSION } from '../version';

type ExportCallback = (result: { code: number; error?: Error }) => void;
export interface AnyExporter {
  /** OTLP span exporters take a whole encoded request (encoded-span-processor.ts). */
  readonly takesEncodedSpans?: boolean;
  export(items: unknown, done: ExportCallback): void;
  shutdown(): Promise<void>;
  forceFlush?(): Promise<void>;
}

const EXPORT_SUCCESS = 0; // ExportResultCode in @opentelemetry/core
const EXPORT_FAILED = 1;

/**
 * Loads the real exporter on first use; if it cannot be built, exports fail quietly after one
 * warning. Honours the remotely settable on/off switch and reports every result as health.
 */
export class LazyExporter implements AnyExporter {
  private real?: AnyExporter;
  private broken?: Error;

  constructor(
    private readonly create: () => AnyExporter,
    readonly takesEncodedSpans: boolean,
    private readonly signal: Signal,
    private readonly describe: string,
    private readonly log: Logger,
    private readonly runtime: RuntimeState,
  ) {}

  export(items: unknown, done: ExportCallback): void {
    // Switched off centrally: the operator chose to drop this signal, so report success.
    if (!this.runtime.settings.exportEnabled[this.signal]) return done({ code: EXPORT_SUCCESS });
    const exporter = this.load();
    if (!exporter) {
      this.runtime.reportExport(this.signal, false, this.broken);
      return done({ code: EXPORT_FAILED, error: this.broken });
    }
    exporter.export(items, (result) => {
      this.runtime.reportExport(this.signal, result.code === EXPORT_SUCCESS, result.error);
      done(result);
    });
  }

  shutdown(): Promise<void> {
    return this.real ? this.real.shutdown() : Promise.resolve();
  }

  forceFlush(): Promise<void> {
    return this.real?.forceFlush ? this.real.forceFlush() : Promise.resolve();
  }

  private load(): AnyExporter | undefined {
    if (this.real || this.broken) return this.real;
    try {
      this.real = this.create();
    } catch (err) {
      this.broken = err instanceof Error ? err : new Error(String(err));
      this.log.warn(`${this.describe} exporter could not be created (${this.broken.message}); this signal is not exported.`);
    }
    return this.real;
  }
}

/** OTLP/http exporters for metrics and logs, used as upstream ships them (spans: ENCODED_SPANS). */
const HTTP_PACKAGES: Record<'metrics' | 'logs', [pkg: string, cls: string]> = {
  metrics: ['@opentelemetry/exporter-metrics-otlp-proto', 'OTLPMetricExporter'],
  logs: ['@opentelemetry/exporter-logs-otlp-proto', 'OTLPLogExporter'],
};

/** OTLP/gRPC: upstream's serialisers and export delegate over our HTTP/2 transport (grpc-transport.ts). */
const GRPC: Record<Signal, { method: string; serializer: string; helper: string; component: string }> = {
  traces: { method: '/opentelemetry.proto.collector.trace.v1.TraceService/Export', serializer: 'ProtobufTraceSerializer', helper: 'TraceExporterMetricsHelper', component: 'otlp_grpc_span_exporter' },
  metrics: { method: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export', serializer: 'ProtobufMetricsSerializer', helper: 'MetricsExporterMetricsHelper', component: 'otlp_grpc_metric_exporter' },
  logs: { method: '/opentelemetry.proto.collector.logs.v1.LogsService/Export', serializer: 'ProtobufLogsSerializer', helper: 'LogsExporterMetricsHelper', component: 'otlp_grpc_log_exporter' },
};

/** Spans arrive already encoded as a whole request; responses are read by upstream's deserializer. */
const ENCODED_SPANS = {
  serializeRequest: (request: EncodedSpans) => request.bytes,
  deserializeResponse: (data: Uint8Array) => require('@opentelemetry/otlp-transformer').ProtobufTraceSerializer.deserializeResponse(data),
};

const CONSOLE: Record<Signal, () => AnyExporter> = {
  traces: () => new (require('@opentelemetry/sdk-trace').ConsoleSpanExporter)(),
  metrics: () => new (require('@opentelemetry/sdk-metrics').ConsoleMetricExporter)(),
  logs: () => new (require('@opentelemetry/sdk-logs').ConsoleLogRecordExporter)(),
};

export function createExporters(signal: Signal, settings: SignalExport, log: Logger, runtime: RuntimeState): AnyExporter[] {
  return settings.exporters.map((kind) => {
    const create = kind === 'console' ? CONSOLE[signal] : () => createOtlpExporter(signal, settings, log);
    return new LazyExporter(create, kind === 'otlp' && signal === 'traces', signal, `${kind === 'console' ? 'console' : 'OTLP'} ${signal}`, log, runtime);
  });
}

function createOtlpExporter(signal: Signal, s: SignalExport, log: Logger): AnyExporter {
  const tls = {
    ca: readPem(s.certificate, 'certificate', log),
    cert: readPem(s.clientCertificate, 'client certificate', log),
    key: readPem(s.clientKey, 'client key', log),
  };
  const base = require('@opentelemetry/otlp-exporter-base') as typeof import('@opentelemetry/otlp-exporter-base');
  const transformer = require('@opentelemetry/otlp-transformer');
  const hasTls = tls.ca !== undefined || tls.cert !== undefined;
  const httpOptions = { url: s.endpoint, timeoutMillis: s.timeoutMillis, compression: s.compression, headers: { ...s.headers }, httpAgentOptions: hasTls ? tls : undefined };
  if (s.protocol === 'http/protobuf' && signal === 'traces') {
    const http = require('@opentelemetry/otlp-exporter-base/node-http');
    const delegate = http.createOtlpHttpExportDelegate(http.convertLegacyHttpOptions(httpOptions, 'TRACES', 'v1/traces', { 'Content-Type': 'application/x-protobuf' }), ENCODED_SPANS, 'otlp_http_span_exporter', transformer.TraceExporterMetricsHelper, undefined);
    return new base.OTLPExporterBase(delegate) as unknown as AnyExporter;
  }
  if (s.protocol === 'http/protobuf') {
    const [pkg, cls] = HTTP_PACKAGES[signal as 'metrics' | 'logs'];
    return new (require(pkg)[cls])(httpOptions);
  }
  const grpc = GRPC[signal];
  const { Http2GrpcTransport } = require('./grpc-transport') as typeof import('./grpc-transport');
  const transport = new Http2GrpcTransport({ endpoint: s.endpoint, path: grpc.method, headers: s.headers, compression: s.compression, tls, userAgent: `otel-preload/${DISTRO_VERSION}` });
  const metrics = new base.ExporterMetrics({ componentType: grpc.component, metricsHelper: transformer[grpc.helper], url: s.endpoint, meterProvider: undefined, responseAttributesFromError: () => ({}) });
  const serializer = signal === 'traces' ? ENCODED_SPANS : transformer[grpc.serializer];
  const delegate = base.createOtlpNetworkExportDelegate({ ...base.getSharedConfigurationDefaults(), timeoutMillis: s.timeoutMillis, compression: s.compression }, serializer, metrics, transport);
  if (signal === 'metrics') return new (require('@opentelemetry/exporter-metrics-otlp-http').OTLPMetricExporterBase)(delegate, {});
  return new base.OTLPExporterBase(delegate as never) as unknown as AnyExporter;
}

function readPem(file: string | undefined, what: string, log: Logger): Buffer | undefined {
  if (!file) return undefined;
  try {
    return readFileSync(file);
  } catch (err) {
    log.warn(`OTLP ${what} file ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? err}); connecting without it.`);
    return undefined;
  }
}
