// One app under load, the way the overhead table measures it: the app pinned alone on one core
// (taskset), the load generator and the sink (this process) on the other, so that req/s and the
// app's own CPU time per request are the app's cost. Warm-up first, then the measured window;
// CPU time comes from /proc (utime + stime), peak RSS from VmHWM.

import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';

export interface LoadResult {
  reqPerSec: number;
  /** The app's CPU time per request in the measured window (µs). */
  cpuUsPerRequest: number;
  p50Ms: number;
  p99Ms: number;
  peakRssMiB: number;
  errors: number;
  /** OTLP export requests the sink received during the run (proof that the variant exported). */
  exports: number;
  sigterm: 'exits' | 'ignored';
}

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
// Core 1 must be in this process's allowed set too (a cpuset may leave it out): otherwise every
// `taskset -c 1` would fail and taskset's own exit be timed instead of the app.
export const PINNED = os.cpus().length >= 2 && spawnSync('taskset', ['-c', '1', 'true']).status === 0;

/** Moves this process (every thread) to core 0; the apps go to core 1. */
export function pinRunner(): void {
  if (PINNED) spawnSync('taskset', ['-a', '-pc', '0', String(process.pid)], { stdio: 'ignore' });
}

/**
 * The command that runs an app alone on core 1. Every measured app goes through it: a child
 * inherits the pinned runner's affinity, so one spawned directly would share core 0 with the
 * runner, the sink and the poller.
 */
export function onAppCore(node: string, args: string[]): [string, string[]] {
  return PINNED ? ['taskset', ['-c', '1', node, ...args]] : [node, args];
}

function cpuTicks(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime, stime
}

export async function underLoad(opts: { node: string; script: string; cwd: string; env: NodeJS.ProcessEnv; path: string; warmupSeconds: number; seconds: number; autocannon: Function; exportsSoFar: () => number }): Promise<LoadResult> {
  const [cmd, args] = onAppCore(opts.node, [opts.script]);
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = out.match(/listening (\d+)/);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', () => reject(new Error(`${opts.script} exited early`)));
  });
  const url = `http://127.0.0.1:${port}${opts.path}`;
  const exportsBefore = opts.exportsSoFar();
  await opts.autocannon({ url, connections: 20, duration: opts.warmupSeconds });
  const cpuBefore = cpuTicks(child.pid!);
  const result = await opts.autocannon({ url, connections: 20, duration: opts.seconds });
  const cpuSeconds = (cpuTicks(child.pid!) - cpuBefore) / CLOCK_TICKS;
  const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const peakRssMiB = Number(status.match(/VmHWM:\s+(\d+)/)![1]) / 1024;
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  child.kill('SIGTERM');
  const sigterm = await Promise.race([exited.then(() => 'exits' as const), new Promise<'ignored'>((r) => setTimeout(() => r('ignored'), 4000))]);
  if (sigterm === 'ignored') child.kill('SIGKILL');
  await exited;
  return {
    reqPerSec: result.requests.average,
    cpuUsPerRequest: (cpuSeconds * 1e6) / Math.max(1, result.requests.total),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    peakRssMiB,
    errors: result.errors + result.non2xx,
    exports: opts.exportsSoFar() - exportsBefore,
    sigterm,
  };
}
