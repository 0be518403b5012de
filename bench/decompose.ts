// Where the preload's cost per request goes: the same load as `npm run bench` (load.ts: app pinned
// alone on core 1, autocannon and the sink on core 0), on one app, with the preload's parts switched
// off one at a time through its own settings, interleaved round by round against plain node.
// `npm run bench:decompose [-- <app>]` (default express-hello); BENCH_ROUNDS / BENCH_SECONDS as for the bench.

import * as path from 'path';
import * as os from 'os';
import { spawnSync } from 'child_process';
import { nodeBinary } from '../scripts/node-binaries';
import { repoRoot } from '../scripts/repo-root';
import { OtlpSink } from './otlp-sink';
import { pinRunner, underLoad } from './load';
import { childEnv } from './variants';

const REPO = repoRoot(__dirname);
const BENCH = path.join(REPO, 'bench');
const APPS = path.join(BENCH, 'apps');
const APP = process.argv[2] ?? 'express-hello';
const PATHS: Record<string, string> = { 'express-hello': '/hello', 'express-router': '/api/items/42', 'pg-query': '/' };
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);

/** Each step switches one more part off, so that consecutive rows differ by one part. */
const STEPS: Array<{ name: string; env: Record<string, string> | null }> = [
  { name: 'plain node', env: null },
  { name: 'preload, defaults', env: {} },
  { name: '− metrics export (OTEL_METRICS_EXPORTER=none)', env: { OTEL_METRICS_EXPORTER: 'none' } },
  { name: '− span export (and the above)', env: { OTEL_METRICS_EXPORTER: 'none', OTEL_TRACES_EXPORTER: 'none' } },
  { name: '− express instrumentation (http only)', env: { OTEL_METRICS_EXPORTER: 'none', OTEL_TRACES_EXPORTER: 'none', OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http' } },
  // dns only: nothing on the request path is patched (the app resolves no names).
  { name: '− http too (preload loaded, nothing on the request path)', env: { OTEL_METRICS_EXPORTER: 'none', OTEL_TRACES_EXPORTER: 'none', OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'dns' } },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const node = nodeBinary(process.env.BENCH_NODE ?? '24.21.0');
  const autocannon = require(path.join(BENCH, 'node_modules/autocannon'));
  pinRunner();
  const sink = await new OtlpSink().start();
  const results = STEPS.map(() => ({ cpu: [] as number[], rss: [] as number[], rps: [] as number[] }));
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < STEPS.length; k++) {
      const i = (k + round) % STEPS.length;
      const step = STEPS[i];
      const base = childEnv(step.env ? 'otel-preload' : 'plain', REPO, { grpc: sink.endpoint, http: sink.httpEndpoint });
      const env = { ...base, ...(step.env ?? {}) };
      const r = await underLoad({ node, script: `${APP}.js`, cwd: APPS, env, path: PATHS[APP] ?? '/', warmupSeconds: 3, seconds: SECONDS, autocannon, exportsSoFar: () => sink.received.traces + sink.received.metrics });
      results[i].cpu.push(r.cpuUsPerRequest);
      results[i].rss.push(r.peakRssMiB);
      results[i].rps.push(r.reqPerSec);
      process.stderr.write(`round ${round + 1} ${step.name}: ${r.reqPerSec.toFixed(0)} req/s, ${r.cpuUsPerRequest.toFixed(1)} µs/req, ${r.peakRssMiB.toFixed(0)} MiB\n`);
    }
  }
  await sink.stop();
  const plain = { cpu: median(results[0].cpu), rss: median(results[0].rss), rps: median(results[0].rps) };
  console.log(`${APP}, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${os.cpus()[0]?.model}, load average at end ${os.loadavg()[0].toFixed(1)}, Node ${spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim()}, ${ROUNDS} interleaved rounds of ${SECONDS} s (medians)\n`);
  console.log('| configuration | req/s | kept of plain | CPU µs / request | µs added | peak RSS | RSS vs plain |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  STEPS.forEach((step, i) => {
    const cpu = median(results[i].cpu);
    const rss = median(results[i].rss);
    const rps = median(results[i].rps);
    console.log(`| ${step.name} | ${rps.toFixed(0)} | ${((100 * rps) / plain.rps).toFixed(0)} % | ${cpu.toFixed(1)} | ${(cpu - plain.cpu).toFixed(1)} | ${rss.toFixed(0)} MiB | ${(rss / plain.rss).toFixed(2)}× |`);
  });
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
