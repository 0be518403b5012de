// Exporter factories, one table keyed by signal and protocol. OTLP exporters are wrapped in a lazy
// shell: the exporter package (and gRPC with it) is loaded on the first export, so a process
// that never produces telemetry never pays for it.

import { readFileSync } from 'fs';
import type { Signal } from '../config/settings';
import type { SignalExport } from '../config';
import type { Logger } from '../diag/logger';
import type { RuntimeState } from './runtime-state';
import { Http2GrpcTransport } from './grpc-transport';
import { DISTRO_VERSION } from '../version';

type ExportCallback = (result: { code: number; error?: Error }) => void;
export interface AnyExporter {
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

/** OTLP/http exporters, used as upstream ships them. */
const HTTP_PACKAGES: Record<Signal, [pkg: string, cls: string]> = {
  traces: ['@opentelemetry/exporter-trace-otlp-proto', 'OTLPTraceExporter'],
  metrics: ['@opentelemetry/exporter-metrics-otlp-proto', 'OTLPMetricExporter'],
  logs: ['@opentelemetry/exporter-logs-otlp-proto', 'OTLPLogExporter'],
};

/** OTLP/gRPC: upstream's serialisers and export delegate over our HTTP/2 transport (grpc-transport.ts). */
const GRPC: Record<Signal, { method: string; serializer: string; helper: string; component: string }> = {
  traces: { method: '/opentelemetry.proto.collector.trace.v1.TraceService/Export', serializer: 'ProtobufTraceSerializer', helper: 'TraceExporterMetricsHelper', component: 'otlp_grpc_span_exporter' },
  metrics: { method: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export', serializer: 'ProtobufMetricsSerializer', helper: 'MetricsExporterMetricsHelper', component: 'otlp_grpc_metric_exporter' },
  logs: { method: '/opentelemetry.proto.collector.logs.v1.LogsService/Export', serializer: 'ProtobufLogsSerializer', helper: 'LogsExporterMetricsHelper', component: 'otlp_grpc_log_exporter' },
};

const CONSOLE: Record<Signal, () => AnyExporter> = {
  traces: () => new (require('@opentelemetry/sdk-trace').ConsoleSpanExporter)(),
  metrics: () => new (require('@opentelemetry/sdk-metrics').ConsoleMetricExporter)(),
  logs: () => new (require('@opentelemetry/sdk-logs').ConsoleLogRecordExporter)(),
};

export function createExporters(signal: Signal, settings: SignalExport, log: Logger, runtime: RuntimeState): AnyExporter[] {
  return settings.exporters.map((kind) => {
    const create = kind === 'console' ? CONSOLE[signal] : () => createOtlpExporter(signal, settings, log);
    return new LazyExporter(create, signal, `${kind === 'console' ? 'console' : 'OTLP'} ${signal}`, log, runtime);
  });
}

function createOtlpExporter(signal: Signal, s: SignalExport, log: Logger): AnyExporter {
  const tls = {
    ca: readPem(s.certificate, 'certificate', log),
    cert: readPem(s.clientCertificate, 'client certificate', log),
    key: readPem(s.clientKey, 'client key', log),
  };
  if (s.protocol === 'http/protobuf') {
    const [pkg, cls] = HTTP_PACKAGES[signal];
    const hasTls = tls.ca !== undefined || tls.cert !== undefined;
    return new (require(pkg)[cls])({ url: s.endpoint, timeoutMillis: s.timeoutMillis, compression: s.compression, headers: { ...s.headers }, httpAgentOptions: hasTls ? tls : undefined });
  }
  const base = require('@opentelemetry/otlp-exporter-base') as typeof import('@opentelemetry/otlp-exporter-base');
  const transformer = require('@opentelemetry/otlp-transformer');
  const grpc = GRPC[signal];
  const transport = new Http2GrpcTransport({ endpoint: s.endpoint, path: grpc.method, headers: s.headers, compression: s.compression, tls, userAgent: `otel-preload/${DISTRO_VERSION}` });
  const metrics = new base.ExporterMetrics({ componentType: grpc.component, metricsHelper: transformer[grpc.helper], url: s.endpoint, meterProvider: undefined, responseAttributesFromError: () => ({}) });
  const delegate = base.createOtlpNetworkExportDelegate({ ...base.getSharedConfigurationDefaults(), timeoutMillis: s.timeoutMillis, compression: s.compression }, transformer[grpc.serializer], metrics, transport);
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
