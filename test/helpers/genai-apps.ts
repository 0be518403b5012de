// The GenAI e2e tests' common parts: a corpus app (one SDK version, installed in the corpus cache)
// with the shared app scripts of fixtures/genai beside its node_modules, started under the preload,
// and the readers of what the OTLP receiver got.

import * as fs from 'fs';
import * as path from 'path';
import type { OtlpReceiver, ReceivedSpan } from '../../scripts/otlp-receiver';
import { prepareApp } from '../../scripts/corpus';
import { FIXTURES, REPO, start, type Running } from './processes';

/** The corpus app with the shared app scripts beside its node_modules (so the SDK resolves). */
export function genaiApp(name: string): string {
  const { dir } = prepareApp(name);
  // Test files run in parallel and share a corpus app: a plain copy truncates a script another
  // file's app may be loading at that moment (it then exits silently); write aside, then rename.
  for (const f of ['routes.cjs', 'app.cjs', 'app.mjs', 'mcp-routes.cjs', 'mcp-app.cjs', 'mcp-app.mjs', 'mcp-server.cjs', 'mcp-server.mjs']) {
    const aside = path.join(dir, `.${f}.${process.pid}.${Math.random().toString(36).slice(2)}`);
    fs.copyFileSync(path.join(FIXTURES, 'genai', f), aside);
    fs.renameSync(aside, path.join(dir, f));
  }
  return dir;
}

export function startGenaiApp(receiver: OtlpReceiver, providerUrl: string, dir: string, script: string, service: string, env: Record<string, string>): Running {
  const esm = script.endsWith('.mjs');
  return start([script], {
    cwd: dir,
    env: {
      NODE_OPTIONS: `${esm ? '--import' : '--require'} ${path.join(REPO, esm ? 'register.mjs' : 'register.cjs')}`,
      OTEL_SERVICE_NAME: service,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_BLRP_SCHEDULE_DELAY: '100',
      OTEL_METRIC_EXPORT_INTERVAL: '500',
      GENAI_BASE_URL: providerUrl,
      ...env,
    },
  });
}

export const serverSpan = (spans: ReceivedSpan[], route: string) => spans.find((s) => s.kind === 'SPAN_KIND_SERVER' && s.attributes['url.path'] === route);
/** The GenAI span that is a direct child of `parent`. */
export const genaiChild = (spans: ReceivedSpan[], parent: ReceivedSpan | undefined) => spans.find((s) => s.parentSpanId === parent?.spanId && s.attributes['gen_ai.operation.name'] !== undefined);

const asNumber = (c: unknown) => (typeof c === 'object' && c !== null ? (c as { low: number; high: number }).low + (c as { high: number }).high * 2 ** 32 : Number(c ?? 0));

/** Count and sum over the series of `metric` (each at its latest cumulative point) whose attributes match `attrs`. */
export function point(received: OtlpReceiver, service: string, metric: string, attrs: Record<string, unknown>): { count: number; sum: number } | undefined {
  const latest = new Map<string, { count: number; sum: number }>();
  for (const m of received.metrics) {
    if (m.name !== metric || m.resource['service.name'] !== service) continue;
    for (const p of m.dataPoints) if (Object.entries(attrs).every(([k, v]) => p.attributes[k] === v)) latest.set(JSON.stringify(p.attributes), { count: asNumber(p.count), sum: Number(p.sum) });
  }
  if (!latest.size) return undefined;
  return [...latest.values()].reduce((a, b) => ({ count: a.count + b.count, sum: a.sum + b.sum }));
}
