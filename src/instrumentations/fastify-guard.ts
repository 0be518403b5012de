// @fastify/otel claims fastify >=4.0.0 but reads request.routeOptions, which fastify added in 4.10:
// wired into an older fastify, every request answers 500 (measured on 4.0.0). Its
// registerOnInitialization handler (the `fastify.initialization` channel) wires any version, so
// the handler is replaced by one that leaves fastify older than 4.10 alone (uninstrumented, as
// outside any other instrumentation's range), after each enable (which makes a new handler).

import { atLeast } from './coverage';

const CHANNEL = 'fastify.initialization';
const OLDEST = '4.10.0';

export function guardFastifyInitialization(instrumentation: object): void {
  const inst = instrumentation as { _handleInitialization?: (message: unknown) => void; enable(): void };
  const dc = require('diagnostics_channel') as { subscribe(n: string, f: (m: unknown) => void): void; unsubscribe(n: string, f: (m: unknown) => void): void };
  const guard = () => {
    const inner = inst._handleInitialization;
    if (typeof inner !== 'function' || (inner as { guarded?: boolean }).guarded) return;
    const guarded = (message: unknown) => {
      const version = (message as { fastify?: { version?: unknown } } | undefined)?.fastify?.version;
      if (typeof version === 'string' && !atLeast(version, OLDEST)) return;
      inner.call(inst, message);
    };
    (guarded as { guarded?: boolean }).guarded = true;
    dc.unsubscribe(CHANNEL, inner);
    inst._handleInitialization = guarded;
    dc.subscribe(CHANNEL, guarded);
  };
  guard();
  const enable = inst.enable;
  inst.enable = function (this: unknown) {
    enable.call(inst);
    guard();
  };
}
