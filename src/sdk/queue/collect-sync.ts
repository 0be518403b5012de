// A synchronous collection of a metric reader's synchronous instruments, for the flush at
// process.exit(), where no promise can settle. The SDK's own collect() is asynchronous only
// because it first awaits the observable callbacks; the storages of counters, histograms and
// up-down counters are collected synchronously underneath. This walks those same objects
// (MetricCollector → MeterProviderSharedState → MeterSharedState → metric storages) as the SDK's
// collect does, minus the observable callbacks: a gauge read at exit is skipped, the counts and
// durations recorded since the last export are not. The SDK's internal names are pinned with its
// version (package.json); if they change, this returns undefined and the exit flush carries on
// without metrics (test/unit/collect-sync.test.ts fails first).

import type { MetricData, ResourceMetrics, ScopeMetrics } from '@opentelemetry/sdk-metrics';

interface MetricStorage {
  collect(collector: unknown, collectionTime: [number, number]): MetricData | undefined | null;
  getInstrumentDescriptor?(): { type: string };
  _deltaMetricStorage?: { _activeCollectionStorage?: { size: number } };
  _temporalMetricStorage?: { _unreportedAccumulations?: Map<unknown, unknown[]> };
}
interface MeterSharedState {
  metricStorageRegistry: { getStorages(collector: unknown): MetricStorage[] };
  _instrumentationScope: ScopeMetrics['scope'];
}
interface MetricCollector {
  _sharedState: { resource: ResourceMetrics['resource']; meterSharedStates: Map<string, MeterSharedState> };
}

/** What the reader's SDK producer holds now; undefined when the reader is not bound or the SDK's shape is not the known one. */
export function collectSync(reader: object): ResourceMetrics | undefined {
  const collector = (reader as { _sdkMetricProducer?: MetricCollector })._sdkMetricProducer;
  const shared = collector?._sharedState;
  if (!shared || !(shared.meterSharedStates instanceof Map)) return undefined;
  const meters: Array<{ meter: MeterSharedState; storages: MetricStorage[] }> = [];
  for (const meter of shared.meterSharedStates.values()) {
    const storages = meter.metricStorageRegistry?.getStorages(collector);
    if (!Array.isArray(storages)) return undefined;
    meters.push({ meter, storages: storages.filter(isSynchronous) });
  }
  // Nothing recorded since the last export: a cumulative series would only be sent again.
  if (!meters.some(({ storages }) => storages.some((s) => hasNewRecords(s, collector)))) return undefined;
  const now = Date.now();
  const collectionTime: [number, number] = [Math.floor(now / 1000), (now % 1000) * 1e6];
  const scopeMetrics: ScopeMetrics[] = [];
  for (const { meter, storages } of meters) {
    const metrics: MetricData[] = [];
    for (const storage of storages) {
      const data = storage.collect(collector, collectionTime);
      if (data) metrics.push(data);
    }
    if (metrics.length) scopeMetrics.push({ scope: meter._instrumentationScope, metrics });
  }
  return { resource: shared.resource, scopeMetrics };
}

/** Observable instruments only hold what their callbacks reported at the last collection: stale at exit. */
function isSynchronous(storage: MetricStorage): boolean {
  return !storage.getInstrumentDescriptor?.().type.startsWith('OBSERVABLE');
}

/** Records since the reader's last collection; true when the storage's shape is not the known one. */
function hasNewRecords(storage: MetricStorage, collector: unknown): boolean {
  const active = storage._deltaMetricStorage?._activeCollectionStorage?.size;
  const unreported = storage._temporalMetricStorage?._unreportedAccumulations?.get(collector)?.length;
  if (active === undefined) return true;
  return active > 0 || (unreported ?? 0) > 0;
}

/** Data points in a collection (what the loss ledger counts for metrics). */
export function dataPoints(metrics: ResourceMetrics): number {
  return metrics.scopeMetrics.reduce((n, sm) => n + sm.metrics.reduce((m, metric) => m + metric.dataPoints.length, 0), 0);
}

const DELTA = 0; // AggregationTemporality.DELTA
const GAUGE = 2; // DataPointType.GAUGE

/**
 * The collection without its delta sums and histograms (a gauge is a last value whatever its
 * temporality): what can be sent again without being counted twice, and how many points were left out.
 */
export function withoutDelta(metrics: ResourceMetrics): { cumulative?: ResourceMetrics; deltaPoints: number } {
  let deltaPoints = 0;
  const scopeMetrics: ScopeMetrics[] = [];
  for (const sm of metrics.scopeMetrics) {
    const kept = sm.metrics.filter((m) => {
      const delta = (m.aggregationTemporality as number) === DELTA && (m.dataPointType as number) !== GAUGE;
      if (delta) deltaPoints += m.dataPoints.length;
      return !delta;
    });
    if (kept.length) scopeMetrics.push({ scope: sm.scope, metrics: kept });
  }
  return { cumulative: scopeMetrics.length ? { resource: metrics.resource, scopeMetrics } : undefined, deltaPoints };
}

