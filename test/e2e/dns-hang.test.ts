// The collector's and the OpAMP server's host names, asked of a DNS server that never answers
// (UDP or TCP). The app runs in its own mount namespace whose /etc/resolv.conf names that server,
// so the C library's getaddrinfo (the app's own dns.lookup, and what our exporters used before)
// and our own lookups ask the same server, as they would on a host whose DNS went away. Held to:
// the exit comes within the flush bound for a drained loop, process.exit() and SIGTERM (the exit
// code and signal unchanged), and the app's own dns.lookup('localhost') is as fast as without us.

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DnsServer } from '../helpers/dns-server';
import { start, type Finished } from '../helpers/processes';

const SHUTDOWN_MS = 2000;
/** What a busy shared machine adds to a process's exit beyond the flush bound. */
const SLACK_MS = 1500;

function canUnshare(): boolean {
  try {
    execFileSync('unshare', ['-m', '--', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const usable = process.getuid?.() === 0 && canUnshare();
if (!usable) console.log('dns-hang: needs root and unshare -m (a private /etc/resolv.conf); skipped');

const NAMESERVER = `127.78.${process.pid % 250}.1`;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-dns-hang-'));
const resolvConf = path.join(tmp, 'resolv.conf');
let dns: DnsServer;

beforeAll(async () => {
  if (!usable) return;
  fs.writeFileSync(resolvConf, `nameserver ${NAMESERVER}\n`);
  dns = await new DnsServer(NAMESERVER).start();
});
afterAll(async () => {
  await dns?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

interface Outcome {
  finished: Finished;
  /** From the app's "done" line to its exit. */
  exitMs: number;
  maxLookupMs: number;
  medianLookupMs: number;
}

async function runJob(end: 'drain' | 'exit' | 'signal', preload: boolean): Promise<Outcome> {
  // unshare -m: a private mount namespace (propagation private), so the bind mount is the app's alone.
  const script = 'mount --bind "$0" /etc/resolv.conf && exec "$@"';
  const telemetry = {
    NODE_OPTIONS: '--require otel-preload/register',
    OTEL_SERVICE_NAME: `dns-hang-${end}`,
    // Three host names, so that the old getaddrinfo lookups filled the thread pool's slots.
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces.collector.hang.test:4317',
    OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://metrics.collector.hang.test:4317',
    OTEL_NODE_OPAMP_ENDPOINT: 'http://opamp.hang.test:4320/v1/opamp',
    OTEL_EXPORTER_OTLP_TIMEOUT: '1000',
    OTEL_BSP_SCHEDULE_DELAY: '100',
    OTEL_METRIC_EXPORT_INTERVAL: '300',
    OTEL_NODE_OPAMP_HEARTBEAT_INTERVAL: '1000',
  };
  const app = start(['-m', '--', 'sh', '-c', script, resolvConf, process.execPath, 'dns/job.js'], {
    node: 'unshare',
    env: { END: end, LOOKUP_MS: '2000', ...(preload ? telemetry : {}) },
  });
  const [, max, median] = await app.waitForLine(/done (\S+) (\S+)/);
  const done = Date.now();
  if (end === 'signal') app.child.kill('SIGTERM');
  const finished = await app.exited;
  return { finished, exitMs: Date.now() - done, maxLookupMs: Number(max), medianLookupMs: Number(median) };
}

describe.skipIf(!usable)('DNS that never answers for the collector and the OpAMP server', () => {
  it.each([
    ['the loop drains', 'drain', 0, null],
    ['process.exit()', 'exit', 0, null],
    ['SIGTERM', 'signal', null, 'SIGTERM'],
  ] as const)('%s: the exit within the flush bound, code and signal unchanged; the app\'s own lookups as fast as without us', async (_name, end, code, signal) => {
    const plain = await runJob(end, false);
    const ours = await runJob(end, true);
    const detail = `plain: exit ${plain.exitMs} ms, lookups max ${plain.maxLookupMs} median ${plain.medianLookupMs} ms; preload: exit ${ours.exitMs} ms, lookups max ${ours.maxLookupMs} median ${ours.medianLookupMs} ms; DNS queries so far ${dns.queries}; stderr:\n${ours.finished.stderr}`;
    console.info(detail.split('; stderr')[0]);
    expect(ours.finished.code, detail).toBe(code);
    expect(ours.finished.signal, detail).toBe(signal);
    expect(ours.exitMs, detail).toBeLessThan(plain.exitMs + SHUTDOWN_MS + SLACK_MS);
    // The app's lookups never wait behind ours (they waited seconds when ours held the thread pool).
    expect(ours.maxLookupMs, detail).toBeLessThan(plain.maxLookupMs + 500);
    expect(dns.queries, 'our lookups did ask the silent server').toBeGreaterThan(0);
  });
});
