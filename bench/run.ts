// `npm run bench`: overhead of otel-preload against plain node and the upstream
// auto-instrumentations-node register, interleaved in one run on one Node binary (24 by default).
// Writes bench/results.json and the table in bench/README.md. `--quick` for fewer rounds.

import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { nodeBinary } from '../scripts/node-binaries';
import { OtlpSink } from './otlp-sink';
import { repoRoot } from '../scripts/repo-root';

const REPO = repoRoot();
const BENCH = path.join(REPO, 'bench');
const APPS = path.join(BENCH, 'apps');
const QUICK = process.argv.includes('--quick');
// `--only express` (or startup, job, pg): one section, for profiling iterations; results are not written.
const ONLY = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const NODE_VERSION = process.env.BENCH_NODE ?? '24.21.0';
const NOWHERE = 'http://127.0.0.1:9';
const autocannon = require(path.join(BENCH, 'node_modules/autocannon'));

type Variant = 'plain' | 'upstream' | 'otel-preload';
const VARIANTS: Record<Variant, Record<string, string>> = {
  plain: {},
  // Cloud detectors off: they would probe metadata addresses off this machine.
  upstream: { NODE_OPTIONS: '--require @opentelemetry/auto-instrumentations-node/register', OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process,serviceinstance,container' },
  'otel-preload': { NODE_OPTIONS: `--require ${path.join(REPO, 'register.cjs')}` },
};
const NAMES = Object.keys(VARIANTS) as Variant[];

function env(variant: Variant, endpoint: string): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OTEL_') && k !== 'NODE_OPTIONS') base[k] = v;
  return { ...base, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_SERVICE_NAME: 'bench', ...VARIANTS[variant] };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * Wall time (ms) and peak RSS (MiB) of one run to completion. Asynchronous on purpose: the OTLP
 * sink runs in this process and must keep answering while the child exports at exit.
 */
function runOnce(node: string, variant: Variant, script: string, endpoint: string): Promise<{ wallMs: number; rssMiB: number }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-f', '%M', node, script], { cwd: APPS, env: env(variant, endpoint), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
      resolve({ wallMs, rssMiB: Number(stderr.trim().split('\n').pop()) / 1024 });
    });
  });
}

async function interleaved(node: string, script: string, endpoint: string, rounds: number) {
  const samples = Object.fromEntries(NAMES.map((n) => [n, { wallMs: [] as number[], rssMiB: [] as number[] }]));
  for (let i = 0; i < rounds; i++) {
    for (const v of NAMES) {
      const s = await runOnce(node, v, script, endpoint);
      samples[v].wallMs.push(s.wallMs);
      samples[v].rssMiB.push(s.rssMiB);
    }
  }
  return Object.fromEntries(NAMES.map((n) => [n, { wallMs: median(samples[n].wallMs), rssMiB: median(samples[n].rssMiB) }])) as Record<Variant, { wallMs: number; rssMiB: number }>;
}

interface LoadResult {
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  eventLoopDelayP99Ms?: number;
  peakRssMiB: number;
  sigterm: 'exits' | 'ignored';
}

async function underLoad(node: string, variant: Variant, script: string, endpoint: string, seconds: number, stats: boolean): Promise<LoadResult> {
  const child = spawn(node, [script], { cwd: APPS, env: env(variant, endpoint), stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = out.match(/listening (\d+)/);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', () => reject(new Error(`${variant} ${script} exited early`)));
  });
  const url = `http://127.0.0.1:${port}`;
  const path = script.includes('express') ? '/hello' : '/';
  await autocannon({ url: url + path, connections: 20, duration: Math.max(2, Math.round(seconds / 4)) });
  if (stats) await fetch(`${url}/__reset`, { method: 'POST' });
  const result = await autocannon({ url: url + path, connections: 20, duration: seconds });
  const s = stats ? ((await (await fetch(`${url}/__stats`)).json()) as { eventLoopDelayP99Ms: number }) : undefined;
  const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const peakRssMiB = Number(status.match(/VmHWM:\s+(\d+)/)![1]) / 1024;
  const exited = new Promise<boolean>((resolve) => child.on('exit', () => resolve(true)));
  child.kill('SIGTERM');
  const sigterm = (await Promise.race([exited, new Promise<boolean>((r) => setTimeout(() => r(false), 4000))])) ? 'exits' : 'ignored';
  if (sigterm === 'ignored') child.kill('SIGKILL');
  await exited;
  return { reqPerSec: result.requests.average, p50Ms: result.latency.p50, p99Ms: result.latency.p99, eventLoopDelayP99Ms: s?.eventLoopDelayP99Ms, peakRssMiB, sigterm };
}

