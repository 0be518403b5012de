// Wires remote configuration: the cached config first (before any network I/O), then the OpAMP
// client, whose accepted configs update the run-time settings all at once.

import * as fs from 'fs';
import type { Config } from '../config';
import type { Logger } from '../log/logger';
import { readPem } from '../util/pem';
import { redactUrl } from '../util/redact';
import { localSettings, type RuntimeSettings, type RuntimeState } from '../runtime/state';
import { DISTRO_NAME, DISTRO_VERSION } from '../version';
import { readCache, writeCache } from './cache';
import { cacheFileName, defaultCacheDir } from '../util/cache-dir';
import { OpampClient } from './client';
import { heartbeatMillis } from './bounds';
import type { ComponentHealth } from './codec';
import { parseConfigMap, type ConfigMap, type RemoteSettings } from './remote-config';
import { RemoteConfigStatuses } from './schema';
import * as os from 'os';
import * as path from 'path';

export interface Identity {
  serviceName: string;
  serviceNamespace?: string;
  serviceVersion?: string;
  serviceInstanceId: string;
}

export function startOpamp(config: Readonly<Config>, log: Logger, runtime: RuntimeState, identity: Identity): OpampClient | undefined {
  const opamp = config.opamp;
  if (!opamp.endpoint) return undefined;
  const local = localSettings(config);
  // Below the minimum is clamped to it (not replaced by the default): one warning.
  const heartbeat = heartbeatMillis(local.heartbeatIntervalMillis, 'OTEL_NODE_OPAMP_HEARTBEAT_INTERVAL', (key, msg) => log.warnOnce(key, msg));
  if (heartbeat !== local.heartbeatIntervalMillis) {
    local.heartbeatIntervalMillis = heartbeat;
    runtime.update({ ...runtime.settings, heartbeatIntervalMillis: heartbeat });
  }
  const cacheFile = opamp.cacheFile ?? defaultCacheFile(identity.serviceName, config.xdgCacheHome, log);
  // The directory as it was checked now; a write later goes ahead only into that same directory.
  const cacheDir = !opamp.cacheFile && cacheFile ? lstatOrUndefined(path.dirname(cacheFile)) : undefined;
  // Warnings name the setting only when the operator set it.
  const cacheLabel = opamp.cacheFile ? `OTEL_NODE_OPAMP_CACHE_FILE ${cacheFile}` : `the OpAMP cache file ${cacheFile}`;

  const apply = (map: ConfigMap, hash: Uint8Array, fromCache: boolean): string | undefined => {
    const parsed = parseConfigMap(map);
    if (!parsed.ok) return parsed.error;
    runtime.update(compose(local, parsed.settings));
    if (!fromCache && cacheFile && !writeCache(cacheFile, { hash, configMap: map }, cacheDir)) log.debug(`${cacheLabel} is not writable; the config applies but is not cached.`);
    log.debug(`remote configuration ${Buffer.from(hash).toString('hex').slice(0, 12)} applied${fromCache ? ' from the cache' : ''}`);
    return undefined;
  };

  // The last good config, before any network I/O.
  let initial: { hash: Uint8Array; status: number; error?: string } | undefined;
  const cached = cacheFile ? readCache(cacheFile, (m) => log.warn(m), cacheLabel) : undefined;
  if (cached) {
    const error = apply(cached.configMap, cached.hash, true);
    if (error) log.warn(`${cacheLabel} holds a config that is refused (${error}); it is ignored.`);
    else initial = { hash: cached.hash, status: RemoteConfigStatuses.APPLIED };
  }

  const client = new OpampClient({
    log,
    transport: {
      endpoint: opamp.endpoint,
      headers: opamp.headers,
      ca: readPem(opamp.certificate, (f) => `OTEL_NODE_OPAMP_CERTIFICATE=${f}`, log),
      cert: readPem(opamp.clientCertificate, (f) => `OTEL_NODE_OPAMP_CLIENT_CERTIFICATE=${f}`, log),
      key: readPem(opamp.clientKey, (f) => `OTEL_NODE_OPAMP_CLIENT_KEY=${f}`, log),
      timeoutMs: 10_000,
      userAgent: `${DISTRO_NAME}/${DISTRO_VERSION}`,
    },
    heartbeatMillis: () => runtime.settings.heartbeatIntervalMillis,
    description: () => ({
      identifying: { 'service.name': identity.serviceName, 'service.namespace': identity.serviceNamespace ?? '', 'service.instance.id': identity.serviceInstanceId },
      // Spec v0.18 for SDKs: every other resource attribute is non-identifying.
      nonIdentifying: {
        ...withoutIdentifying(config.resourceAttributes),
        'service.version': identity.serviceVersion ?? config.resourceAttributes['service.version'] ?? '',
        'host.name': os.hostname(),
        'os.type': process.platform,
        'process.pid': String(process.pid),
        'process.runtime.name': 'nodejs',
        'process.runtime.version': process.versions.node,
        'telemetry.distro.name': DISTRO_NAME,
        'telemetry.distro.version': DISTRO_VERSION,
      },
    }),
    health: () => health(runtime),
    effectiveConfig: () => effectiveConfig(config, runtime.settings),
    applyRemoteConfig: (map, hash) => apply(map, hash, false),
    initialRemoteConfig: initial,
  });
  runtime.onHealthChange(() => client.reportChange());
  runtime.onSettingsChange((next, previous) => {
    if (next.heartbeatIntervalMillis !== previous.heartbeatIntervalMillis) client.reportChange();
  });
  client.start();
  return client;
}

