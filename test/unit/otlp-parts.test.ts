// The OTLP parts the exporters load one by one (otel-line/otlp-parts.ts) are, on the line this
// test runs on, the very objects the packages' indexes export — found without the fallback — and
// loading them does not load the indexes (what the change is for).

import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { line, packageDir } from '../../src/otel-line/line';
import { exporterMetricsHelper, metricExporterBase, protobufSerializer } from '../../src/otel-line/otlp-parts';

const SIGNALS = ['traces', 'metrics', 'logs'] as const;
const inCache = (pkg: string) => Object.keys(require.cache).filter((f) => f.startsWith(packageDir(pkg) + path.sep));
const isIndex = (f: string) => /[\\/](build[\\/]src|dist)[\\/]index\.c?js$/.test(f);

describe('OTLP parts on this line', () => {
  it('loading every part loads neither package index', () => {
    for (const s of SIGNALS) {
      expect(typeof protobufSerializer(s).serializeRequest).toBe('function');
      expect(typeof protobufSerializer(s).deserializeResponse).toBe('function');
      expect(typeof (exporterMetricsHelper(s) as { countItems: unknown }).countItems).toBe('function');
    }
    expect(typeof metricExporterBase()).toBe('function');
    expect(inCache('@opentelemetry/otlp-transformer').filter(isIndex)).toEqual([]);
    expect(inCache('@opentelemetry/otlp-transformer').filter((f) => /[\\/]json[\\/]/.test(f))).toEqual([]);
    expect(inCache('@opentelemetry/exporter-metrics-otlp-http').filter(isIndex)).toEqual([]);
  });

  it.each(SIGNALS)('%s: the same serialiser and helper as the index exports', (s) => {
    const t = line().require('@opentelemetry/otlp-transformer');
    const name = { traces: 'Trace', metrics: 'Metrics', logs: 'Logs' }[s];
    expect(protobufSerializer(s)).toBe(t[`Protobuf${name}Serializer`]);
    expect(exporterMetricsHelper(s)).toBe(t[`${name}ExporterMetricsHelper`]);
  });

  it('the metric exporter base is the index one', () => {
    expect(metricExporterBase()).toBe(line().require('@opentelemetry/exporter-metrics-otlp-http').OTLPMetricExporterBase);
  });
});
