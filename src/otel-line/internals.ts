// Every internal module of an OpenTelemetry package that the preload reaches past the package's
// public API, in one table. The lines keep them in different places: 2.x under `build/src/` (no
// exports map), 3.x in tsdown's unbundled `dist/*.cjs` behind an exports map that exposes only
// ".". A package specifier cannot reach a 3.x internal, so both lines load the file by absolute
// path inside the package's folder (found from its resolved entry) — the same module instance
// its index uses. Why each internal is needed, and what happens when a bump moves one:
// docs/decisions.md ("Upstream internals"). A missing one throws, and each user falls back as its
// own comment says; test/unit/otel-line.test.ts loads every one of them on each line.

import * as path from 'path';
import { line, packageDir, type LineName } from './line';

type Where = { pkg: string; file: Record<LineName, string> };
const at = (pkg: string, file2: string, file3: string): Where => ({ pkg: `@opentelemetry/${pkg}`, file: { '2.x': `build/src/${file2}.js`, '3.x': `dist/${file3}.cjs` } });

export const INTERNALS = {
  'sdk-metrics/utils': at('sdk-metrics', 'utils', 'utils'),
  'instrumentation-http/utils': at('instrumentation-http', 'utils', 'utils'),
  'instrumentation-express/utils': at('instrumentation-express', 'utils', 'utils'),
  'instrumentation-express/internal-types': at('instrumentation-express', 'internal-types', 'internal-types'),
  'instrumentation-express/enums/ExpressLayerType': at('instrumentation-express', 'enums/ExpressLayerType', 'enums/ExpressLayerType'),
  'instrumentation-express/enums/AttributeNames': at('instrumentation-express', 'enums/AttributeNames', 'enums/AttributeNames'),
  'otlp-transformer/protobuf-writer': at('otlp-transformer', 'common/protobuf/protobuf-writer', 'common/protobuf/protobuf-writer'),
  'otlp-transformer/common-serializer': at('otlp-transformer', 'common/protobuf/common-serializer', 'common/protobuf/common-serializer'),
  'otlp-transformer/hex-to-binary': at('otlp-transformer', 'common/hex-to-binary', 'common/hex-to-binary'),
  'exporter-metrics-otlp-http/base': at('exporter-metrics-otlp-http', 'OTLPMetricExporterBase', 'OTLPMetricExporterBase'),
  'otlp-transformer/trace': at('otlp-transformer', 'trace/index', 'trace/index'),
  'otlp-transformer/trace/protobuf': at('otlp-transformer', 'trace/protobuf/trace', 'trace/protobuf/trace'),
  'otlp-transformer/metrics': at('otlp-transformer', 'metrics/index', 'metrics/index'),
  'otlp-transformer/metrics/protobuf': at('otlp-transformer', 'metrics/protobuf/metrics', 'metrics/protobuf/metrics'),
  'otlp-transformer/logs': at('otlp-transformer', 'logs/index', 'logs/index'),
  'otlp-transformer/logs/protobuf': at('otlp-transformer', 'logs/protobuf/logs', 'logs/protobuf/logs'),
} as const satisfies Record<string, Where>;

export type InternalName = keyof typeof INTERNALS;

/** The file of internal `name` on the chosen line, as an absolute path. */
export function internalPath(name: InternalName): string {
  const where: Where = INTERNALS[name];
  return path.join(packageDir(where.pkg), where.file[line().name]);
}

/** The internal module `name` of the chosen line; throws (MODULE_NOT_FOUND) when the line has none there. */
export function requireInternal<T>(name: InternalName): T {
  return require(internalPath(name)) as T;
}
