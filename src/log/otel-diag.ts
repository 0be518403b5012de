// Routes OpenTelemetry's own diagnostics (api.diag) through our rate-limited stderr logger.

import type { Logger } from './logger';
import { lineRequire } from '../otel-line/line';

type Api = typeof import('@opentelemetry/api');

// Upstream warns that a module "has been loaded before" its instrumentation when an ESM import
// activates the instrumentation lazily; the import hook patches it anyway, so this is noise.
// A partial success is counted and named by the loss ledger (sdk/export/partial-success.ts): not twice.
// 3.x line: resource-detector-aws 3.0's ECS detector resolves aws.log.* to undefined for a task
// without the awslogs driver, and resources 3.1 warns for every undefined resource value where 2.x
// skipped it silently; the attribute is absent on both lines, only the warning differs.
const EXPECTED_NOISE = /has been loaded before|Received Partial Success response|dropping invalid resource attribute value for key "aws\.log\./;

export function routeOtelDiagnostics(api: Api, log: Logger): void {
  // Export failures reach OpenTelemetry's global error handler, whose default prints JSON stacks.
  const core = lineRequire('@opentelemetry/core') as typeof import('@opentelemetry/core');
  core.setGlobalErrorHandler((err) => {
    const msg = describe(err).replace(/\s*\n\s*/g, ' ');
    log.error(/export/i.test(msg) ? msg : `export failed: ${msg}`);
  });

  // One line per message: errors by their message, never a multi-line stack.
  const text = (args: unknown[]) => args.map(describe).join(' ').replace(/\s*\n\s*/g, ' ');
  const levels = { none: api.DiagLogLevel.NONE, error: api.DiagLogLevel.ERROR, warn: api.DiagLogLevel.WARN, info: api.DiagLogLevel.INFO, debug: api.DiagLogLevel.DEBUG, verbose: api.DiagLogLevel.VERBOSE, all: api.DiagLogLevel.ALL };
  api.diag.setLogger(
    {
      error: (...a) => log.error(text(a)),
      warn: (...a) => {
        const msg = text(a);
        if (EXPECTED_NOISE.test(msg)) log.debug(msg);
        else log.warn(msg);
      },
      info: (...a) => log.info(text(a)),
      debug: (...a) => log.debug(text(a)),
      verbose: (...a) => log.verbose(text(a)),
    },
    { logLevel: levels[log.level], suppressOverrideMessage: true },
  );
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as Error).message === 'string') return (value as Error).message;
  return safeJson(value);
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
