// The versions an instrumentation patches, and our extensions of them. Upstream's instrumentations
// declare a semver range per module (InstrumentationNodeModuleDefinition.supportedVersions, and one
// per patched file); a module loaded outside it is left unpatched without a word. Where a newer
// major kept the API the instrumentation patches, the catalogue extends the range (`extendRanges`
// in table.ts), each extension proved by an end-to-end test at that major. The extension is applied
// to the instance before it sees the module: the require and import hooks read `supportedVersions`
// from these definition objects when the module loads, on both OpenTelemetry lines.

import type { Instrumentation } from '@opentelemetry/instrumentation';

/** `add` is patched as upstream patches `from`: a range string upstream declares for `module`. */
export interface RangeExtension {
  module: string;
  /** Upstream's declared range, exactly as written (test/unit/ranges.test.ts checks it on both lines). */
  from: string;
  add: string;
  /** The end-to-end test that runs the library at `add`. */
  provenBy: string;
}

interface ModuleFile {
  supportedVersions: string[];
  moduleExports?: unknown;
}
export interface ModuleDefinition {
  name: string;
  moduleVersion?: string;
  moduleExports?: unknown;
  supportedVersions: string[];
  files?: ModuleFile[];
}

/**
 * The definitions the instance hooks with (`_modules`, built once by its constructor; the public
 * getModuleDefinitions() builds fresh copies on every call, which the hooks never read). A wrapper
 * with none of its own (redis: one instance per redis generation) is read through its parts.
 */
export function hookedDefinitions(instrumentation: Instrumentation): ModuleDefinition[] {
  const own = (instrumentation as unknown as { _modules?: ModuleDefinition[] })._modules;
  if (own?.length) return own;
  const parts: ModuleDefinition[] = [];
  for (const value of Object.values(instrumentation as object)) {
    const inner = (value as { _modules?: unknown } | null)?._modules;
    if (value !== instrumentation && Array.isArray(inner)) parts.push(...(inner as ModuleDefinition[]));
  }
  return parts;
}

/** Module name → the ranges the instance patches (extensions included, once applied). */
export function supportedRanges(instrumentation: Instrumentation): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const d of hookedDefinitions(instrumentation)) {
    const name = d.name.replace(/^node:/, '');
    const list = out.get(name) ?? [];
    for (const r of d.supportedVersions ?? []) if (!list.includes(r)) list.push(r);
    out.set(name, list);
  }
  return out;
}

/**
 * Adds each extension's range wherever upstream declares `from` for that module (the module and
 * each of its files). Returns the extensions whose `from` was not found: upstream changed its
 * range, and the extension must be looked at again.
 */
export function applyRangeExtensions(instrumentation: Instrumentation, extensions: readonly RangeExtension[]): RangeExtension[] {
  const missed: RangeExtension[] = [];
  for (const ext of extensions) {
    let found = false;
    for (const d of hookedDefinitions(instrumentation)) {
      if (d.name !== ext.module) continue;
      for (const holder of [d, ...(d.files ?? [])]) {
        if (holder.supportedVersions?.includes(ext.from) && !holder.supportedVersions.includes(ext.add)) {
          holder.supportedVersions = [...holder.supportedVersions, ext.add];
          found = true;
        } else if (holder.supportedVersions?.includes(ext.add)) found = true;
      }
    }
    if (!found) missed.push(ext);
  }
  return missed;
}
