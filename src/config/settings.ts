// The table of every environment variable the preload reads: name, kind, default, whether it is
// secret. The parser, the README table, the start-up summary and `doctor` all read this one list.

export type Kind =
  | { type: 'boolean' }
  | { type: 'integer'; min: number; max: number }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'enumList'; values: readonly string[] }
  | { type: 'list' }
  | { type: 'keyValue' }
  | { type: 'headers' }
  | { type: 'string' }
  | { type: 'url' }
  | { type: 'path' };

export interface Setting {
  name: string;
  kind: Kind;
  /** Default as the user would write it; undefined = unset. */
  default?: string;
  secret?: boolean;
  description: string;
}

export const SIGNALS = ['traces', 'metrics', 'logs'] as const;
export type Signal = (typeof SIGNALS)[number];

export const PROTOCOLS = ['grpc', 'http/protobuf'] as const;
export const EXPORTERS = ['otlp', 'console', 'none'] as const;
export const PROPAGATORS = ['tracecontext', 'baggage', 'none'] as const;
export const RESOURCE_DETECTORS = ['all', 'none', 'env', 'host', 'os', 'process', 'serviceinstance', 'container', 'aws'] as const;
export const DEFAULT_EXCLUDED_PROCESSES = 'npm,npx,yarn,pnpm,pnpx,corepack,node-gyp';

/** setTimeout/setInterval treat anything above 2^31-1 ms as 1 ms (and warn each time): the ceiling of every timer. */
export const MAX_TIMER_MILLIS = 2_147_483_647;
/** Upper bounds of the export queues and batches: a queue this long already holds tens of MB, and a
 * batch of 4096 typical spans (~400 bytes each) stays below the 4 MiB a collector accepts by default. */
export const MAX_QUEUE_SIZE = 100_000;
export const MAX_BATCH_SIZE = 4096;
/** Below this, periodic metric export would keep a core busy (an export per millisecond). */
export const MIN_METRIC_INTERVAL_MILLIS = 100;

const bool = { type: 'boolean' } as const;
const ms = { type: 'integer', min: 0, max: MAX_TIMER_MILLIS } as const;
const positive = { type: 'integer', min: 1, max: MAX_TIMER_MILLIS } as const;
const count = { type: 'integer', min: 0, max: MAX_TIMER_MILLIS } as const;
/** A length limit of 0 would be no limit with a warning for every attribute (the SDK ignores limits ≤ 0): refused at once instead. */
const length = { type: 'integer', min: 1, max: MAX_TIMER_MILLIS } as const;
const queue = { type: 'integer', min: 1, max: MAX_QUEUE_SIZE } as const;
const batch = { type: 'integer', min: 1, max: MAX_BATCH_SIZE } as const;

/** The OTLP settings that exist once generically and once per signal. */
function otlpSettings(signal?: Signal): Setting[] {
  const infix = signal ? `${signal.toUpperCase()}_` : '';
  const scope = signal ? `for ${signal}` : 'for all signals';
  const generic = (n: string) => (signal ? `OTEL_EXPORTER_OTLP_${n}` : undefined);
  const dflt = (value: string) => (signal ? undefined : value);
  const fallback = (n: string) => (signal ? `; falls back to ${generic(n)}` : '');
  return [
    { name: `OTEL_EXPORTER_OTLP_${infix}PROTOCOL`, kind: { type: 'enum', values: PROTOCOLS }, default: dflt('grpc'), description: `OTLP transport ${scope}${signal ? fallback('PROTOCOL') : ': `grpc` or `http/protobuf` (`http/json` is not supported: a warning naming it, then `grpc`)'}` },
    { name: `OTEL_EXPORTER_OTLP_${infix}ENDPOINT`, kind: { type: 'url' }, default: dflt('http://localhost:4317 (grpc), http://localhost:4318 (http)'), description: signal ? `Full URL ${scope}, used as is${fallback('ENDPOINT')} + /v1/${signal} for http` : 'Base URL of the collector' },
    { name: `OTEL_EXPORTER_OTLP_${infix}HEADERS`, kind: { type: 'headers' }, secret: true, description: `Headers (k=v,…) sent ${scope}, never logged; connection-specific ones (connection, te, …) are refused${fallback('HEADERS')}` },
    { name: `OTEL_EXPORTER_OTLP_${infix}TIMEOUT`, kind: positive, default: dflt('10000'), description: `Export timeout in ms (≤ 2^31−1) ${scope}${fallback('TIMEOUT')}` },
    { name: `OTEL_EXPORTER_OTLP_${infix}COMPRESSION`, kind: { type: 'enum', values: ['gzip', 'none'] }, default: dflt('none'), description: `Payload compression ${scope}${fallback('COMPRESSION')}` },
    { name: `OTEL_EXPORTER_OTLP_${infix}CERTIFICATE`, kind: { type: 'path' }, description: `PEM file of trusted CAs ${scope}${fallback('CERTIFICATE')}` },
    { name: `OTEL_EXPORTER_OTLP_${infix}CLIENT_CERTIFICATE`, kind: { type: 'path' }, description: `PEM client certificate (mTLS) ${scope}${fallback('CLIENT_CERTIFICATE')}` },
    { name: `OTEL_EXPORTER_OTLP_${infix}CLIENT_KEY`, kind: { type: 'path' }, secret: true, description: `PEM client key (mTLS) ${scope}${fallback('CLIENT_KEY')}` },
  ];
}

