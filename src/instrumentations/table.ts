// Which instrumentation patches which modules, and how to build it. Nothing here is loaded until
// one of its target modules is first required or imported (lazy-hooks.ts), except the few marked
// `atSdkStart` (runtime and host metrics), which start with the SDK.
// The catalogue is that of @opentelemetry/auto-instrumentations-node 0.81 (same names, same
// defaults: fs and host-metrics off), plus fastify through @fastify/otel. Names drop the
// `@opentelemetry/instrumentation-` prefix, as OTEL_NODE_{ENABLED,DISABLED}_INSTRUMENTATIONS do.
// test/unit/catalogue.test.ts checks `modules` against what each installed package patches.

import type { TracerProvider } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { Config } from '../config';
import type { RuntimeSettings } from '../runtime/state';
import { detailListed, FRAMEWORKS } from './detail';
import { boundaryTracerProvider } from './boundary-tracer';
import { graphqlOptions, graphqlTracerProvider } from './graphql-boundary';
import { addRouteResolver, notFoundCatchAll, type RouteResolver } from './route-at-response';
import { lineRequire } from '../otel-line/line';
import { applyRangeExtensions, type RangeExtension } from './ranges';

export interface InstrumentationEntry {
  name: string;
  /** The npm package and its exported class. */
  pkg: string;
  cls: string;
  /** Package (or core module) names whose first load activates this instrumentation. */
  modules: readonly string[];
  /** Off unless named in OTEL_NODE_ENABLED_INSTRUMENTATIONS (same defaults as upstream). */
  offByDefault?: boolean;
  /** Also activated on the first call of the global fetch(), which loads no module. */
  onGlobalFetch?: boolean;
  /** Not activated when the target is loaded by one of these packages (already covered there). */
  notWhenLoadedBy?: readonly string[];
  /** Patches no module: started with the SDK (when `when` holds). */
  atSdkStart?: (config: Readonly<Config>) => boolean;
  /** What it produces, for the README's table. */
  produces?: string;
  /** Builds the class instead of `pkg`'s `cls` (a subclass of it that does the same work for less);
   *  required only on activation, like the packages themselves. */
  lean?: () => new (options: Record<string, unknown>) => Instrumentation;
  /** Reads the route when the response ends, for frameworks whose instrumentation does not set it. */
  routeAtResponse?: RouteResolver;
  /** Majors past upstream's declared range that we patch as upstream does (ranges.ts), each with its test. */
  extendRanges?: readonly RangeExtension[];
  /** For packages that declare no module definitions (they hook in another way): what they support, from their own code or docs. */
  declaredRanges?: Readonly<Record<string, string>>;
  /** Versions of a module covered another way: through another module it loads (redis 4+ is
   *  @redis/client), or a diagnostics_channel it publishes (graphql 17). `range` is `>=N.0.0`. */
  coveredThrough?: Readonly<Record<string, { range: string; module?: string; channel?: string; by?: string }>>;
  /** Files inside a module that the ESM import hook must wrap too (the module is imported by subpath only). */
  esmFiles?: readonly RegExp[];
  /** Called once the instrumentation exists, with the file whose require() activated it ('import' for an ESM import). */
  onActivate?: (instrumentation: Instrumentation, loadedBy: string | undefined) => void;
  /** Constructor options beyond the defaults (also re-applied when run-time settings change). */
  options?: (config: Readonly<Config>, settings: Readonly<RuntimeSettings>) => Record<string, unknown>;
}

const otel = (name: string, cls: string, modules: string[], extra: Partial<InstrumentationEntry> = {}): InstrumentationEntry => ({
  name,
  pkg: `@opentelemetry/instrumentation-${name}`,
  cls,
  modules,
  ...extra,
});

/** The Redis statement serializer of the channel spans, for upstream's ioredis and redis patches too. */
const redisStatement = (command: string, args: unknown[]): string =>
  (require('./channel-spans') as typeof import('./channel-spans')).serializeRedis(command, (Array.isArray(args) ? args : []).map(String));

