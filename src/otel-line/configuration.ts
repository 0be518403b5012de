// A configuration file through @opentelemetry/configuration, as each line offers it. 2.x: the
// factory (createConfigFactory) reads OTEL_CONFIG_FILE from process.env; 3.x: parseConfigFile(path)
// — the same parse (substitution, file_format check, schema validation), and the same error
// messages ("Invalid OpenTelemetry config file: <path>: …"). Both substitute from process.env.

import type { ConfigurationModel } from '@opentelemetry/configuration';
import { lineRequire } from './line';

export function parseConfigurationFile(file: string): ConfigurationModel {
  const c = lineRequire('@opentelemetry/configuration');
  if (typeof c.parseConfigFile === 'function') return c.parseConfigFile(file) as ConfigurationModel;
  return c.createConfigFactory().getConfigModel() as ConfigurationModel;
}
