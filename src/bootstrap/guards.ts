// Decides, before anything heavy is loaded, whether this process should be instrumented at all.
// Kept free of dependencies and of syntax newer than ES2020 so that it parses and answers on any
// Node.js the Injector may put us into (the version check must run on Node 16 too).

import * as fs from 'fs';
import * as path from 'path';
import { nodeVersion } from '../util/node-version';
import { entryScript } from '../util/entry-script';

/** Supported: ^18.19.0 || >=20.6.0 (module.register and the OpenTelemetry JS 2.x line). */
export function isSupportedNode(version: string = process.versions.node): boolean {
  const [major, minor] = nodeVersion(version);
  if (major === 18) return minor >= 19;
  if (major === 20) return minor >= 6;
  return major > 20;
}

/**
 * Names under which this process may be excluded: the executable, the script's base name
 * (with `-cli` and extensions removed) and the package the script belongs to.
 * e.g. /usr/lib/node_modules/npm/bin/npm-cli.js → npm-cli, npm.
 */
export function processNames(argv: readonly string[] = process.argv, execPath: string = process.execPath): string[] {
  const names = new Set<string>();
  names.add(path.basename(execPath).replace(/\.exe$/i, ''));
  const script = entryScript(argv);
  if (script) {
    addScriptNames(names, script);
    // node_modules/.bin/<tool> is a link: the package is the one it points into.
    if (/[\\/]node_modules[\\/]\.bin[\\/]/.test(script)) {
      try {
        addScriptNames(names, fs.realpathSync(script));
      } catch {
        // a dangling link: the names of the link itself
      }
    }
  }
  return [...names];
}

function addScriptNames(names: Set<string>, script: string): void {
  const base = path.basename(script).replace(/\.(c|m)?js$/i, '');
  names.add(base);
  names.add(base.replace(/-cli$/, ''));
  const parts = script.split(/[\\/]/);
  const nm = parts.lastIndexOf('node_modules');
  if (nm >= 0 && nm + 1 < parts.length && parts[nm + 1] !== '.bin') {
    const first = parts[nm + 1];
    names.add(first.startsWith('@') && nm + 2 < parts.length ? `${first}/${parts[nm + 2]}` : first);
  }
}

/**
 * Why this process is left alone (the name or `name command` that matched), or undefined.
 * Entries of the lists are names or `name command`; the included list wins over both the
 * excluded list and the built-in tooling rules (tooling.ts).
 */
export function isExcludedProcess(names: readonly string[], excluded: readonly string[], included: readonly string[], argv: readonly string[] = process.argv): string | undefined {
  // Loaded here, not at the top: an OTEL_SDK_DISABLED process loads nothing beyond that check.
  const { commandOf, entryMatches, toolingRule } = require('./tooling') as typeof import('./tooling');
  const command = commandOf(argv);
  if (included.some((entry) => entryMatches(entry, names, command))) return undefined;
  return excluded.find((entry) => entryMatches(entry, names, command)) ?? toolingRule(names, command);
}
