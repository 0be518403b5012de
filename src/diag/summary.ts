// The start-up summary: what the preload decided and why, as one JSON line on stderr at
// OTEL_LOG_LEVEL=info or debug. Secrets never appear: header values and URL credentials are
// replaced, certificate and key files are named but never read here.

import type { Config, SignalExport } from '../config';
import type { ServiceIdentity } from '../sdk/resource/service-identity';
import { redactUrl } from '../util/redact';
import { DISTRO_VERSION } from '../version';
import { describeLine } from '../otel-line/line';
import type { Bundle } from '../util/bundle';
import { bundleVisibility } from '../instrumentations/coverage';
import { CATALOGUE } from '../instrumentations/table';

export interface SummaryInput {
  config: Readonly<Config>;
  entry: string;
  esmHook: string;
  service: ServiceIdentity;
  instrumentations: readonly string[];
  opamp?: string;
  /** The entry script is a bundle (util/bundle.ts): named with what its telemetry can show. */
  bundle?: Bundle;
}

export function startupSummary(input: SummaryInput): Record<string, unknown> {
  const { config } = input;
  return {
    version: DISTRO_VERSION,
    node: process.versions.node,
    entry: `--${input.entry}`,
    otelLine: describeLine(),
    esmHook: input.esmHook,
    ...(config.configFile ? { configFile: { path: config.configFile.path, fileFormat: config.configFile.fileFormat } } : {}),
    service: { name: input.service.name, version: input.service.version, from: input.service.source },
    traces: signal(config.traces),
    metrics: config.metrics.exporters.length ? { ...(signal(config.metrics) as object), intervalMs: config.metricExportIntervalMillis } : 'none',
    logs: signal(config.logs),
    propagators: config.propagators,
    sampler: 'always_on (not parent-based; sampling is central)',
    opamp: input.opamp ?? 'off',
    instrumentations: input.instrumentations,
    ...(input.bundle ? { bundle: describeBundle(input.bundle) } : {}),
  };
}

export function describeBundle(b: Bundle): Record<string, unknown> {
  const v = bundleVisibility(b.packages, CATALOGUE);
  return { tool: b.tool, file: b.file, instrumentedInside: v.instrumentedInside, seen: v.seen, notSeen: v.notSeen, todo: v.todo };
}

function signal(s: SignalExport): Record<string, unknown> | string {
  if (s.exporters.length === 0) return 'none';
  return {
    exporters: s.exporters,
    ...(s.exporters.includes('otlp')
      ? {
          protocol: s.protocol,
          endpoint: redactUrl(s.endpoint),
          headers: Object.fromEntries(Object.keys(s.headers).map((k) => [k, '<redacted>'])),
          compression: s.compression,
          tls: s.certificate || s.clientCertificate ? { ca: s.certificate, clientCertificate: s.clientCertificate, clientKey: s.clientKey ? '<set>' : undefined } : undefined,
        }
      : {}),
  };
}
