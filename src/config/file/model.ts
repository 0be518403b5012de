// Maps the part of a declarative configuration model that our SDK honours onto the OTEL_*-named
// values the settings table parses, remembering for each the path in the file (so that a bad value
// is reported as `tracer_provider.processors[0].batch.schedule_delay`, not as a variable). The SDK
// therefore sees the same Config as from the environment, bounded by the same rules.
// Everything else in the model is collected as unsupported, to be named in one warning.

import type { ConfigurationModel } from '@opentelemetry/configuration';
import { MAX_TIMER_MILLIS, type Signal } from '../settings';
import { mapExporter } from './exporter';

export interface Mapped {
  values: Record<string, string>;
  /** variable name → path in the file */
  paths: Map<string, string>;
  unsupported: string[];
  /** The sampler node, if the file has one other than always_on. */
  sampler?: string;
  disabled: boolean;
}

type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => v !== null && typeof v === 'object' && !Array.isArray(v);

export class ModelMapper {
  private readonly out: Mapped = { values: {}, paths: new Map(), unsupported: [], disabled: false };

  map(model: ConfigurationModel): Mapped {
    const m = model as Node;
    this.out.disabled = m.disabled === true;
    this.known(m, '', ['file_format', 'disabled', 'log_level', 'resource', 'propagator', 'attribute_limits', 'tracer_provider', 'meter_provider', 'logger_provider', 'instrumentation/development', 'distribution']);
    if (m.log_level != null) this.set('OTEL_LOG_LEVEL', 'log_level', logLevel(String(m.log_level)));
    this.resource(m.resource);
    this.propagator(m.propagator);
    if (isNode(m.attribute_limits)) {
      this.known(m.attribute_limits, 'attribute_limits', ['attribute_value_length_limit', 'attribute_count_limit']);
      this.number('OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT', 'attribute_limits.attribute_value_length_limit', m.attribute_limits.attribute_value_length_limit);
      this.number('OTEL_ATTRIBUTE_COUNT_LIMIT', 'attribute_limits.attribute_count_limit', m.attribute_limits.attribute_count_limit);
    }
    this.tracerProvider(m.tracer_provider);
    this.meterProvider(m.meter_provider);
    this.processors('logs', m.logger_provider, 'logger_provider');
    this.instrumentation(m['instrumentation/development']);
    return this.out;
  }

  /** Of the instrumentation section, the HTTP header capture (the same keys the Java agent reads). */
  private instrumentation(node: unknown): void {
    if (!isNode(node)) return;
    const at = 'instrumentation/development';
    this.known(node, at, ['general', 'js']);
    // The schema's general.gen_ai holds only semconv opt-ins; the content switch lives in the
    // free-form language section (`js.gen_ai.capture_message_content`, as Java's agent has it in its own).
    const genAi = isNode(node.js) ? node.js.gen_ai : undefined;
    if (isNode(node.js)) this.known(node.js, `${at}.js`, ['gen_ai']);
    if (isNode(genAi)) {
      this.known(genAi, `${at}.js.gen_ai`, ['capture_message_content']);
      const capture = genAi.capture_message_content;
      if (capture !== undefined && capture !== null) this.set('OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT', `${at}.js.gen_ai.capture_message_content`, String(capture));
    }
    if (!isNode(node.general)) return;
    this.known(node.general, `${at}.general`, ['http']);
    const http = node.general.http;
    if (!isNode(http)) return;
    this.known(http, `${at}.general.http`, ['server', 'client']);
    for (const side of ['server', 'client'] as const) {
      const s = http[side];
      if (!isNode(s)) continue;
      this.known(s, `${at}.general.http.${side}`, ['request_captured_headers', 'response_captured_headers']);
      for (const part of ['request', 'response'] as const) {
        const headers = s[`${part}_captured_headers`];
        if (Array.isArray(headers)) this.set(`OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_${side.toUpperCase()}_${part.toUpperCase()}`, `${at}.general.http.${side}.${part}_captured_headers`, headers.map(String).join(','));
      }
    }
  }

  set(name: string, path: string, value: string | undefined): void {
    if (value === undefined) return;
    this.out.values[name] = value;
    this.out.paths.set(name, path);
  }

  /** Numbers as the settings table takes them; 0 means "no limit" for the spec's timeouts. */
  number(name: string, path: string, value: unknown, zeroIsInfinite = false): void {
    if (value === undefined || value === null) return;
    this.set(name, path, zeroIsInfinite && value === 0 ? String(MAX_TIMER_MILLIS) : String(value));
  }

