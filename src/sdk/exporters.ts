// Exporter factories, one table keyed by signal and protocol. OTLP exporters are wrapped in a lazy
// shell: the exporter package (and gRPC with it) is loaded on the first export, so a process
// that never produces telemetry never pays for it.

import { readFileSync } from 'fs';
import type { Signal } from '../config/settings';
import type { SignalExport } from '../config';
import type { Logger } from '../diag/logger';
import type { RuntimeState } from './runtime-state';

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

const PACKAGES: Record<Signal, Record<SignalExport['protocol'], [pkg: string, cls: string]>> = {
  traces: {
    grpc: ['@opentelemetry/exporter-trace-otlp-grpc', 'OTLPTraceExporter'],
    'http/protobuf': ['@opentelemetry/exporter-trace-otlp-proto', 'OTLPTraceExporter'],
  },
  metrics: {
    grpc: ['@opentelemetry/exporter-metrics-otlp-grpc', 'OTLPMetricExporter'],
    'http/protobuf': ['@opentelemetry/exporter-metrics-otlp-proto', 'OTLPMetricExporter'],
  },
  logs: {
    grpc: ['@opentelemetry/exporter-logs-otlp-grpc', 'OTLPLogExporter'],
    'http/protobuf': ['@opentelemetry/exporter-logs-otlp-proto', 'OTLPLogExporter'],
  },
};

const CONSOLE: Record<Signal, () => AnyExporter> = {
  traces: () => new (require('@opentelemetry/sdk-trace').ConsoleSpanExporter)(),
  metrics: () => new (require('@opentelemetry/sdk-metrics').ConsoleMetricExporter)(),
  logs: () => new (require('@opentelemetry/sdk-logs').ConsoleLogRecordExporter)(),
};

export function createExporters(signal: Signal, settings: SignalExport, log: Logger, runtime: RuntimeState): AnyExporter[] {
  return settings.exporters.map((kind) => {
    const [pkg, cls] = PACKAGES[signal][settings.protocol];
    const create = kind === 'console' ? CONSOLE[signal] : () => new (require(pkg)[cls])(otlpOptions(settings, log));
    return new LazyExporter(create, signal, `${kind === 'console' ? 'console' : 'OTLP'} ${signal}`, log, runtime);
  });
}

function otlpOptions(s: SignalExport, log: Logger): Record<string, unknown> {
  const tls = {
    ca: readPem(s.certificate, 'certificate', log),
    cert: readPem(s.clientCertificate, 'client certificate', log),
    key: readPem(s.clientKey, 'client key', log),
  };
  const hasTls = tls.ca !== undefined || tls.cert !== undefined;
  const common = { url: s.endpoint, timeoutMillis: s.timeoutMillis, compression: s.compression };
  if (s.protocol === 'grpc') {
    const grpc = require('@grpc/grpc-js');
    const metadata = new grpc.Metadata();
    for (const [k, v] of Object.entries(s.headers)) metadata.set(k, v);
    const credentials = hasTls ? grpc.credentials.createSsl(tls.ca, tls.key, tls.cert) : undefined;
    return { ...common, metadata, credentials };
  }
  return { ...common, headers: { ...s.headers }, httpAgentOptions: hasTls ? tls : undefined };
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
