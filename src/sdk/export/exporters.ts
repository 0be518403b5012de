// Exporter factories, one table keyed by signal and protocol. OTLP exporters are wrapped in a lazy
// shell: the exporter packages (and the HTTP/2 client with them) are loaded on the first export,
// so a process that never produces telemetry never pays for it.

import { closeSync, openSync } from 'fs';
import type { Signal } from '../../config/settings';
import type { SignalExport } from '../../config';
import type { Logger } from '../../log/logger';
import type { RuntimeState } from '../../runtime/state';
import { readPem } from '../../util/pem';
import { DISTRO_VERSION } from '../../version';
import { GRPC_METHODS } from './grpc-methods';
import { exporterMetricsHelper, metricExporterBase, protobufSerializer } from '../../otel-line/otlp-parts';
import { exportErrorReporter } from './export-errors';
import { countingRejections, partialSuccessError, type Rejected } from './partial-success';
import { lineRequire } from '../../otel-line/line';

/** What OTLP span and log exporters receive: a whole Export<Signal>ServiceRequest and its item count. */
export interface EncodedRequest {
  bytes: Uint8Array;
  length: number;
}

/** `rejected`: items the collector refused in a partial success (sdk/export/partial-success.ts). */
type ExportCallback = (result: { code: number; error?: Error; rejected?: Rejected }) => void;
export interface AnyExporter {
  /** OTLP span and log exporters take a whole encoded request (batch-queue.ts). */
  readonly takesEncoded?: boolean;
  export(items: unknown, done: ExportCallback): void;
  shutdown(): Promise<void>;
  forceFlush?(): Promise<void>;
  /** What the collector refused in the answer to the last export, once. */
  takeRejected?(): Rejected | undefined;
  /** Builds what the first export needs now (the queue calls it once telemetry is queued). */
  prepare?(): void;
}

const EXPORT_SUCCESS = 0; // ExportResultCode in @opentelemetry/core
const EXPORT_FAILED = 1;

/**
 * Loads the real exporter on first use; if it cannot be built, exports fail after one warning.
 * A failure for want of a resource the process gets back (no file descriptor left, EMFILE; the
 * system's table full, ENFILE; EAGAIN) is tried again at the next export: a brief shortage at
 * the first export must not switch a signal off for the rest of the process. Node reports a
 * module it could not read for that reason as "Cannot find module", so the cause is read from
 * the system (transientCause) and named instead. Honours the remotely settable on/off switch and
 * reports every result as health.
 */
export class LazyExporter implements AnyExporter {
  private real?: AnyExporter;
  private broken?: Error;
  /** The shortage that made the last attempt fail; warned about once per episode. */
  private shortage?: Error;

  constructor(
    private readonly create: () => AnyExporter,
    readonly takesEncoded: boolean,
    private readonly signal: Signal,
    private readonly describe: string,
    private readonly log: Logger,
    private readonly runtime: RuntimeState,
    /** The signal's export-failure reporter (export-errors.ts): names the cause on the loss line. */
    private readonly reportFailure: (error?: Error) => void = () => undefined,
  ) {}

  export(items: unknown, done: ExportCallback): void {
    // Switched off centrally: the operator chose to drop this signal, so report success.
    if (!this.runtime.settings.exportEnabled[this.signal]) return done({ code: EXPORT_SUCCESS });
    const exporter = this.load();
    if (!exporter) {
      const error = this.broken ?? this.shortage;
      this.runtime.reportExport(this.signal, false, error);
      // The transport, which names failures otherwise, is never reached: a metric loss line
      // (the periodic reader has no queue to report for it) would name no cause at all.
      if (error) this.reportFailure(error);
      return done({ code: EXPORT_FAILED, error });
    }
    exporter.export(items, (result) => {
      try {
        this.runtime.reportExport(this.signal, result.code === EXPORT_SUCCESS, result.error);
      } catch {
        // A health listener's failure must not stop the result from reaching the queue.
      }
      const rejected = result.code === EXPORT_SUCCESS ? exporter.takeRejected?.() : undefined;
      // The queue names a refusal of spans or log records itself; the metric reader has no queue,
      // so its loss line would count refused points without the collector's words.
      if (rejected && !this.takesEncoded) this.reportFailure(partialSuccessError(rejected));
      done(result.code === EXPORT_SUCCESS ? { ...result, rejected } : result);
    });
  }

