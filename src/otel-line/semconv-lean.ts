// The main entry of @opentelemetry/semantic-conventions is ~380 KiB of code in 7 files (the
// deprecated SemanticAttributes and SemanticResourceAttributes tables among them), required by
// nearly every SDK package and instrumentation that starts with the SDK, which then read a few dozen
// strings from it. Loading it cost 44–90 ms on Node 20 on a loaded 2-core machine, about a tenth
// of what the preload added to a service's start-up (docs/decisions.md). The same exports are
// served from data instead (semconv-data.ts, generated from the installed package and checked
// against it by test/unit/semconv-lean.test.ts): one JSON.parse of ~45 KiB. Only our own copy is
// served so (the module cache entry of the file the line resolves); an app's own copy loads as
// usual, and a version that differs from the data's loads the real package.

import Module = require('module');
import { SEMCONV_JSON, SEMCONV_VERSION } from './semconv-data';

export const SEMCONV = '@opentelemetry/semantic-conventions';

/** The package's exports, rebuilt from the data: values as they are, the prefix functions as functions. */
export function leanSemconvExports(json: string = SEMCONV_JSON): Record<string, unknown> {
  const { values, prefixes } = JSON.parse(json) as { values: Record<string, unknown>; prefixes: Record<string, string> };
  for (const [name, prefix] of Object.entries(prefixes)) values[name] = (key: string) => `${prefix}${key}`;
  return values;
}

/**
 * Puts the data in the module cache under the line's resolved entry file, unless that file is
 * already loaded or the installed version is not the data's. Returns whether it did.
 */
export function serveLeanSemconv(lineRequire: NodeJS.Require, installedVersion: (name: string) => string | undefined): boolean {
  try {
    const file = lineRequire.resolve(SEMCONV);
    if (require.cache[file] || installedVersion(SEMCONV) !== SEMCONV_VERSION) return false;
    const entry = new Module(file);
    entry.filename = file;
    entry.exports = leanSemconvExports();
    entry.loaded = true;
    require.cache[file] = entry;
    return true;
  } catch {
    return false;
  }
}
