// A YAML document in the declarative-configuration schema, received over OpAMP (`application/yaml`),
// turned into the JSON form of our remote-config entry — so that src/remote applies, bounds, caches
// and reports it exactly like the JSON form. Only the runtime-safe allowlist may appear; any other
// node (endpoints, headers, certificates, samplers, processors, resource, …) fails the whole
// document, naming its YAML path. Remote text is untrusted: no environment substitution (it could
// copy local secrets into the effective config reported back), no file reads, bounded size.

type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => v !== null && typeof v === 'object' && !Array.isArray(v);

export type Overlay = { ok: true; entry: Record<string, unknown> } | { ok: false; error: string };

const MAX_BYTES = 64 * 1024;
const OURS = 'distribution.otel-preload';
const HTTP = 'instrumentation/development.general.http';

/** YAML path → key of our JSON entry. */
const ALLOWED: Record<string, string> = {
  log_level: 'log_level',
  'meter_provider.readers[0].periodic.interval': 'metric_export_interval',
  [`${OURS}.traces_enabled`]: 'traces_enabled',
  [`${OURS}.metrics_enabled`]: 'metrics_enabled',
  [`${OURS}.logs_enabled`]: 'logs_enabled',
  [`${OURS}.instrumentations.enabled`]: 'enabled_instrumentations',
  [`${OURS}.instrumentations.disabled`]: 'disabled_instrumentations',
  [`${OURS}.instrumentations.detail`]: 'instrumentation_detail',
  [`${OURS}.http_request_headers`]: 'http_request_headers',
  [`${OURS}.http_response_headers`]: 'http_response_headers',
  [`${OURS}.heartbeat_interval`]: 'heartbeat_interval',
  [`${OURS}.baggage_span_attributes`]: 'baggage_span_attributes',
  [`${HTTP}.server.request_captured_headers`]: 'http_server_request_headers',
  [`${HTTP}.server.response_captured_headers`]: 'http_server_response_headers',
  [`${HTTP}.client.request_captured_headers`]: 'http_client_request_headers',
  [`${HTTP}.client.response_captured_headers`]: 'http_client_response_headers',
  'instrumentation/development.js.gen_ai.capture_message_content': 'genai_capture_message_content',
};
/** Containers walked through on the way to allowed leaves (a reader needs its exporter to be schema-shaped). */
const CONTAINERS = new Set(['meter_provider', 'meter_provider.readers', 'meter_provider.readers[0]', 'meter_provider.readers[0].periodic', 'distribution', OURS, `${OURS}.instrumentations`, 'instrumentation/development', 'instrumentation/development.general', 'instrumentation/development.js', 'instrumentation/development.js.gen_ai', HTTP, `${HTTP}.server`, `${HTTP}.client`]);
const IGNORED = new Set(['file_format']);
/** The schema wants an exporter in a reader; it may be named, but none of its settings may be sent. */
const EXPORTER = 'meter_provider.readers[0].periodic.exporter';

const SEVERITY: Array<[RegExp, string]> = [[/^(trace|debug)/, 'debug'], [/^info/, 'info'], [/^warn/, 'warn'], [/^(error|fatal)/, 'error']];

export function overlayFromYaml(text: string): Overlay {
  if (Buffer.byteLength(text) > MAX_BYTES) return { ok: false, error: `the YAML document is larger than ${MAX_BYTES} bytes` };
  const yaml = require('yaml') as typeof import('yaml');
  const doc = yaml.parseDocument(text, { version: '1.2', prettyErrors: false });
  if (doc.errors.length > 0) return { ok: false, error: `not valid YAML: ${doc.errors[0].message.split('\n')[0]}` };
  let top: unknown;
  try {
    top = doc.toJS({ maxAliasCount: 0 });
  } catch (err) {
    return { ok: false, error: `not valid YAML: ${(err as Error).message}` };
  }
  if (!isNode(top)) return { ok: false, error: 'the YAML document is not a mapping' };
  const ff = top.file_format;
  if (ff !== undefined && (typeof ff !== 'string' || !/^1\.\d+(-.*)?$/.test(ff))) return { ok: false, error: `file_format: ${JSON.stringify(ff)} is not supported (1.0 and 1.1 are)` };

  const entry: Record<string, unknown> = {};
  const refused: string[] = [];
  const walk = (value: unknown, path: string): void => {
    if (IGNORED.has(path)) return;
    if (path === EXPORTER && isNode(value)) {
      for (const [kind, body] of Object.entries(value)) if (isNode(body) && Object.keys(body).length) refused.push(...Object.keys(body).map((k) => `${path}.${kind}.${k}`));
      return;
    }
    const key = ALLOWED[path];
    if (key) {
      entry[key] = key === 'log_level' && typeof value === 'string' ? (SEVERITY.find(([re]) => re.test(value))?.[1] ?? value) : value;
      return;
    }
    if (!CONTAINERS.has(path)) return void refused.push(path);
    if (Array.isArray(value)) return value.forEach((v, i) => walk(v, `${path}[${i}]`));
    if (!isNode(value)) return void refused.push(path);
    for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k);
  };
  for (const [k, v] of Object.entries(top)) walk(v, k);
  if (refused.length) return { ok: false, error: `not allowed remotely (only log level, signal and instrumentation switches, header capture, metric interval and heartbeat are): ${refused.join(', ')}` };
  return { ok: true, entry };
}
