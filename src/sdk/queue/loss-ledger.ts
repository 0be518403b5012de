// The conservation ledger: every span and log record the SDK ends is either exported or counted
// here as lost, by cause. The counts are the SDK self-observability metrics of the semantic
// conventions (https://opentelemetry.io/docs/specs/semconv/otel/sdk-metrics/):
// - otel.sdk.processor.<x>.processed: handed to the exporter (no error.type), or lost before that
//   (error.type queue_full or shutdown);
// - otel.sdk.exporter.<x>.exported: delivered (no error.type), or lost in export (error.type
//   export_failed or timeout, after every retry).
// So created = exported{no error} + exported{error.type} + processed{error.type}. A rate-limited
// stderr line names the losses with the running total, and shutdown reports the rest.

import type { Attributes, Counter, Meter } from '@opentelemetry/api';
import type { Logger } from '../../log/logger';
import { currentFailures } from '../export/export-errors';

export type LossCause = 'queue_full' | 'export_failed' | 'timeout' | 'shutdown';
export type LedgerSignal = 'traces' | 'logs' | 'metrics';

const CAUSES: readonly LossCause[] = ['queue_full', 'export_failed', 'timeout', 'shutdown'];
const BEFORE_EXPORT: ReadonlySet<LossCause> = new Set(['queue_full', 'shutdown']);

/** Semconv names per signal: the metric-name part, the unit and what a line calls one item. */
const NAMES: Record<LedgerSignal, { item: string; unit: string; plural: string; processor: string }> = {
  traces: { item: 'span', unit: '{span}', plural: 'spans', processor: 'batching_span_processor' },
  logs: { item: 'log', unit: '{log_record}', plural: 'log records', processor: 'batching_log_processor' },
  metrics: { item: 'metric_data_point', unit: '{data_point}', plural: 'metric data points', processor: 'periodic_metric_reader' },
};

/** At most one loss line a minute; the rest waits for the next line or for shutdown. */
export const LOSS_LINE_INTERVAL_MS = 60_000;

type Counts = Record<LossCause, number>;
const zero = (): Counts => ({ queue_full: 0, export_failed: 0, timeout: 0, shutdown: 0 });

export class LossLedger {
  readonly exported: Record<LedgerSignal, number> = { traces: 0, logs: 0, metrics: 0 };
  readonly lost: Record<LedgerSignal, Counts> = { traces: zero(), logs: zero(), metrics: zero() };
  private unreported: Record<LedgerSignal, Counts> = { traces: zero(), logs: zero(), metrics: zero() };
  private lastLine = -Infinity;
  private holding = false;
  private counters = new Map<string, Counter>();
  private readonly exporterType: Partial<Record<LedgerSignal, string>> = {};

  constructor(
    private readonly log: Logger,
    private readonly meter: () => Meter | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** Names the exporter component of a signal (otel.component.type), e.g. otlp_grpc_span_exporter. */
  setExporterType(signal: LedgerSignal, type: string): void {
    this.exporterType[signal] = type;
  }

  /** From now on (shutdown) losses wait for reportPending(): the exit gets one line with the totals. */
  holdLines(): void {
    this.holding = true;
  }

  /** `n` items handed to the exporter. */
  handedToExporter(signal: LedgerSignal, n: number): void {
    this.add(`otel.sdk.processor.${NAMES[signal].item}.processed`, signal, n, this.processorAttrs(signal));
  }

  /** `n` items delivered. */
  delivered(signal: LedgerSignal, n: number): void {
    this.exported[signal] += n;
    this.add(`otel.sdk.exporter.${NAMES[signal].item}.exported`, signal, n, this.exporterAttrs(signal));
  }

  /** `n` items lost; counted at once, named on stderr at most once a minute. */
  lose(signal: LedgerSignal, n: number, cause: LossCause): void {
    if (!(n > 0)) return;
    this.lost[signal][cause] += n;
    this.unreported[signal][cause] += n;
    const before = BEFORE_EXPORT.has(cause);
    const name = `otel.sdk.${before ? 'processor' : 'exporter'}.${NAMES[signal].item}.${before ? 'processed' : 'exported'}`;
    this.add(name, signal, n, { ...(before ? this.processorAttrs(signal) : this.exporterAttrs(signal)), 'error.type': cause });
    if (!this.holding && this.now() - this.lastLine >= LOSS_LINE_INTERVAL_MS) this.reportPending();
  }

  totalLost(signal?: LedgerSignal): number {
    const signals = signal ? [signal] : (Object.keys(this.lost) as LedgerSignal[]);
    return signals.reduce((sum, s) => sum + CAUSES.reduce((n, c) => n + this.lost[s][c], 0), 0);
  }

  /** Writes the losses not yet named, if any (also at shutdown, and when a flush times out). */
  reportPending(): void {
    const parts: string[] = [];
    for (const signal of Object.keys(this.unreported) as LedgerSignal[]) {
      const counts = this.unreported[signal];
      const n = CAUSES.reduce((sum, c) => sum + counts[c], 0);
      if (n === 0) continue;
      const causes = CAUSES.filter((c) => counts[c] > 0).map((c) => `${c} ${counts[c]}`).join(', ');
      parts.push(`${n} ${NAMES[signal].plural} (${causes}; ${this.totalLost(signal)} in total)`);
    }
    if (parts.length === 0) return;
    this.unreported = { traces: zero(), logs: zero(), metrics: zero() };
    this.lastLine = this.now();
    const causes = currentFailures();
    const why = causes.length ? ` because ${causes.join('; ')}` : '';
    this.log.warn(`telemetry lost: ${parts.join(', ')}${why}; counted in otel.sdk.processor.*.processed and otel.sdk.exporter.*.exported by error.type.`);
  }

  private processorAttrs(signal: LedgerSignal): Attributes {
    const type = NAMES[signal].processor;
    return { 'otel.component.type': type, 'otel.component.name': `${type}/0` };
  }

  private exporterAttrs(signal: LedgerSignal): Attributes {
    const type = this.exporterType[signal] ?? `otlp_${NAMES[signal].item}_exporter`;
    return { 'otel.component.type': type, 'otel.component.name': `${type}/0` };
  }

  private add(name: string, signal: LedgerSignal, n: number, attrs: Attributes): void {
    // Counting must never throw into the app's span.end() or an export callback.
    try {
      let counter = this.counters.get(name);
      if (!counter) {
        const meter = this.meter();
        if (!meter) return;
        counter = meter.createCounter(name, { unit: NAMES[signal].unit, description: DESCRIPTIONS[name.endsWith('processed') ? 'processed' : 'exported'] });
        this.counters.set(name, counter);
      }
      counter.add(n, attrs);
    } catch {
      // The in-memory totals above still hold; the metric is best effort.
    }
  }
}

const DESCRIPTIONS = {
  processed: 'Items for which processing has finished: handed to the exporter, or lost before that (error.type).',
  exported: 'Items for which the export has finished: delivered, or lost after every retry (error.type).',
};