export const CATALOGUE: readonly InstrumentationEntry[] = [
  otel('amqplib', 'AmqplibInstrumentation', ['amqplib']),
  // Ours, for the releases before the SDK traced itself (0.134); later ones make their own spans (genai/anthropic.ts).
  { name: 'anthropic', pkg: 'otel-preload', cls: 'AnthropicInstrumentation', modules: ['@anthropic-ai/sdk'], coveredThrough: { '@anthropic-ai/sdk': { range: '>=0.134.0', by: "the SDK's own spans; we add the metrics" } }, options: (_c, s) => ({ captureMessageContent: s.genAiCaptureMessageContent }), lean: () => require('./genai/anthropic').anthropicInstrumentationClass() },
  otel('aws-lambda', 'AwsLambdaInstrumentation', [], { atSdkStart: (c) => c.awsLambda }),
  otel('aws-sdk', 'AwsInstrumentation', ['@aws-sdk/middleware-stack', '@smithy/middleware-stack', '@smithy/core', '@aws-sdk/smithy-client', '@smithy/smithy-client']),
  // bunyan 2 kept the Logger API upstream patches (it dropped dtrace and old Node).
  // Our own (bullmq.ts): BullMQ's own telemetry option, set on every queue and worker.
  { name: 'bullmq', pkg: 'otel-preload', cls: 'BullmqInstrumentation', modules: ['bullmq'], lean: () => require('./bullmq').bullmqInstrumentationClass() },
  otel('bunyan', 'BunyanInstrumentation', ['bunyan'], { extendRanges: [{ module: 'bunyan', from: '>=1.0.0 <2', add: '>=2.0.0 <3', provenBy: 'test/e2e/versions.test.ts' }] }),
  otel('cassandra-driver', 'CassandraDriverInstrumentation', ['cassandra-driver']),
  otel('connect', 'ConnectInstrumentation', ['connect']),
  // @cucumber/cucumber 13 kept the step functions and TestCaseRunner upstream patches.
  otel('cucumber', 'CucumberInstrumentation', ['@cucumber/cucumber'], { extendRanges: [{ module: '@cucumber/cucumber', from: '>=8.0.0 <13', add: '>=13.0.0 <14', provenBy: 'test/e2e/versions.test.ts' }] }),
  otel('dataloader', 'DataloaderInstrumentation', ['dataloader']),
  otel('dns', 'DnsInstrumentation', ['dns']),
  otel('express', 'ExpressInstrumentation', ['express'], { lean: () => require('./express-layers').leanExpressInstrumentationClass() }),
  // The plugin claims >=4.0.0 <6 (SUPPORTED_VERSIONS in @fastify/otel's index.js), but before 4.10 it
  // breaks every request (500: it reads request.routeOptions, added in 4.10; measured on 4.0.0).
  { name: 'fastify', pkg: '@fastify/otel', cls: 'FastifyOtelInstrumentation', modules: ['fastify'], declaredRanges: { fastify: '>=4.10.0 <6' }, options: () => ({ registerOnInitialization: true }) },
  otel('fs', 'FsInstrumentation', ['fs'], { offByDefault: true }),
  otel('generic-pool', 'GenericPoolInstrumentation', ['generic-pool']),
  // One span per operation; parse, validate and resolver spans are detail (graphql-boundary.ts).
  // graphql 17 through its `graphql:execute` tracing channel (graphql-channels.ts, subscribed at start).
  otel('graphql', 'GraphQLInstrumentation', ['graphql'], {
    coveredThrough: { graphql: { range: '>=17.0.0', channel: 'graphql:execute' } },
    options: (_c, s) => graphqlOptions(detailListed(s.instrumentationDetail, 'graphql')) }),
  otel('grpc', 'GrpcInstrumentation', ['@grpc/grpc-js']),
  otel('hapi', 'HapiInstrumentation', ['@hapi/hapi']),
  otel('host-metrics', 'HostMetricsInstrumentation', [], { offByDefault: true, atSdkStart: () => true }),
  otel('http', 'HttpInstrumentation', ['http', 'https'], { options: (_c, s) => httpHeaderCapture(s), lean: () => require('./http-server').leanHttpInstrumentationClass() }),
  // Script and function calls' data arguments (a BullMQ job's payload) are counted, not shown (channel-spans.ts).
  otel('ioredis', 'IORedisInstrumentation', ['ioredis'], { options: () => ({ dbStatementSerializer: redisStatement }) }),
  otel('kafkajs', 'KafkaJsInstrumentation', ['kafkajs']),
  otel('knex', 'KnexInstrumentation', ['knex']),
  otel('koa', 'KoaInstrumentation', ['koa']),
  // Ours: no upstream instrumentation of LangChain.js exists; its callback system (genai/langchain.ts).
  { name: 'langchain', pkg: 'otel-preload', cls: 'LangChainInstrumentation', modules: ['@langchain/core'], esmFiles: [/\/node_modules\/@langchain\/core\/dist\/(?:callbacks\/manager|language_models\/chat_models)\.js$/], lean: () => require('./genai/langchain').langchainInstrumentationClass() },
  otel('lru-memoizer', 'LruMemoizerInstrumentation', ['lru-memoizer']),
  // Our own (mariadb.ts): no OpenTelemetry package instruments the mariadb driver.
  { name: 'mariadb', pkg: 'otel-preload', cls: 'MariadbInstrumentation', modules: ['mariadb'], lean: () => require('./mariadb').mariadbInstrumentationClass() },
  // Ours: no upstream instrumentation of the MCP SDK exists; it is required by subpath only (genai/mcp.ts).
  { name: 'mcp', pkg: 'otel-preload', cls: 'McpInstrumentation', modules: ['@modelcontextprotocol/sdk'], esmFiles: [/\/node_modules\/@modelcontextprotocol\/sdk\/dist\/(esm\/)?shared\/protocol\.js$/], onActivate: (i, loadedBy) => (i as unknown as { patchCommonJs(f?: string): void }).patchCommonJs(loadedBy), lean: () => require('./genai/mcp').mcpInstrumentationClass() },
  otel('memcached', 'MemcachedInstrumentation', ['memcached']),
  otel('mongodb', 'MongoDBInstrumentation', ['mongodb']),
  otel('mongoose', 'MongooseInstrumentation', ['mongoose']),
  otel('mysql', 'MySQLInstrumentation', ['mysql']),
  otel('mysql2', 'MySQL2Instrumentation', ['mysql2']),
  // Nest 12 is ES modules: its express is imported, not required, and (without in-thread ESM hooks,
  // Node < 22.22.3) stays unpatched; the route Express left on the request is read at the end.
  otel('nestjs-core', 'NestInstrumentation', ['@nestjs/core'], { routeAtResponse: routerRoute }),
  otel('net', 'NetInstrumentation', ['net']),
  // openai 4.19–7 (upstream stops at <7), streams that fail end their span, content bounded and
  // redacted, only when OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT says so (genai/openai.ts).
  otel('openai', 'OpenAIInstrumentation', ['openai'], { options: (_c, s) => ({ captureMessageContent: s.genAiCaptureMessageContent }), lean: () => require('./genai/openai').leanOpenAiInstrumentationClass() }),
  // Ours: no upstream instrumentation of @google/genai exists (genai/google.ts).
  { name: 'google-genai', pkg: 'otel-preload', cls: 'GoogleGenAiInstrumentation', modules: ['@google/genai'], options: (_c, s) => ({ captureMessageContent: s.genAiCaptureMessageContent }), lean: () => require('./genai/google').googleGenAiInstrumentationClass() },
  otel('oracledb', 'OracleInstrumentation', ['oracledb']),
  // Connect spans (`pg-pool.connect` on every query through a pool, `pg.connect`) are detail: made
  // and dropped (pgTracerProvider), not switched off with ignoreConnectSpans, which also skips the
  // pool's binding of a waiting caller's callback to its context (a query that waited for a
  // connection then ran in the trace of the request that released it).
  otel('pg', 'PgInstrumentation', ['pg', 'pg-pool']),
  otel('pino', 'PinoInstrumentation', ['pino']),
  // A wrapper over the redis v2–3 and node-redis v4+ instrumentations (its own module list is empty).
  otel('redis', 'RedisInstrumentation', ['redis', '@redis/client', '@node-redis/client'], { coveredThrough: { redis: { range: '>=4.0.0', module: '@redis/client' } }, options: () => ({ dbStatementSerializer: redisStatement }) }),
  otel('restify', 'RestifyInstrumentation', ['restify']),
  // Express 5 runs on `router`; the express instrumentation already covers it there, and the
  // router instrumentation on top would add two spans per request (one named after express's
  // own patch). `router` used directly by the app is instrumented as usual.
  // Its instrumentation names spans after the route but leaves the SERVER span without one:
  // the route `router` left on the request (mount path + route path) is read at the end.
  otel('router', 'RouterInstrumentation', ['router'], { notWhenLoadedBy: ['express'], routeAtResponse: routerRoute }),
  otel('runtime-node', 'RuntimeNodeInstrumentation', [], { atSdkStart: () => true }),
  otel('socket.io', 'SocketIoInstrumentation', ['socket.io']),
  otel('tedious', 'TediousInstrumentation', ['tedious']),
  // undici's own diagnostics channels (undici >= 5.12, the README of instrumentation-undici says).
  otel('undici', 'UndiciInstrumentation', ['undici'], { onGlobalFetch: true, declaredRanges: { undici: '>=5.12.0' }, options: (_c, s) => undiciHeaderCapture(s) }),
  // Ours: the Vercel AI SDK (`ai` 7) has no OpenTelemetry of its own; its `ai:telemetry` tracing channel (genai/vercel-ai.ts).
  // `ai` 5 and 6 have no channel: the model handed to their exported calls is wrapped (genai/vercel-ai-model.ts).
  { name: 'vercel-ai', pkg: 'otel-preload', cls: 'VercelAiInstrumentation', modules: ['ai'], options: (_c, s) => ({ captureMessageContent: s.genAiCaptureMessageContent }), lean: () => require('./genai/vercel-ai').vercelAiInstrumentationClass() },
  otel('winston', 'WinstonInstrumentation', ['winston']),
];

