// Every internal module of an OpenTelemetry package that the preload reaches past the package's
// public API, in one table: the OpenTelemetry JS lines keep them in different places (2.x under
// `build/src/`; 3.x bundles to `dist/` behind an exports map), so a second line adds its paths
// here instead of editing each user. Why each internal is needed is said where it is used; a
// missing one throws, and each user falls back as its own comment says.

/** Module paths of the installed line (2.x: compiled tsc output under build/src). */
const INTERNALS = {
  'sdk-metrics/utils': '@opentelemetry/sdk-metrics/build/src/utils',
  'instrumentation-http/utils': '@opentelemetry/instrumentation-http/build/src/utils',
  'instrumentation-express/utils': '@opentelemetry/instrumentation-express/build/src/utils',
  'instrumentation-express/internal-types': '@opentelemetry/instrumentation-express/build/src/internal-types',
  'instrumentation-express/enums/ExpressLayerType': '@opentelemetry/instrumentation-express/build/src/enums/ExpressLayerType',
  'instrumentation-express/enums/AttributeNames': '@opentelemetry/instrumentation-express/build/src/enums/AttributeNames',
  'otlp-transformer/protobuf-writer': '@opentelemetry/otlp-transformer/build/src/common/protobuf/protobuf-writer',
  'otlp-transformer/common-serializer': '@opentelemetry/otlp-transformer/build/src/common/protobuf/common-serializer',
  'otlp-transformer/hex-to-binary': '@opentelemetry/otlp-transformer/build/src/common/hex-to-binary',
} as const;

export type InternalName = keyof typeof INTERNALS;

/** The internal module `name` of the installed line; throws (MODULE_NOT_FOUND) when the line has none there. */
export function requireInternal<T>(name: InternalName): T {
  return require(INTERNALS[name]) as T;
}
