// The shutdown sequence (src/bootstrap/shutdown.ts) with fake timers and a fake process: which
// exit step waits how long, who re-raises a signal, what is delivered and what is counted.

import { EventEmitter } from 'events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HURRY_GRACE_MS, installExitHandlers, type ExitProcess, type ExitWork } from '../../src/bootstrap/shutdown';
import { createLogger } from '../../src/log/logger';
import type { SyncOutcome } from '../../src/exit/deliver-sync';
import type { PendingRequest } from '../../src/sdk';

const BOUND = 2000;

class FakeProcess extends EventEmitter {
  readonly pid = 4242;
  kill = vi.fn((_pid: number, _signal: NodeJS.Signals) => true);
  exit = vi.fn((_code?: number) => undefined);
}

const request = (count: number): PendingRequest => ({
  signal: 'traces',
  count,
  bytes: new Uint8Array([1, 2, 3]),
  target: { protocol: 'grpc', endpoint: 'http://127.0.0.1:4317', path: '/x', headers: {}, compression: 'none', timeoutMillis: 10_000 },
});

function setup(opts: { flush?: () => Promise<void>; pending?: PendingRequest[]; deliver?: (r: PendingRequest[], deadline: number) => SyncOutcome; global?: object } = {}) {
  const proc = new FakeProcess();
  const lines: string[] = [];
  const lost: Array<[string, number, string]> = [];
  let pending = opts.pending ?? [];
  const work: ExitWork = {
    flush: vi.fn(opts.flush ?? (() => Promise.resolve())),
    takePending: vi.fn(() => {
      const taken = pending;
      pending = [];
      return taken;
    }),
    countLost: (signal, count, cause) => lost.push([signal, count, cause]),
    reportLosses: () => {
      if (lost.length) lines.push(`lost ${lost.map((l) => l.join(' ')).join(', ')}`);
    },
    totalLost: () => lost.reduce((n, l) => n + l[1], 0),
  };
  const deliver = vi.fn(opts.deliver ?? ((r: PendingRequest[]) => ({ delivered: r, lost: [] })));
  installExitHandlers(work, BOUND, createLogger('warn', (l) => lines.push(l)), { proc: proc as unknown as ExitProcess, deliver, global: opts.global ?? {} });
  return { proc, work, deliver, lines, lost };
}

const never = () => new Promise<void>(() => undefined);

beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
afterEach(() => vi.useRealTimers());

describe('the loop drains (beforeExit)', () => {
  it('a quick flush: no forced exit, nothing pending at exit, no worker, no line', async () => {
    const { proc, work, deliver, lines } = setup();
    proc.emit('beforeExit', 0);
    await vi.advanceTimersByTimeAsync(10);
    expect(work.flush).toHaveBeenCalledTimes(1);
    expect(proc.exit).not.toHaveBeenCalled();
    proc.emit('exit', 0);
    expect(work.takePending).toHaveBeenCalledTimes(1);
    expect(deliver).not.toHaveBeenCalled();
    expect(lines).toEqual([]);
  });

  it('a flush that never ends: exit forced at the bound exactly; what is pending is counted, with no time left to send it', async () => {
    const { proc, deliver, lost, lines } = setup({ flush: never, pending: [request(7)], deliver: (r, deadline) => ({ delivered: [], lost: r.map((request) => ({ request, cause: Date.now() >= deadline ? 'shutdown' : 'timeout' })) }) });
    proc.emit('beforeExit', 0);
    await vi.advanceTimersByTimeAsync(BOUND - 1);
    expect(proc.exit).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(proc.exit).toHaveBeenCalledWith();
    proc.emit('exit', 0);
    expect(deliver).toHaveBeenCalledWith([request(7)], 1_000_000 + BOUND);
    expect(lost).toEqual([['traces', 7, 'shutdown']]);
    expect(lines).toEqual(['lost traces 7 shutdown']);
  });

  it('a flush that fails and counts nothing: one line says so', async () => {
    const { proc, lines } = setup({ flush: () => Promise.reject(new Error('14 UNAVAILABLE')) });
    proc.emit('beforeExit', 0);
    await vi.advanceTimersByTimeAsync(1);
    proc.emit('exit', 0);
    expect(lines).toEqual([expect.stringMatching(/flush at exit failed \(14 UNAVAILABLE\)/)]);
  });
});

describe("'exit' first (process.exit, uncaught exception, unhandled rejection)", () => {
  it('pending requests are delivered synchronously with the whole bound; losses summed per signal and cause', () => {
    const pending = [request(3), request(4), request(5)];
    const { proc, deliver, lost, lines } = setup({ pending, deliver: (r) => ({ delivered: [r[0]], lost: [{ request: r[1], cause: 'timeout' }, { request: r[2], cause: 'timeout' }] }) });
    proc.emit('exit', 3);
    expect(deliver).toHaveBeenCalledWith(pending, 1_000_000 + BOUND);
    expect(lost).toEqual([['traces', 9, 'timeout']]);
    expect(lines).toHaveLength(1);
  });

  it('runs once, and never throws into the exit', () => {
    const { proc, work } = setup();
    (work.takePending as ReturnType<typeof vi.fn>).mockImplementation(() => {
      throw new Error('broken');
    });
    expect(() => proc.emit('exit', 1)).not.toThrow();
    expect(() => proc.emit('exit', 1)).not.toThrow();
    expect(work.takePending).toHaveBeenCalledTimes(1);
  });
});

