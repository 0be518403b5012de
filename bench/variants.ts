// The variants every benchmark compares, each as the environment its child process gets. All
// export to the same local sink (otlp-sink.ts): over OTLP/gRPC, except dd-trace, whose OTLP trace
// export speaks HTTP/JSON only. Cloud resource detectors are off where a variant has them, since
// they would probe metadata addresses off this machine; nothing else is tuned.

import * as path from 'path';

export type Variant = 'plain' | 'otel-preload' | 'upstream' | 'edot' | 'dd-trace';
export const VARIANTS: readonly Variant[] = ['plain', 'otel-preload', 'upstream', 'edot', 'dd-trace'];

export interface Endpoints {
  grpc: string;
  http: string;
}

const DETECTORS = 'env,host,os,process,serviceinstance,container';

/** A peer's entry by absolute path, so that it loads from bench/node_modules whatever the app's directory (corpus apps run in their own). */
const peer = (repo: string, id: string) => require.resolve(id, { paths: [path.join(repo, 'bench')] });

export function variantEnv(variant: Variant, repo: string, endpoints: Endpoints): Record<string, string> {
  const otlp = { OTEL_EXPORTER_OTLP_ENDPOINT: endpoints.grpc, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' };
  switch (variant) {
    case 'plain':
      return {};
    case 'otel-preload':
      return { ...otlp, NODE_OPTIONS: `--require ${path.join(repo, 'register.cjs')}` };
    case 'upstream':
      return { ...otlp, NODE_OPTIONS: `--require ${peer(repo, '@opentelemetry/auto-instrumentations-node/register')}`, OTEL_NODE_RESOURCE_DETECTORS: DETECTORS };
    case 'edot':
      return { ...otlp, NODE_OPTIONS: `--require ${peer(repo, '@elastic/opentelemetry-node')}`, OTEL_NODE_RESOURCE_DETECTORS: DETECTORS };
    case 'dd-trace':
      return {
        NODE_OPTIONS: `--require ${peer(repo, 'dd-trace/init')}`,
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${endpoints.http}/v1/traces`,
        DD_TRACE_STARTUP_LOGS: 'false',
        DD_INSTRUMENTATION_TELEMETRY_ENABLED: 'false',
        DD_REMOTE_CONFIGURATION_ENABLED: 'false',
        DD_SERVICE: 'bench',
      };
  }
}

/** The environment of a child: the runner's without OTEL_ and DD_ variables or NODE_OPTIONS, plus the variant's. */
export function childEnv(variant: Variant, repo: string, endpoints: Endpoints): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(OTEL_|DD_)/.test(k) && k !== 'NODE_OPTIONS') base[k] = v;
  return { ...base, OTEL_SERVICE_NAME: 'bench', ...variantEnv(variant, repo, endpoints) };
}