  prepare(): void {
    try {
      if (this.runtime.settings.exportEnabled[this.signal]) this.load();
    } catch {
      // Building early is only a head start: the export builds it again, and says why not.
    }
  }

  shutdown(): Promise<void> {
    return this.real ? this.real.shutdown() : Promise.resolve();
  }

  forceFlush(): Promise<void> {
    return this.real?.forceFlush ? this.real.forceFlush() : Promise.resolve();
  }

  private load(): AnyExporter | undefined {
    if (this.real || this.broken) return this.real;
    // Not even tried while no descriptor is free: on Node < 22 a package.json that could not be
    // opened is remembered as missing for good, so the module would stay "not found" afterwards.
    const now = shortageNow();
    if (now) {
      this.noteShortage(now);
      return undefined;
    }
    try {
      this.real = this.create();
      if (this.shortage) this.log.info(`${this.describe} exporter created after the shortage (${this.shortage.message}) ended.`);
      this.shortage = undefined;
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      const transient = transientCause(error);
      if (transient) {
        this.noteShortage(transient);
      } else {
        this.broken = error;
        this.log.warn(`${this.describe} exporter could not be created (${error.message}); this signal is not exported.`);
      }
    }
    return this.real;
  }

  private noteShortage(cause: string): void {
    if (!this.shortage) this.log.warn(`${this.describe} exporter could not be created (${cause}); tried again at the next export.`);
    this.shortage = new Error(cause);
  }
}

const SHORTAGES = new Set(['EMFILE', 'ENFILE', 'EAGAIN']);

/**
 * The passing shortage behind a failed load, if that is what it was: the error's own code, or,
 * since a module Node could not open is reported as not found, the error that opening a file
 * we know exists gives right now.
 */
export function transientCause(error: NodeJS.ErrnoException): string | undefined {
  if (error.code && SHORTAGES.has(error.code)) return `${error.code}: ${error.message}`;
  return shortageNow();
}

/** The shortage opening a file we know exists meets right now, if any. */
function shortageNow(): string | undefined {
  try {
    closeSync(openSync(__filename, 'r'));
  } catch (probe) {
    const code = (probe as NodeJS.ErrnoException).code;
    if (code && SHORTAGES.has(code)) return `${code}: ${code === 'EMFILE' ? 'too many open files in this process' : code === 'ENFILE' ? 'too many open files in the system' : 'resource temporarily unavailable'}`;
  }
  return undefined;
}

/** Per signal: upstream's serialiser (spans and logs arrive encoded), metrics helper and component types. */
const OTLP: Record<Signal, { grpc: string; http: string }> = {
  traces: { grpc: 'otlp_grpc_span_exporter', http: 'otlp_http_span_exporter' },
  metrics: { grpc: 'otlp_grpc_metric_exporter', http: 'otlp_http_metric_exporter' },
  logs: { grpc: 'otlp_grpc_log_exporter', http: 'otlp_http_log_exporter' },
};

/** The otel.component.type of a signal's OTLP exporter (the ledger names it in its counts). */
export function otlpComponentType(signal: Signal, protocol: SignalExport['protocol']): string {
  return protocol === 'grpc' ? OTLP[signal].grpc : OTLP[signal].http;
}

/** Spans and log records arrive already encoded as a whole request; responses are read by upstream's deserializer. */
const encoded = (signal: 'traces' | 'logs') => ({
  serializeRequest: (request: EncodedRequest) => request.bytes,
  deserializeResponse: (data: Uint8Array) => protobufSerializer(signal).deserializeResponse(data),
});

const CONSOLE: Record<Signal, () => AnyExporter> = {
  traces: () => new (lineRequire('@opentelemetry/sdk-trace').ConsoleSpanExporter)(),
  metrics: () => new (lineRequire('@opentelemetry/sdk-metrics').ConsoleMetricExporter)(),
  logs: () => new (lineRequire('@opentelemetry/sdk-logs').ConsoleLogRecordExporter)(),
};