/** Local settings with the remote ones laid over them; a key that disappears reverts. */
export function compose(local: RuntimeSettings, remote: RemoteSettings): RuntimeSettings {
  return {
    logLevel: remote.logLevel ?? local.logLevel,
    exportEnabled: {
      traces: remote.tracesEnabled ?? local.exportEnabled.traces,
      metrics: remote.metricsEnabled ?? local.exportEnabled.metrics,
      logs: remote.logsEnabled ?? local.exportEnabled.logs,
    },
    disabledInstrumentations: remote.disabledInstrumentations ?? local.disabledInstrumentations,
    enabledInstrumentations: remote.enabledInstrumentations ?? local.enabledInstrumentations,
    instrumentationDetail: remote.instrumentationDetail ?? local.instrumentationDetail,
    capturedHeaders: {
      serverRequest: remote.httpServerRequestHeaders ?? remote.httpRequestHeaders ?? local.capturedHeaders.serverRequest,
      serverResponse: remote.httpServerResponseHeaders ?? remote.httpResponseHeaders ?? local.capturedHeaders.serverResponse,
      clientRequest: remote.httpClientRequestHeaders ?? remote.httpRequestHeaders ?? local.capturedHeaders.clientRequest,
      clientResponse: remote.httpClientResponseHeaders ?? remote.httpResponseHeaders ?? local.capturedHeaders.clientResponse,
    },
    baggageSpanAttributes: remote.baggageSpanAttributes ?? local.baggageSpanAttributes,
    genAiCaptureMessageContent: remote.genAiCaptureMessageContent ?? local.genAiCaptureMessageContent,
    metricExportIntervalMillis: remote.metricExportIntervalMillis ?? local.metricExportIntervalMillis,
    heartbeatIntervalMillis: remote.heartbeatIntervalMillis ?? local.heartbeatIntervalMillis,
  };
}

function health(runtime: RuntimeState): ComponentHealth & { componentHealthMap: Record<string, ComponentHealth> } {
  const signals = Object.entries(runtime.health);
  const failing = signals.find(([, h]) => !h.healthy);
  // fixed64 nanoseconds exceed 2^53: pass them as decimal strings.
  const nanos = (ms: number) => (BigInt(ms) * 1_000_000n).toString();
  const latest = Math.max(...signals.map(([, h]) => h.since));
  return {
    healthy: !failing,
    startTimeUnixNano: nanos(runtime.startedAt),
    status: failing ? 'export failing' : 'healthy',
    lastError: failing?.[1].lastError ?? '',
    statusTimeUnixNano: nanos(latest),
    componentHealthMap: Object.fromEntries(
      signals.map(([signal, h]) => [`exporter/${signal}`, { healthy: h.healthy, status: h.healthy ? 'healthy' : 'failing', lastError: h.lastError ?? '', statusTimeUnixNano: nanos(h.since) }]),
    ),
  };
}

/** The effective configuration in the allowlist's key names, secrets masked. */
function effectiveConfig(config: Readonly<Config>, s: RuntimeSettings): string {
  const exporter = (signal: 'traces' | 'metrics' | 'logs') => ({
    exporters: config[signal].exporters,
    protocol: config[signal].protocol,
    endpoint: redactUrl(config[signal].endpoint),
    headers: Object.keys(config[signal].headers).map((k) => `${k}=<redacted>`),
  });
  return JSON.stringify({
    log_level: s.logLevel,
    traces_enabled: s.exportEnabled.traces,
    metrics_enabled: s.exportEnabled.metrics,
    logs_enabled: s.exportEnabled.logs,
    disabled_instrumentations: s.disabledInstrumentations,
    enabled_instrumentations: s.enabledInstrumentations,
    instrumentation_detail: s.instrumentationDetail,
    http_server_request_headers: s.capturedHeaders.serverRequest,
    http_server_response_headers: s.capturedHeaders.serverResponse,
    http_client_request_headers: s.capturedHeaders.clientRequest,
    http_client_response_headers: s.capturedHeaders.clientResponse,
    baggage_span_attributes: s.baggageSpanAttributes,
    genai_capture_message_content: s.genAiCaptureMessageContent,
    metric_export_interval: s.metricExportIntervalMillis,
    heartbeat_interval: s.heartbeatIntervalMillis,
    local: { traces: exporter('traces'), metrics: exporter('metrics'), logs: exporter('logs'), sampler: 'always_on' },
  });
}

const IDENTIFYING = new Set(['service.name', 'service.namespace', 'service.instance.id']);

function withoutIdentifying(attributes: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(attributes).filter(([k]) => !IDENTIFYING.has(k)));
}

function defaultCacheFile(serviceName: string, xdgCacheHome: string | undefined, log: Logger): string | undefined {
  const { dir, why } = defaultCacheDir({ xdgCacheHome });
  if (!dir) log.warn(`the OpAMP cache is off: ${why}. Set OTEL_NODE_OPAMP_CACHE_FILE to a private location.`);
  return dir && path.join(dir, cacheFileName(serviceName));
}

function lstatOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch {
    return undefined;
  }
}

