// Builds the resource (design.md §6). Precedence for service.name: OTEL_SERVICE_NAME, then
// OTEL_RESOURCE_ATTRIBUTES, then the nearest package.json of the entry script, then
// unknown_service:node. No network call unless a platform is detected locally (ECS).

import { readFileSync } from 'fs';
import * as path from 'path';
import type { Resource, ResourceDetector } from '@opentelemetry/resources';
import type { Config } from '../config';
import type { Logger } from '../diag/logger';
import { DISTRO_NAME, DISTRO_VERSION } from '../version';

export interface ServiceIdentity {
  name: string;
  version?: string;
  source: 'OTEL_SERVICE_NAME' | 'OTEL_RESOURCE_ATTRIBUTES' | 'package.json' | 'default';
}

export function buildResource(config: Readonly<Config>, log: Logger, entryScript = process.argv[1]): { resource: Resource; service: ServiceIdentity } {
  const r = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const service = serviceIdentity(config, log, entryScript);

  const detected = r.detectResources({ detectors: detectorsFor(config, r) });
  const fromPackage: Record<string, string> = {};
  if (service.source === 'package.json' && service.version) fromPackage['service.version'] = service.version;

  const resource = r
    .defaultResource()
    .merge(detected)
    .merge(r.resourceFromAttributes(fromPackage))
    .merge(r.resourceFromAttributes({ ...config.resourceAttributes }))
    .merge(
      r.resourceFromAttributes({
        'service.name': service.name,
        'telemetry.distro.name': DISTRO_NAME,
        'telemetry.distro.version': DISTRO_VERSION,
      }),
    );
  return { resource, service };
}

function detectorsFor(config: Readonly<Config>, r: typeof import('@opentelemetry/resources')): ResourceDetector[] {
  const wanted = new Set(config.resourceDetectors);
  const all = wanted.has('all');
  if (wanted.has('none')) return [];
  const on = (name: string) => all || wanted.has(name);
  const detectors: ResourceDetector[] = [];
  if (on('host')) detectors.push(r.hostDetector);
  if (on('os')) detectors.push(r.osDetector);
  if (on('process')) detectors.push(r.processDetector);
  if (on('serviceinstance')) detectors.push(r.serviceInstanceIdDetector);
  if (on('container')) detectors.push(require('@opentelemetry/resource-detector-container').containerDetector);
  // The ECS detector calls the task metadata endpoint: only when ECS says it is there.
  if (on('aws') && config.ecsMetadataUri) detectors.push(require('@opentelemetry/resource-detector-aws').awsEcsDetector);
  return detectors;
}

function serviceIdentity(config: Readonly<Config>, log: Logger, entryScript?: string): ServiceIdentity {
  if (config.serviceName) return { name: config.serviceName, source: 'OTEL_SERVICE_NAME' };
  const fromAttributes = config.resourceAttributes['service.name'];
  if (fromAttributes) return { name: fromAttributes, source: 'OTEL_RESOURCE_ATTRIBUTES' };
  const pkg = entryScript ? nearestPackageJson(entryScript, log) : undefined;
  if (pkg?.name) return { name: pkg.name, version: pkg.version, source: 'package.json' };
  return { name: 'unknown_service:node', source: 'default' };
}

/** Walks up from the entry script to the first package.json that has a name. */
export function nearestPackageJson(entryScript: string, log: Logger): { name?: string; version?: string } | undefined {
  let dir = path.dirname(path.resolve(entryScript));
  for (;;) {
    const file = path.join(dir, 'package.json');
    let text: string | undefined;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') log.warn(`${file} cannot be read (${code}); service.name falls back further.`);
    }
    if (text !== undefined) {
      try {
        const pkg = JSON.parse(text);
        if (pkg && typeof pkg.name === 'string' && pkg.name) {
          return { name: pkg.name, version: typeof pkg.version === 'string' ? pkg.version : undefined };
        }
      } catch {
        log.warn(`${file} is not valid JSON; service.name falls back further.`);
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
