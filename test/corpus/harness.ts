// Runs one corpus app three ways — plain node, NODE_OPTIONS as the Injector sets it (absolute
// `--require` of this checkout's register.cjs) and as a Dockerfile `ENV NODE_OPTIONS="--import …"`
// line would — drives the same requests each time and returns what the process did and what a
// real OTLP receiver got. Each request carries its own traceparent (seeded ids), so every span can
// be attributed to the request that caused it.

import * as net from 'net';
import * as path from 'path';
import { OtlpReceiver, type ReceivedMetric, type ReceivedSpan } from '../../scripts/otlp-receiver';
import { prepareApp } from '../../scripts/corpus';
import { get, REPO, start, type Finished } from '../helpers/processes';
import { DEADLINE_MS } from '../helpers/wait';

export type Mode = 'plain' | 'require' | 'import';
export const MODES: readonly Mode[] = ['plain', 'require', 'import'];

export interface CorpusRequest {
  path: string;
  status: number;
  /** The route template the framework knows; null: none may be invented (404s). */
  route: string | null;
  /** Span kinds that must appear as descendants of this request's SERVER span. */
  children?: string[];
}

export interface CorpusApp {
  /** Directory under test/corpus/apps. */
  name: string;
  /** The suite's name when one app runs in more than one suite (default: `name`). */
  title?: string;
  service: { name: string; version: string };
  /** Node arguments (the entry script and its own), given the installed app's directory and a free port. */
  argv(dir: string, port: number): string[];
  env?(dir: string): Record<string, string>;
  ready: RegExp;
  requests: CorpusRequest[];
  stopSignal: NodeJS.Signals;
  /** Makes run-to-run differences (timings) equal before stdout is compared. */
  normalize?(stdout: string): string;
}

export interface Response {
  status: number;
  body: string;
}

/** How long an app may take to exit after its stop signal (the flush bound is 2 s). */
const STOP_BOUND_MS = 15_000;

export interface Run {
  /** stdout with the port replaced by `<port>`; `hung`: still running STOP_BOUND_MS after the signal. */
  finished: Finished & { hung: boolean };
  responses: Response[];
  /** Per request: the trace id and the parent span id it was sent with. */
  sent: Array<{ traceId: string; parentId: string }>;
  /** What arrived while the app was running. */
  spans: ReceivedSpan[];
  metrics: ReceivedMetric[];
  /** The SERVER span of a request served just before the stop signal arrived after the exit. */
  flushedAtExit: boolean;
}

export function entryFor(mode: Mode): string | undefined {
  if (mode === 'require') return `--require ${path.join(REPO, 'register.cjs')}`;
  if (mode === 'import') return `--import ${path.join(REPO, 'register.mjs')}`;
  return undefined;
}

/** Deterministic ids from a seed (printed by the tests on failure). */
export function idsFor(seed: number, mode: Mode, index: number): { traceId: string; parentId: string } {
  let x = (seed ^ (MODES.indexOf(mode) * 0x9e3779b1) ^ ((index + 1) * 0x85ebca6b)) >>> 0;
  const hex = (n: number) => {
    let out = '';
    for (let i = 0; i < n; i++) {
      x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
      out += (x >>> 28).toString(16);
    }
    return out;
  };
  return { traceId: hex(31) + '1', parentId: hex(15) + '1' };
}

export function installed(app: CorpusApp): string {
  return prepareApp(app.name).dir;
}

