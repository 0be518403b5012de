// The only module that reads process.env. Without OTEL_CONFIG_FILE the settings come from OTEL_*
// variables; with it, from the file (parsed only then, so other processes never pay for it), and the
// other OTEL_* variables act only through substitution in the file, as the specification says.

import { splitList } from './parse';
import { SIGNALS, DEFAULT_EXCLUDED_PROCESSES } from './settings';
import { configFromValues } from './from-values';
import type { ConfigResult } from './types';

export type { BatchSettings, CapturedHeaders, Config, ConfigResult, SignalExport } from './types';

type Env = Record<string, string | undefined>;

/** The cheapest possible check, done before anything else is loaded. */
export function isSdkDisabled(env: Env = process.env): boolean {
  return (env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true';
}

/** The config file named by OTEL_CONFIG_FILE (or the deprecated OTEL_EXPERIMENTAL_CONFIG_FILE), if any. */
export function configFilePath(env: Env = process.env): string | undefined {
  const file = (env.OTEL_CONFIG_FILE ?? '').trim() || (env.OTEL_EXPERIMENTAL_CONFIG_FILE ?? '').trim();
  return file === '' ? undefined : file;
}

/**
 * The process lists that apply before any config file is read, so that tooling (npm, npx, …) never
 * pays for parsing one: the built-in list plus OTEL_NODE_EXCLUDED_PROCESSES / _INCLUDED_PROCESSES.
 */
export function processGuards(env: Env = process.env): { excluded: string[]; included: string[] } {
  return {
    excluded: [...splitList(DEFAULT_EXCLUDED_PROCESSES), ...splitList(env.OTEL_NODE_EXCLUDED_PROCESSES ?? '')],
    included: splitList(env.OTEL_NODE_INCLUDED_PROCESSES ?? ''),
  };
}

export function readConfig(env: Env = process.env): ConfigResult {
  const file = configFilePath(env);
  if (file === undefined) return configFromValues(env);
  // Loaded only now: with OTEL_SDK_DISABLED or without a file, no file code is ever loaded.
  return (require('./file') as typeof import('./file')).readConfigFile(file, env);
}

export { SIGNALS, configFromValues };
