// Builds the resource (docs/decisions.md, "Service identity is the application's"): detected attributes, then package.json's version, then
// OTEL_RESOURCE_ATTRIBUTES, then service.name and telemetry.distro.*. No network call unless a
// platform is detected locally (ECS).

import type { Resource, ResourceDetector } from '@opentelemetry/resources';
import type { Config } from '../../config';
import type { Logger } from '../../log/logger';
import { DISTRO_NAME, DISTRO_VERSION } from '../../version';
import { serviceIdentity, type ServiceIdentity } from './service-identity';
import { entryScript as currentEntryScript } from '../../util/entry-script';
import { boundedEcsDetector } from './ecs-metadata';
import { lineRequire } from '../../otel-line/line';
import * as fs from 'fs';

/**
 * `serviceInstanceId` is generated once per process by the bootstrap, so that the resource and
 * the OpAMP agent description name the same instance.
 */
export function buildResource(config: Readonly<Config>, log: Logger, serviceInstanceId: string, entryScript = currentEntryScript()): { resource: Resource; service: ServiceIdentity } {
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
  if (on('host')) detectors.push(withSyncHostId(r.hostDetector));
  if (on('os')) detectors.push(r.osDetector);
  if (on('process')) detectors.push(withoutCommandArgs(r.processDetector));
  if (on('container')) detectors.push(withSyncReads(lineRequire('@opentelemetry/resource-detector-container')));
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

// Threads (issue #26): the host and container detectors read /etc/machine-id and
// /proc/self/{cgroup,mountinfo} with asynchronous fs calls (and the host detector first import()s
// its platform module, which Node's ESM loader reads asynchronously too). The first asynchronous
// fs call starts libuv's thread pool: 4 threads more than plain node, for an app that never uses
// the pool itself — and a few threads can be what pids.max / ulimit -u allow. These files are a
// few bytes on a virtual file system: read synchronously, once, at start-up. docs/decisions.md.

const readSync = (file: string): string | undefined => {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};

/**
 * On Linux, the host detector's attributes without its asynchronous machine-id lookup: host.name
 * and host.arch as upstream makes them, host.id from the same files upstream reads. Elsewhere
 * upstream's detector.
 */
function withSyncHostId(detector: ResourceDetector): ResourceDetector {
  if (process.platform !== 'linux') return detector;
  const ARCH: Record<string, string> = { arm: 'arm32', ppc: 'ppc32', x64: 'amd64' };
  return {
    detect() {
      const os = require('os') as typeof import('os');
      const id = (readSync('/etc/machine-id') ?? readSync('/var/lib/dbus/machine-id'))?.trim();
      return { attributes: { 'host.name': os.hostname(), 'host.arch': ARCH[os.arch()] ?? os.arch(), ...(id ? { 'host.id': id } : {}) } };
    },
  };
}

/**
 * The container detector, its file reads made synchronous: its class reads through a static
 * `readFileAsync` (private in its typings; the same in the 2.x and 3.x builds). Where a release
 * no longer has it, upstream's asynchronous read stays (and the thread pool with it).
 */
function withSyncReads(mod: { containerDetector: ResourceDetector }): ResourceDetector {
  // The class is not exported; the instance's constructor is it.
  const cls = mod.containerDetector.constructor as unknown as { readFileAsync?: unknown };
  if (cls && typeof cls.readFileAsync === 'function') {
    cls.readFileAsync = async (file: string, encoding: BufferEncoding) => fs.readFileSync(file, encoding);
  }
  return mod.containerDetector;
}
