// Remote configuration: our own config-map entry ("otel-preload", JSON) and, for servers that
// speak to EDOT Node.js, its "elastic" entry mapped onto ours. Only an allowlist of settings that
// are safe to change at run time is accepted; anything else fails the whole config, naming the
// key (the OpAMP specification: apply all or nothing; unknown keys fail the whole config).

import { LOG_LEVELS, type LogLevel } from '../log/logger';
import { splitList } from '../config/parse';
import { isSensitiveHeader } from '../util/redact';

export const OUR_KEY = 'otel-preload';
export const EDOT_KEY = 'elastic';

/** Everything remote config may change; unset = the local (environment) value. */
export interface RemoteSettings {
  logLevel?: LogLevel;
  tracesEnabled?: boolean;
  metricsEnabled?: boolean;
  logsEnabled?: boolean;
  disabledInstrumentations?: string[];
  enabledInstrumentations?: string[];
  instrumentationDetail?: string[];
  /** Both sides (the first keys there were); the per-side keys below win over them. */
  httpRequestHeaders?: string[];
  httpResponseHeaders?: string[];
  httpServerRequestHeaders?: string[];
  httpServerResponseHeaders?: string[];
  httpClientRequestHeaders?: string[];
  httpClientResponseHeaders?: string[];
  baggageSpanAttributes?: string[];
  genAiCaptureMessageContent?: boolean;
  metricExportIntervalMillis?: number;
  heartbeatIntervalMillis?: number;
}

/** A remote config larger than this (all entries' bodies) is refused whole, unparsed. */
export const MAX_CONFIG_BYTES = 256 * 1024;
/** The longest list a setting accepts (instrumentations and headers number in the tens). */
export const MAX_LIST_ENTRIES = 256;
/** The error reported to the server (and logged): the first problems, then a count. */
export const MAX_ERROR_CHARS = 1024;
const MAX_PROBLEMS = 5;

type Parser = (value: unknown) => { ok: true; value: unknown } | { ok: false; why: string };

const bool: Parser = (v) => (typeof v === 'boolean' ? { ok: true, value: v } : v === 'true' || v === 'false' ? { ok: true, value: v === 'true' } : { ok: false, why: 'must be true or false' });
const names: Parser = (v) => {
  const list = Array.isArray(v) ? v : typeof v === 'string' ? splitList(v) : undefined;
  if (!list || !list.every((x) => typeof x === 'string')) return { ok: false, why: 'must be a list of names' };
  if (list.length > MAX_LIST_ENTRIES) return { ok: false, why: `has ${list.length} entries; at most ${MAX_LIST_ENTRIES} are accepted` };
  return { ok: true, value: list.map((n: string) => n.trim().replace(/^@opentelemetry\/instrumentation-/, '')).filter(Boolean) };
};
// Credential headers are never captured on a server's say-so (they would be exported).
const headerNames: Parser = (v) => {
  const r = names(v);
  if (!r.ok) return r;
  const bad = (r.value as string[]).filter((h) => !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(h));
  if (bad.length) return { ok: false, why: `has invalid header names ${summarize(bad.map((h) => JSON.stringify(h.slice(0, 100))), ', ')}` };
  const lower = (r.value as string[]).map((h) => h.toLowerCase());
  const sensitive = lower.filter(isSensitiveHeader);
  if (sensitive.length) return { ok: false, why: `is refused for ${summarize(sensitive, ', ')}: credential headers cannot be captured remotely` };
  return { ok: true, value: lower };
};
// Baggage keys are tokens, like header names; they are taken as written (no prefix, no case change).
const baggageKeys: Parser = (v) => {
  const list = Array.isArray(v) ? v : typeof v === 'string' ? splitList(v) : undefined;
  if (!list || !list.every((x) => typeof x === 'string')) return { ok: false, why: 'must be a list of baggage keys' };
  if (list.length > MAX_LIST_ENTRIES) return { ok: false, why: `has ${list.length} entries; at most ${MAX_LIST_ENTRIES} are accepted` };
  const keys = (list as string[]).map((k) => k.trim()).filter(Boolean);
  const bad = keys.filter((k) => !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(k));
  return bad.length ? { ok: false, why: `has invalid baggage keys ${summarize(bad.map((k) => JSON.stringify(k.slice(0, 100))), ', ')}` } : { ok: true, value: keys };
};
const millis = (min: number, max: number): Parser => (v) => {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? parseDuration(v) : NaN;
  return Number.isFinite(n) && n >= min && n <= max ? { ok: true, value: Math.round(n) } : { ok: false, why: `must be a duration between ${min} and ${max} ms` };
};
const level: Parser = (v) => (typeof v === 'string' && (LOG_LEVELS as readonly string[]).includes(v.toLowerCase()) ? { ok: true, value: v.toLowerCase() } : { ok: false, why: `must be one of ${LOG_LEVELS.join(', ')}` });

