// The one bootstrap behind both entries (register.cjs for --require, register.mjs for --import).
// Order matters for cost and safety: cheap guards first, nothing heavy until telemetry is needed,
// and every failure contained so that the host process runs on as if we were absent.

import { isExcludedProcess, isSupportedNode, processNames } from './guards';
import type { Entry } from './types';

interface PreloadState {
  entry: Entry;
}

const STATE = Symbol.for('otel-preload.state');

export function start(entry: Entry, entryFile: string): void {
  try {
    const global = globalThis as { [STATE]?: PreloadState };
    // Loaded twice (--require and --import, or the same flag twice, or two copies): the first wins.
    if (global[STATE]) return;
    global[STATE] = { entry };

    if (!isSupportedNode()) {
      process.stderr.write(`otel-preload: Node.js ${process.version} is not supported (needs ^18.19.0 || >=20.6.0); telemetry is off for this process.\n`);
      return;
    }
    const { isSdkDisabled, readConfig, configFilePath, processGuards } = require('../config') as typeof import('../config');
    if (isSdkDisabled()) return;
    // Workers inherit NODE_OPTIONS; the main thread's SDK already covers the process.
    if (!require('worker_threads').isMainThread) return;

    // With OTEL_CONFIG_FILE set, tooling is left alone before the file is read (and paid for).
    const guards = configFilePath() === undefined ? undefined : processGuards();
    if (guards && isExcludedProcess(processNames(), guards.excluded, guards.included)) return;
    const { config, warnings, off } = readConfig();
    const { createLogger } = require('../log/logger') as typeof import('../log/logger');
    const log = createLogger(config.logLevel);
    const excludedAs = isExcludedProcess(processNames(), config.excludedProcesses, config.includedProcesses);
    if (excludedAs) {
      log.debug(`process ${excludedAs} is excluded (tooling or OTEL_NODE_EXCLUDED_PROCESSES); not instrumenting it (OTEL_NODE_INCLUDED_PROCESSES="${excludedAs}" would).`);
      return;
    }
    for (const w of warnings) log.warn(w);
    if (off) return; // an unusable OTEL_CONFIG_FILE (its line is among the warnings) or `disabled: true`
    require('./run').run(config, log, entry, entryFile);
  } catch (err) {
    try {
      process.stderr.write(`otel-preload: disabled after an internal error (${(require('../util/redact') as typeof import('../util/redact')).redactText(String((err as Error)?.message ?? err))}); the application runs uninstrumented.\n`);
    } catch {
      // nothing left to do
    }
  }
}
