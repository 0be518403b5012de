// Which OpenTelemetry JS line this process runs, decided once, at the first question, from the
// Node.js version alone (no setting): Node >= 22.15 gets the 3.x line (lines/3/, its own
// package.json and lockfile, installed beside ours), older supported Node the 2.x line (the
// package's own dependencies). Every OpenTelemetry package the preload loads is required through
// `lineRequire`, so a process reads only its line's files from disk. Why two lines, and how a
// bump is made: docs/otel-lines.md.

import * as fs from 'fs';
import * as path from 'path';
import Module = require('module');
import { nodeVersion } from '../util/node-version';
import { serveLeanSemconv } from './semconv-lean';

export type LineName = '2.x' | '3.x';

/** The line a Node.js version can run: 3.x needs >= 22.15 (its packages' engines.node). */
export function lineForNode(version: string = process.versions.node): LineName {
  const [major, minor] = nodeVersion(version);
  return major > 22 || (major === 22 && minor >= 15) ? '3.x' : '2.x';
}

/** The package's root (where register.cjs and lines/ are): two levels above src/, three above build/src/. */
export function packageRoot(): string {
  const up = path.resolve(__dirname, '../..');
  return path.basename(up) === 'build' ? path.dirname(up) : up;
}

/** The folder that holds the 3.x line's package.json, lockfile and node_modules. */
export function line3Dir(root: string = packageRoot()): string {
  return path.join(root, 'lines', '3');
}

/**
 * The require of a line. 2.x: this module's own (it resolves from build/src up to the package's
 * node_modules, as every require did before there were two lines). 3.x: one anchored in lines/3,
 * so that its node_modules comes first. The require hook and the app-SDK check treat files
 * under lines/ as ours (isLineFile).
 */
function lineRequireFn(name: LineName, root: string): NodeJS.Require {
  return name === '3.x' ? Module.createRequire(path.join(line3Dir(root), 'package.json')) : require;
}

/** A file of one of the lines' own folders (lines/3/...): OpenTelemetry's, never the app's. */
export function isLineFile(file: string, root: string = packageRoot()): boolean {
  return file.startsWith(path.join(root, 'lines') + path.sep);
}

export interface ChosenLine {
  name: LineName;
  /** Why: shown by the start-up summary and doctor. */
  reason: string;
  require: NodeJS.Require;
}

let chosen: ChosenLine | undefined;

/** Decides the line from Node's version; a 3.x line that is not installed falls back to 2.x, and says so. */
export function chooseLine(version: string = process.versions.node, root: string = packageRoot()): ChosenLine {
  const wanted = lineForNode(version);
  if (wanted === '3.x' && !fs.existsSync(path.join(line3Dir(root), 'node_modules', '@opentelemetry', 'sdk-trace'))) {
    return { name: '2.x', reason: `Node.js ${version} >= 22.15, but lines/3 is not installed`, require: lineRequireFn('2.x', root) };
  }
  const reason = wanted === '3.x' ? `Node.js ${version} >= 22.15` : `Node.js ${version} < 22.15`;
  return { name: wanted, reason, require: lineRequireFn(wanted, root) };
}

/** This process's line (chosen on the first call). */
export function line(): ChosenLine {
  return (chosen ??= chooseLine());
}

let semconvServed = false;

/**
 * `require(name)` from the chosen line's packages: every @opentelemetry/* module goes through here.
 * The first of them has the semantic conventions served from data first (semconv-lean.ts) — not
 * before: a process that loads no OpenTelemetry package gets nothing in its module cache.
 */
export function lineRequire(name: string): any {
  const chosenLine = line();
  if (!semconvServed && name.startsWith('@opentelemetry/')) {
    semconvServed = true;
    serveLeanSemconv(chosenLine.require, linePackageVersion);
  }
  return chosenLine.require(name);
}

/** The installed version of one of the line's packages (its package.json by absolute path: exports maps hide it). */
export function linePackageVersion(name: string): string | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(packageDir(name), 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

/** The folder of one of the line's packages, found from its resolved entry file. */
export function packageDir(name: string): string {
  const entry = line().require.resolve(name);
  const marker = `${path.sep}node_modules${path.sep}${name.split('/').join(path.sep)}${path.sep}`;
  const at = entry.lastIndexOf(marker);
  if (at < 0) throw new Error(`${name} resolved outside node_modules: ${entry}`);
  return entry.slice(0, at + marker.length - 1);
}

/** What the start-up summary and doctor show: the line, its SDK version (telemetry.sdk.version) and why. */
export function describeLine(): { line: LineName; sdkVersion: string | undefined; reason: string } {
  const chosenLine = line();
  return { line: chosenLine.name, sdkVersion: linePackageVersion('@opentelemetry/core'), reason: chosenLine.reason };
}
