// The global logs API(s) a logger provider is registered with. 2.x: @opentelemetry/api-logs. 3.x:
// `logs` inside @opentelemetry/api 1.10 — and api-logs as well when the line has it, because
// @opentelemetry/winston-transport (0.34, the newest, still of the 2.x era) reads api-logs' global
// even under instrumentation-winston 3.x. Both accept the same provider object.

import { line, lineRequire } from './line';

export interface GlobalLogs {
  setGlobalLoggerProvider(provider: unknown): unknown;
  disable(): void;
}

export function globalLogsApis(): GlobalLogs[] {
  if (line().name === '2.x') return [lineRequire('@opentelemetry/api-logs').logs];
  const apis: GlobalLogs[] = [lineRequire('@opentelemetry/api').logs];
  try {
    apis.push(lineRequire('@opentelemetry/api-logs').logs);
  } catch {
    // no winston-transport on this line: nothing reads api-logs
  }
  return apis;
}
