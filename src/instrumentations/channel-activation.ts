// Instrumentations that are themselves diagnostics_channel listeners: upstream's undici
// instrumentation (`undici:request:*`) and @fastify/otel with registerOnInitialization
// (`fastify.initialization`). They work on a bundled copy as well as on one loaded from
// node_modules, once enabled; but they are enabled when their module is required, which a bundled
// copy never is. So the first message on the channel enables them, and that message (published
// before their own subscription existed: diagnostics_channel does not deliver a message to a
// subscriber added while it is being published, measured on Node 20 and 24) is handed to them.
// Loaded copies and bundled ones go through the same listener: one span per call either way.

/** Channel, and the instrumentation's own handler for its messages (upstream's method names). */
export const ACTIVATED_BY_CHANNEL: ReadonlyArray<{ instrumentation: string; channel: string; handler: string }> = [
  { instrumentation: 'undici', channel: 'undici:request:create', handler: 'onRequestCreated' },
  { instrumentation: 'fastify', channel: 'fastify.initialization', handler: '_handleInitialization' },
];

/**
 * Subscribes to each channel; `activate(name)` enables the instrumentation if it is not yet
 * (returning it only when it was enabled just now, undefined otherwise).
 */
export function activateOnChannels(activate: (name: string) => object | undefined): void {
  const dc = require('diagnostics_channel') as { subscribe?: (name: string, fn: (message: unknown) => void) => void; channel(name: string): { subscribe(fn: (message: unknown) => void): void } };
  for (const { instrumentation, channel, handler } of ACTIVATED_BY_CHANNEL) {
    const onMessage = (message: unknown) => {
      try {
        const fresh = activate(instrumentation) as Record<string, unknown> | undefined;
        const handle = fresh?.[handler];
        if (typeof handle === 'function') handle.call(fresh, message);
      } catch {
        // Never let tracing break a request.
      }
    };
    if (typeof dc.subscribe === 'function') dc.subscribe(channel, onMessage);
    else dc.channel(channel).subscribe(onMessage);
  }
}
