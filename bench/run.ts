// `npm run bench`: overhead of otel-preload against plain node, the upstream
// auto-instrumentations-node register, EDOT Node.js and dd-trace, interleaved in one run on one
// Node binary (24 by default). Writes bench/results.json and the tables in bench/README.md.
// `--quick` for fewer, shorter rounds; `--only <section>` (startup, job, first-answer, express-hello,
// express-router, pg) runs one section and prints it, without writing results.

import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { nodeBinary } from '../scripts/node-binaries';
import { repoRoot } from '../scripts/repo-root';
import { OtlpSink } from './otlp-sink';
import { childEnv, VARIANTS, type Endpoints, type Variant } from './variants';
import { onAppCore, PINNED, pinRunner, underLoad, type LoadResult } from './load';
import { renderTables, type Results } from './report';
import { firstAnswers } from './first-answer';

const REPO = repoRoot();
const BENCH = path.join(REPO, 'bench');
const APPS = path.join(BENCH, 'apps');
const QUICK = process.argv.includes('--quick');
const ONLY = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (QUICK ? 1 : 3));
const SECONDS = Number(process.env.BENCH_SECONDS ?? (QUICK ? 4 : 8));
const NODE_VERSION = process.env.BENCH_NODE ?? '24.21.0';
const NOWHERE: Endpoints = { grpc: 'http://127.0.0.1:9', http: 'http://127.0.0.1:9' };
const LOAD_APPS = {
  'express-hello': { script: 'express-hello.js', path: '/hello' },
  'express-router': { script: 'express-router.js', path: '/api/items/42' },
  pg: { script: 'pg-query.js', path: '/' },
} as const;
type LoadApp = keyof typeof LOAD_APPS;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const log = (m: string) => process.stderr.write(m + '\n');

/** Wall time and peak RSS of one run to completion; asynchronous, so the in-process sink keeps answering. */
function runOnce(node: string, variant: Variant, script: string, endpoints: Endpoints): Promise<{ wallMs: number; rssMiB: number }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    // taskset execs node, so /usr/bin/time's peak RSS is node's.
    const child = spawn('/usr/bin/time', ['-f', '%M', ...onAppCore(node, [script]).flat()], { cwd: APPS, env: childEnv(variant, REPO, endpoints), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      resolve({ wallMs: Number(process.hrtime.bigint() - t0) / 1e6, rssMiB: Number(stderr.trim().split('\n').pop()) / 1024 });
    });
  });
}

async function shortRuns(node: string, script: string, endpoints: Endpoints, rounds: number) {
  const samples = Object.fromEntries(VARIANTS.map((v) => [v, { wallMs: [] as number[], rssMiB: [] as number[] }]));
  for (let i = 0; i < rounds; i++) {
    for (const v of VARIANTS) {
      const s = await runOnce(node, v, script, endpoints);
      samples[v].wallMs.push(s.wallMs);
      samples[v].rssMiB.push(s.rssMiB);
    }
  }
  return Object.fromEntries(VARIANTS.map((v) => [v, { wallMs: median(samples[v].wallMs), rssMiB: median(samples[v].rssMiB) }])) as Record<Variant, { wallMs: number; rssMiB: number }>;
}

/** Rounds of every variant in turn (the order rotates each round), each round a fresh process. */
async function loadRounds(node: string, app: LoadApp, sink: OtlpSink): Promise<Record<Variant, LoadResult[]>> {
  const autocannon = require(path.join(BENCH, 'node_modules/autocannon'));
  const runs = Object.fromEntries(VARIANTS.map((v) => [v, [] as LoadResult[]])) as Record<Variant, LoadResult[]>;
  const exportsSoFar = () => sink.received.traces + sink.received.metrics + sink.received.logs;
  for (let round = 0; round < ROUNDS; round++) {
    const order = VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length]);
    for (const v of order) {
      const r = await underLoad({ node, script: LOAD_APPS[app].script, cwd: APPS, env: childEnv(v, REPO, { grpc: sink.endpoint, http: sink.httpEndpoint }), path: LOAD_APPS[app].path, warmupSeconds: QUICK ? 2 : 3, seconds: SECONDS, autocannon, exportsSoFar });
      log(`  ${app} round ${round + 1} ${v}: ${r.reqPerSec.toFixed(0)} req/s, ${r.cpuUsPerRequest.toFixed(1)} µs CPU/req, ${r.peakRssMiB.toFixed(0)} MiB, ${r.exports} exports, ${r.errors} errors`);
      runs[v].push(r);
    }
  }
  return runs;
}

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(BENCH, 'node_modules/autocannon'))) throw new Error('run `npm --prefix bench install` first (npm run bench does)');
  const node = NODE_VERSION === 'system' ? process.execPath : nodeBinary(NODE_VERSION);
  // Taken before any section runs (`npm run bench` has just built and installed, which it
  // includes): at the end it would mostly measure the bench itself.
  const loadAtStart = os.loadavg()[0];
  pinRunner();
  const sink = await new OtlpSink().start();
  const up: Endpoints = { grpc: sink.endpoint, http: sink.httpEndpoint };
  const startupRounds = QUICK ? 3 : 9;
  const sections: Record<string, () => Promise<unknown>> = {
    startup: async () => ({ up: await shortRuns(node, 'noop.js', up, startupRounds), down: await shortRuns(node, 'noop.js', NOWHERE, Math.ceil(startupRounds / 3)) }),
    job: () => shortRuns(node, 'job.js', NOWHERE, Math.ceil(startupRounds / 3)),
    'first-answer': () => firstAnswers(node, REPO, APPS, up, QUICK ? 3 : 7, log),
    'express-hello': () => loadRounds(node, 'express-hello', sink),
    'express-router': () => loadRounds(node, 'express-router', sink),
    pg: () => loadRounds(node, 'pg', sink),
  };
  if (ONLY) {
    console.log(JSON.stringify(await sections[ONLY](), null, 2));
    await sink.stop();
    return;
  }
  const out: Record<string, unknown> = {};
  for (const [name, section] of Object.entries(sections)) {
    log(`${name} …`);
    out[name] = await section();
  }
  await sink.stop();
  const results: Results = {
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}, load average ${loadAtStart.toFixed(1)} before the first section (after the bench's own build and install)`,
    node: spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim(),
    command: `npm run bench${QUICK ? ' -- --quick' : ''}`,
    pinned: PINNED,
    rounds: ROUNDS,
    seconds: SECONDS,
    versions: Object.fromEntries(['@opentelemetry/auto-instrumentations-node', '@elastic/opentelemetry-node', 'dd-trace'].map((p) => [p, require(path.join(BENCH, 'node_modules', p, 'package.json')).version])),
    startup: out.startup as Results['startup'],
    job: out.job as Results['job'],
    firstAnswer: out['first-answer'] as Results['firstAnswer'],
    load: { 'express-hello': out['express-hello'], 'express-router': out['express-router'], pg: out.pg } as Results['load'],
  };
  fs.writeFileSync(path.join(BENCH, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  const tables = renderTables(results);
  const readmePath = path.join(BENCH, 'README.md');
  const readme = fs.readFileSync(readmePath, 'utf8');
  fs.writeFileSync(readmePath, readme.replace(/<!-- results:start -->[\s\S]*<!-- results:end -->/, `<!-- results:start -->\n${tables}\n<!-- results:end -->`));
  console.log(tables);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
