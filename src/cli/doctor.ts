// `otel-preload doctor`: what would happen if this environment started a Node process under the
// preload, and whether its telemetry would arrive. Reads the environment through the same config
// module as the preload itself.

import { existsSync, readFileSync } from 'fs';
import * as path from 'path';
import { isSupportedNode } from '../bootstrap/guards';
import { readConfig, isSdkDisabled, type Config } from '../config';
import { SIGNALS } from '../config/settings';
import { findPackageJson } from '../util/package-json';
import { coverageOf, importedByEsm, type Coverage, type ImportedByEsm } from './coverage';
import { unknownInstrumentations, unknownVariables } from './names';
import { DISTRO_VERSION } from '../version';
import { probe, probeOpamp } from './probe';
import { redactUrl } from '../util/redact';
import { describeLine } from '../otel-line/line';
import { detectBundle } from '../util/bundle';
import { bundleVisibility, unseenLoad, type BundleVisibility } from '../instrumentations/coverage';
import { supportsSyncHooks } from '../instrumentations/lazy-hooks';
import { CATALOGUE } from '../instrumentations/table';

export interface Check {
  check: string;
  ok: boolean;
  /** false: a warning that does not stop telemetry. */
  blocking: boolean;
  detail: string;
}

export interface DoctorReport {
  version: string;
  node: string;
  checks: Check[];
  app: {
    dir: string;
    name?: string;
    moduleType: 'esm' | 'commonjs';
    instrumented: Array<{ instrumentation: string; module: string; version?: string }>;
    notCovered: Coverage[];
    /** Instrumented packages in range that the app's ES module dependencies import. */
    importedByEsm: ImportedByEsm[];
    /** The app's entry (package.json scripts.start or main) is a bundle. */
    bundle?: { tool: string; file: string } & BundleVisibility;
  };
  nodeOptions: string;
  ok: boolean;
}

const ROOT = path.resolve(__dirname, '../../..');

export async function doctor(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): Promise<DoctorReport> {
  const checks: Check[] = [];
  const add = (check: string, ok: boolean, detail: string, blocking = true) => checks.push({ check, ok, blocking, detail });

  add('node', isSupportedNode(), isSupportedNode() ? `Node.js ${process.version} is supported` : `Node.js ${process.version} is not supported (needs ^18.19.0 || >=20.6.0): the preload stays off`);
  if (isSupportedNode()) {
    const l = describeLine();
    add('otel line', true, `OpenTelemetry JS ${l.line} (telemetry.sdk.version ${l.sdkVersion ?? 'unknown'}): ${l.reason}; a process on another Node.js gets the line of its own version (>= 22.15: 3.x, older: 2.x)`, false);
  }
  if (isSdkDisabled(env)) add('OTEL_SDK_DISABLED', false, 'OTEL_SDK_DISABLED=true: the preload does nothing');

  // OTEL_CONFIG_FILE is validated by the very code the preload runs at start-up.
  const { config, warnings, off, file, sources } = readConfig(env);
  // With a config file, other OTEL_* variables act only through substitution: none is "unknown".
  const unknown = file ? [] : unknownVariables(env);
  const badNames = unknownInstrumentations([...(config.enabledInstrumentations ?? []), ...config.disabledInstrumentations]);
  if (file) add('config file', true, `OTEL_CONFIG_FILE ${file.path} (file_format ${file.fileFormat}); other OTEL_* variables act only through substitution in it`);
  if (sources) add('config sources', true, `${sources.map((s) => `${s.setting} ← ${s.path} (${s.from})`).join('; ')}; everything else: default`);
  if (warnings.length === 0 && unknown.length === 0 && badNames.length === 0) add('configuration', true, file ? 'every value in the config file is valid' : 'every OTEL_* variable is valid');
  for (const w of warnings) add('configuration', false, w, false);
  for (const u of unknown) add('configuration', false, `${u.name} is not a variable otel-preload reads: it is ignored${u.nearest ? `; did you mean ${u.nearest}?` : ''}`, false);
  for (const u of badNames) add('configuration', false, `"${u.name}" in OTEL_NODE_{ENABLED,DISABLED}_INSTRUMENTATIONS is no instrumentation name: it is ignored${u.nearest ? `; did you mean ${u.nearest}?` : ''}`, false);
  if (off && !isSdkDisabled(env)) add('config file', false, file ? 'the config file sets disabled: true: no telemetry' : 'the config file cannot be used (see above): no telemetry from any process');

  await probeEndpoints(config, add);
  if (config.opamp.endpoint) {
    let ca: Buffer | undefined;
    try {
      ca = config.opamp.certificate ? readFileSync(config.opamp.certificate) : undefined;
    } catch (err) {
      add('opamp certificate', false, `${config.opamp.certificate} cannot be read (${(err as NodeJS.ErrnoException).code})`, false);
    }
    const r = await probeOpamp(config.opamp.endpoint, ca);
    add('opamp endpoint', r.ok, `OpAMP → ${redactUrl(config.opamp.endpoint)}: ${[...r.steps, r.problem].filter(Boolean).join(', ')}`, false);
  }

  const app = inspectApp(cwd);
  for (const c of app.notCovered) {
    const why = c.instrumentation ? `the ${c.instrumentation} instrumentation supports ${c.supported}` : 'otel-preload has no instrumentation for it';
    // A framework whose route the SERVER span reads at the response (NestJS 12) keeps its routes.
    const routeKept = !!CATALOGUE.find((e) => e.name === c.instrumentation)?.routeAtResponse;
    const effect = routeKept ? 'its own spans are not made; the SERVER span still gets its route, read from the router at the response' : 'its calls produce no spans';
    add('coverage', false, `${c.module}${c.version ? ` ${c.version}` : ''}: not covered (${why}); ${effect}`, false);
  }
  // A CommonJS entry on a Node without in-thread ESM hooks: what ES module packages import is not seen.
  if (app.moduleType === 'commonjs' && !supportsSyncHooks()) {
    const how = unseenLoad('off');
    for (const i of app.importedByEsm) {
      add('coverage', false, `${i.module} ${i.version}: in the ${i.instrumentation} instrumentation's range, but imported by ${i.importedBy} (an ES module), which no hook of ours sees on Node.js ${process.versions.node} with a CommonJS entry: it runs unpatched. To do: ${how.todo}`, false);
    }
  }
  if (app.bundle) {
    const b = app.bundle;
    add('bundle', false, `${path.relative(cwd, b.file) || b.file} is a ${b.tool} bundle: ${b.notSeen} are not seen; seen: ${b.seen}. To do: ${b.todo}`, false);
  }
  return { version: DISTRO_VERSION, node: process.versions.node, checks, app, nodeOptions: nodeOptionsFor(app.moduleType, cwd), ok: checks.every((c) => c.ok || !c.blocking) };
}

