// The OpAMP client's state machine through its public surface (start, reportChange, stop) with fake
// timers and a fixed Math.random. Only the one HTTP call is replaced: each AgentToServer is decoded
// with code generated from the official opamp.proto, and each answer encoded with it, so the test
// sees exactly what a server would. What is asserted is the schedule (jittered first poll,
// heartbeats, backoff, Retry-After), one request at a time, status compression, and config
// handled once per hash.

import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import * as pb from '@elastic/mockopampserver/lib/generated/opamp_pb.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from '../../src/log/logger';
import { MIN_BACKOFF_MS, OpampClient, type OpampClientOptions } from '../../src/remote/client';
import { post, type HttpAnswer } from '../../src/remote/transport';

vi.mock('../../src/remote/transport', () => ({ post: vi.fn(), MAX_RESPONSE_BYTES: 4 * 1024 * 1024, TransportError: class TransportError extends Error {} }));

type A2S = ReturnType<typeof fromBinary<typeof pb.AgentToServerSchema>>;
type S2AInit = Parameters<typeof create<typeof pb.ServerToAgentSchema>>[1];

const HEARTBEAT = 10_000;
let sent: A2S[];
/** Answers for the next requests, in order; an empty list answers an empty ServerToAgent. */
let answers: Array<() => HttpAnswer | Promise<HttpAnswer>>;
let warnings: string[];

const s2a = (init: S2AInit = {}): HttpAnswer => ({ status: 200, headers: { 'content-type': 'application/x-protobuf' }, body: Buffer.from(toBinary(pb.ServerToAgentSchema, create(pb.ServerToAgentSchema, init))) });
const configAnswer = (hash: number, body: object) => () => s2a({ remoteConfig: { configHash: Uint8Array.from([hash]), config: { configMap: { 'otel-preload': { body: Buffer.from(JSON.stringify(body)), contentType: 'application/json' } } } } });

function client(extra: Partial<OpampClientOptions> = {}): OpampClient {
  const once = new Set<string>();
  const log: Logger = { level: 'warn', error: (m) => warnings.push(m), warn: (m) => warnings.push(m), info: () => undefined, debug: () => undefined, verbose: () => undefined, warnOnce: (k, m) => void (once.has(k) || (once.add(k), warnings.push(m))) };
  return new OpampClient({
    transport: { endpoint: 'http://opamp.test/v1/opamp', headers: {}, timeoutMs: 10_000, userAgent: 'test' },
    log,
    heartbeatMillis: () => HEARTBEAT,
    description: () => ({ identifying: { 'service.name': 'checkout' }, nonIdentifying: { 'os.type': 'linux' } }),
    health: () => ({ healthy: true }),
    effectiveConfig: () => '{"local":true}',
    applyRemoteConfig: () => undefined,
    ...extra,
  });
}

/** Lets promise callbacks and "right away" (0 ms) timers run; 1 ms is nothing next to a heartbeat. */
const settle = () => vi.advanceTimersByTimeAsync(1);

