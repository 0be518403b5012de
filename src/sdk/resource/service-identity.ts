// Where service.name comes from (docs/decisions.md, "Service identity is the application's"): OTEL_SERVICE_NAME, then OTEL_RESOURCE_ATTRIBUTES,
// then the application's package.json, then unknown_service:node. The application's package.json
// is the nearest one (with a name) above the entry script — unless the entry script lives inside
// node_modules (`next start`, `nest start`, json-server and other framework CLIs, `npm start`-style
// launches of a dependency's bin): then it is the package owning that node_modules, else the
// working directory's. Otherwise every Next.js app would be called `next`.
// Frameworks that generate their own server package are seen through: Nitro (Nuxt, Analog,
// SolidStart, …) writes `.output/server/package.json` named `<app>-prod` beside `.output/nitro.json`;
// the app's own package.json above `.output` names the service, else the generated name without
// its `-prod` (an image that copied only `.output`).

import * as path from 'path';
import type { Config } from '../../config';
import type { Logger } from '../../log/logger';
import { existsSync } from 'fs';
import { findPackageJson, findPackageJsonIn, type PackageJson } from '../../util/package-json';
import { entryScript as currentEntryScript } from '../../util/entry-script';

export interface ServiceIdentity {
  name: string;
  version?: string;
  source: 'OTEL_SERVICE_NAME' | 'OTEL_RESOURCE_ATTRIBUTES' | 'package.json' | 'default';
}

/** The last answer: the bootstrap (OpAMP, summary) and the resource ask the same question once per start. */
let last: { config: Readonly<Config>; entryScript?: string; cwd?: string; identity: ServiceIdentity } | undefined;

/** The working directory, or undefined when it was deleted (process.cwd() throws ENOENT then). */
export function currentDirectory(): string | undefined {
  try {
    return process.cwd();
  } catch {
    return undefined;
  }
}

export function serviceIdentity(config: Readonly<Config>, log: Logger, entryScript: string | undefined = currentEntryScript(), cwd: string | undefined = currentDirectory()): ServiceIdentity {
  if (last && last.config === config && last.entryScript === entryScript && last.cwd === cwd) return last.identity;
  const identity = findServiceIdentity(config, log, entryScript, cwd);
  last = { config, entryScript, cwd, identity };
  return identity;
}

function findServiceIdentity(config: Readonly<Config>, log: Logger, entryScript: string | undefined, cwd: string | undefined): ServiceIdentity {
  if (config.serviceName) return { name: config.serviceName, source: 'OTEL_SERVICE_NAME' };
  const fromAttributes = config.resourceAttributes['service.name'];
  if (fromAttributes) return { name: fromAttributes, source: 'OTEL_RESOURCE_ATTRIBUTES' };
  // A deleted working directory leaves a relative entry script unresolvable (Node gives scripts absolute).
  const entry = entryScript && (path.isAbsolute(entryScript) ? entryScript : cwd !== undefined ? path.resolve(cwd, entryScript) : undefined);
  const pkg = entry ? applicationPackage(entry, cwd, log) : undefined;
  if (pkg?.name) return { name: pkg.name, version: typeof pkg.version === 'string' ? pkg.version : undefined, source: 'package.json' };
  return { name: 'unknown_service:node', source: 'default' };
}

function applicationPackage(entry: string, cwd: string | undefined, log: Logger): PackageJson | undefined {
  const named = (p: PackageJson) => typeof p.name === 'string' && p.name !== '';
  const onProblem = (file: string, why: string) => log.warn(`${file} ${why}; service.name falls back further.`);
  const owner = nodeModulesOwner(entry);
  if (owner === undefined) {
    const found = findPackageJsonIn(path.dirname(entry), named, onProblem);
    return found && isNitroOutput(found.dir) ? nitroApplication(found.pkg, found.dir, named, onProblem) : found?.pkg;
  }
  return findPackageJson(owner, named, onProblem) ?? (cwd !== undefined ? findPackageJson(cwd, named, onProblem) : undefined);
}

/** `<output>/server` of a Nitro build: Nitro writes `<output>/nitro.json` beside it. */
function isNitroOutput(dir: string): boolean {
  return path.basename(dir) === 'server' && existsSync(path.join(dir, '..', 'nitro.json'));
}

/** The app a Nitro output was built from: its package.json above the output, else the generated one without `-prod`. */
function nitroApplication(generated: PackageJson, serverDir: string, named: (p: PackageJson) => boolean, onProblem: (file: string, why: string) => void): PackageJson {
  const app = findPackageJson(path.dirname(path.dirname(serverDir)), named, onProblem);
  if (app) return app;
  return { ...generated, name: String(generated.name).replace(/-prod$/, '') || generated.name };
}

/**
 * The directory holding the outermost node_modules on the path (pnpm nests packages as
 * node_modules/.pnpm/x/node_modules/x), or undefined when the path has none.
 */
export function nodeModulesOwner(file: string): string | undefined {
  const parts = file.split(path.sep);
  const at = parts.indexOf('node_modules');
  if (at < 0) return undefined;
  return parts.slice(0, at).join(path.sep) || path.sep;
}
