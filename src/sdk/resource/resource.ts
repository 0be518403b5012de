// Builds the resource (docs/decisions.md, "Service identity is the application's"): detected attributes, then package.json's version, then
// OTEL_RESOURCE_ATTRIBUTES, then service.name and telemetry.distro.*. No network call unless a
// platform is detected locally (ECS).

import type { Resource, ResourceDetector } from '@opentelemetry/resources';
import type { Config } from '../../config';
import type { Logger } from '../../log/logger';
import { DISTRO_NAME, DISTRO_VERSION } from '../../version';
import { serviceIdentity, type ServiceIdentity } from './service-identity';
import { boundedEcsDetector } from './ecs-metadata';
import { lineRequire } from '../../otel-line/line';

/**
 * `serviceInstanceId` is generated once per process by the bootstrap, so that the resource and
 * the OpAMP agent description name the same instance.
 */
export function buildResource(config: Readonly<Config>, log: Logger, serviceInstanceId: string, entryScript = process.argv[1]): { resource: Resource; service: ServiceIdentity } {
  const r = lineRequire('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
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
        ...(detectorsOn(config, 'serviceinstance') && !config.resourceAttributes['service.instance.id'] ? { 'service.instance.id': serviceInstanceId } : {}),
        'telemetry.distro.name': DISTRO_NAME,
        'telemetry.distro.version': DISTRO_VERSION,
      }),
    );
  return { resource, service };
}

function detectorsOn(config: Readonly<Config>, name: string): boolean {
  const wanted = config.resourceDetectors;
  return !wanted.includes('none') && (wanted.includes('all') || wanted.includes(name));
}

function detectorsFor(config: Readonly<Config>, r: typeof import('@opentelemetry/resources')): ResourceDetector[] {
  const wanted = new Set(config.resourceDetectors);
  const all = wanted.has('all');
  if (wanted.has('none')) return [];
  const on = (name: string) => all || wanted.has(name);
  const detectors: ResourceDetector[] = [];
  if (on('host')) detectors.push(r.hostDetector);
  if (on('os')) detectors.push(r.osDetector);
  if (on('process')) detectors.push(withoutCommandArgs(r.processDetector));
  if (on('container')) detectors.push(lineRequire('@opentelemetry/resource-detector-container').containerDetector);
  // The ECS detector calls the task metadata endpoint: only when ECS says it is there; bounded and
  // never traced (ecs-metadata.ts).
  if (on('aws') && config.ecsMetadataUri) detectors.push(boundedEcsDetector());
  return detectors;
}

/**
 * The process detector without `process.command_args`: argv carries secrets (`--db=postgres://
 * app:PASSWORD@…`, `--api-token=…`) and no redaction can know every flag's meaning, so the whole
 * list stays home (issue #26; docs/decisions.md). `process.command` (the script), the executable
 * and the pid still go.
 */
function withoutCommandArgs(detector: ResourceDetector): ResourceDetector {
  return {
    detect(config) {
      const detected = detector.detect(config);
      const { ['process.command_args']: _dropped, ...attributes } = detected.attributes ?? {};
      return { ...detected, attributes };
    },
  };
}
