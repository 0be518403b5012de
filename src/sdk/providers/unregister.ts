// Removes our providers from the OpenTelemetry API globals (used when the app brings its own SDK).

import { lineRequire } from '../../otel-line/line';
import { globalLogsApis } from '../../otel-line/logs-api';

export function unregisterGlobals(): void {
  const api = lineRequire('@opentelemetry/api') as typeof import('@opentelemetry/api');
  api.trace.disable();
  api.metrics.disable();
  api.propagation.disable();
  api.context.disable();
  for (const logs of globalLogsApis()) logs.disable();
  // Our diagnostics logger goes too: the app's SDK reports its own errors its own way.
  api.diag.disable();
}
