// Start-up to first answer: the time from spawning a server to its first 200 response on GET, for
// bench/apps/service.js and two corpus apps (Fastify + ioredis, NestJS + pg), each variant in turn
// with the order rotating every round (interleaved pairs against plain node), a fresh process per
// sample. The client polls every 2 ms from the moment of the spawn, as a health check would.

import { spawn } from 'child_process';
import * as http from 'http';
import * as net from 'net';
import { prepareApp } from '../scripts/corpus';
import { childEnv, VARIANTS, type Endpoints, type Variant } from './variants';
import { onAppCore } from './load';

export interface FirstAnswerApp {
  name: string;
  /** Working directory and entry script, given bench/apps. */
  where(benchApps: string): { cwd: string; script: string };
  path: string;
}

export const FIRST_ANSWER_APPS: readonly FirstAnswerApp[] = [
  { name: 'service (express, pg, ioredis, mysql2, amqplib, pino)', where: (benchApps) => ({ cwd: benchApps, script: 'service.js' }), path: '/' },
  { name: 'fastify-shop (corpus: Fastify 5, ioredis)', where: () => ({ cwd: prepareApp('fastify-shop').dir, script: 'server.js' }), path: '/api/items/3' },
  { name: 'nest-shop (corpus: NestJS 11, pg)', where: () => ({ cwd: prepareApp('nest-shop').dir, script: 'main.js' }), path: '/items/4' },
];

export type FirstAnswer = Record<string, Record<Variant, number[]>>;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Milliseconds from spawn to the first 200 answer; the process is then stopped and awaited. */
async function firstAnswerOnce(node: string, cwd: string, script: string, urlPath: string, env: NodeJS.ProcessEnv): Promise<number> {
  const port = await freePort();
  const t0 = process.hrtime.bigint();
  const [cmd, args] = onAppCore(node, [script]);
  const child = spawn(cmd, args, { cwd, env: { ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'ignore'] });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const deadline = Date.now() + 30_000;
  try {
    for (;;) {
      const status = await new Promise<number>((resolve) => {
        const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', () => resolve(0));
      });
      if (status === 200) return Number(process.hrtime.bigint() - t0) / 1e6;
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`${script}: no 200 answer within 30 s (last status ${status})`);
      await new Promise((r) => setTimeout(r, 2));
    }
  } finally {
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(killer);
  }
}

export async function firstAnswers(node: string, repo: string, benchApps: string, endpoints: Endpoints, rounds: number, log: (m: string) => void): Promise<FirstAnswer> {
  const out: FirstAnswer = {};
  for (const app of FIRST_ANSWER_APPS) {
    const { cwd, script } = app.where(benchApps);
    const samples = Object.fromEntries(VARIANTS.map((v) => [v, [] as number[]])) as Record<Variant, number[]>;
    // One unmeasured run each: the page cache holds every file before the first sample.
    for (const v of VARIANTS) await firstAnswerOnce(node, cwd, script, app.path, childEnv(v, repo, endpoints));
    for (let round = 0; round < rounds; round++) {
      for (const v of VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length])) {
        samples[v].push(await firstAnswerOnce(node, cwd, script, app.path, childEnv(v, repo, endpoints)));
      }
    }
    log(`  ${app.name}: ${VARIANTS.map((v) => `${v} ${samples[v].map((x) => x.toFixed(0)).join('/')}`).join(', ')}`);
    out[app.name] = samples;
  }
  return out;
}
