// Delivers what was collected on every way out of the process, without changing how or when it
// ends (docs/exit-delivery.md). One clock: the first exit step starts it and every later step only uses
// what is left of OTEL_NODE_SHUTDOWN_TIMEOUT, so the extra time at exit is bounded in total.
// - the event loop drains ('beforeExit') → asynchronous flush; if it runs out of time, exit as
//   Node would have (process.exitCode). Export sockets never hold the loop (the transport unrefs
//   them); only the flush's own bound timer does, so a black-hole collector cannot stretch this.
// - SIGTERM/SIGINT and nobody else handles it (signal-owners.ts: signal-exit does not count) →
//   flush, then re-raise the same signal with our listener gone: status 143/130 as without us,
//   and signal-exit, if loaded, runs its callbacks then. A second signal meanwhile stops waiting
//   (exports in flight get HURRY_GRACE_MS to answer; the queue is counted, not sent).
// - SIGTERM/SIGINT with the app's own handler → the app decides and keeps serving if it wants;
//   its spans keep flowing on the normal schedule and its end is one of the other paths.
// - 'exit' (process.exit(code) from anywhere, uncaught exceptions, unhandled rejections, and the
//   end of the paths above) → only synchronous work is possible: what is still pending is sent
//   from a worker thread while this thread waits for what is left of the bound (src/exit/).
// Whatever is not delivered is counted in the SDK's loss ledger, which names it in one stderr line.
// Installed only once the SDK exists: a process with nothing to deliver gets no listeners at all.

import type { Logger } from '../log/logger';
import type { LossCause, PendingRequest } from '../sdk';
import type { SyncOutcome } from '../exit/deliver-sync';
import { appHandles } from './signal-owners';

export interface ExitWork {
  /** Flushes and stops the SDK (and OpAMP); rejects with what failed. */
  flush(): Promise<void>;
  /** What the SDK still holds, as whole OTLP requests, taken out synchronously. */
  takePending(): PendingRequest[];
  /** Counts telemetry that could not be delivered at exit in the SDK's loss ledger. */
  countLost(signal: PendingRequest['signal'], count: number, cause: LossCause, reason?: string): void;
  /** Has the ledger write its one line now for whatever it has not named yet. */
  reportLosses(): void;
  totalLost(): number;
}

/** The parts of `process` used here (a fake one in unit tests). */
export interface ExitProcess {
  readonly pid: number;
  on(event: string, listener: (...args: never[]) => void): unknown;
  once(event: string, listener: (...args: never[]) => void): unknown;
  removeListener(event: string, listener: (...args: never[]) => void): unknown;
  listeners(event: NodeJS.Signals): Function[];
  kill(pid: number, signal: NodeJS.Signals): unknown;
  exit(code?: number): void;
}

