// Which frameworks produce their internal spans (middleware, layer, hook, plugin, handler), and
// which libraries their steps below the boundary (GraphQL parse/validate/resolve, pool and socket
// connects, DNS lookups). By default none does: a request yields its SERVER span (with the route),
// the CLIENT, PRODUCER, CONSUMER, GraphQL operation and GenAI spans, and nothing per framework
// layer, resolved field or connection. OTEL_NODE_INSTRUMENTATION_DETAIL
// (`all`, or instrumentation names) turns the detail back on, and the remote setting
// `instrumentation_detail` switches it while the process runs: the framework instrumentations
// always patch, and ask this module on every layer whether to trace it.

/** The instrumentations whose spans are framework-internal detail. */
export const FRAMEWORKS: readonly string[] = ['express', 'connect', 'koa', 'fastify', 'hapi', 'nestjs-core', 'restify', 'router'];
/** Connection-level instrumentations (`tcp.connect`, `tls.connect`, `ipc.connect`; `dns.lookup`):
 *  a connection is not a call the app makes, so they are patched only while their detail is on. */
export const CONNECTIONS: readonly string[] = ['net', 'dns'];
/** Also switchable: `pg`'s connect spans (a pool handing out an idle client is no boundary call),
 *  graphql's parse, validate and resolver spans (graphql-boundary.ts), BullMQ's INTERNAL spans
 *  (its own housekeeping, bullmq.ts). */
export const DETAIL_NAMES: readonly string[] = [...FRAMEWORKS, 'graphql', 'pg', 'bullmq', ...CONNECTIONS];

let all = false;
let named: ReadonlySet<string> = new Set();

/** Applies a list of names (or `all` / `*`); unknown names are returned for the caller to report. */
export function setDetail(names: readonly string[]): string[] {
  all = names.includes('all') || names.includes('*');
  const normalised = names.map((n) => n.trim().replace(/^@opentelemetry\/instrumentation-/, '')).filter(Boolean);
  named = new Set(normalised.filter((n) => DETAIL_NAMES.includes(n)));
  return normalised.filter((n) => n !== 'all' && n !== '*' && !DETAIL_NAMES.includes(n));
}

/** Whether a settings list (as in OTEL_NODE_INSTRUMENTATION_DETAIL) asks for `name`'s detail. */
export function detailListed(names: readonly string[], name: string): boolean {
  return names.some((n) => n === 'all' || n === '*' || n.trim().replace(/^@opentelemetry\/instrumentation-/, '') === name);
}

/** True when `name`'s framework-internal spans are wanted right now. */
export function detailOn(name: string): boolean {
  return all || (named.size > 0 && named.has(name));
}