describe('SIGTERM / SIGINT', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('%s, nobody else listens: flush, then our listeners go and the same signal is re-raised', async (signal) => {
    let done!: () => void;
    const { proc } = setup({ flush: () => new Promise<void>((r) => (done = r)) });
    proc.emit(signal);
    await vi.advanceTimersByTimeAsync(500);
    expect(proc.kill).not.toHaveBeenCalled();
    done();
    await vi.advanceTimersByTimeAsync(0);
    expect(proc.kill).toHaveBeenCalledWith(4242, signal);
    expect(proc.listenerCount('SIGTERM') + proc.listenerCount('SIGINT')).toBe(0);
  });

  it('a flush that never ends: the signal is re-raised at the bound exactly', async () => {
    const { proc } = setup({ flush: never });
    proc.emit('SIGTERM');
    await vi.advanceTimersByTimeAsync(BOUND - 1);
    expect(proc.kill).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(proc.kill).toHaveBeenCalledWith(4242, 'SIGTERM');
  });

  it('a second signal while flushing: re-raised after the grace for answers in flight; what is pending is counted, not sent', async () => {
    const { proc, deliver, lost } = setup({ flush: never, pending: [request(5)] });
    proc.emit('SIGINT');
    await vi.advanceTimersByTimeAsync(100);
    proc.emit('SIGINT');
    await vi.advanceTimersByTimeAsync(HURRY_GRACE_MS - 1);
    expect(proc.kill).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(proc.kill).toHaveBeenCalledTimes(1);
    expect(proc.kill).toHaveBeenCalledWith(4242, 'SIGINT');
    expect(deliver).not.toHaveBeenCalled();
    expect(lost).toEqual([['traces', 5, 'shutdown']]);
  });

  it('a third signal: re-raised at once', async () => {
    const { proc, lost } = setup({ flush: never, pending: [request(5)] });
    proc.emit('SIGTERM');
    proc.emit('SIGTERM');
    proc.emit('SIGTERM');
    expect(proc.kill).toHaveBeenCalledTimes(1);
    expect(lost).toEqual([['traces', 5, 'shutdown']]);
    await vi.advanceTimersByTimeAsync(BOUND);
    expect(proc.kill).toHaveBeenCalledTimes(1);
  });

  it('a second signal, and the export in flight answers within the grace: re-raised then, nothing counted lost', async () => {
    let answer!: () => void;
    const { proc, deliver, lost } = setup({ flush: () => new Promise<void>((resolve) => (answer = resolve)) });
    proc.emit('SIGTERM');
    await vi.advanceTimersByTimeAsync(100);
    proc.emit('SIGTERM');
    await vi.advanceTimersByTimeAsync(50);
    expect(proc.kill).not.toHaveBeenCalled();
    answer();
    await vi.advanceTimersByTimeAsync(0);
    expect(proc.kill).toHaveBeenCalledTimes(1);
    expect(deliver).not.toHaveBeenCalled();
    expect(lost).toEqual([]);
  });

  it('the app has its own handler: no flush, no re-raise; its exit later is bounded by the same clock', async () => {
    const { proc, work } = setup({ flush: never });
    proc.on('SIGTERM', () => undefined);
    proc.emit('SIGTERM');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(work.flush).not.toHaveBeenCalled();
    expect(proc.kill).not.toHaveBeenCalled();
    proc.emit('beforeExit', 0);
    await vi.advanceTimersByTimeAsync(BOUND);
    expect(proc.exit).toHaveBeenCalledTimes(1);
  });

  it.each([
    ['v3', (proc: FakeProcess) => Object.assign(proc, { __signal_exit_emitter__: { count: 1 } }), {}],
    ['v4', () => undefined, { [Symbol.for('signal-exit emitter')]: { count: 1 } }],
  ] as const)('signal-exit %s listening is not the app handling it: we flush and re-raise, and signal-exit does the rest', async (_v, mark, global) => {
    const { proc } = setup({ global });
    mark(proc);
    proc.on('SIGTERM', () => undefined); // signal-exit's own listener
    proc.emit('SIGTERM');
    await vi.advanceTimersByTimeAsync(0);
    expect(proc.kill).toHaveBeenCalledWith(4242, 'SIGTERM');
    // With ours gone, signal-exit's equality (listeners === its count) holds again.
    expect(proc.listenerCount('SIGTERM')).toBe(1);
  });

  it('signal-exit and an app handler: the app decides', async () => {
    const { proc, work } = setup({ global: { [Symbol.for('signal-exit emitter')]: { count: 1 } } });
    proc.on('SIGTERM', () => undefined);
    proc.on('SIGTERM', () => undefined);
    proc.emit('SIGTERM');
    await vi.advanceTimersByTimeAsync(BOUND);
    expect(work.flush).not.toHaveBeenCalled();
    expect(proc.kill).not.toHaveBeenCalled();
  });
});
