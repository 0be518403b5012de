// One otlp_http / otlp_grpc exporter node onto the per-signal OTEL_EXPORTER_OTLP_<SIGNAL>_* values.
// Per-signal endpoints are used as is, which is exactly what the schema's endpoint means.

import type { Signal } from '../settings';

type Node = Record<string, unknown>;

/** What an exporter node needs of the model mapper (model.ts): record a setting, check fields. */
export interface SettingSink {
  set(name: string, path: string, value: string | undefined): void;
  number(name: string, path: string, value: unknown, zeroIsInfinite?: boolean): void;
  known(node: Node, path: string, supported: readonly string[]): void;
}
const isNode = (v: unknown): v is Node => v !== null && typeof v === 'object' && !Array.isArray(v);

const DEFAULT_ENDPOINT = { otlp_http: (signal: Signal) => `http://localhost:4318/v1/${signal}`, otlp_grpc: () => 'http://localhost:4317' };
const TEMPORALITY: Record<string, string> = { cumulative: 'cumulative', delta: 'delta', low_memory: 'lowmemory' };

export function mapExporter(m: SettingSink, signal: Signal, kind: 'otlp_http' | 'otlp_grpc', body: unknown, path: string): void {
  const S = signal.toUpperCase();
  const name = (n: string) => `OTEL_EXPORTER_OTLP_${S}_${n}`;
  const node: Node = isNode(body) ? body : {};
  const fields = ['endpoint', 'tls', 'headers', 'headers_list', 'compression', 'timeout'];
  if (kind === 'otlp_http') fields.push('encoding');
  if (signal === 'metrics') fields.push('temporality_preference', 'default_histogram_aggregation');
  m.known(node, path, fields);

  m.set(name('PROTOCOL'), path, kind === 'otlp_http' ? 'http/protobuf' : 'grpc');
  m.set(name('ENDPOINT'), `${path}.endpoint`, typeof node.endpoint === 'string' && node.endpoint !== '' ? node.endpoint : DEFAULT_ENDPOINT[kind](signal));
  m.number(name('TIMEOUT'), `${path}.timeout`, node.timeout, true);
  if (node.compression != null) m.set(name('COMPRESSION'), `${path}.compression`, String(node.compression));
  if (node.encoding != null && node.encoding !== 'protobuf') m.known({ [String(node.encoding)]: true }, `${path}.encoding`, []);

  // headers_list is in OTEL_EXPORTER_OTLP_HEADERS syntax already; entries of `headers` win.
  const pairs: string[] = [];
  if (typeof node.headers_list === 'string' && node.headers_list.trim() !== '') pairs.push(node.headers_list);
  for (const h of Array.isArray(node.headers) ? (node.headers as Array<{ name: string; value: string | null }>) : []) {
    if (h.value !== null && h.value !== undefined) pairs.push(`${encodeURIComponent(h.name)}=${encodeURIComponent(h.value)}`);
  }
  if (pairs.length) m.set(name('HEADERS'), `${path}.headers`, pairs.join(','));

  if (isNode(node.tls)) {
    const tls = node.tls;
    m.known(tls, `${path}.tls`, ['ca_file', 'key_file', 'cert_file', 'insecure']);
    // insecure: true asks for plaintext on an https endpoint, which our transport does not do.
    if (tls.insecure === true) m.known({ insecure: true }, `${path}.tls`, []);
    if (typeof tls.ca_file === 'string') m.set(name('CERTIFICATE'), `${path}.tls.ca_file`, tls.ca_file);
    if (typeof tls.cert_file === 'string') m.set(name('CLIENT_CERTIFICATE'), `${path}.tls.cert_file`, tls.cert_file);
    if (typeof tls.key_file === 'string') m.set(name('CLIENT_KEY'), `${path}.tls.key_file`, tls.key_file);
  }

  if (signal === 'metrics') {
    const t = node.temporality_preference;
    if (t != null) m.set('OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE', `${path}.temporality_preference`, TEMPORALITY[String(t)] ?? String(t));
    if (node.default_histogram_aggregation != null && node.default_histogram_aggregation !== 'explicit_bucket_histogram') {
      m.known({ [String(node.default_histogram_aggregation)]: true }, `${path}.default_histogram_aggregation`, []);
    }
  }
}
