// OTEL_CONFIG_FILE: the file is loaded and validated, its model mapped onto the settings table, and
// the result parsed by the same code as the environment. Any file that cannot be used turns
// telemetry off for the process, with one line naming the file, the path in it and what is wrong:
// exporting with defaults the operator did not choose would send data to the wrong place.

import { loadModel } from './load';
import { ModelMapper } from './model';
import { mapDistribution } from './distribution';
import { configFromValues } from '../from-values';
import type { ConfigResult } from '../types';

type Env = Record<string, string | undefined>;

/** Variables that are not configuration but facts about the platform, read as without a file. */
const PLATFORM = ['ECS_CONTAINER_METADATA_URI_V4', 'AWS_LAMBDA_FUNCTION_NAME'];
/** Guards read before any file (see processGuards), so they still apply with one. */
const GUARDS = ['OTEL_NODE_EXCLUDED_PROCESSES', 'OTEL_NODE_INCLUDED_PROCESSES'];

export function readConfigFile(file: string, env: Env): ConfigResult {
  const deprecated = !env.OTEL_CONFIG_FILE?.trim() ? ['OTEL_EXPERIMENTAL_CONFIG_FILE is deprecated; set OTEL_CONFIG_FILE instead.'] : [];
  const shown = showPath(file);
  const loaded = loadModel(file, env);
  // One line per variable: with the deprecated name, the deprecation rides on the file's line.
  const name = deprecated.length ? 'OTEL_EXPERIMENTAL_CONFIG_FILE (deprecated: set OTEL_CONFIG_FILE)' : 'OTEL_CONFIG_FILE';
  if ('error' in loaded) return off(`${name} ${shown} ${loaded.error}; no telemetry from this process.`, []);

  const mapper = new ModelMapper();
  const mapped = mapper.map(loaded.model);
  mapDistribution(mapper, (loaded.model as Record<string, unknown>).distribution, env.OTEL_NODE_EXCLUDED_PROCESSES ?? '');
  const values: Env = { ...mapped.values };
  for (const name of [...PLATFORM, ...GUARDS]) if (values[name] === undefined && env[name] !== undefined) values[name] = env[name];

  const result = configFromValues(values, (name) => `${shown}: ${mapped.paths.get(name) ?? name}`);
  const warnings = [...deprecated, ...result.warnings];
  if (mapped.sampler) warnings.push(`${shown}: ${mapped.sampler} is refused: sampling is done centrally, so every span is recorded and exported (always_on).`);
  if (mapped.unsupported.length) warnings.push(`${shown}: not supported by otel-preload, ignored: ${mapped.unsupported.join(', ')}.`);
  const source = { path: file, fileFormat: loaded.fileFormat };
  // Keys in the file may hold line breaks; a warning stays one line whatever the file says.
  const lines = warnings.map((w) => w.replace(/[\r\n\u2028\u2029]+/g, ' '));
  const sources = [...mapped.paths].map(([setting, path]) => ({ setting, path, from: loaded.substituted.some((p) => p === path || p === `${path}_list` || p.startsWith(`${path}[`)) ? ('substitution' as const) : ('file' as const) }));
  return { config: Object.freeze({ ...result.config, configFile: source }), warnings: lines, off: mapped.disabled || undefined, file: source, sources };
}

/** A path as one line shows it: quoted when it holds control characters, shortened when absurdly long. */
function showPath(file: string): string {
  const short = file.length > 200 ? `${file.slice(0, 200)}…` : file;
  return /[\u0000-\u001f\u007f\u2028\u2029]/.test(short) ? JSON.stringify(short) : short;
}

function off(line: string, warnings: string[]): ConfigResult {
  // A config with nothing to export, should a caller build an SDK from it anyway.
  const { config } = configFromValues({ OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' });
  return { config, warnings: [...warnings, line], off: true };
}
