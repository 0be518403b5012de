// Where service.name comes from (design.md §6): OTEL_SERVICE_NAME, then OTEL_RESOURCE_ATTRIBUTES,
// then the nearest package.json (with a name) above the entry script, then unknown_service:node.

import * as path from 'path';
import type { Config } from '../config';
import type { Logger } from '../log/logger';
import { findPackageJson } from '../util/package-json';

export interface ServiceIdentity {
  name: string;
  version?: string;
  source: 'OTEL_SERVICE_NAME' | 'OTEL_RESOURCE_ATTRIBUTES' | 'package.json' | 'default';
}

export function serviceIdentity(config: Readonly<Config>, log: Logger, entryScript: string | undefined = process.argv[1]): ServiceIdentity {
  if (config.serviceName) return { name: config.serviceName, source: 'OTEL_SERVICE_NAME' };
  const fromAttributes = config.resourceAttributes['service.name'];
  if (fromAttributes) return { name: fromAttributes, source: 'OTEL_RESOURCE_ATTRIBUTES' };
  const pkg = entryScript
    ? findPackageJson(path.dirname(path.resolve(entryScript)), (p) => typeof p.name === 'string' && p.name !== '', (file, why) => log.warn(`${file} ${why}; service.name falls back further.`))
    : undefined;
  if (pkg?.name) return { name: pkg.name, version: typeof pkg.version === 'string' ? pkg.version : undefined, source: 'package.json' };
  return { name: 'unknown_service:node', source: 'default' };
}
