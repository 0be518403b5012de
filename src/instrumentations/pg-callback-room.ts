// The pg instrumentation with room for its callback frame in the app's stacks (issue #26). Upstream
// wraps a query's callback in `patchedCallback` (utils.patchCallback, and patchCallbackPGPool for
// pool.connect) and calls the app's callback from there, bound through the context manager only
// when a parent span exists. That frame takes one of Error.stackTraceLimit's slots, so a stack
// captured in the app's callback lost its bottom frame against plain node's. The wrapped callback
// runs through withRoomForOurFrames (util/stack-frames.ts), as everything the context manager runs
// does. Upstream calls both through its utils module's exports, so wrapping them there reaches every
// call; if a bump moves the module, the class is upstream's unchanged (docs/decisions.md).

import { requireInternal } from '../otel-line/internals';
import { lineRequire } from '../otel-line/line';
import { withRoomForOurFrames } from '../util/stack-frames';

type Callback = (this: unknown, ...args: unknown[]) => unknown;
type Utils = Record<'patchCallback' | 'patchCallbackPGPool', (...args: unknown[]) => Callback>;
const WRAPPED = Symbol.for('otel-preload.pg-callback-room');

export function pgInstrumentationClass(): new (config?: Record<string, unknown>) => unknown {
  try {
    const utils = requireInternal<Utils & { [WRAPPED]?: true }>('instrumentation-pg/utils');
    if (!utils[WRAPPED]) {
      utils[WRAPPED] = true;
      for (const name of ['patchCallback', 'patchCallbackPGPool'] as const) {
        const original = utils[name];
        if (typeof original !== 'function') continue;
        utils[name] = function (this: unknown, ...args: unknown[]) {
          const patched = original.apply(this, args);
          return typeof patched !== 'function'
            ? patched
            : function patchedWithRoom(this: unknown) {
                return withRoomForOurFrames(patched, this, arguments);
              };
        };
      }
    }
  } catch {
    // The internal moved: upstream's class as it is (its frame takes a slot).
  }
  return lineRequire('@opentelemetry/instrumentation-pg').PgInstrumentation;
}