export async function runApp(app: CorpusApp, dir: string, mode: Mode, seed: number): Promise<Run> {
  const receiver = mode === 'plain' ? undefined : await new OtlpReceiver('grpc').start();
  try {
    const port = await freePort();
    const proc = start(app.argv(dir, port), {
      cwd: dir,
      env: {
        PORT: String(port),
        NEXT_TELEMETRY_DISABLED: '1',
        ...app.env?.(dir),
        NODE_OPTIONS: entryFor(mode),
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver?.endpoint,
        // Short delays, so that everything but the last request arrives while the app runs.
        OTEL_BSP_SCHEDULE_DELAY: '100',
        OTEL_METRIC_EXPORT_INTERVAL: '4000',
      },
    });
    // Generous: on a loaded two-core machine `next start` has taken over 30 s to be ready.
    await proc.waitForLine(app.ready, 2 * DEADLINE_MS);
    // Some CLIs (json-server) print their banner before the port accepts connections.
    await waitForPort(port, DEADLINE_MS);
    const responses: Response[] = [];
    const sent = app.requests.map((_, i) => idsFor(seed, mode, i));
    const send = (path: string, ids: { traceId: string; parentId: string }) => get(`http://127.0.0.1:${port}${path}`, { traceparent: `00-${ids.traceId}-${ids.parentId}-01` });
    for (const [i, request] of app.requests.entries()) responses.push(await send(request.path, sent[i]));
    let spans: ReceivedSpan[] = [];
    let metrics: ReceivedMetric[] = [];
    if (receiver) {
      // While the app runs: every request's spans and its duration point (short export delays).
      await receiver
        .waitFor((r) => sent.every((s) => r.spans.some((sp) => sp.traceId === s.traceId && sp.parentSpanId === s.parentId)) && total(durationCounts(r.metrics)) >= r.spans.filter((sp) => sp.kind === 'SPAN_KIND_SERVER').length, DEADLINE_MS, 'spans and metrics')
        .catch(() => undefined);
      spans = [...receiver.spans];
      metrics = [...receiver.metrics];
    }
    // One more request just before the stop signal: only the flush at exit can deliver it.
    const last = idsFor(seed, mode, app.requests.length);
    await send(app.requests[0].path, last);
    proc.child.kill(app.stopSignal);
    // A swallowed signal must fail the test, not hang it: SIGKILL after the bound, and say so.
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      proc.child.kill('SIGKILL');
    }, STOP_BOUND_MS);
    const exited = await proc.exited;
    clearTimeout(timer);
    const finished = { ...exited, stdout: exited.stdout.split(String(port)).join('<port>'), hung };
    const flushedAtExit = receiver ? await receiver.waitFor((r) => r.spans.some((sp) => sp.traceId === last.traceId && sp.parentSpanId === last.parentId), DEADLINE_MS).then(() => true, () => false) : true;
    return { finished, responses, sent, spans, metrics, flushedAtExit };
  } finally {
    await receiver?.stop();
  }
}

async function waitForPort(port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`port ${port} not accepting connections ${ms} ms after the ready line`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Histogram counts of http.server.request.duration by http.route ('' for none), last export wins. */
export function durationCounts(metrics: ReceivedMetric[]): Map<string, number> {
  const latest = new Map<string, number>();
  for (const m of metrics.filter((m) => m.name === 'http.server.request.duration')) {
    for (const p of m.dataPoints) {
      const key = JSON.stringify(Object.entries(p.attributes).sort());
      latest.set(key, asNumber(p.count));
    }
  }
  const byRoute = new Map<string, number>();
  for (const [key, count] of latest) {
    const route = String((Object.fromEntries(JSON.parse(key)) as Record<string, unknown>)['http.route'] ?? '');
    byRoute.set(route, (byRoute.get(route) ?? 0) + count);
  }
  return byRoute;
}

/** OTLP/gRPC counts arrive as Long objects ({ low, high }), OTLP/HTTP ones as strings. */
function asNumber(v: unknown): number {
  if (v && typeof v === 'object' && 'low' in v) {
    const l = v as { low: number; high: number };
    return (l.high >>> 0) * 2 ** 32 + (l.low >>> 0);
  }
  return Number(v ?? 0);
}

function total(counts: Map<string, number>): number {
  let n = 0;
  for (const c of counts.values()) n += c;
  return n;
}