export interface ExitOptions {
  proc?: ExitProcess;
  deliver?: (requests: PendingRequest[], deadline: number) => SyncOutcome;
  global?: object;
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;
/** After a second signal, how long exports in flight may still answer (a few loop turns on a busy host). */
export const HURRY_GRACE_MS = 250;
const message = (err: unknown) => (err as Error)?.message ?? String(err);

export function installExitHandlers(work: ExitWork, timeoutMillis: number, log: Logger, options: ExitOptions = {}): void {
  const proc = options.proc ?? (process as unknown as ExitProcess);
  const deliver = options.deliver ?? ((r, d) => (require('../exit/deliver-sync') as typeof import('../exit/deliver-sync')).deliverSync(r, d));
  let deadline: number | undefined;
  let lostBefore = 0;
  const startClock = (): number => {
    if (deadline === undefined) {
      deadline = Date.now() + timeoutMillis;
      lostBefore = work.totalLost();
    }
    return deadline;
  };
  let flushing: Promise<boolean> | undefined;
  let flushProblem: string | undefined;
  let finished = false;
  /** A second signal: the operator will not wait, so what is pending is counted, not sent. */
  let hurry = false;

  /** Resolves true when the flush ended (well or not), false when the bound cut it short. */
  const boundedFlush = (): Promise<boolean> =>
    (flushing ??= new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        flushProblem ??= `did not finish within ${timeoutMillis} ms`;
        resolve(false);
      }, Math.max(0, startClock() - Date.now()));
      let flush: Promise<void>;
      try {
        flush = work.flush();
      } catch (err) {
        flush = Promise.reject(err);
      }
      flush
        .catch((err) => (flushProblem ??= `failed (${message(err)})`))
        .finally(() => {
          clearTimeout(timer);
          resolve(true);
        });
    }));

  /** The synchronous end: deliver what is pending within what is left of the bound, then report. */
  const finish = (): void => {
    if (finished) return;
    finished = true;
    try {
      startClock();
      const pending = work.takePending();
      if (pending.length && hurry) {
        for (const request of pending) work.countLost(request.signal, request.count, 'shutdown');
      } else if (pending.length) {
        const t0 = Date.now();
        const outcome = deliver(pending, startClock());
        log.debug(`at exit, ${pending.length - outcome.lost.length} of ${pending.length} pending requests delivered in ${Date.now() - t0} ms.`);
        // Summed first, so that the ledger names them together in its one line.
        const sums = new Map<string, { signal: PendingRequest['signal']; cause: LossCause; count: number }>();
        for (const { request, cause } of outcome.lost) {
          const key = `${request.signal}/${cause}`;
          const sum = sums.get(key) ?? sums.set(key, { signal: request.signal, cause, count: 0 }).get(key)!;
          sum.count += request.count;
        }
        for (const { signal, cause, count } of sums.values()) work.countLost(signal, count, cause, outcome.reason);
        if (outcome.lost.length) log.debug(`at exit, ${outcome.lost.length} of ${pending.length} requests were not delivered (${outcome.reason}).`);
      }
      work.reportLosses();
      // A flush cut short or failed without a count (nothing pending): still one line.
      if (flushProblem && work.totalLost() === lostBefore) {
        log.warn(`the telemetry flush at exit ${flushProblem} (OTEL_NODE_SHUTDOWN_TIMEOUT=${timeoutMillis} ms).`);
      }
    } catch (err) {
      try {
        log.error(`the delivery at exit failed (${message(err)}); the telemetry it held is lost.`);
      } catch {
        // nothing may reach the application from here
      }
    }
  };

  /** The signal being handled (flush, then raise it again), if any. */
  let stopping: NodeJS.Signals | undefined;
  proc.once('beforeExit', () => {
    void boundedFlush().then((ended) => {
      // Cut short: only our export can still be running; leave as Node would have, with the
      // app's exit code ('exit' then counts what is left) — unless a signal arrived meanwhile
      // (as the loop emptied): then the process must die by it, which reraise() does next.
      if (!ended && !stopping) proc.exit();
    });
  });
  proc.on('exit', finish);

  const handlers = new Map<NodeJS.Signals, () => void>();
  let reraised = false;
  const reraise = (signal: NodeJS.Signals) => {
    // Once: the flush's end and the grace after a second signal may both come here.
    if (reraised) return;
    reraised = true;
    for (const [s, h] of handlers) proc.removeListener(s, h);
    finish();
    proc.kill(proc.pid, signal);
  };
  for (const signal of SIGNALS) {
    const onSignal = (): void => {
      // A second signal while we flush: the operator does not want to wait. Exports already in
      // flight get HURRY_GRACE_MS for their answer, no more: the collector may have them already
      // (a slow but healthy one answers late), and counting them lost would count spans that
      // arrived (exported + lost > created). What is still queued is counted, not sent. A third
      // signal does not wait at all.
      if (stopping) {
        if (hurry || !flushing) {
          hurry = true;
          return reraise(signal);
        }
        hurry = true;
        const grace = new Promise<void>((resolve) => setTimeout(resolve, HURRY_GRACE_MS).unref?.());
        void Promise.race([flushing, grace]).then(() => reraise(signal));
        return;
      }
      if (appHandles(signal, onSignal, proc, options.global)) return;
      stopping = signal;
      void boundedFlush().then(() => reraise(signal));
    };
    handlers.set(signal, onSignal);
    proc.on(signal, onSignal);
  }
}
