// Shared, pre-hashed attribute sets for the server duration histogram: the SDK sees the same
// series (one data point for a shared set and for an equal plain object), exports the same
// attributes, and hashes every other object exactly as before.

import { describe, expect, it } from 'vitest';
import { requireInternal } from '../../src/otel-line/internals';
import { AttributeSets, installCarriedHashes } from '../../src/instrumentations/metric-attributes';
import { lineRequire } from '../../src/otel-line/line';

const { MeterProvider, MetricReader, AggregationTemporality } = lineRequire('@opentelemetry/sdk-metrics');
const utils = requireInternal('sdk-metrics/utils') as { hashAttributes: (a: object) => string };

class Reader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

describe('carried attribute hashes', () => {
  const before = utils.hashAttributes;
  const attrs = () => ({ 'http.request.method': 'GET', 'url.scheme': 'http', 'network.protocol.version': '1.1', 'http.route': '/users/:id', 'http.response.status_code': 200 });

  it('installs once and hashes plain objects exactly as the SDK did', () => {
    expect(installCarriedHashes()).toBe(true);
    expect(installCarriedHashes()).toBe(true);
    expect(utils.hashAttributes).not.toBe(before);
    for (const a of [{}, attrs(), { b: 1, a: 'x' }, { z: [1, 2], y: true }]) expect(utils.hashAttributes(a)).toBe(before(a));
  });

  it('a shared set is frozen, built once, carries the SDK hash, and exports like a plain object', async () => {
    installCarriedHashes();
    const sets = new AttributeSets(Object.keys(attrs()));
    let builds = 0;
    const shared = sets.get('k', () => (builds++, attrs()));
    expect(sets.get('k', () => (builds++, attrs()))).toBe(shared);
    expect(builds).toBe(1);
    expect(Object.isFrozen(shared)).toBe(true);
    expect(() => ((shared as Record<string, unknown>)['http.route'] = '/other')).toThrow();
    expect(utils.hashAttributes(shared)).toBe(before(attrs()));
    expect(Object.keys(shared)).toEqual(Object.keys(attrs()));

    const reader = new Reader();
    const provider = new MeterProvider({ readers: [reader] });
    const histogram = provider.getMeter('t').createHistogram('http.server.request.duration');
    histogram.record(0.1, shared);
    histogram.record(0.2, attrs());
    histogram.record(0.3, { ...attrs(), 'http.response.status_code': 404 });
    const { resourceMetrics } = await reader.collect();
    const points = resourceMetrics.scopeMetrics[0].metrics[0].dataPoints;
    expect(points).toHaveLength(2);
    const ok = points.find((p: { attributes: Record<string, unknown> }) => p.attributes['http.response.status_code'] === 200);
    expect(ok.value.count).toBe(2);
    expect(JSON.stringify(ok.attributes)).toBe(JSON.stringify(attrs()));
    await provider.shutdown();
  });

  it('of(): one shared set per distinct combination of values, whatever came in between', () => {
    const sets = new AttributeSets(['m', 'route', 'status', 'error']);
    const ok = sets.of({ m: 'GET', route: '/a', status: 200 });
    expect(sets.of({ m: 'GET', route: '/a', status: 200 })).toBe(ok);
    const notFound = sets.of({ m: 'GET', status: 404 });
    expect(notFound).not.toBe(ok);
    expect(notFound).toEqual({ m: 'GET', status: 404 });
    const failed = sets.of({ m: 'GET', route: '/a', status: 200, error: 'Error' });
    expect(failed).not.toBe(ok);
    expect(sets.of({ m: 'GET', route: '/a', status: 200 })).toBe(ok);
    expect(sets.of({ m: 'GET', status: 404 })).toBe(notFound);
    // A value that stringifies like another's is still its own set.
    expect(sets.of({ m: 'GET', route: '/a', status: '200' })).not.toBe(ok);
  });
});