export function createExporters(signal: Signal, settings: SignalExport, log: Logger, runtime: RuntimeState): AnyExporter[] {
  return settings.exporters.map((kind) => {
    const create = kind === 'console' ? CONSOLE[signal] : () => createOtlpExporter(signal, settings, log);
    const reportFailure = kind === 'otlp' ? exportErrorReporter(signal, settings.endpoint, log) : undefined;
    return new LazyExporter(create, kind === 'otlp' && signal !== 'metrics', signal, `${kind === 'console' ? 'console' : 'OTLP'} ${signal}`, log, runtime, reportFailure);
  });
}

/**
 * Upstream's serialisers, export delegate (concurrency bound, partial success) and metric exporter
 * base around our transports: HTTP/2 for gRPC (grpc-transport.ts), node:http for OTLP/HTTP
 * (http-transport.ts), both retried by retry.ts and neither holding the event loop.
 */
function createOtlpExporter(signal: Signal, s: SignalExport, log: Logger): AnyExporter {
  const tls = {
    ca: readPem(s.certificate, (f) => `OTLP certificate file ${f}`, log),
    cert: readPem(s.clientCertificate, (f) => `OTLP client certificate file ${f}`, log),
    key: readPem(s.clientKey, (f) => `OTLP client key file ${f}`, log),
  };
  const base = lineRequire('@opentelemetry/otlp-exporter-base') as typeof import('@opentelemetry/otlp-exporter-base');
  const { RetryingTransport } = require('./retry') as typeof import('./retry');
  const userAgent = `otel-preload/${DISTRO_VERSION}`;
  const target = { headers: s.headers, compression: s.compression, tls, userAgent };
  const inner =
    s.protocol === 'grpc'
      ? new (require('./grpc-transport') as typeof import('./grpc-transport')).Http2GrpcTransport({ ...target, endpoint: s.endpoint, path: GRPC_METHODS[signal] })
      : new (require('./http-transport') as typeof import('./http-transport')).HttpExportTransport({ ...target, url: s.endpoint });
  const transport = new RetryingTransport(inner, undefined, undefined, exportErrorReporter(signal, s.endpoint, log));
  // Self-metrics are counted by the ledger (loss-ledger.ts); upstream's would count twice.
  const metrics = new base.ExporterMetrics({ componentType: otlpComponentType(signal, s.protocol), metricsHelper: exporterMetricsHelper(signal) as never, url: s.endpoint, meterProvider: undefined, responseAttributesFromError: () => ({}) });
  const rejections = countingRejections(signal === 'metrics' ? protobufSerializer('metrics') : encoded(signal));
  const delegate = base.createOtlpNetworkExportDelegate({ ...base.getSharedConfigurationDefaults(), timeoutMillis: s.timeoutMillis, compression: s.compression }, rejections.serializer, metrics, transport);
  const exporter: AnyExporter =
    signal === 'metrics' ? (new (metricExporterBase())(delegate, {}) as AnyExporter) : (new base.OTLPExporterBase(delegate as never) as unknown as AnyExporter);
  exporter.takeRejected = rejections.take;
  return exporter;
}

/** The processors' way to an exporter of encoded requests: resolves when delivered (with what the collector refused), never traced. */
export function sendVia(exporter: AnyExporter): (bytes: Uint8Array, count: number) => Promise<Rejected | undefined> {
  const api = lineRequire('@opentelemetry/api') as typeof import('@opentelemetry/api');
  const core = lineRequire('@opentelemetry/core') as typeof import('@opentelemetry/core');
  return (bytes, count) =>
    new Promise<Rejected | undefined>((resolve, reject) => {
      // The export's own requests must not be traced.
      api.context.with(core.suppressTracing(api.context.active()), () => {
        exporter.export({ bytes, length: count } satisfies EncodedRequest, (result) => {
          if (result.code === EXPORT_SUCCESS) resolve(result.rejected);
          else reject(result.error ?? new Error('export failed'));
        });
      });
    });
}
