// Recognises an application that brings its own OpenTelemetry SDK, so that we can step aside
// instead of exporting everything twice or making its global registration fail.

import * as path from 'path';

/** Packages only an application's own SDK set-up loads (we never load them). */
export const APP_SDK_PACKAGES = ['@opentelemetry/sdk-node', '@opentelemetry/sdk-trace-node', '@opentelemetry/sdk-trace-base'];
/** Packages our SDK loads too: they count only when the app's own code asks for them. */
export const SDK_PARTS = ['@opentelemetry/sdk-trace', '@opentelemetry/sdk-metrics', '@opentelemetry/sdk-logs'];

// build/src/instrumentations → the package root (the dist folder, or this checkout).
const OUR_ROOT = path.resolve(__dirname, '../../..');

/**
 * Returns what gave the app's SDK away, or undefined. `loadedBy` is the requiring file, or
 * 'import' for an ES module import (we only ever require, so an import is the app's).
 */
export function appSdkLoaded(moduleName: string, loadedBy?: string): string | undefined {
  if (APP_SDK_PACKAGES.includes(moduleName)) return moduleName;
  if (!SDK_PARTS.includes(moduleName) || !loadedBy) return undefined;
  if (loadedBy === 'import') return `${moduleName} (imported)`;
  const callerFile = loadedBy;
  const ours = callerFile.startsWith(OUR_ROOT + path.sep) && !isAppFile(callerFile.slice(OUR_ROOT.length));
  const insideAnOtelPackage = /[\\/]node_modules[\\/]@opentelemetry[\\/]/.test(callerFile);
  return ours || insideAnOtelPackage ? undefined : `${moduleName} (required by ${callerFile})`;
}

/** Inside our root, only build/, node_modules/ and lines/ (the 3.x line's packages) are ours; anything else (fixtures) is an app. */
function isAppFile(relative: string): boolean {
  return !/^[\\/](build|node_modules|lines)[\\/]/.test(relative);
}
