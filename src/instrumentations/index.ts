// Wires the catalogue to the lazy hooks: the first load of a target module starts the SDK (if not
// yet started) and then the instrumentations that patch that module. Failures are contained: an
// instrumentation that throws leaves its module uninstrumented, never the app broken.

import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { Config } from '../config';
import type { Logger } from '../diag/logger';
import { selectInstrumentations, type InstrumentationEntry } from './table';
import { installFetchTrigger, installImportHook, installRequireHook } from './lazy-hooks';

/** Loading these means the app may use the OpenTelemetry API directly: the SDK must be there. */
const API_PACKAGES = ['@opentelemetry/api', '@opentelemetry/api-logs'];

export interface LazyInstrumentations {
  active: Map<string, Instrumentation>;
}

export function startLazyInstrumentations(config: Readonly<Config>, log: Logger, ensureSdk: () => boolean, parentUrl: string): LazyInstrumentations {
  const entries = selectInstrumentations(config, (m) => log.warn(m));
  const byModule = new Map<string, InstrumentationEntry[]>();
  for (const entry of entries) {
    for (const m of entry.modules) byModule.set(m, [...(byModule.get(m) ?? []), entry]);
  }
  const watched = new Set([...byModule.keys(), ...API_PACKAGES]);
  const active = new Map<string, Instrumentation>();

  const activateEntry = (entry: InstrumentationEntry) => {
    if (active.has(entry.name)) return;
    for (const m of entry.modules) watched.delete(m);
    try {
      active.set(entry.name, entry.create(config));
      log.debug(`instrumentation ${entry.name} enabled`);
    } catch (err) {
      log.warn(`instrumentation ${entry.name} could not be enabled (${(err as Error)?.message ?? err}); ${entry.modules.join('/')} runs uninstrumented.`);
    }
  };

  const activate = (moduleName: string) => {
    watched.delete(moduleName);
    try {
      if (!ensureSdk()) return;
      for (const entry of byModule.get(moduleName) ?? []) activateEntry(entry);
    } catch (err) {
      log.warn(`activating instrumentation for ${moduleName} failed (${(err as Error)?.message ?? err}).`);
    }
  };

  installRequireHook(watched, activate);
  try {
    installImportHook(watched, activate, parentUrl);
  } catch (err) {
    log.warn(`ESM import hook could not be registered (${(err as Error)?.message ?? err}); ES modules are not instrumented.`);
  }
  const onFetch = entries.filter((e) => e.onGlobalFetch);
  if (onFetch.length) installFetchTrigger(() => ensureSdk() && onFetch.forEach(activateEntry));
  return { active };
}
