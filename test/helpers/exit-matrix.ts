// The exit matrix: one fixture app (fixtures/exit/app.js) ended in every way an app ends, run
// under the preload against a collector that works, is down or never answers, and compared with
// the same app under plain node: exit code, signal, stdout, and the time from the app's last word
// (or the signal) to its exit.

import * as path from 'path';
import { expect } from 'vitest';
import { OtlpReceiver } from '../../scripts/otlp-receiver';
import { CountingReceiver } from './counting-receiver';
import { closedPort, signalExitDir, startBlackHole } from './exit-fixtures';
import { start, type Finished } from './processes';
import { DEADLINE_MS } from './wait';

export const APP = path.join('exit', 'app.js');
export const REQUIRE = '--require otel-preload/register';
/** OTEL_NODE_SHUTDOWN_TIMEOUT in these tests: its default, as hosts run it. */
export const BOUND_MS = 2000;
/**
 * Allowed on top of the bound: the sender thread's start (measured ~30 ms idle, ~300 ms on the
 * shared 2-core CI machine), and the run-to-run noise of two process exits measured from outside.
 */
export const SLACK_MS = 1500;
export const ROUND_TRIPS = 5;

/** 'unavailable' answers every export with gRPC UNAVAILABLE / HTTP 503: the retryable refusal. */
export type Collector = 'ok' | 'down' | 'black hole' | 'unavailable';
export const COLLECTORS: Collector[] = ['ok', 'down', 'black hole'];

export interface ExitCase {
  name: string;
  env: Record<string, string>;
  /** Sent once the app says it is ready ("listening"); otherwise the app ends by itself after "done". */
  signal?: NodeJS.Signals;
  /** Spans the app makes (a SERVER and a CLIENT span per round trip). */
  spans: number;
  /** The collectors to run against (default: all). */
  collectors?: Collector[];
  /** A tighter bound than BOUND_MS + SLACK_MS on the extra exit time, where nothing should be waited for. */
  maxExtraMs?: number;
}

export interface Outcome extends Finished {
  /** ms from the ready line (or the signal) to the exit. */
  tailMs: number;
}

export async function runCase(c: ExitCase, env: Record<string, string | undefined>): Promise<Outcome> {
  const app = start([APP], { env: { ROUND_TRIPS: String(ROUND_TRIPS), SIGNAL_EXIT_DIR: c.env.SIGNAL_EXIT ? signalExitDir() : undefined, ...c.env, ...env } });
  // A process that never exits (the failure this matrix exists for) is stopped, not left behind.
  const watchdog = setTimeout(() => app.child.kill('SIGKILL'), 25_000);
  try {
    await app.waitForLine(c.signal ? /listening/ : /done/, DEADLINE_MS);
    const t0 = Date.now();
    if (c.signal) app.child.kill(c.signal);
    const result = await app.exited;
    return { ...result, tailMs: Date.now() - t0 };
  } finally {
    clearTimeout(watchdog);
  }
}

export class Collectors {
  receiver = new OtlpReceiver('grpc');
  private blackHole?: { endpoint: string; close(): void };
  private down?: string;
  private refusing = new CountingReceiver();

  async start(): Promise<void> {
    await this.receiver.start();
    this.refusing.mode = 'unavailable';
    await this.refusing.start();
    this.blackHole = await startBlackHole();
    this.down = await closedPort();
  }

  stop(): void {
    this.blackHole?.close();
    void this.receiver.stop();
    void this.refusing.stop();
  }

  endpoint(c: Collector, protocol?: string): string {
    if (c === 'unavailable') return protocol === 'http/protobuf' ? this.refusing.httpEndpoint : this.refusing.grpcEndpoint;
    return c === 'ok' ? this.receiver.endpoint : c === 'down' ? this.down! : this.blackHole!.endpoint;
  }

  spansOf(service: string): number {
    return this.receiver.spans.filter((s) => s.resource['service.name'] === service).length;
  }
}

const samePorts = (stdout: string) => stdout.replace(/listening \d+/g, 'listening <port>');

/** The preload's own stderr lines (the app's stack traces excluded). */
export const ourLines = (stderr: string): string[] => stderr.split('\n').filter((l) => l.startsWith('otel-preload'));

let serial = 0;
export async function expectLikePlain(c: ExitCase, plain: Outcome, collector: Collector, collectors: Collectors): Promise<void> {
  const service = `exit-${c.name.replace(/\W+/g, '-')}-${collector.replace(' ', '-')}-${++serial}`;
  const env = { NODE_OPTIONS: REQUIRE, OTEL_SERVICE_NAME: service, OTEL_EXPORTER_OTLP_ENDPOINT: collectors.endpoint(collector, c.env.OTEL_EXPORTER_OTLP_PROTOCOL), OTEL_NODE_SHUTDOWN_TIMEOUT: String(BOUND_MS), OTEL_METRICS_EXPORTER: c.env.OTEL_METRICS_EXPORTER ?? 'none', OTEL_LOGS_EXPORTER: 'none' };
  // The time is compared with a plain twin run beside ours, not with the plain run from
  // beforeAll: a busy machine (or a stalled test runner) then delays both exits alike, and the
  // difference stays ours alone (CI once saw +6.5 s on a case that takes +0.4 s idle).
  const [ours, twin] = await Promise.all([runCase(c, env), runCase(c, {})]);
  const where = `${c.name} / collector ${collector}: stderr=${ours.stderr}`;
  expect(ours.code, where).toBe(plain.code);
  expect(ours.signal, where).toBe(plain.signal);
  expect(samePorts(ours.stdout), where).toBe(samePorts(plain.stdout));
  expect(twin.code, where).toBe(plain.code);
  expect(ours.tailMs - twin.tailMs, where).toBeLessThanOrEqual(c.maxExtraMs ?? BOUND_MS + SLACK_MS);
  const lines = ourLines(ours.stderr);
  if (collector === 'ok') {
    expect(lines, where).toEqual([]);
    await collectors.receiver.waitFor(() => collectors.spansOf(service) >= c.spans, DEADLINE_MS, `${c.spans} spans of ${service}`);
    expect(collectors.spansOf(service), where).toBe(c.spans);
  } else {
    // Nothing arrives: every span is counted as lost, and named in the one loss line. Besides it,
    // at most one line saying what went wrong with the collector.
    const loss = lines.filter((l) => /telemetry lost/.test(l));
    expect(loss, where).toHaveLength(1);
    expect(loss[0], where).toMatch(new RegExp(`telemetry lost: ${c.spans} spans \\(.*; ${c.spans} in total\\)`));
    expect(lines.length, where).toBeLessThanOrEqual(2);
  }
}