  /** Names every key of `node` outside `supported` as unsupported. */
  known(node: Node, path: string, supported: readonly string[]): void {
    for (const key of Object.keys(node)) if (!supported.includes(key) && node[key] !== undefined) this.out.unsupported.push(path ? `${path}.${key}` : key);
  }

  private resource(resource: unknown): void {
    this.set('OTEL_NODE_RESOURCE_DETECTORS', 'resource.detection/development', 'none');
    if (!isNode(resource)) return;
    this.known(resource, 'resource', ['attributes', 'attributes_list', 'detection/development']);
    const attrs: string[] = [];
    const list = Array.isArray(resource.attributes) ? resource.attributes : [];
    (list as Array<{ name: string; value: unknown }>).forEach((a, i) => {
      const value = Array.isArray(a.value) ? a.value.join(',') : String(a.value ?? '');
      // The spec's fallback value: leave the name to our detection (package.json, then unknown_service:node).
      if (a.name === 'service.name' && /^unknown_service(:.*)?$/.test(value)) return;
      if (a.name === 'service.name') this.set('OTEL_SERVICE_NAME', `resource.attributes[${i}].value`, value);
      else attrs.push(`${encodeURIComponent(a.name)}=${encodeURIComponent(value)}`);
    });
    // attributes_list is in OTEL_RESOURCE_ATTRIBUTES syntax already; entries of `attributes` win.
    const fromList = typeof resource.attributes_list === 'string' ? resource.attributes_list : '';
    const joined = [fromList, ...attrs].filter((s) => s.trim() !== '').join(',');
    this.set('OTEL_RESOURCE_ATTRIBUTES', fromList ? 'resource.attributes_list' : 'resource.attributes', joined || undefined);
    const detection = resource['detection/development'];
    if (isNode(detection)) {
      this.known(detection, 'resource.detection/development', ['detectors']);
      const names: string[] = ['env'];
      (Array.isArray(detection.detectors) ? detection.detectors : []).forEach((d: unknown, i: number) => {
        const key = isNode(d) ? Object.keys(d)[0] : String(d);
        const ours = DETECTORS[key];
        if (ours) names.push(...ours);
        else this.out.unsupported.push(`resource.detection/development.detectors[${i}].${key}`);
      });
      this.set('OTEL_NODE_RESOURCE_DETECTORS', 'resource.detection/development', names.join(','));
    }
  }

