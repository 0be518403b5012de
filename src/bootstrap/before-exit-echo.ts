// Our flush at 'beforeExit' keeps the loop alive (its bound timer), so when it ends Node emits
// 'beforeExit' again: an app's own listener would run twice where plain node runs it once (a CLI
// printing its summary twice). Plain node emits again only if the app's listeners started work
// that keeps the loop alive; so from the first emit until our flush ends, an async hook notes what
// is started in the app's context (the emit's, and what descends from it; our flush runs in its
// own). If nothing was, the next emit is ours alone and the app's listeners sit it out. If the
// bound cuts our flush short (we then exit as Node would have), an app that did start work gets
// the emit plain node would have given it, once, first. Where async_hooks is missing or fails,
// nothing changes: the listener may run twice, as before.

import type { AsyncResource as AsyncResourceType } from 'async_hooks';

/** Resources that do not keep the loop alive themselves; they only carry the app's context on. */
const CARRIERS = new Set(['PROMISE', 'TickObject', 'Microtask']);

type Listener = (...args: unknown[]) => void;

/** The parts of `process` used here. */
export interface EchoProcess {
  listeners(event: 'beforeExit'): Function[];
  /** With the wrappers of once-listeners, so that they stay once when put back. */
  rawListeners?(event: 'beforeExit'): Function[];
  removeListener(event: 'beforeExit', listener: Listener): unknown;
  on(event: 'beforeExit', listener: Listener): unknown;
  prependOnceListener(event: 'beforeExit', listener: Listener): unknown;
  emit(event: 'beforeExit', code: number): boolean;
  exitCode?: number | string | null;
}

export interface BeforeExitWatch {
  /** Runs our flush in its own context, so that what it starts is not taken for the app's work. */
  run<T>(flush: () => T): T;
  /** Our flush ended and the loop may drain now. */
  flushEnded(): void;
  /** The bound cut our flush short and we are about to exit. */
  flushCutShort(): void;
}

const UNWATCHED: BeforeExitWatch = { run: (flush) => flush(), flushEnded() {}, flushCutShort() {} };

/** Call from our 'beforeExit' listener, before the app's listeners run in the same emit. */
export function watchBeforeExit(proc: EchoProcess): BeforeExitWatch {
  let hooks: typeof import('async_hooks');
  let ours: AsyncResourceType;
  let hook: { disable(): unknown };
  let appStarted = 0;
  try {
    hooks = require('async_hooks') as typeof import('async_hooks');
    // Made before the hook is on: it and all it starts are outside the app's set.
    ours = new hooks.AsyncResource('otel-preload-exit-flush');
    if (typeof ours.runInAsyncScope !== 'function') return UNWATCHED;
    // The emit's own context is also where native callbacks without one run (a performance
    // observer's, say): it counts only while the emit's listeners run, until our tick after it.
    const emitContext = hooks.executionAsyncId();
    const app = new Set([emitContext]);
    process.nextTick(() => app.delete(emitContext));
    hook = hooks
      .createHook({
        init(asyncId: number, type: string, triggerAsyncId: number) {
          if (!app.has(triggerAsyncId)) return;
          app.add(asyncId);
          if (!CARRIERS.has(type)) appStarted++;
        },
      })
      .enable();
  } catch {
    return UNWATCHED;
  }
  const stop = (): void => {
    try {
      hook.disable();
    } catch {
      // the hook only counts; a failure leaves the listeners as they are
    }
  };
  return {
    run: (flush) => ours.runInAsyncScope(flush),
    flushEnded() {
      stop();
      if (appStarted > 0) return;
      // The next emit is ours alone: the app's listeners sit it out and are back for any later one
      // (work started some other way, which plain node would have followed with an emit too).
      const apps = (proc.rawListeners ? proc.rawListeners('beforeExit') : proc.listeners('beforeExit')) as Listener[];
      if (apps.length === 0) return;
      for (const l of apps) proc.removeListener('beforeExit', l);
      proc.prependOnceListener('beforeExit', () => {
        for (const l of apps) proc.on('beforeExit', l);
      });
    },
    flushCutShort() {
      stop();
      if (appStarted === 0) return;
      try {
        proc.emit('beforeExit', Number(proc.exitCode ?? 0) || 0);
      } catch {
        // the app's listener threw: as at any emit, the 'exit' path that follows still runs
      }
    },
  };
}