/** The allowlist: key in our entry → setting it controls, and how its value is checked. */
export const ALLOWLIST: Record<string, { setting: keyof RemoteSettings; parse: Parser; description: string }> = {
  log_level: { setting: 'logLevel', parse: level, description: 'OTEL_LOG_LEVEL: none, error, warn, info, debug, verbose, all' },
  traces_enabled: { setting: 'tracesEnabled', parse: bool, description: 'export traces (true/false)' },
  metrics_enabled: { setting: 'metricsEnabled', parse: bool, description: 'export metrics (true/false)' },
  logs_enabled: { setting: 'logsEnabled', parse: bool, description: 'export logs (true/false)' },
  disabled_instrumentations: { setting: 'disabledInstrumentations', parse: names, description: 'instrumentations to turn off (no spans, no metrics)' },
  enabled_instrumentations: { setting: 'enabledInstrumentations', parse: names, description: 'instrumentations to turn back on, even if off locally' },
  instrumentation_detail: { setting: 'instrumentationDetail', parse: names, description: 'instrumentations whose internal spans are wanted (all, or names); [] = boundary spans only' },
  http_request_headers: { setting: 'httpRequestHeaders', parse: headerNames, description: 'HTTP request headers captured as span attributes' },
  http_response_headers: { setting: 'httpResponseHeaders', parse: headerNames, description: 'HTTP response headers captured as span attributes' },
  http_server_request_headers: { setting: 'httpServerRequestHeaders', parse: headerNames, description: 'request headers captured on SERVER spans (OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST)' },
  http_server_response_headers: { setting: 'httpServerResponseHeaders', parse: headerNames, description: 'response headers captured on SERVER spans' },
  http_client_request_headers: { setting: 'httpClientRequestHeaders', parse: headerNames, description: 'request headers captured on CLIENT spans' },
  http_client_response_headers: { setting: 'httpClientResponseHeaders', parse: headerNames, description: 'response headers captured on CLIENT spans' },
  baggage_span_attributes: { setting: 'baggageSpanAttributes', parse: baggageKeys, description: 'baggage entries copied onto spans as attributes (OTEL_NODE_BAGGAGE_SPAN_ATTRIBUTES)' },
  genai_capture_message_content: { setting: 'genAiCaptureMessageContent', parse: bool, description: 'record prompts and completions of LLM calls, bounded and redacted (OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT)' },
  metric_export_interval: { setting: 'metricExportIntervalMillis', parse: millis(1000, 3_600_000), description: 'OTEL_METRIC_EXPORT_INTERVAL in ms (or "30s", "1m")' },
  heartbeat_interval: { setting: 'heartbeatIntervalMillis', parse: millis(1000, 86_400_000), description: 'OpAMP heartbeat in ms (or "30s", "5m")' },
};

/** Own properties only: a key named after an Object.prototype member is not a setting. */
const own = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
/** Names that reach prototypes in JavaScript; refused outright, in any entry. */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Keys that exist but may never be set remotely, and why. */
const REFUSED: Array<[RegExp, string]> = [
  [/endpoint|url/i, 'exporter and OpAMP endpoints cannot be changed remotely (data could be sent elsewhere)'],
  [/(^|_)headers?$/i, 'exporter headers cannot be changed remotely (they carry credentials)'],
  [/certificate|client_key|tls|ca_file/i, 'certificates cannot be changed remotely'],
  [/sampl/i, 'sampling is done centrally; every span is exported'],
  [/file|path|dir/i, 'file paths cannot be changed remotely'],
  [/require|import|module|package/i, 'what code is loaded cannot be changed remotely'],
];

export type ConfigMap = Record<string, { body?: Uint8Array; contentType?: string }>;
export type ParseOutcome = { ok: true; settings: RemoteSettings } | { ok: false; error: string };

/** Parses a whole config map; a map with neither of our entries means "no remote settings". */
export function parseConfigMap(map: ConfigMap): ParseOutcome {
  let size = 0;
  for (const entry of Object.values(map)) size += entry?.body?.length ?? 0;
  if (size > MAX_CONFIG_BYTES) return { ok: false, error: `the remote config is too large (${size} bytes; at most ${MAX_CONFIG_BYTES} are accepted)` };
  const settings: RemoteSettings = {};
  const errors = new Problems();
  const edot = own(map, EDOT_KEY) ? map[EDOT_KEY] : undefined;
  const ours = own(map, OUR_KEY) ? map[OUR_KEY] : undefined;
  // Our entry wins where both set the same thing.
  for (const [key, file, mapper] of [
    [EDOT_KEY, edot, fromEdot],
    [OUR_KEY, ours, (o: Record<string, unknown>) => o],
  ] as const) {
    if (!file) continue;
    const body = readJsonObject(key, file, errors);
    if (!body) continue;
    const mapped = mapper(body, errors);
    for (const [k, v] of Object.entries(mapped)) {
      const name = JSON.stringify(k.slice(0, 100));
      if (PROTOTYPE_KEYS.has(k)) {
        errors.push(`${key}: ${name} is refused: not a setting (a JavaScript prototype name)`);
        continue;
      }
      const rule = own(ALLOWLIST, k) ? ALLOWLIST[k] : undefined;
      if (!rule) {
        const refused = REFUSED.find(([re]) => re.test(k));
        errors.push(refused ? `${key}: ${name} is refused: ${refused[1]}` : `${key}: ${name} is not a known setting (allowed: ${Object.keys(ALLOWLIST).join(', ')})`);
        continue;
      }
      const parsed = rule.parse(v);
      if (!parsed.ok) errors.push(`${key}: ${name} ${parsed.why}`);
      else (settings as Record<string, unknown>)[rule.setting] = parsed.value;
    }
  }
  return errors.total ? { ok: false, error: errors.summary() } : { ok: true, settings };
}

