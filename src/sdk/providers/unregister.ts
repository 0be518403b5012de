// Removes our providers from the OpenTelemetry API globals (used when the app brings its own SDK).

export function unregisterGlobals(): void {
  const api = require('@opentelemetry/api') as typeof import('@opentelemetry/api');
  const { logs } = require('@opentelemetry/api-logs') as typeof import('@opentelemetry/api-logs');
  api.trace.disable();
  api.metrics.disable();
  api.propagation.disable();
  api.context.disable();
  logs.disable();
  // Our diagnostics logger goes too: the app's SDK reports its own errors its own way.
  api.diag.disable();
}