const PRODUCES: Record<string, string> = {
  'amqplib': 'PRODUCER/CONSUMER spans (`messaging.*`)',
  'anthropic': '@anthropic-ai/sdk before 0.134: CLIENT spans for messages.create, plain and streamed (`gen_ai.*`, token usage, time to first chunk); from 0.134 the SDK\'s own spans are kept (renamed `chat {model}`; switched off with this instrumentation). `gen_ai.client.*` metrics for both',
  'aws-lambda': 'SERVER span per invocation (only in Lambda)',
  'aws-sdk': 'CLIENT spans per AWS call (`rpc.*`, `aws.*`)',
  'bullmq': 'PRODUCER span per job added (`add <queue>`), CONSUMER span when a worker processes it (`process <queue>`), continuing the enqueuing trace (BullMQ\'s own `telemetry` option); `messaging.*` (`system` bullmq, `destination.name`, `operation.type` send/process, `operation.name`, `message.id`: the job id)',
  'bunyan': 'trace ids in log records; records sent as OTLP logs',
  'cassandra-driver': 'CLIENT spans (`db.*`)',
  'connect': '`http.route`; middleware and handler spans with detail on',
  'cucumber': 'spans per feature/scenario/step',
  'dataloader': 'spans per load/batch',
  'dns': '`dns.lookup` spans, with detail on only',
  'express': '`http.route` on the SERVER span and its metric; middleware, router and handler spans with detail on',
  'fastify': '`http.route`; request, hook and handler spans with detail on',
  'fs': 'spans per fs call (off by default)',
  'generic-pool': 'spans per acquire',
  'graphql': 'one span per operation (`query GetItems`, `graphql.operation.*`, `graphql.document`); parse, validate and resolver spans with detail on',
  'grpc': 'CLIENT and SERVER spans (`rpc.*`)',
  'hapi': '`http.route`; route and plugin spans with detail on',
  'host-metrics': 'host CPU, memory, network metrics (off by default)',
  'http': 'SERVER and CLIENT spans; `http.server.request.duration`, `http.client.request.duration`',
  'ioredis': 'CLIENT spans (`db.*`)',
  'kafkajs': 'PRODUCER/CONSUMER spans (`messaging.*`)',
  'knex': 'CLIENT spans (`db.*`)',
  'koa': '`http.route`; middleware and router spans with detail on',
  'langchain': '@langchain/core 0.3–1.x, from LangChain\'s own callbacks: `invoke_agent {name}` span per top-level chain or agent run (the provider SDK\'s span of a model call its child, invoked or streamed), `execute_tool {tool}` per tool run; one CLIENT `chat {model}` span per model call with token usage, only where the provider SDK underneath made none (a model class that calls fetch itself); `gen_ai.client.*` metrics',
  'lru-memoizer': 'context propagation through the cache',
  'mariadb': 'CLIENT spans (`db.system.name=mariadb`, `db.query.text`, `db.operation.name`, `db.namespace`, `server.*`): promise and callback APIs, pools, `execute`, `batch`',
  'mcp': '@modelcontextprotocol/sdk 1: CLIENT span per request or notification sent and SERVER span per one handled (`tools/call get_weather`: `mcp.method.name`, `gen_ai.tool.name`, `gen_ai.operation.name=execute_tool`, `mcp.session.id`, `jsonrpc.request.id`, `network.transport`, `error.type`), the server\'s span a child of the client\'s through `params._meta`; `mcp.client.operation.duration`, `mcp.server.operation.duration`',
  'memcached': 'CLIENT spans (`db.*`)',
  'mongodb': 'CLIENT spans (`db.*`)',
  'mongoose': 'spans per model operation',
  'mysql': 'CLIENT spans (`db.*`)',
  'mysql2': 'CLIENT spans (`db.*`)',
  'nestjs-core': 'app creation, controller and handler spans with detail on (below 12); on 12 too, the route of the Express underneath on the SERVER span',
  'net': '`tcp.connect`, `tls.connect`, `ipc.connect` spans, with detail on only',
  'openai': 'openai 4.19–7: CLIENT spans for chat completions, responses and embeddings, plain and streamed (`gen_ai.*`, token usage, time to first chunk); `gen_ai.client.token.usage`, `gen_ai.client.operation.duration`; content only when asked',
  'google-genai': '@google/genai 1–3 (Gemini API, Vertex AI): CLIENT spans for generateContent, generateContentStream and embedContent (`gen_ai.*`, token usage, time to first chunk); `gen_ai.client.*` metrics; content only when asked',
  'oracledb': 'CLIENT spans (`db.*`)',
  'pg': 'CLIENT spans (`db.*`); `db.client.*` metrics; connect spans with detail on',
  'pino': 'trace ids in log records; records sent as OTLP logs',
  'redis': 'CLIENT spans (`db.*`)',
  'restify': '`http.route`; middleware and handler spans with detail on',
  'router': '`http.route` (read when the response ends); layer spans with detail on',
  'runtime-node': '`nodejs.eventloop.*` (delay, utilization), `v8js.gc.duration`, `v8js.memory.*` metrics',
  'socket.io': 'emit/receive spans (`messaging.*`)',
  'tedious': 'CLIENT spans (`db.*`)',
  'undici': 'CLIENT spans for `undici` and `fetch()`; `http.client.request.duration`',
  'vercel-ai': '`ai` 5, 6 and 7 (Vercel AI SDK), any provider: CLIENT span per language-model call (generateText, streamText, generateObject, streamObject, the agent classes; each step and retry; `gen_ai.*`, token usage, time to first chunk), `embeddings` spans for embed/embedMany (7: one per operation; 5 and 6: one per model call), whether or not the app switched the SDK\'s telemetry on (5 and 6 then keep their outer spans, not their model-call spans); `gen_ai.client.*` metrics; content only when asked',
  'winston': 'trace ids in log records; records sent as OTLP logs',
};
for (const entry of CATALOGUE) (entry as InstrumentationEntry).produces = PRODUCES[entry.name];

