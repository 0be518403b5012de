// Runs a child under a CPU limit, as a container with `cpus: 0.25` runs it: a cgroup with a CFS
// quota of a quarter of a core. Whichever the host allows, in this order: a cgroup v2 child of our
// own cgroup (cpu.max), a cgroup v1 cpu controller (cpu.cfs_quota_us), and else CPU-bound
// competitors pinned with taskset to the same core as the child: 1/fraction - 1 of them, so that
// the scheduler's fair share leaves the child about `fraction` of the core. `how` says which one
// the test ran under.

import { execFileSync, spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export interface CpuLimit {
  how: string;
  /** The command (first) and arguments that run `argv` under the limit. */
  wrap(argv: string[]): string[];
  remove(): void;
}

const PERIOD_US = 100_000;

function cgroupV2(name: string, fraction: number): CpuLimit | undefined {
  try {
    const own = fs.readFileSync('/proc/self/cgroup', 'utf8').match(/^0::(.*)$/m)?.[1];
    if (own === undefined || !fs.existsSync('/sys/fs/cgroup/cgroup.controllers')) return undefined;
    const parent = path.join('/sys/fs/cgroup', own);
    if (!fs.readFileSync(path.join(parent, 'cgroup.subtree_control'), 'utf8').includes('cpu')) return undefined;
    const dir = path.join(parent, name);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'cpu.max'), `${Math.round(PERIOD_US * fraction)} ${PERIOD_US}`);
    return { how: `cgroup v2 cpu.max ${fraction} of a core`, wrap: (argv) => joining(dir, argv), remove: () => fs.rmdirSync(dir) };
  } catch {
    return undefined;
  }
}

function cgroupV1(name: string, fraction: number): CpuLimit | undefined {
  const dir = path.join('/sys/fs/cgroup/cpu', name);
  try {
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
    fs.writeFileSync(path.join(dir, 'cpu.cfs_quota_us'), String(Math.round(PERIOD_US * fraction)));
    return { how: `cgroup v1 cpu.cfs_quota_us ${fraction} of a core`, wrap: (argv) => joining(dir, argv), remove: () => fs.rmdirSync(dir) };
  } catch {
    try {
      fs.rmdirSync(dir);
    } catch {
      // never made
    }
    return undefined;
  }
}

/** The child joins the cgroup before it execs: all of it runs under the limit, start-up included. */
function joining(dir: string, argv: string[]): string[] {
  return ['sh', '-c', `echo $$ > ${path.join(dir, 'cgroup.procs')} && exec "$0" "$@"`, ...argv];
}

function competitors(fraction: number): CpuLimit {
  const count = Math.max(1, Math.round(1 / fraction) - 1);
  const spinners: ChildProcess[] = Array.from({ length: count }, () => spawn('taskset', ['-c', '0', process.execPath, '-e', 'for(;;);'], { stdio: 'ignore' }));
  return {
    how: `${count} CPU-bound competitors on the same core (taskset -c 0; no writable cgroup): about ${fraction} of a core`,
    wrap: (argv) => ['taskset', '-c', '0', ...argv],
    remove: () => spinners.forEach((s) => s.kill('SIGKILL')),
  };
}

/** A limit of `fraction` of one core; remove() it after the child has exited. */
export function cpuLimit(fraction: number): CpuLimit {
  const name = `otel-preload-test-${process.pid}-${Date.now()}`;
  const limit = cgroupV2(name, fraction) ?? cgroupV1(name, fraction);
  if (limit) return limit;
  execFileSync('taskset', ['-c', '0', 'true']);
  return competitors(fraction);
}
