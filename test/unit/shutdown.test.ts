// The exit sequence installed by installExitHandlers, driven by emitting the process events it
// listens to, with fake timers for the bound. process.kill and process.exit are replaced by spies
// (so the test worker survives), and every listener the test adds is removed after it.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from '../../src/diag/logger';
import { installExitHandlers } from '../../src/bootstrap/shutdown';

const EVENTS = ['beforeExit', 'SIGTERM', 'SIGINT'] as const;
const BOUND = 2000;
type Listener = (...args: unknown[]) => void;
const listeners = (event: string) => process.listeners(event as NodeJS.Signals) as Listener[];
let before: Map<string, Listener[]>;
let lines: string[];
let kill: ReturnType<typeof vi.spyOn>;
let exit: ReturnType<typeof vi.spyOn>;

const log: Logger = { level: 'warn', error: (m) => lines.push(`error: ${m}`), warn: (m) => lines.push(`warn: ${m}`), info: () => undefined, debug: () => undefined, verbose: () => undefined, warnOnce: (_k, m) => lines.push(`warn: ${m}`) };

/** A flush the test finishes by hand, counting its calls. */
function controlledFlush() {
  const state = { calls: 0, finish: () => undefined as void, fail: (_e: Error) => undefined as void };
  const flush = () => {
    state.calls++;
    return new Promise<void>((resolve, reject) => {
      state.finish = resolve;
      state.fail = reject;
    });
  };
  return { state, flush };
}

beforeEach(() => {
  lines = [];
  before = new Map(EVENTS.map((e) => [e, listeners(e)]));
  vi.useFakeTimers();
  kill = vi.spyOn(process, 'kill').mockImplementation(() => true);
  exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
});
afterEach(() => {
  for (const e of EVENTS) for (const l of listeners(e)) if (!before.get(e)!.includes(l)) process.removeListener(e, l as never);
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('installExitHandlers', () => {
  it('the loop drains: one flush; when it finishes in time, Node exits by itself (no process.exit)', async () => {
    const { state, flush } = controlledFlush();
    installExitHandlers(flush, BOUND, log);
    process.emit('beforeExit', 0);
    process.emit('beforeExit', 0);
    expect(state.calls).toBe(1);
    await vi.advanceTimersByTimeAsync(BOUND - 1);
    state.finish();
    await vi.advanceTimersByTimeAsync(BOUND);
    expect(exit).not.toHaveBeenCalled();
    expect(lines).toEqual([]);
  });

  it('the loop drains, the flush hangs: exactly at the bound one warning, then process.exit() with the app\'s own code', async () => {
    const { flush } = controlledFlush();
    installExitHandlers(flush, BOUND, log);
    process.emit('beforeExit', 0);
    await vi.advanceTimersByTimeAsync(BOUND - 1);
    expect(exit).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(exit).toHaveBeenCalledTimes(1);
    expect(exit).toHaveBeenCalledWith(); // no argument: process.exitCode stays the app's
    expect(lines).toEqual([`warn: telemetry flush did not finish within ${BOUND} ms (OTEL_NODE_SHUTDOWN_TIMEOUT); exiting without it.`]);
  });

  it('a failed flush: one error line saying the telemetry is lost; the exit stays Node\'s', async () => {
    const { state, flush } = controlledFlush();
    installExitHandlers(flush, BOUND, log);
    process.emit('beforeExit', 0);
    state.fail(new Error('14 UNAVAILABLE: connect ECONNREFUSED'));
    await vi.advanceTimersByTimeAsync(BOUND * 2);
    expect(lines).toEqual(['error: export at exit failed (14 UNAVAILABLE: connect ECONNREFUSED); the telemetry it held is lost.']);
    expect(exit).not.toHaveBeenCalled();
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('%s, no handler of the app: flush, then the same signal again with our listener gone', async (signal) => {
    const { state, flush } = controlledFlush();
    installExitHandlers(flush, BOUND, log);
    const ours = listeners(signal).filter((l) => !before.get(signal)!.includes(l));
    expect(ours).toHaveLength(1);
    // Only ours: hide any listener the test runner has, as the app would have none.
    const others = before.get(signal)!;
    for (const l of others) process.removeListener(signal, l as never);
    try {
      process.emit(signal, signal);
      await vi.advanceTimersByTimeAsync(100);
      expect(kill).not.toHaveBeenCalled();
      state.finish();
      await vi.advanceTimersByTimeAsync(0);
      expect(kill).toHaveBeenCalledWith(process.pid, signal);
      expect(process.listeners(signal)).not.toContain(ours[0]);
    } finally {
      for (const l of others) process.on(signal, l as never);
    }
  });

  it('SIGTERM, no handler of the app, the flush hangs: the signal is re-raised exactly at the bound', async () => {
    const { flush } = controlledFlush();
    installExitHandlers(flush, BOUND, log);
    const others = before.get('SIGTERM')!;
    for (const l of others) process.removeListener('SIGTERM', l as never);
    try {
      process.emit('SIGTERM', 'SIGTERM');
      await vi.advanceTimersByTimeAsync(BOUND - 1);
      expect(kill).not.toHaveBeenCalled();
      await vi.advanceTimersByTimeAsync(1);
      expect(kill).toHaveBeenCalledWith(process.pid, 'SIGTERM');
    } finally {
      for (const l of others) process.on('SIGTERM', l as never);
    }
  });

  it('SIGTERM with a handler of the app: we flush in the background and never kill or exit', async () => {
    const { state, flush } = controlledFlush();
    installExitHandlers(flush, BOUND, log);
    const appHandler = vi.fn();
    process.on('SIGTERM', appHandler);
    process.emit('SIGTERM', 'SIGTERM');
    expect(appHandler).toHaveBeenCalledTimes(1);
    expect(state.calls).toBe(1);
    state.finish();
    await vi.advanceTimersByTimeAsync(BOUND * 2);
    expect(kill).not.toHaveBeenCalled();
    expect(exit).not.toHaveBeenCalled();
    // A later drain reuses the same flush rather than starting another.
    process.emit('beforeExit', 0);
    expect(state.calls).toBe(1);
  });
});