/** pg's tracer: its connect spans are detail (dropped while it is off: children keep the current span as their parent). */
function pgTracerProvider(provider: TracerProvider): TracerProvider {
  return boundaryTracerProvider('pg', provider, { boundary: (name) => name !== 'pg.connect' && name !== 'pg-pool.connect', skipped: 'dropped' });
}

function routerRoute(req: import('http').IncomingMessage, status: number | undefined): string | null | undefined {
  const { route, baseUrl } = req as { route?: { path?: unknown }; baseUrl?: unknown };
  if (notFoundCatchAll(route?.path, status)) return null;
  return typeof route?.path === 'string' ? `${typeof baseUrl === 'string' ? baseUrl : ''}${route.path}` : undefined;
}

/** Header capture is off unless configured (OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_*, the file, remote http_*_headers). */
function httpHeaderCapture(s: Readonly<RuntimeSettings>): Record<string, unknown> {
  const h = s.capturedHeaders;
  if (!h.serverRequest.length && !h.serverResponse.length && !h.clientRequest.length && !h.clientResponse.length) return { headersToSpanAttributes: undefined };
  return {
    headersToSpanAttributes: {
      server: { requestHeaders: [...h.serverRequest], responseHeaders: [...h.serverResponse] },
      client: { requestHeaders: [...h.clientRequest], responseHeaders: [...h.clientResponse] },
    },
  };
}

