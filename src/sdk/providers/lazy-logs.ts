// The logger provider registered at start stands in for the logs SDK until the first log record:
// most processes emit none before their first answer (pino, winston and bunyan bridges emit only
// when the app logs), and `@opentelemetry/sdk-logs` with its processors is ~21 files to load at
// start (bench/README.md, "First answer, 2026-12-04"). The loggers it hands out are the
// instrumentations' (made when they are constructed): each makes the real one at its first
// `emit` or `enabled` call. Should making the SDK fail then (files that cannot be opened: EMFILE),
// that record is dropped and counted, one warning says why, and the next record tries again:
// the app's logging call never throws for us. Once shut down (at exit, or when the preload steps
// aside for the app's own SDK) it makes nothing: a record then is dropped, as the logs SDK itself
// drops records after its shutdown. The first record pays the SDK's loading (~10–25 ms, once).

import type { Logger as OtelLogger, LoggerOptions, LogRecord } from '@opentelemetry/api-logs';
import type { LoggerProvider } from '@opentelemetry/sdk-logs';

type EnabledOptions = Parameters<NonNullable<OtelLogger['enabled']>>[0];

export class LazyLoggerProvider {
  private real: LoggerProvider | undefined;
  private warned = false;
  private stopped = false;

  constructor(
    private readonly create: () => LoggerProvider,
    /** The SDK could not be made (a warning the first time); `dropped`: a record was lost for it. */
    private readonly onFailure: (err: unknown, firstTime: boolean) => void,
    private readonly onDropped: () => void,
  ) {}

  /** The logs SDK, made now if it was not yet; undefined if that failed this time. */
  private provider(): LoggerProvider | undefined {
    if (this.real || this.stopped) return this.real;
    try {
      return (this.real = this.create());
    } catch (err) {
      this.onFailure(err, !this.warned);
      this.warned = true;
      return undefined;
    }
  }

  getLogger(name: string, version?: string, options?: LoggerOptions): OtelLogger {
    let logger: OtelLogger | undefined;
    const real = () => (logger ??= this.provider()?.getLogger(name, version, options));
    return {
      emit: (record: LogRecord) => {
        const target = real();
        if (target) target.emit(record);
        else if (!this.stopped) this.onDropped();
      },
      enabled: (opts?: EnabledOptions) => real()?.enabled?.(opts) ?? true,
    };
  }

  forceFlush(): Promise<void> {
    return this.real ? this.real.forceFlush() : Promise.resolve();
  }

  shutdown(): Promise<void> {
    this.stopped = true;
    return this.real ? this.real.shutdown() : Promise.resolve();
  }
}
