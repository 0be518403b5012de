// Renders bench/results.json as the Markdown tables of bench/README.md. Ratios are taken within
// each round (variant against plain node in the same round), then the median and the range over
// the rounds are shown: the machine drifts between rounds more than variants differ within one.

import { VARIANTS, type Variant } from './variants';
import type { LoadResult } from './load';
import type { FirstAnswer } from './first-answer';

type Short = Record<Variant, { wallMs: number; rssMiB: number }>;
export interface Results {
  date: string;
  machine: string;
  node: string;
  command: string;
  pinned: boolean;
  rounds: number;
  seconds: number;
  versions: Record<string, string>;
  startup: { up: Short; down: Short };
  job: Short;
  /** Absent in results taken before the section existed. */
  firstAnswer?: FirstAnswer;
  load: Record<'express-hello' | 'express-router' | 'pg', Record<Variant, LoadResult[]>>;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const range = (xs: number[], fmt: (x: number) => string) => {
  const lo = Math.min(...xs), hi = Math.max(...xs);
  return xs.length > 1 && fmt(lo) !== fmt(hi) ? `${fmt(median(xs))} (${fmt(lo)}–${fmt(hi)})` : fmt(median(xs));
};

const TITLES = {
  'express-hello': 'Express 5 hello (GET /hello → JSON)',
  'express-router': 'Express 5, three middlewares and a router (GET /api/items/42)',
  pg: 'I/O-bound handler: one PostgreSQL query per request (`pg_sleep(0.002)`)',
} as const;

export function renderTables(r: Results): string {
  const rows: string[] = [];
  const line = (...cells: string[]) => rows.push(`| ${cells.join(' | ')} |`);
  rows.push(
    `Measured ${r.date} on ${r.machine}; Node.js ${r.node}; ${Object.entries(r.versions).map(([k, v]) => `${k} ${v}`).join(', ')}; \`${r.command}\`.`,
    `${r.pinned ? 'Every measured app (under load, at start-up, to its first answer) pinned alone on core 1 (taskset); autocannon (20 connections), the first-answer poller and the OTLP sink on core 0' : 'Not pinned (taskset or a second core missing)'}; ${r.rounds} interleaved round(s) of ${r.seconds} s after a warm-up, each variant a fresh process per round. "kept" and "µs added" are taken against plain node in the same round; median (range over rounds).`,
    '',
  );
  for (const [app, title] of Object.entries(TITLES) as Array<[keyof Results['load'], string]>) {
    const runs = r.load[app];
    rows.push(`### ${title}`, '');
    line('variant', 'req/s', 'kept of plain', 'CPU µs / request', 'µs added / request', 'p99', 'peak RSS', 'RSS vs plain', 'exports', 'SIGTERM');
    line('---', '---', '---', '---', '---', '---', '---', '---', '---', '---');
    for (const v of VARIANTS) {
      const x = runs[v];
      const plain = runs.plain;
      const kept = x.map((e, i) => (100 * e.reqPerSec) / plain[i].reqPerSec);
      const added = x.map((e, i) => e.cpuUsPerRequest - plain[i].cpuUsPerRequest);
      const rss = x.map((e, i) => e.peakRssMiB / plain[i].peakRssMiB);
      line(
        v,
        median(x.map((e) => e.reqPerSec)).toFixed(0),
        range(kept, (k) => `${k.toFixed(0)} %`),
        median(x.map((e) => e.cpuUsPerRequest)).toFixed(1),
        v === 'plain' ? '0' : range(added, (a) => a.toFixed(1)),
        `${median(x.map((e) => e.p99Ms))} ms`,
        `${median(x.map((e) => e.peakRssMiB)).toFixed(0)} MiB`,
        range(rss, (q) => `${q.toFixed(2)}×`),
        String(median(x.map((e) => e.exports))),
        x.every((e) => e.sigterm === 'exits') ? 'exits' : 'ignored',
      );
    }
    rows.push('');
  }
  if (r.firstAnswer) {
    rows.push('### Start-up to first answer (spawn to the first 200 on GET; interleaved, fresh process each)', '');
    line('app', ...VARIANTS.map((v) => (v === 'plain' ? 'plain' : `${v}: added`)));
    line('---', ...VARIANTS.map(() => '---'));
    for (const [app, samples] of Object.entries(r.firstAnswer)) {
      const plain = samples.plain;
      line(app, ...VARIANTS.map((v) => (v === 'plain' ? `${median(plain).toFixed(0)} ms` : `+${range(samples[v].map((x, i) => x - plain[i]), (d) => d.toFixed(0))} ms`)));
    }
    rows.push('', `"added": the median over rounds of (variant − plain node) within a round, with its range; ${Object.values(r.firstAnswer)[0]?.plain.length ?? 0} rounds.`, '');
  }
  rows.push('### Start-up of a script that does nothing', '');
  line('variant', 'wall (collector up)', 'ratio', 'peak RSS', 'ratio', 'wall (collector down)', 'ratio');
  line('---', '---', '---', '---', '---', '---', '---');
  for (const v of VARIANTS) {
    const u = r.startup.up[v], d = r.startup.down[v], pu = r.startup.up.plain, pd = r.startup.down.plain;
    line(v, `${u.wallMs.toFixed(0)} ms`, `${(u.wallMs / pu.wallMs).toFixed(2)}×`, `${u.rssMiB.toFixed(1)} MiB`, `${(u.rssMiB / pu.rssMiB).toFixed(2)}×`, `${d.wallMs.toFixed(0)} ms`, `${(d.wallMs / pd.wallMs).toFixed(2)}×`);
  }
  rows.push('', '### Short-lived job (one HTTP round trip), collector down', '');
  line('variant', 'wall', 'extra time vs plain');
  line('---', '---', '---');
  for (const v of VARIANTS) line(v, `${r.job[v].wallMs.toFixed(0)} ms`, `${(r.job[v].wallMs - r.job.plain.wallMs).toFixed(0)} ms`);
  return rows.join('\n');
}
