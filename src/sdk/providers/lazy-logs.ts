// The logger provider registered at start stands in for the logs SDK until the first log record:
// most processes emit none before their first answer (pino, winston and bunyan bridges emit only
// when the app logs), and `@opentelemetry/sdk-logs` with its processors is ~21 files to load at
// start (bench/README.md, "Start-up"). The loggers it hands out are the instrumentations' (made
// when they are constructed): each creates the real one at its first `emit` or `enabled` call.

import type { Logger as OtelLogger, LoggerOptions, LogRecord } from '@opentelemetry/api-logs';
import type { LoggerProvider } from '@opentelemetry/sdk-logs';

type EnabledOptions = Parameters<NonNullable<OtelLogger['enabled']>>[0];

export class LazyLoggerProvider {
  private real: LoggerProvider | undefined;

  constructor(private readonly create: () => LoggerProvider) {}

  /** The logs SDK, made now if it was not yet. */
  provider(): LoggerProvider {
    return (this.real ??= this.create());
  }

  getLogger(name: string, version?: string, options?: LoggerOptions): OtelLogger {
    let logger: OtelLogger | undefined;
    const real = () => (logger ??= this.provider().getLogger(name, version, options));
    return {
      emit: (record: LogRecord) => real().emit(record),
      enabled: (opts?: EnabledOptions) => real().enabled?.(opts) ?? true,
    };
  }

  forceFlush(): Promise<void> {
    return this.real ? this.real.forceFlush() : Promise.resolve();
  }

  shutdown(): Promise<void> {
    return this.real ? this.real.shutdown() : Promise.resolve();
  }
}
