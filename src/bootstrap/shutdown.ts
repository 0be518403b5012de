// Flush at exit without changing how or when the process exits (design.md §9):
// - the event loop drains → flush, bounded by OTEL_NODE_SHUTDOWN_TIMEOUT, then exit as Node would;
// - SIGTERM/SIGINT and the app has no handler of its own → flush (bounded), then die by the same
//   signal, so the exit status is what it would have been without us (143 / 130);
// - the app has its own handler → it keeps full control; we only flush in the background.
// Only installed once the SDK exists: a process with nothing to flush gets no listeners at all.

import type { Logger } from '../diag/logger';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

export function installExitHandlers(flush: () => Promise<void>, timeoutMillis: number, log: Logger): void {
  let flushing: Promise<boolean> | undefined;
  const boundedFlush = (): Promise<boolean> => {
    flushing ??= new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        log.warn(`telemetry flush did not finish within ${timeoutMillis} ms (OTEL_NODE_SHUTDOWN_TIMEOUT); exiting without it.`);
        resolve(false);
      }, timeoutMillis);
      flush()
        .catch((err) => log.error(`export at exit failed (${err?.message ?? err}); the telemetry it held is lost.`))
        .finally(() => {
          clearTimeout(timer);
          resolve(true);
        });
    });
    return flushing;
  };

  process.once('beforeExit', () => {
    boundedFlush().then((finished) => {
      // Past the bound only our export (retries, sockets) keeps the loop alive: leave as Node
      // would have, with the app's exit code. A finished flush leaves nothing behind.
      if (!finished) process.exit();
    });
  });

  for (const signal of SIGNALS) {
    const onSignal = () => {
      const appHandles = process.listenerCount(signal) > 1;
      if (appHandles) {
        void boundedFlush();
        return;
      }
      boundedFlush().then(() => {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      });
    };
    process.on(signal, onSignal);
  }
}