async function probeEndpoints(config: Readonly<Config>, add: (check: string, ok: boolean, detail: string, blocking?: boolean) => void): Promise<void> {
  const seen = new Map<string, Promise<Awaited<ReturnType<typeof probe>>>>();
  const exporting = SIGNALS.filter((s) => config[s].exporters.includes('otlp'));
  if (exporting.length === 0) add('export', false, 'no signal is exported over OTLP (all exporters are console or none)', false);
  // Every endpoint is probed at once (a black hole costs its timeouts once, not once per signal);
  // the results are reported in signal order.
  const results = exporting.map((s) => {
    const { endpoint, protocol, certificate, clientCertificate, clientKey, headers } = config[s];
    const key = `${protocol} ${endpoint}`;
    // The probe presents what the exporter would: headers (authentication), CA, client certificate.
    const file = (name: string, value: string | undefined) => {
      try {
        return value ? readFileSync(value) : undefined;
      } catch (err) {
        add(`${s} ${name}`, false, `${value} cannot be read (${(err as NodeJS.ErrnoException).code})`);
        return undefined;
      }
    };
    const auth = { headers, ca: file('certificate', certificate), cert: file('client certificate', clientCertificate), key: file('client key', clientKey) };
    if (!seen.has(key)) seen.set(key, probe(endpoint, protocol, s, auth));
    return { s, endpoint, protocol, result: seen.get(key)! };
  });
  for (const { s, endpoint, protocol, result } of results) {
    const r = await result;
    add(`${s} endpoint`, r.ok, `${s} → ${protocol} ${redactUrl(endpoint)}: ${[...r.steps, r.problem].filter(Boolean).join(', ')}`);
  }
}