async function loadInterleaved(node: string, script: string, endpoint: string, rounds: number, seconds: number, stats: boolean) {
  const runs = Object.fromEntries(NAMES.map((n) => [n, [] as LoadResult[]])) as Record<Variant, LoadResult[]>;
  for (let i = 0; i < rounds; i++) for (const v of NAMES) runs[v].push(await underLoad(node, v, script, endpoint, seconds, stats));
  return Object.fromEntries(
    NAMES.map((n) => {
      const r = runs[n];
      const pick = (k: keyof LoadResult) => median(r.map((x) => Number(x[k] ?? NaN)));
      return [n, { reqPerSec: pick('reqPerSec'), p50Ms: pick('p50Ms'), p99Ms: pick('p99Ms'), eventLoopDelayP99Ms: stats ? pick('eventLoopDelayP99Ms') : undefined, peakRssMiB: pick('peakRssMiB'), sigterm: r.every((x) => x.sigterm === 'exits') ? 'exits' : 'ignored' }];
    }),
  ) as Record<Variant, LoadResult>;
}

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(BENCH, 'node_modules/autocannon'))) throw new Error('run `npm --prefix bench install` first (npm run bench does)');
  const node = NODE_VERSION === 'system' ? process.execPath : nodeBinary(NODE_VERSION);
  const sink = await new OtlpSink().start();
  const rounds = QUICK ? 5 : 15;
  const log = (m: string) => process.stderr.write(m + '\n');

  if (ONLY) {
    const sections: Record<string, () => Promise<unknown> | unknown> = {
      startup: () => interleaved(node, 'noop.js', sink.endpoint, rounds),
      job: () => interleaved(node, 'job.js', NOWHERE, Math.ceil(rounds / 3)),
      express: () => loadInterleaved(node, 'express-hello.js', sink.endpoint, 1, QUICK ? 5 : 10, true),
      pg: () => loadInterleaved(node, 'pg-query.js', sink.endpoint, 1, QUICK ? 5 : 10, false),
    };
    console.log(JSON.stringify(await sections[ONLY](), null, 2));
    await sink.stop();
    return;
  }
  log('start-up, collector up …');
  const startupUp = await interleaved(node, 'noop.js', sink.endpoint, rounds);
  log('start-up, collector down …');
  const startupDown = await interleaved(node, 'noop.js', NOWHERE, Math.ceil(rounds / 3));
  log('short-lived job, collector down …');
  const jobDown = await interleaved(node, 'job.js', NOWHERE, Math.ceil(rounds / 3));
  log('express hello under load …');
  const express = await loadInterleaved(node, 'express-hello.js', sink.endpoint, QUICK ? 1 : 2, QUICK ? 5 : 10, true);
  log('PostgreSQL-bound handler under load …');
  const pg = await loadInterleaved(node, 'pg-query.js', sink.endpoint, 1, QUICK ? 5 : 10, false);
  await sink.stop();

  const results = {
    date: new Date().toISOString().slice(0, 10),
    machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}`,
    node: execVersion(node),
    command: `npm run bench${QUICK ? ' -- --quick' : ''}`,
    upstream: require(path.join(BENCH, 'node_modules/@opentelemetry/auto-instrumentations-node/package.json')).version,
    rounds,
    startupUp,
    startupDown,
    jobDown,
    express,
    pg,
    sinkReceived: sink.received,
  };
  fs.writeFileSync(path.join(BENCH, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  const table = renderTable(results);
  const readmePath = path.join(BENCH, 'README.md');
  const readme = fs.readFileSync(readmePath, 'utf8');
  fs.writeFileSync(readmePath, readme.replace(/<!-- results:start -->[\s\S]*<!-- results:end -->/, `<!-- results:start -->\n${table}\n<!-- results:end -->`));
  console.log(table);
}

function execVersion(node: string): string {
  return spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
}

function renderTable(r: any): string {
  const ratio = (v: number, base: number) => `${(v / base).toFixed(2)}×`;
  const pct = (v: number, base: number) => `${Math.round((100 * v) / base)} %`;
  const rows: string[] = [];
  const line = (...cells: string[]) => rows.push(`| ${cells.join(' | ')} |`);
  rows.push(`Measured ${r.date} on ${r.machine}, Node.js ${r.node}, upstream register ${r.upstream}; \`${r.command}\`; medians of interleaved runs.`, '');
  rows.push('### Start-up of a script that does nothing', '');
  line('variant', 'wall (collector up)', 'ratio', 'peak RSS', 'ratio', 'wall (collector down)', 'ratio', 'peak RSS', 'ratio');
  line('---', '---', '---', '---', '---', '---', '---', '---', '---');
  for (const v of NAMES) {
    const u = r.startupUp[v], d = r.startupDown[v], pu = r.startupUp.plain, pd = r.startupDown.plain;
    line(v, `${u.wallMs.toFixed(0)} ms`, ratio(u.wallMs, pu.wallMs), `${u.rssMiB.toFixed(1)} MiB`, ratio(u.rssMiB, pu.rssMiB), `${d.wallMs.toFixed(0)} ms`, ratio(d.wallMs, pd.wallMs), `${d.rssMiB.toFixed(1)} MiB`, ratio(d.rssMiB, pd.rssMiB));
  }
  rows.push('', '### Short-lived job (one HTTP round trip), collector down', '');
  line('variant', 'wall', 'exit delay vs plain');
  line('---', '---', '---');
  for (const v of NAMES) line(v, `${r.jobDown[v].wallMs.toFixed(0)} ms`, `${(r.jobDown[v].wallMs - r.jobDown.plain.wallMs).toFixed(0)} ms`);
  rows.push('', '### Express 5 hello, 20 connections, spans exported over OTLP/gRPC', '');
  line('variant', 'req/s', 'kept', 'p50', 'p99', 'event-loop delay p99', 'peak RSS', 'ratio', 'SIGTERM');
  line('---', '---', '---', '---', '---', '---', '---', '---', '---');
  for (const v of NAMES) {
    const e = r.express[v], p = r.express.plain;
    line(v, e.reqPerSec.toFixed(0), pct(e.reqPerSec, p.reqPerSec), `${e.p50Ms} ms`, `${e.p99Ms} ms`, `${e.eventLoopDelayP99Ms.toFixed(1)} ms`, `${e.peakRssMiB.toFixed(0)} MiB`, ratio(e.peakRssMiB, p.peakRssMiB), e.sigterm);
  }
  rows.push('', '### I/O-bound handler (one PostgreSQL query per request), 20 connections', '');
  line('variant', 'req/s', 'kept', 'p99', 'peak RSS');
  line('---', '---', '---', '---', '---');
  for (const v of NAMES) line(v, r.pg[v].reqPerSec.toFixed(0), pct(r.pg[v].reqPerSec, r.pg.plain.reqPerSec), `${r.pg[v].p99Ms} ms`, `${r.pg[v].peakRssMiB.toFixed(0)} MiB`);
  return rows.join('\n');
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
