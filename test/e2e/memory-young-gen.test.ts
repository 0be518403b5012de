// What a request leaves alive when V8 collects its young generation. Plain node keeps almost
// nothing (about 1 KB a scavenge under load); when each request leaves objects that survive, V8
// grows the young generation to 32–128 MB and keeps it there, which was most of the preload's
// resident memory under load (2.7× plain). The cause was closures that capture a request-lifetime
// object and hang off it (the API's context class, a wrapped express `next`): see
// src/instrumentations/lean-context.ts. Measured on Node 24, where it showed (V8's --trace-gc-nvp).

import * as http from 'http';
import { describe, expect, it } from 'vitest';
import { nodeBinary } from '../../scripts/node-binaries';
import { start } from '../helpers/processes';

const REQUESTS = 12_000;
const CONNECTIONS = 20;
/** Median bytes surviving a scavenge; plain node ~1 KB, the defect 350–700 KB. */
const MAX_MEDIAN_SURVIVED = 128 * 1024;

async function load(port: number): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  let sent = 0;
  const worker = async () => {
    while (sent < REQUESTS) {
      const id = sent++;
      await new Promise<void>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port, path: `/items/${id % 50}`, agent }, (res) => res.resume().on('end', resolve)).on('error', reject);
      });
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  agent.destroy();
}

async function survivedPerScavenge(env: Record<string, string>): Promise<{ median: number; scavenges: number }> {
  const app = start(['--trace-gc-nvp', 'faults/young-gen.js'], { node: nodeBinary('24.21.0'), env });
  const [, port] = await app.waitForLine(/listening (\d+)/);
  await load(Number(port));
  app.child.kill('SIGTERM');
  const { stdout, code } = await app.exited;
  expect(code).toBe(0);
  const survived = [...stdout.matchAll(/gc=s .*?new_space_survived=(\d+)/g)].map((m) => Number(m[1]));
  // The first scavenges hold what start-up allocated; the steady state comes after.
  const steady = survived.slice(5).sort((a, b) => a - b);
  return { median: steady[Math.floor(steady.length / 2)], scavenges: steady.length };
}

describe('requests leave nothing behind for the young generation', () => {
  it(`Express under load (${REQUESTS} requests, ${CONNECTIONS} connections): the median survivor of a scavenge stays near plain node's`, async () => {
    const plain = await survivedPerScavenge({});
    const ours = await survivedPerScavenge({ NODE_OPTIONS: '--require otel-preload/register', OTEL_SERVICE_NAME: 'young-gen', OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' });
    console.info(`median survived per scavenge: plain ${plain.median} B over ${plain.scavenges} scavenges, with the preload ${ours.median} B over ${ours.scavenges}`);
    expect(plain.scavenges).toBeGreaterThan(5);
    expect(ours.scavenges).toBeGreaterThan(5);
    expect(ours.median).toBeLessThanOrEqual(MAX_MEDIAN_SURVIVED);
  });
});