export const SETTINGS: readonly Setting[] = [
  { name: 'OTEL_SDK_DISABLED', kind: bool, default: 'false', description: 'true: the preload does nothing at all' },
  { name: 'OTEL_CONFIG_FILE', kind: { type: 'path' }, description: 'Declarative configuration file (YAML, file_format 1.0/1.1); when set, the other OTEL_* variables act only through substitution in it (see below)' },
  { name: 'OTEL_EXPERIMENTAL_CONFIG_FILE', kind: { type: 'path' }, description: 'Deprecated name of OTEL_CONFIG_FILE (used when that is unset, with a warning)' },
  { name: 'OTEL_LOG_LEVEL', kind: { type: 'enum', values: ['none', 'error', 'warn', 'info', 'debug', 'verbose', 'all'] }, default: 'warn', description: 'Diagnostics on stderr; the default warn keeps stderr silent while all is well' },
  { name: 'OTEL_SERVICE_NAME', kind: { type: 'string' }, description: 'service.name; else OTEL_RESOURCE_ATTRIBUTES, else the nearest package.json of the entry script, else unknown_service:node' },
  { name: 'OTEL_RESOURCE_ATTRIBUTES', kind: { type: 'keyValue' }, description: 'Resource attributes k=v,… (percent-encoded values)' },
  { name: 'OTEL_NODE_RESOURCE_DETECTORS', kind: { type: 'enumList', values: RESOURCE_DETECTORS }, default: 'all', description: 'Resource detectors; all = env,host,os,process,serviceinstance,container, plus aws when ECS_CONTAINER_METADATA_URI_V4 is set' },
  { name: 'ECS_CONTAINER_METADATA_URI_V4', kind: { type: 'url' }, description: 'Set by ECS/Fargate; enables the ECS resource detector (the only start-up network call)' },
  { name: 'AWS_LAMBDA_FUNCTION_NAME', kind: { type: 'string' }, description: 'Set by AWS Lambda; enables the aws-lambda instrumentation' },
  { name: 'OTEL_PROPAGATORS', kind: { type: 'enumList', values: PROPAGATORS }, default: 'tracecontext,baggage', description: 'Context propagation formats' },
  { name: 'OTEL_TRACES_SAMPLER', kind: { type: 'string' }, default: 'always_on', description: 'Only always_on: sampling is done centrally, any other value is ignored with a warning' },
  { name: 'OTEL_TRACES_SAMPLER_ARG', kind: { type: 'string' }, description: 'Ignored (no local sampling)' },
  { name: 'OTEL_TRACES_EXPORTER', kind: { type: 'enumList', values: EXPORTERS }, default: 'otlp', description: 'otlp, console or none (comma list allowed)' },
  { name: 'OTEL_METRICS_EXPORTER', kind: { type: 'enumList', values: EXPORTERS }, default: 'otlp', description: 'otlp, console or none' },
  { name: 'OTEL_LOGS_EXPORTER', kind: { type: 'enumList', values: EXPORTERS }, default: 'otlp', description: 'otlp, console or none' },
  ...otlpSettings(),
  ...SIGNALS.flatMap((s) => otlpSettings(s)),
  { name: 'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE', kind: { type: 'enum', values: ['cumulative', 'delta', 'lowmemory'] }, default: 'cumulative', description: 'Aggregation temporality of exported metrics' },
  { name: 'OTEL_METRIC_EXPORT_INTERVAL', kind: { type: 'integer', min: MIN_METRIC_INTERVAL_MILLIS, max: MAX_TIMER_MILLIS }, default: '60000', description: `Metric export interval in ms (${MIN_METRIC_INTERVAL_MILLIS} to 2^31−1)` },
  { name: 'OTEL_METRIC_EXPORT_TIMEOUT', kind: positive, default: '30000', description: 'Metric export timeout in ms (≤ 2^31−1)' },
  { name: 'OTEL_BSP_SCHEDULE_DELAY', kind: ms, default: '5000', description: 'Span batch delay in ms (≤ 2^31−1)' },
  { name: 'OTEL_BSP_EXPORT_TIMEOUT', kind: positive, default: '30000', description: 'Span batch export timeout in ms (≤ 2^31−1)' },
  { name: 'OTEL_BSP_MAX_QUEUE_SIZE', kind: queue, default: '2048', description: `Spans queued before new ones are dropped (and counted); at most ${MAX_QUEUE_SIZE}` },
  { name: 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', kind: batch, default: '512', description: `Spans per export batch; at most ${MAX_BATCH_SIZE} and the queue size` },
  { name: 'OTEL_BLRP_SCHEDULE_DELAY', kind: ms, default: '1000', description: 'Log batch delay in ms (≤ 2^31−1)' },
  { name: 'OTEL_BLRP_EXPORT_TIMEOUT', kind: positive, default: '30000', description: 'Log batch export timeout in ms (≤ 2^31−1)' },
  { name: 'OTEL_BLRP_MAX_QUEUE_SIZE', kind: queue, default: '2048', description: `Log records queued before new ones are dropped; at most ${MAX_QUEUE_SIZE}` },
  { name: 'OTEL_BLRP_MAX_EXPORT_BATCH_SIZE', kind: batch, default: '512', description: `Log records per export batch; at most ${MAX_BATCH_SIZE} and the queue size` },
  { name: 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT', kind: length, description: 'Max attribute value length, at least 1 (unset = unlimited)' },
  { name: 'OTEL_ATTRIBUTE_COUNT_LIMIT', kind: count, default: '128', description: 'Max attributes per span, event, link or log record' },
  { name: 'OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT', kind: length, description: 'Max span attribute value length, at least 1; falls back to OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT' },
  { name: 'OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', kind: count, description: 'Max attributes per span; falls back to OTEL_ATTRIBUTE_COUNT_LIMIT' },
  { name: 'OTEL_SPAN_EVENT_COUNT_LIMIT', kind: count, default: '128', description: 'Max events per span' },
  { name: 'OTEL_SPAN_LINK_COUNT_LIMIT', kind: count, default: '128', description: 'Max links per span' },
  { name: 'OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT', kind: count, default: '128', description: 'Max attributes per span event' },
  { name: 'OTEL_LINK_ATTRIBUTE_COUNT_LIMIT', kind: count, default: '128', description: 'Max attributes per span link' },
  { name: 'OTEL_NODE_ENABLED_INSTRUMENTATIONS', kind: { type: 'list' }, description: 'Only these instrumentations (names without @opentelemetry/instrumentation-); unset = all that are on by default' },
  { name: 'OTEL_NODE_DISABLED_INSTRUMENTATIONS', kind: { type: 'list' }, description: 'Instrumentations to turn off (applied after the enabled list)' },
  { name: 'OTEL_NODE_INSTRUMENTATION_DETAIL', kind: { type: 'list' }, description: 'Internal spans wanted back: middleware, layer, hook and handler spans of express, connect, koa, fastify, hapi, nestjs-core, restify, router; graphql parse, validate and resolver spans; pg connect spans; BullMQ INTERNAL spans (its own housekeeping: stalled-job checks, job completion, lock extension); net (tcp/tls/ipc.connect) and dns (dns.lookup) spans (`all`, or names such as `express,graphql`); unset = boundary spans only. Remote key `instrumentation_detail`' },
  ...(['SERVER_REQUEST', 'SERVER_RESPONSE', 'CLIENT_REQUEST', 'CLIENT_RESPONSE'] as const).map((which): Setting => {
    const [side, part] = which.toLowerCase().split('_');
    return { name: `OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_${which}`, kind: { type: 'list' }, description: `HTTP ${part} headers recorded on ${side.toUpperCase()} spans as http.${part}.header.<name> (comma-separated, case-insensitive); credential headers (authorization, cookie, set-cookie, x-api-key, …) are refused. Remote key http_${side}_${part}_headers` };
  }),
  { name: 'OTEL_NODE_BAGGAGE_SPAN_ATTRIBUTES', kind: { type: 'list' }, description: 'W3C baggage entries copied onto every span started where they are in context, as attributes of the same name (e.g. tenant.id,plan); unset = none. Remote key baggage_span_attributes' },
  { name: 'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT', kind: bool, default: 'false', description: 'true: prompts, completions, tool arguments and system instructions of LLM calls are recorded (as the GenAI log events), each value cut to 8 KiB and secret-looking values (API keys, bearer tokens) masked; false: only models, token counts and timings leave the process. Remote key genai_capture_message_content' },
  { name: 'OTEL_SEMCONV_STABILITY_OPT_IN', kind: { type: 'list' }, default: 'http', description: 'Semantic-convention opt-in (e.g. database), read by the instrumentations themselves; HTTP spans and metrics always follow the stable convention' },
  { name: 'OTEL_NODE_OPAMP_ENDPOINT', kind: { type: 'url' }, description: 'Full URL of the OpAMP server (e.g. https://opamp.example:4320/v1/opamp); unset = no remote configuration' },
  { name: 'OTEL_NODE_OPAMP_HEADERS', kind: { type: 'headers' }, secret: true, description: 'Headers (k=v,…) sent to the OpAMP server, never logged' },
  { name: 'OTEL_NODE_OPAMP_CERTIFICATE', kind: { type: 'path' }, description: 'PEM file of CAs trusted for the OpAMP server' },
  { name: 'OTEL_NODE_OPAMP_CLIENT_CERTIFICATE', kind: { type: 'path' }, description: 'PEM client certificate for OpAMP (mTLS)' },
  { name: 'OTEL_NODE_OPAMP_CLIENT_KEY', kind: { type: 'path' }, secret: true, description: 'PEM client key for OpAMP (mTLS)' },
  { name: 'OTEL_NODE_OPAMP_HEARTBEAT_INTERVAL', kind: { type: 'integer', min: 1, max: MAX_TIMER_MILLIS }, default: '30000', description: 'OpAMP polling interval in ms (±10 % jitter), clamped to 1000 … 86400000; the server may set another' },
  { name: 'OTEL_NODE_OPAMP_CACHE_FILE', kind: { type: 'path' }, default: '<XDG_CACHE_HOME or ~/.cache>/otel-preload/opamp-<service.name>.json', description: 'Last applied remote config, applied at start-up before any network I/O; read only if a regular file owned by this user (or a root-owned fleet default) and not writable by others' },
  { name: 'XDG_CACHE_HOME', kind: { type: 'path' }, description: 'Per-user cache directory (XDG); the default OpAMP cache and the code cache go in its otel-preload/ subdirectory' },
  { name: 'OTEL_NODE_CODE_CACHE', kind: bool, default: 'true', description: 'Node.js 22 and later: V8 code cache of otel-preload\'s own files (never the app\'s) in the private per-user cache directory (<XDG_CACHE_HOME or ~/.cache>/otel-preload/code-cache), so that they are not compiled again at every start; false: compiled at every start, nothing written' },
  { name: 'OTEL_NODE_SHUTDOWN_TIMEOUT', kind: ms, default: '2000', description: 'Upper bound in ms on the flush at exit or on SIGTERM/SIGINT (≤ 2^31−1)' },
  { name: 'OTEL_NODE_EXCLUDED_PROCESSES', kind: { type: 'list' }, description: `Extra processes to leave alone: executable, script or package name, optionally with its command ("migrate up"); always skipped: ${DEFAULT_EXCLUDED_PROCESSES} and the build tools, test runners and linters listed under "Tooling"` },
  { name: 'OTEL_NODE_INCLUDED_PROCESSES', kind: { type: 'list' }, description: 'Processes to instrument even though they are skipped by default (`npm`, `vitest`, or a name with its command: `next build`); wins over every other rule' },
];

export const SETTINGS_BY_NAME: ReadonlyMap<string, Setting> = new Map(SETTINGS.map((s) => [s.name, s]));
