// Retries an export transport's 'retryable' answers with jittered exponential backoff, inside the
// export's own deadline, as the OTLP exporter specification asks
// (https://opentelemetry.io/docs/specs/otlp/#retryable-response-codes). OpenTelemetry's HTTP
// delegate already wraps its transport this way; its wrapper is not exported, and the gRPC
// transport needs the same, so this is ours, with the same schedule: 1 s, ×1.5, at most 5 s,
// ±20 % jitter, at most 5 retries, a server-given delay (Retry-After, gRPC RetryInfo) first.

import type { ExportResponse, IExporterTransport } from '@opentelemetry/otlp-exporter-base';

export interface RetrySchedule {
  initialMillis: number;
  multiplier: number;
  maxMillis: number;
  jitter: number;
  maxRetries: number;
}

const MIN_ATTEMPT_MILLIS = 200;

export const DEFAULT_RETRY: RetrySchedule = { initialMillis: 1000, multiplier: 1.5, maxMillis: 5000, jitter: 0.2, maxRetries: 5 };

// Once the SDK shuts down, nothing is retried and waits end at once: a short job on a host whose
// collector is gone must not spend its exit bound waiting for a backoff.
let retrying = true;
const waits = new Set<() => void>();

/** Stops every retry in this process (shutdown); what was waiting gives up as a failure. */
export function stopRetries(): void {
  retrying = false;
  for (const wake of [...waits]) wake();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const wake = () => {
      clearTimeout(timer);
      waits.delete(wake);
      resolve();
    };
    const timer = setTimeout(wake, ms);
    timer.unref();
    waits.add(wake);
  });
}

export class RetryingTransport implements IExporterTransport {
  constructor(
    private readonly inner: IExporterTransport,
    private readonly schedule: RetrySchedule = DEFAULT_RETRY,
    private readonly random: () => number = Math.random,
    /** Told about each failed attempt that will be retried (the episode's error line). */
    private readonly onRetry: (error: Error) => void = () => undefined,
  ) {}

  async send(data: Uint8Array, timeoutMillis: number): Promise<ExportResponse> {
    const deadline = Date.now() + timeoutMillis;
    let backoff = this.schedule.initialMillis;
    let result = await this.inner.send(data, timeoutMillis);
    for (let retry = 0; result.status === 'retryable' && retrying && retry < this.schedule.maxRetries; retry++) {
      const jittered = Math.min(backoff * (1 + (this.random() * 2 - 1) * this.schedule.jitter), this.schedule.maxMillis);
      backoff *= this.schedule.multiplier;
      const wait = Math.max(0, result.retryInMillis ?? jittered);
      const remaining = deadline - Date.now();
      // Give up now unless the attempt after the wait still has a fair share of the deadline: an
      // attempt cut short by its deadline is ambiguous (the collector may have taken it while we
      // count it as lost), so we do not start attempts that are mostly deadline.
      if (wait + Math.max(MIN_ATTEMPT_MILLIS, timeoutMillis / 4) > remaining) break;
      try {
        this.onRetry(result.error ?? new Error('the collector asked to retry later'));
      } catch {
        // Reporting must never stop a retry.
      }
      await sleep(wait);
      if (!retrying) break;
      result = await this.inner.send(data, deadline - Date.now());
    }
    if (result.status === 'retryable') return { status: 'failure', error: result.error ?? new Error('the collector asked to retry later, and the export deadline passed') };
    return result;
  }

  shutdown(): void {
    this.inner.shutdown();
  }
}