/** fetch() and undici: the client side of the same capture. */
function undiciHeaderCapture(s: Readonly<RuntimeSettings>): Record<string, unknown> {
  const h = s.capturedHeaders;
  if (!h.clientRequest.length && !h.clientResponse.length) return { headersToSpanAttributes: undefined };
  return { headersToSpanAttributes: { requestHeaders: [...h.clientRequest], responseHeaders: [...h.clientResponse] } };
}

export function createInstrumentation(entry: InstrumentationEntry, config: Readonly<Config>, settings: Readonly<RuntimeSettings>): Instrumentation {
  const Class = entry.lean ? entry.lean() : lineRequire(entry.pkg)[entry.cls];
  const instrumentation: Instrumentation = new Class(entry.options?.(config, settings) ?? {});
  // Before the module is seen: the hooks read the ranges when it loads.
  if (entry.extendRanges) applyRangeExtensions(instrumentation, entry.extendRanges);
  // Instruments created from inside the base constructor are lost to subclass field initialisers
  // (runtime-node, undici): hand the meter provider over again, as registerInstrumentations does.
  const { metrics, trace } = lineRequire('@opentelemetry/api') as typeof import('@opentelemetry/api');
  instrumentation.setMeterProvider(metrics.getMeterProvider());
  // Framework spans are detail, off unless asked for (detail.ts); the patching stays, so that
  // detail can be switched on while the app runs. Set before any module is patched: some
  // instrumentations (nestjs-core) capture the tracer when they patch.
  if (entry.routeAtResponse) addRouteResolver(entry.routeAtResponse);
  if (FRAMEWORKS.includes(entry.name)) instrumentation.setTracerProvider(boundaryTracerProvider(entry.name, trace.getTracerProvider()));
  if (entry.name === 'graphql') instrumentation.setTracerProvider(graphqlTracerProvider(trace.getTracerProvider()));
  if (entry.name === 'pg') instrumentation.setTracerProvider(pgTracerProvider(trace.getTracerProvider()));
  return instrumentation;
}

/** Resolves the enable/disable switches; unknown names are reported, never fatal. */
export function selectInstrumentations(config: Readonly<Config>, warn: (msg: string) => void): InstrumentationEntry[] {
  const known = new Set(CATALOGUE.map((e) => e.name));
  const normalise = (n: string) => n.replace(/^@opentelemetry\/instrumentation-/, '');
  const enabled = config.enabledInstrumentations?.map(normalise);
  const disabled = config.disabledInstrumentations.map(normalise);
  for (const [variable, names] of [
    ['OTEL_NODE_ENABLED_INSTRUMENTATIONS', enabled ?? []],
    ['OTEL_NODE_DISABLED_INSTRUMENTATIONS', disabled],
  ] as const) {
    const unknown = names.filter((n) => !known.has(n));
    if (unknown.length) warn(`${variable} names unknown instrumentations ${unknown.join(', ')}; they are ignored.`);
  }
  return CATALOGUE.filter((e) => {
    if (disabled.includes(e.name)) return false;
    if (enabled) return enabled.includes(e.name);
    return !e.offByDefault;
  });
}
