// The promises every corpus app is held to, under both ways of loading the preload, compared with
// the same app under plain node: same exit, stdout, stderr and responses (nothing of ours on stderr); exactly one
// SERVER span per incoming request carrying the framework's route; the request's other spans in
// its trace, under that SERVER span; the app's own service identity; the duration metric recorded
// once per SERVER span, with the same route.

import * as fs from 'fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ReceivedSpan } from '../../scripts/otlp-receiver';
import { durationCounts, installed, runApp, type CorpusApp, type Mode, type Run } from './harness';

const SERVER = 'SPAN_KIND_SERVER';
const CLIENT = 'SPAN_KIND_CLIENT';

/** `skip`: a local service the app needs is missing (printed by missingServices; fatal under CI=true). */
export function corpusSuite(app: CorpusApp, skip = false): void {
  const seed = Number(process.env.CORPUS_SEED ?? Math.floor(Math.random() * 2 ** 31));
  describe.skipIf(skip)(`${app.title ?? app.name} (CORPUS_SEED=${seed})`, () => {
    let dir: string;
    let plain: Run;
    beforeAll(async () => {
      dir = installed(app);
      plain = await runApp(app, dir, 'plain', seed);
    }, 600_000);

    it('plain node: the app answers as expected', () => {
      expect(plain.finished.hung).toBe(false);
      expect(plain.responses.map((r) => r.status)).toEqual(app.requests.map((r) => r.status));
    });

    describe.each(['require', 'import'] as Mode[])('NODE_OPTIONS=--%s <absolute path>', (mode) => {
      let run: Run;
      beforeAll(async () => {
        run = await runApp(app, dir, mode, seed);
        if (process.env.CORPUS_SPAN_COUNTS) recordSpanCounts(process.env.CORPUS_SPAN_COUNTS, app, mode, run);
      });

      it('exit, stdout, stderr and responses identical to plain node', () => {
        expect(run.finished.hung, `still running 15 s after ${app.stopSignal}: the signal was swallowed (SIGKILLed)`).toBe(false);
        expect({ code: run.finished.code, signal: run.finished.signal }).toEqual({ code: plain.finished.code, signal: plain.finished.signal });
        const norm = app.normalize ?? ((s: string) => s);
        expect(norm(run.finished.stdout)).toBe(norm(plain.finished.stdout));
        expect(run.responses.map((r) => r.status)).toEqual(plain.responses.map((r) => r.status));
        expect(run.responses.map((r) => norm(r.body))).toEqual(plain.responses.map((r) => norm(r.body)));
        // Nothing of ours on stderr: it is the app's own, line for line (Nuxt warns about a 404 there).
        expect(run.finished.stderr).toBe(plain.finished.stderr);
      });

      it('exactly one SERVER span per request, with the route the framework knows', () => {
        for (const [i, request] of app.requests.entries()) {
          const trace = spansOf(run, i);
          const servers = trace.filter((s) => s.kind === SERVER);
          const roots = servers.filter((s) => s.parentSpanId === run.sent[i].parentId);
          expect(roots.map(describeSpan), `${request.path}: SERVER spans continuing the caller's span`).toHaveLength(1);
          // Any other SERVER span must be a request the app made to itself (child of a CLIENT span).
          const clients = new Set(trace.filter((s) => s.kind === CLIENT).map((s) => s.spanId));
          const nested = servers.filter((s) => s !== roots[0]);
          expect(nested.filter((s) => !clients.has(s.parentSpanId ?? '')).map(describeSpan), `${request.path}: SERVER spans inside SERVER spans`).toEqual([]);
          expect(new Set(nested.map((s) => s.parentSpanId)).size, `${request.path}: one SERVER span per nested request`).toBe(nested.length);
          expect(roots[0].attributes['http.route'], `${request.path}: http.route`).toBe(request.route ?? undefined);
        }
      });

      it("the request's other spans are in its trace, under its SERVER span", () => {
        for (const [i, request] of app.requests.entries()) {
          const trace = spansOf(run, i);
          const root = trace.find((s) => s.kind === SERVER && s.parentSpanId === run.sent[i].parentId);
          expect(root, `${request.path}: SERVER span`).toBeDefined();
          const byId = new Map(trace.map((s) => [s.spanId, s]));
          const orphans = trace.filter((s) => s !== root && !reaches(s, root!, byId));
          expect(orphans.map(describeSpan), `${request.path}: spans not under the SERVER span`).toEqual([]);
          for (const kind of request.children ?? []) {
            expect(trace.some((s) => s !== root && s.kind === kind), `${request.path}: a ${kind} span under the SERVER span`).toBe(true);
          }
        }
      });

      it("the app's own service.name and service.version", () => {
        expect(run.spans.length).toBeGreaterThan(0);
        const identities = new Set(run.spans.map((s) => `${s.resource['service.name']}@${s.resource['service.version']}`));
        expect([...identities]).toEqual([`${app.service.name}@${app.service.version}`]);
      });

      it('a request served just before the stop signal is exported at exit', () => {
        expect(run.flushedAtExit).toBe(true);
      });

      it('http.server.request.duration recorded once per SERVER span, by route', () => {
        const byRoute = new Map<string, number>();
        for (const s of run.spans.filter((s) => s.kind === SERVER)) {
          const route = String(s.attributes['http.route'] ?? '');
          byRoute.set(route, (byRoute.get(route) ?? 0) + 1);
        }
        expect(Object.fromEntries(durationCounts(run.metrics))).toEqual(Object.fromEntries(byRoute));
      });
    });
  });
}

/**
 * CORPUS_SPAN_COUNTS=<file>: appends one JSON line per app and mode — the spans of each request's
 * trace (by the trace id it was sent with) and the spans in traces no request caused (start-up) —
 * for bench/README.md's spans-per-request table.
 */
function recordSpanCounts(file: string, app: CorpusApp, mode: Mode, run: Run): void {
  const sent = new Set(run.sent.map((s) => s.traceId));
  const outside = run.spans.filter((s) => !sent.has(s.traceId));
  const line = {
    app: app.name,
    mode,
    requests: app.requests.map((r, i) => ({ path: r.path, spans: spansOf(run, i).length, names: spansOf(run, i).map((s) => s.name) })),
    outside: outside.length,
    outsideNames: outside.map((s) => s.name),
  };
  fs.appendFileSync(file, `${JSON.stringify(line)}\n`);
}

function spansOf(run: Run, i: number): ReceivedSpan[] {
  return run.spans.filter((s) => s.traceId === run.sent[i].traceId);
}

function reaches(span: ReceivedSpan, root: ReceivedSpan, byId: Map<string, ReceivedSpan>): boolean {
  for (let s: ReceivedSpan | undefined = span, hops = 0; s && hops < 100; s = byId.get(s.parentSpanId ?? ''), hops++) {
    if (s.parentSpanId === root.spanId) return true;
  }
  return false;
}

function describeSpan(s: ReceivedSpan): string {
  return `${s.kind.replace('SPAN_KIND_', '')} "${s.name}" (${s.scope}) route=${s.attributes['http.route'] ?? '-'}`;
}

/** Run-to-run noise in app output: durations, dates, ports. */
export function withoutTimings(text: string): string {
  return text
    .replace(/\d+(\.\d+)? ?(ms|s)\b/g, '<time>')
    .replace(/\b\d{4}-\d{2}-\d{2}T[\d:.]+Z\b/g, '<date>');
}
