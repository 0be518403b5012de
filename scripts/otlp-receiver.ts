// A real OTLP receiver for tests and the demo: @elastic/mockotlpserver (independent of the OpenTelemetry JS
// exporters) on a free port, speaking gRPC or HTTP/protobuf, collecting normalised data.

import { MockOtlpServer, normalizeTrace, normalizeMetrics, normalizeLogs } from '@elastic/mockotlpserver';

export interface Attr {
  [key: string]: unknown;
}
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: string;
  attributes: Attr;
  status?: { code?: string };
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  resource: Attr;
  scope: string;
}
export interface ReceivedMetric {
  name: string;
  unit?: string;
  resource: Attr;
  dataPoints: Array<{ attributes: Attr; [k: string]: unknown }>;
}
export interface ReceivedLog {
  body: unknown;
  traceId?: string;
  spanId?: string;
  resource: Attr;
  attributes: Attr;
}

export type Protocol = 'grpc' | 'http/protobuf';

export class OtlpReceiver {
  spans: ReceivedSpan[] = [];
  metrics: ReceivedMetric[] = [];
  logs: ReceivedLog[] = [];
  requests = 0;
  private server: InstanceType<typeof MockOtlpServer>;
  private waiters: Array<() => void> = [];

  constructor(readonly protocol: Protocol) {
    const service = protocol === 'grpc' ? 'grpc' : 'http';
    this.server = new MockOtlpServer({
      logLevel: 'warn',
      services: [service],
      grpcHostname: '127.0.0.1',
      httpHostname: '127.0.0.1',
      grpcPort: 0,
      httpPort: 0,
      onTrace: (raw: unknown) => this.add(() => this.spans.push(...flattenSpans(normalizeTrace(withEmptyArrays(raw))))),
      onMetrics: (raw: unknown) => this.add(() => this.metrics.push(...flattenMetrics(normalizeMetrics(raw)))),
      onLogs: (raw: unknown) => this.add(() => this.logs.push(...flattenLogs(normalizeLogs(raw)))),
    });
  }

  async start(): Promise<this> {
    await this.server.start();
    return this;
  }

  /** The base endpoint, as OTEL_EXPORTER_OTLP_ENDPOINT takes it. */
  get endpoint(): string {
    const url = this.protocol === 'grpc' ? this.server.grpcUrl : this.server.httpUrl;
    return String(url).replace(/\/$/, '');
  }

  async stop(): Promise<void> {
    await this.server.close();
  }

  /** Resolves as soon as `check` holds for what has arrived, or rejects after `ms` (60 s: the tests' DEADLINE_MS in test/helpers/wait.ts; the demo passes its own). */
  waitFor(check: (r: this) => boolean, ms = 60_000, what = 'telemetry'): Promise<void> {
    if (check(this)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out after ${ms} ms waiting for ${what}; have ${this.spans.length} spans, ${this.metrics.length} metrics, ${this.logs.length} logs`));
      }, ms);
      const waiter = () => {
        if (!check(this)) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve();
      };
      this.waiters.push(waiter);
    });
  }

  private add(push: () => void): void {
    this.requests++;
    push();
    for (const w of [...this.waiters]) w();
  }
}

function attrs(list: unknown): Attr {
  if (!list) return {};
  if (Array.isArray(list)) return Object.fromEntries(list.map((kv: { key: string; value: unknown }) => [kv.key, kv.value]));
  return list as Attr;
}

function flattenSpans(trace: any): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of trace.resourceSpans ?? []) {
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({ ...s, parentSpanId: s.parentSpanId || undefined, attributes: attrs(s.attributes), resource: attrs(rs.resource?.attributes), scope: ss.scope?.name });
      }
    }
  }
  return out;
}

function flattenMetrics(metrics: any): ReceivedMetric[] {
  const out: ReceivedMetric[] = [];
  for (const rm of metrics.resourceMetrics ?? []) {
    for (const sm of rm.scopeMetrics ?? []) {
      for (const m of sm.metrics ?? []) {
        const data = m.histogram ?? m.sum ?? m.gauge ?? m.exponentialHistogram ?? {};
        out.push({ name: m.name, unit: m.unit, resource: attrs(rm.resource?.attributes), dataPoints: (data.dataPoints ?? []).map((p: any) => ({ ...p, attributes: attrs(p.attributes) })) });
      }
    }
  }
  return out;
}

function flattenLogs(logs: any): ReceivedLog[] {
  const out: ReceivedLog[] = [];
  for (const rl of logs.resourceLogs ?? []) {
    for (const sl of rl.scopeLogs ?? []) {
      for (const l of sl.logRecords ?? []) {
        out.push({ body: l.body, traceId: l.traceId || undefined, spanId: l.spanId || undefined, resource: attrs(rl.resource?.attributes), attributes: attrs(l.attributes) });
      }
    }
  }
  return out;
}

/**
 * An empty array attribute decodes as an `arrayValue` without `values`, on which mockotlpserver's
 * normaliser throws and drops the whole request (cucumber's `cucumber.scenario.tags: []`, BullMQ's
 * job id lists): give every such value its empty list.
 */
function withEmptyArrays(raw: unknown): unknown {
  const seen = new Set<unknown>();
  const walk = (v: unknown) => {
    if (!v || typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    const o = v as Record<string, unknown>;
    if (o.arrayValue && typeof o.arrayValue === 'object' && !Array.isArray((o.arrayValue as { values?: unknown }).values)) (o.arrayValue as { values: unknown[] }).values = [];
    for (const k of Object.keys(o)) if (k !== 'buffer' && !(o[k] instanceof Uint8Array)) walk(o[k]);
  };
  walk(raw);
  return raw;
}
