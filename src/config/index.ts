// The only module that reads process.env. Without OTEL_CONFIG_FILE the settings come from OTEL_*
// variables; with it, from the file (parsed only then, so other processes never pay for it), and the
// other OTEL_* variables act only through substitution in the file, as the specification says.

import { SETTINGS_BY_NAME, SIGNALS, DEFAULT_EXCLUDED_PROCESSES } from './settings';
import { splitList } from './parse';
import { configFromValues } from './values';
// Small mapping modules only: the YAML parser and schema validator load inside readConfigFile.
import { readConfigFile } from './file';
import type { ConfigResult } from './types';

export type { BatchSettings, Config, ConfigResult, SignalExport } from './types';

type Env = Record<string, string | undefined>;

/** The cheapest possible check, done before anything else is loaded. */
export function isSdkDisabled(env: Env = process.env): boolean {
  return (env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true';
}

/** Names of the OTEL_* variables that are set (for diagnostics), secrets included as names only. */
export function setVariableNames(env: Env = process.env): string[] {
  return Object.keys(env).filter((k) => k.startsWith('OTEL_'));
}

export function isSecretSetting(name: string): boolean {
  return SETTINGS_BY_NAME.get(name)?.secret === true;
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
  return readConfigFile(file, env);
}

export { SIGNALS };