  private propagator(propagator: unknown): void {
    if (!isNode(propagator)) return this.set('OTEL_PROPAGATORS', 'propagator', 'none');
    this.known(propagator, 'propagator', ['composite', 'composite_list']);
    const names = new Set<string>();
    (Array.isArray(propagator.composite) ? propagator.composite : []).forEach((p: unknown, i: number) => {
      const key = isNode(p) ? Object.keys(p)[0] : String(p);
      if (key === 'tracecontext' || key === 'baggage') names.add(key);
      else this.out.unsupported.push(`propagator.composite[${i}].${key}`);
    });
    for (const n of String(propagator.composite_list ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
      if (n === 'tracecontext' || n === 'baggage' || n === 'none') names.add(n);
      else this.out.unsupported.push(`propagator.composite_list: ${n}`);
    }
    this.set('OTEL_PROPAGATORS', 'propagator', names.size ? [...names].join(',') : 'none');
  }

  private tracerProvider(tp: unknown): void {
    this.processors('traces', tp, 'tracer_provider');
    if (!isNode(tp)) return;
    const sampler = tp.sampler;
    if (sampler !== undefined && !(isNode(sampler) && Object.keys(sampler).length === 1 && 'always_on' in sampler)) {
      this.out.sampler = `tracer_provider.sampler.${isNode(sampler) ? Object.keys(sampler)[0] : String(sampler)}`;
    }
    if (isNode(tp.limits)) {
      const l = tp.limits;
      this.known(l, 'tracer_provider.limits', Object.keys(SPAN_LIMITS));
      for (const [key, name] of Object.entries(SPAN_LIMITS)) this.number(name, `tracer_provider.limits.${key}`, l[key]);
    }
  }

  private meterProvider(mp: unknown): void {
    this.processors('metrics', mp, 'meter_provider');
  }

  /** Processors (traces, logs) or readers (metrics): at most one OTLP exporter and console per signal. */
  private processors(signal: Signal, provider: unknown, path: string): void {
    const exporters: string[] = [];
    const S = signal.toUpperCase();
    if (isNode(provider)) {
      const listKey = signal === 'metrics' ? 'readers' : 'processors';
      const supported = signal === 'traces' ? [listKey, 'limits', 'sampler', 'id_generator'] : [listKey];
      this.known(provider, path, supported);
      if (isNode(provider.id_generator) && !('random' in provider.id_generator)) this.out.unsupported.push(`${path}.id_generator`);
      (Array.isArray(provider[listKey]) ? (provider[listKey] as unknown[]) : []).forEach((entry, i) => {
        const at = `${path}.${listKey}[${i}]`;
        const kind = isNode(entry) ? Object.keys(entry)[0] : undefined;
        const body = kind && isNode(entry) ? entry[kind] : undefined;
        const wanted = signal === 'metrics' ? ['periodic'] : ['batch', 'simple'];
        if (!kind || !wanted.includes(kind) || !isNode(body)) return this.out.unsupported.push(kind ? `${at}.${kind}` : at);
        const exporter = isNode(body.exporter) ? body.exporter : {};
        const exporterKind = Object.keys(exporter)[0];
        const exporterAt = `${at}.${kind}.exporter.${exporterKind}`;
        // A console exporter prints locally; the batch settings are those of the OTLP processor.
        if (exporterKind === 'console') return exporters.includes('console') ? undefined : void exporters.push('console');
        if (exporterKind !== 'otlp_http' && exporterKind !== 'otlp_grpc') return this.out.unsupported.push(exporterAt);
        if (exporters.includes('otlp')) return this.out.unsupported.push(`${exporterAt} (one OTLP exporter per signal; the first is used)`);
        exporters.push('otlp');
        this.timing(signal, kind, body, at);
        mapExporter(this, signal, exporterKind, exporter[exporterKind], exporterAt);
      });
    }
    this.set(`OTEL_${S}_EXPORTER`, path, exporters.length ? exporters.join(',') : 'none');
  }

  private timing(signal: Signal, kind: string, body: Node, at: string): void {
    const p = `${at}.${kind}`;
    if (signal === 'metrics') {
      this.known(body, p, ['interval', 'timeout', 'exporter']);
      this.number('OTEL_METRIC_EXPORT_INTERVAL', `${p}.interval`, body.interval);
      this.number('OTEL_METRIC_EXPORT_TIMEOUT', `${p}.timeout`, body.timeout, true);
      return;
    }
    const prefix = signal === 'traces' ? 'BSP' : 'BLRP';
    if (kind === 'simple') {
      // Honoured as a batch with no delay: each span leaves at the next turn of the event loop.
      this.known(body, p, ['exporter']);
      this.set(`OTEL_${prefix}_SCHEDULE_DELAY`, p, '0');
      return;
    }
    this.known(body, p, ['schedule_delay', 'export_timeout', 'max_queue_size', 'max_export_batch_size', 'exporter']);
    this.number(`OTEL_${prefix}_SCHEDULE_DELAY`, `${p}.schedule_delay`, body.schedule_delay);
    this.number(`OTEL_${prefix}_EXPORT_TIMEOUT`, `${p}.export_timeout`, body.export_timeout, true);
    this.number(`OTEL_${prefix}_MAX_QUEUE_SIZE`, `${p}.max_queue_size`, body.max_queue_size);
    this.number(`OTEL_${prefix}_MAX_EXPORT_BATCH_SIZE`, `${p}.max_export_batch_size`, body.max_export_batch_size);
  }
}

const SPAN_LIMITS: Record<string, string> = {
  attribute_value_length_limit: 'OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT',
  attribute_count_limit: 'OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT',
  event_count_limit: 'OTEL_SPAN_EVENT_COUNT_LIMIT',
  link_count_limit: 'OTEL_SPAN_LINK_COUNT_LIMIT',
  event_attribute_count_limit: 'OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT',
  link_attribute_count_limit: 'OTEL_LINK_ATTRIBUTE_COUNT_LIMIT',
};

/** The schema's detectors and ours (`env` is implied: attributes_list plays its part). */
const DETECTORS: Record<string, string[]> = { container: ['container'], host: ['host', 'os'], process: ['process'], service: ['serviceinstance'] };

/** The schema's severity names onto our log levels. */
function logLevel(level: string): string {
  if (level.startsWith('trace') || level.startsWith('debug')) return 'debug';
  if (level.startsWith('info')) return 'info';
  if (level.startsWith('warn')) return 'warn';
  if (level.startsWith('error') || level.startsWith('fatal')) return 'error';
  return level;
}
