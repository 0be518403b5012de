// Our own settings, which have no place in the configuration schema, from the section the schema
// reserves for distributions: `distribution: { otel-preload: … }`. Each maps onto the variable of
// the settings table that means the same, so it is validated and bounded the same way.
//
//   distribution:
//     otel-preload:
//       excluded_processes: [my-cli, migrate]      # added to the built-in tooling list
//       shutdown_timeout: 2000                     # ms, bound on the flush at exit
//       code_cache: false                          # OTEL_NODE_CODE_CACHE
//       instrumentations:
//         enabled: [http, express, pg]             # only these (names without the package prefix)
//         disabled: [fs]
//         detail: [graphql]                        # OTEL_NODE_INSTRUMENTATION_DETAIL
//       baggage_span_attributes: [tenant.id, plan] # OTEL_NODE_BAGGAGE_SPAN_ATTRIBUTES
//       opamp:
//         endpoint: https://opamp.example:4320/v1/opamp
//         headers: [{ name: authorization, value: "Bearer ${OPAMP_TOKEN}" }]
//         headers_list: ${OTEL_NODE_OPAMP_HEADERS:-}
//         tls: { ca_file: /etc/ssl/ca.pem, cert_file: /etc/ssl/client.pem, key_file: /etc/ssl/client.key }
//         heartbeat_interval: 30000
//         cache_file: /var/cache/otel-preload/opamp.json

import type { ModelMapper } from './model';

type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => v !== null && typeof v === 'object' && !Array.isArray(v);
const list = (v: unknown): string | undefined => (Array.isArray(v) ? v.map(String).join(',') : v == null ? undefined : String(v));

export const DISTRIBUTION_NAME = 'otel-preload';

export function mapDistribution(m: ModelMapper, distribution: unknown, guardExcluded: string): void {
  const ours = isNode(distribution) ? distribution[DISTRIBUTION_NAME] : undefined;
  // Other distributions' sections are theirs (a fleet file may carry several): not ours to report.
  if (!isNode(ours)) return;
  const at = `distribution.${DISTRIBUTION_NAME}`;
  m.known(ours, at, ['excluded_processes', 'shutdown_timeout', 'code_cache', 'instrumentations', 'baggage_span_attributes', 'opamp']);
  m.set('OTEL_NODE_BAGGAGE_SPAN_ATTRIBUTES', `${at}.baggage_span_attributes`, list(ours.baggage_span_attributes));
  const excluded = list(ours.excluded_processes);
  if (excluded) m.set('OTEL_NODE_EXCLUDED_PROCESSES', `${at}.excluded_processes`, [guardExcluded, excluded].filter(Boolean).join(','));
  m.number('OTEL_NODE_SHUTDOWN_TIMEOUT', `${at}.shutdown_timeout`, ours.shutdown_timeout);
  m.set('OTEL_NODE_CODE_CACHE', `${at}.code_cache`, ours.code_cache == null ? undefined : String(ours.code_cache));
  if (isNode(ours.instrumentations)) {
    const i = ours.instrumentations;
    m.known(i, `${at}.instrumentations`, ['enabled', 'disabled', 'detail']);
    m.set('OTEL_NODE_INSTRUMENTATION_DETAIL', `${at}.instrumentations.detail`, list(i.detail));
    m.set('OTEL_NODE_ENABLED_INSTRUMENTATIONS', `${at}.instrumentations.enabled`, list(i.enabled));
    m.set('OTEL_NODE_DISABLED_INSTRUMENTATIONS', `${at}.instrumentations.disabled`, list(i.disabled));
  }
  if (isNode(ours.opamp)) opamp(m, ours.opamp, `${at}.opamp`);
}

function opamp(m: ModelMapper, o: Node, at: string): void {
  m.known(o, at, ['endpoint', 'headers', 'headers_list', 'tls', 'heartbeat_interval', 'cache_file']);
  m.set('OTEL_NODE_OPAMP_ENDPOINT', `${at}.endpoint`, o.endpoint == null ? undefined : String(o.endpoint));
  const pairs: string[] = [];
  if (typeof o.headers_list === 'string' && o.headers_list.trim() !== '') pairs.push(o.headers_list);
  for (const h of Array.isArray(o.headers) ? (o.headers as Array<{ name?: unknown; value?: unknown }>) : []) {
    if (h && h.name != null && h.value != null) pairs.push(`${encodeURIComponent(String(h.name))}=${encodeURIComponent(String(h.value))}`);
  }
  if (pairs.length) m.set('OTEL_NODE_OPAMP_HEADERS', `${at}.headers`, pairs.join(','));
  if (isNode(o.tls)) {
    m.known(o.tls, `${at}.tls`, ['ca_file', 'cert_file', 'key_file']);
    m.set('OTEL_NODE_OPAMP_CERTIFICATE', `${at}.tls.ca_file`, o.tls.ca_file == null ? undefined : String(o.tls.ca_file));
    m.set('OTEL_NODE_OPAMP_CLIENT_CERTIFICATE', `${at}.tls.cert_file`, o.tls.cert_file == null ? undefined : String(o.tls.cert_file));
    m.set('OTEL_NODE_OPAMP_CLIENT_KEY', `${at}.tls.key_file`, o.tls.key_file == null ? undefined : String(o.tls.key_file));
  }
  m.number('OTEL_NODE_OPAMP_HEARTBEAT_INTERVAL', `${at}.heartbeat_interval`, o.heartbeat_interval);
  m.set('OTEL_NODE_OPAMP_CACHE_FILE', `${at}.cache_file`, o.cache_file == null ? undefined : String(o.cache_file));
}