beforeEach(() => {
  sent = [];
  answers = [];
  warnings = [];
  vi.useFakeTimers();
  vi.spyOn(Math, 'random').mockReturnValue(0.5);
  vi.mocked(post).mockImplementation(async (_opts, body) => {
    sent.push(fromBinary(pb.AgentToServerSchema, body));
    return (answers.shift() ?? (() => s2a()))();
  });
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('OpampClient', () => {
  it('first poll jittered within 5 s, full state; then one heartbeat apart, with unchanged parts left out', async () => {
    const c = client();
    c.start();
    // Math.random() = 0.5: half of min(heartbeat, 5 s).
    await vi.advanceTimersByTimeAsync(2499);
    expect(sent).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toHaveLength(1);
    expect(sent[0].sequenceNum).toBe(1n);
    expect(sent[0].capabilities).toBe(0x3807n);
    expect(sent[0].agentDescription).toBeDefined();
    expect(sent[0].health?.healthy).toBe(true);
    expect(sent[0].effectiveConfig).toBeDefined();
    // Next: heartbeat × (0.9 + 0.5 × 0.2) = exactly one heartbeat.
    await vi.advanceTimersByTimeAsync(HEARTBEAT - 1);
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toHaveLength(2);
    expect(sent[1].sequenceNum).toBe(2n);
    expect([sent[1].agentDescription, sent[1].health, sent[1].effectiveConfig]).toEqual([undefined, undefined, undefined]);
    await c.stop();
  });

  it('one request at a time: changes reported during a poll become one more request after it', async () => {
    let answer!: (a: HttpAnswer) => void;
    answers.push(() => new Promise((r) => (answer = r)));
    const c = client();
    c.start();
    await vi.advanceTimersByTimeAsync(2500);
    expect(sent).toHaveLength(1);
    for (let i = 0; i < 5; i++) c.reportChange();
    await vi.advanceTimersByTimeAsync(1000);
    expect(sent).toHaveLength(1);
    answer(s2a());
    await settle(); // the follow-up goes at once (0 ms), then the next waits a whole heartbeat
    expect(sent).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(HEARTBEAT - 2);
    expect(sent).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toHaveLength(3);
    await c.stop();
  });

  it('HTTP 429 with Retry-After: 7: nothing before 7 s, then a request with everything in it; one warning', async () => {
    answers.push(() => ({ status: 429, headers: { 'retry-after': '7' }, body: Buffer.alloc(0) }));
    const c = client();
    c.start();
    await vi.advanceTimersByTimeAsync(2500);
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(6999);
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toHaveLength(2);
    expect(sent[1].agentDescription).toBeDefined();
    expect(warnings).toEqual([expect.stringMatching(/^OpAMP poll failed \(HTTP 429\); retrying in 7 s\. Local and cached configuration stay in effect\.$/)]);
    await c.stop();
  });

  it('failures back off exponentially from 30 s (jitter fixed at the midpoint), and reset after a success', async () => {
    const fail = () => ({ status: 500, headers: {}, body: Buffer.alloc(0) });
    answers.push(fail, fail);
    const c = client();
    c.start();
    await vi.advanceTimersByTimeAsync(2500);
    for (const wait of [MIN_BACKOFF_MS, 2 * MIN_BACKOFF_MS]) {
      const before = sent.length;
      await vi.advanceTimersByTimeAsync(wait - 1);
      expect(sent).toHaveLength(before);
      await vi.advanceTimersByTimeAsync(1);
      expect(sent).toHaveLength(before + 1);
    }
    // The third answered OK: back to heartbeats.
    await vi.advanceTimersByTimeAsync(HEARTBEAT);
    expect(sent).toHaveLength(4);
    expect(warnings).toHaveLength(1);
    await c.stop();
  });

  it('UNAVAILABLE with retry_info: waits exactly that long', async () => {
    answers.push(() => s2a({ errorResponse: { type: pb.ServerErrorResponseType.ServerErrorResponseType_Unavailable, errorMessage: 'busy', Details: { case: 'retryInfo', value: { retryAfterNanoseconds: 4_000_000_000n } } } }));
    const c = client();
    c.start();
    await vi.advanceTimersByTimeAsync(2500);
    await vi.advanceTimersByTimeAsync(3999);
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toHaveLength(2);
    await c.stop();
  });

  it('a remote config: applied as it arrives, APPLIED reported for its hash on the next request, applied once however often it is resent; a refused one FAILED with the reason', async () => {
    const applied: string[] = [];
    const c = client({ applyRemoteConfig: (map) => {
      const body = Buffer.from(map['otel-preload'].body ?? []).toString();
      applied.push(body);
      return body.includes('refuse') ? '"refuse" is refused' : undefined;
    } });
    answers.push(configAnswer(1, { log_level: 'debug' }), () => s2a(), configAnswer(1, { log_level: 'debug' }), configAnswer(1, { log_level: 'debug' }), configAnswer(2, { refuse: true }));
    c.start();
    await vi.advanceTimersByTimeAsync(2500);
    // Status reports follow at once but never closer than 1 s to the previous request (no loop).
    await vi.advanceTimersByTimeAsync(2000);
    const status = (m: A2S) => m.remoteConfigStatus && [m.remoteConfigStatus.lastRemoteConfigHash[0], m.remoteConfigStatus.status, m.remoteConfigStatus.errorMessage];
    expect(sent.map(status)).toEqual([undefined, [1, pb.RemoteConfigStatuses.RemoteConfigStatuses_APPLIED, '']]);
    for (let i = 0; i < 3; i++) await vi.advanceTimersByTimeAsync(HEARTBEAT);
    expect(applied).toEqual(['{"log_level":"debug"}', '{"refuse":true}']);
    expect(sent.map(status).filter(Boolean).at(-1)).toEqual([2, pb.RemoteConfigStatuses.RemoteConfigStatuses_FAILED, '"refuse" is refused']);
    await c.stop();
  });

  it('a new config hash in every answer: requests stay 1 s apart, no recursion, the newest config stays applied, stop is prompt', async () => {
    const applied: number[] = [];
    let n = 0;
    // Bounded so that a recursive client ends (with hundreds of requests at one instant) instead of hanging the test.
    vi.mocked(post).mockImplementation(async (_opts, body) => {
      const a2s = fromBinary(pb.AgentToServerSchema, body);
      sent.push(a2s);
      times.push(Date.now());
      return a2s.agentDisconnect || ++n > 300 ? s2a() : configAnswer(n % 256, { log_level: 'debug', n })();
    });
    const times: number[] = [];
    const c = client({ applyRemoteConfig: (map) => void applied.push(JSON.parse(Buffer.from(map['otel-preload'].body ?? []).toString()).n) });
    c.start();
    await vi.advanceTimersByTimeAsync(2500 + 10_000);
    expect(sent.length).toBeGreaterThanOrEqual(10);
    expect(sent.length).toBeLessThanOrEqual(12);
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(1000);
    // Every config applied once, in the order sent: the newest is the one in effect, and each status reported is APPLIED for the previous answer's hash.
    expect(applied).toEqual(Array.from({ length: applied.length }, (_, i) => i + 1));
    const last = sent.at(-1)!.remoteConfigStatus!;
    expect([last.status, last.lastRemoteConfigHash[0]]).toEqual([pb.RemoteConfigStatuses.RemoteConfigStatuses_APPLIED, sent.length - 1]);
    expect(applied.at(-1)).toBe(sent.length);
    const before = Date.now();
    await c.stop();
    expect(Date.now() - before).toBeLessThan(1000);
    expect(sent.at(-1)!.agentDisconnect).toBeDefined();
  });

  it('ReportFullState from the server: the next message carries every part again', async () => {
    answers.push(() => s2a(), () => s2a({ flags: BigInt(pb.ServerToAgentFlags.ServerToAgentFlags_ReportFullState) }));
    const c = client();
    c.start();
    await vi.advanceTimersByTimeAsync(2500 + HEARTBEAT);
    expect(sent[1].agentDescription).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1000);
    expect(sent).toHaveLength(3); // sent 1 s after the previous request, not a heartbeat later
    expect(sent[2].agentDescription).toBeDefined();
    expect(sent[2].effectiveConfig).toBeDefined();
    await c.stop();
  });

  it('the server sets the heartbeat: the next poll follows it', async () => {
    answers.push(() => s2a({ connectionSettings: { opamp: { heartbeatIntervalSeconds: 3n } } }));
    const c = client();
    c.start();
    await vi.advanceTimersByTimeAsync(2500);
    await vi.advanceTimersByTimeAsync(2999);
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toHaveLength(2);
    await c.stop();
  });

  it('stop: one agent_disconnect, then silence', async () => {
    const c = client();
    c.start();
    await vi.advanceTimersByTimeAsync(2500);
    await c.stop();
    await c.stop();
    expect(sent).toHaveLength(2);
    expect(sent[1].agentDisconnect).toBeDefined();
    c.reportChange();
    await vi.advanceTimersByTimeAsync(10 * HEARTBEAT);
    expect(sent).toHaveLength(2);
  });
});