function inspectApp(cwd: string): DoctorReport['app'] {
  const pkg = findPackageJson(cwd, () => true);
  const moduleType = pkg?.type === 'module' ? 'esm' : 'commonjs';
  const coverage = coverageOf(Object.keys(pkg?.dependencies ?? {}), cwd);
  const instrumented: DoctorReport['app']['instrumented'] = coverage.filter((c) => c.covered).map((c) => ({ instrumentation: c.instrumentation!, module: c.module, version: c.version }));
  instrumented.push({ instrumentation: 'http', module: 'http/https (core, when used)' }, { instrumentation: 'undici', module: 'fetch() (core, when used)' });
  const entry = entryScript(pkg, cwd);
  // A folder without its own package.json (an image's `COPY dist/ .`) names no entry: its scripts are looked at.
  const found = (entry ? detectBundle(entry) : undefined) ?? (existsSync(path.join(cwd, 'package.json')) ? undefined : bundleAmong(cwd));
  const bundle = found ? { tool: found.tool, file: found.file, ...bundleVisibility(found.packages, CATALOGUE) } : undefined;
  return { dir: cwd, name: pkg?.name, moduleType, instrumented, notCovered: coverage.filter((c) => !c.covered), importedByEsm: importedByEsm(Object.keys(pkg?.dependencies ?? {}), cwd), ...(bundle ? { bundle } : {}) };
}

/** Where a bundle folder's entry usually is, looked at first; then the folder's other scripts. */
const LIKELY_ENTRIES = ['server.js', 'main.js', 'index.js', 'app.js', 'server.cjs', 'main.cjs', 'index.cjs', 'server.mjs', 'main.mjs', 'index.mjs'];
const MAX_SCRIPTS = 50;

/** The first bundle among the scripts directly in `dir` (at most MAX_SCRIPTS read, each bounded by detectBundle). */
function bundleAmong(dir: string): ReturnType<typeof detectBundle> {
  let names: string[];
  try {
    names = require('fs').readdirSync(dir).filter((n: string) => /\.[cm]?js$/.test(n));
  } catch {
    return undefined;
  }
  const ordered = [...LIKELY_ENTRIES.filter((n) => names.includes(n)), ...names.filter((n) => !LIKELY_ENTRIES.includes(n)).sort()];
  for (const name of ordered.slice(0, MAX_SCRIPTS)) {
    const bundle = detectBundle(path.join(dir, name));
    if (bundle) return bundle;
  }
  return undefined;
}

/** The script `npm start` would run (`node [flags] <file>`), else package.json main, else index.js; if it exists. */
export function entryScript(pkg: { main?: unknown; scripts?: { start?: unknown } } | undefined, cwd: string): string | undefined {
  const start = typeof pkg?.scripts?.start === 'string' ? /(?:^|&&|;)\s*node\s+(?:-{1,2}\S+\s+)*([^\s;&|]+)/.exec(pkg.scripts.start)?.[1] : undefined;
  for (const candidate of [start, typeof pkg?.main === 'string' ? pkg.main : undefined, 'index.js']) {
    if (!candidate) continue;
    const file = path.resolve(cwd, candidate);
    for (const f of [file, `${file}.js`, path.join(file, 'index.js')]) if (existsSync(f) && !f.endsWith(path.sep)) {
      try {
        if (require('fs').statSync(f).isFile()) return f;
      } catch {
        // next
      }
    }
  }
  return undefined;
}

/**
 * By package name only when the app has otel-preload in its own node_modules; else this install's
 * absolute path. Resolving from the distribution folder itself (the package's self-reference) or
 * through NODE_PATH would recommend a name that `--import` and other directories cannot resolve.
 */
function nodeOptionsFor(moduleType: 'esm' | 'commonjs', cwd: string): string {
  const flag = moduleType === 'esm' ? '--import' : '--require';
  let byName = false;
  for (let dir = path.resolve(cwd); !byName; dir = path.dirname(dir)) {
    byName = existsSync(path.join(dir, 'node_modules', 'otel-preload', 'package.json'));
    if (path.dirname(dir) === dir) break;
  }
  const target = byName ? 'otel-preload/register' : path.join(ROOT, moduleType === 'esm' ? 'register.mjs' : 'register.cjs');
  return `NODE_OPTIONS="${flag} ${target}"`;
}

export function renderReport(r: DoctorReport): string {
  const lines = [`otel-preload doctor ${r.version} (Node.js ${r.node})`, ''];
  for (const c of r.checks) lines.push(`${c.ok ? 'ok  ' : c.blocking ? 'FAIL' : 'warn'}  ${c.detail}`);
  lines.push('', `app in ${r.app.dir}${r.app.name ? ` (${r.app.name})` : ''}: ${r.app.moduleType === 'esm' ? 'ES module' : 'CommonJS'}`);
  lines.push('  would be instrumented:');
  for (const i of r.app.instrumented) lines.push(`    ${i.instrumentation}: ${i.module}${i.version ? ` ${i.version}` : ''}`);
  lines.push('', 'use:', `  ${r.nodeOptions}`, '', r.ok ? 'telemetry should arrive.' : 'telemetry would NOT arrive: see FAIL above.');
  return lines.join('\n');
}