/** Keeps the first few problems only (20,000 bad keys must not build 20,000 messages). */
class Problems {
  private readonly shown: string[] = [];
  total = 0;
  push(problem: string): void {
    if (this.total++ < MAX_PROBLEMS) this.shown.push(problem);
  }
  summary(): string {
    return summarize(this.shown, '; ', this.total);
  }
}

/** The first few problems and how many more, at most MAX_ERROR_CHARS: never megabytes to the server. */
export function summarize(problems: string[], separator: string, total = problems.length): string {
  const shown = problems.slice(0, MAX_PROBLEMS).join(separator);
  const more = total > MAX_PROBLEMS ? ` and ${total - MAX_PROBLEMS} more` : '';
  const room = MAX_ERROR_CHARS - more.length;
  return (shown.length > room ? `${shown.slice(0, room - 1)}…` : shown) + more;
}

function readJsonObject(key: string, file: { body?: Uint8Array; contentType?: string }, errors: Problems): Record<string, unknown> | undefined {
  const type = (file.contentType ?? '').toLowerCase();
  // A declarative-configuration document (schema 1.x) as an overlay: only its allowlisted nodes.
  if (type.includes('yaml')) {
    const { overlayFromYaml } = require('../config/file/overlay') as typeof import('../config/file/overlay');
    const overlay = overlayFromYaml(Buffer.from(file.body ?? new Uint8Array()).toString('utf8'));
    if (overlay.ok) return overlay.entry;
    errors.push(`${key}: ${overlay.error}`);
    return undefined;
  }
  if (type && !type.includes('json')) {
    errors.push(`${key}: content type "${file.contentType}" is not supported (use application/json or application/yaml)`);
    return undefined;
  }
  try {
    const value = JSON.parse(Buffer.from(file.body ?? new Uint8Array()).toString('utf8') || '{}');
    if (value && typeof value === 'object' && !Array.isArray(value)) return value;
    errors.push(`${key}: the body must be a JSON object`);
  } catch (err) {
    errors.push(`${key}: the body is not valid JSON (${(err as Error).message})`);
  }
  return undefined;
}

const EDOT_LEVELS: Record<string, LogLevel> = { trace: 'verbose', debug: 'debug', info: 'info', warn: 'warn', warning: 'warn', error: 'error', critical: 'error', off: 'none' };

/** EDOT Node.js central config (flat keys) → our keys. */
function fromEdot(body: Record<string, unknown>, errors: Problems): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) {
    switch (k) {
      case 'logging_level':
        if (typeof v === 'string' && own(EDOT_LEVELS, v.toLowerCase())) out.log_level = EDOT_LEVELS[v.toLowerCase()];
        else errors.push(`${EDOT_KEY}: "logging_level" must be one of ${Object.keys(EDOT_LEVELS).join(', ')}`);
        break;
      case 'send_traces':
        out.traces_enabled = v;
        break;
      case 'send_metrics':
        out.metrics_enabled = v;
        break;
      case 'send_logs':
        out.logs_enabled = v;
        break;
      case 'deactivate_instrumentations':
        out.disabled_instrumentations = v;
        break;
      case 'deactivate_all_instrumentations':
        if (bool(v).ok && (bool(v) as { value: boolean }).value) out.disabled_instrumentations = ['*'];
        break;
      case 'opamp_polling_interval':
        out.heartbeat_interval = v;
        break;
      case 'sampling_rate':
        errors.push(`${EDOT_KEY}: "sampling_rate" is refused: sampling is done centrally; every span is exported`);
        break;
      default:
        errors.push(`${EDOT_KEY}: ${JSON.stringify(k.slice(0, 100))} is ${PROTOTYPE_KEYS.has(k) ? 'refused: not a setting (a JavaScript prototype name)' : 'not a known setting'}`);
    }
  }
  return out;
}

/** "30s", "1m", "500ms", "1500" (ms). */
function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(text);
  if (!m) return NaN;
  const unit = (m[2] ?? 'ms').toLowerCase();
  return Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as Record<string, number>)[unit];
}
