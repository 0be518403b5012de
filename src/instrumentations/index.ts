// Wires the catalogue to the lazy hooks: the first load of a target module starts the SDK (if not
// yet started) and then the instrumentations that patch that module. Failures are contained: an
// instrumentation that throws leaves its module uninstrumented, never the app broken.

import * as path from 'path';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { Config } from '../config';
import type { Logger } from '../log/logger';
import { CATALOGUE, createInstrumentation, selectInstrumentations, type InstrumentationEntry } from './table';
import { installFetchTrigger, installImportHook, installRequireHook, packageNameOf, packageNameOfUrl, type EsmHookMode, type WatchedFile } from './lazy-hooks';
import { containPatchErrors } from './contain';
import { appSdkLoaded, APP_SDK_PACKAGES, SDK_PARTS } from './app-sdk';
import type { RuntimeSettings, RuntimeState } from '../runtime/state';
import { CONNECTIONS, DETAIL_NAMES, detailListed, setDetail } from './detail';
import { instrumentNitro, nitroChunkUrl } from './nitro';
import { entryScript } from '../util/entry-script';
import { entryRanges, outOfRange, unseenLoad, type OutOfRange } from './coverage';
import { IOREDIS, MYSQL2, REDIS, markPatchSpans, subscribeChannelSpans } from './channel-spans';
import { activateOnChannels } from './channel-activation';
import { guardFastifyInitialization } from './fastify-guard';
import { subscribeGraphqlChannel, type GraphqlSpanMaker } from './graphql-channels';

const DETAIL_LIST = DETAIL_NAMES.join(', ');
const CHANNEL_SPANS = [MYSQL2, IOREDIS, REDIS];

/** Loading these means the app may use the OpenTelemetry API directly: the SDK must be there. */
const API_PACKAGES = ['@opentelemetry/api', '@opentelemetry/api-logs'];

export interface LazyInstrumentations {
  /** Names of the instrumentations that will activate when their modules load. */
  selected: string[];
  esmHook: EsmHookMode;
  active: Map<string, Instrumentation>;
  /** Modules loaded at a version their instrumentation does not patch, so far. */
  gaps(): OutOfRange[];
  /** Turns every active instrumentation off and stops watching modules. */
  disableAll(): void;
}

export interface Lifecycle {
  /** Starts the SDK if needed; false when it cannot or must not run. */
  ensureSdk(): boolean;
  /** The app brings its own OpenTelemetry SDK (named by `what`). */
  onAppSdk(what: string): void;
}

export function startLazyInstrumentations(config: Readonly<Config>, log: Logger, runtime: RuntimeState, lifecycle: Lifecycle, parentUrl: string): LazyInstrumentations {
  let startedWithSdk = false;
  // Instrumentations that patch no module (runtime metrics, …) start with the SDK.
  const ensureSdk = (): boolean => {
    const started = lifecycle.ensureSdk();
    if (started && !startedWithSdk) {
      startedWithSdk = true;
      // The Anthropic SDK's own spans (0.134+) follow the `anthropic` switch too.
      try {
        (require('./genai/tracer-gate') as typeof import('./genai/tracer-gate')).gateTracers('com.anthropic.sdk.typescript', () => !entries.some((e) => e.name === 'anthropic') || off('anthropic', runtime.settings));
      } catch (err) {
        log.debug(`Anthropic SDK tracer not gated: ${(err as Error)?.message ?? err}`);
      }
      for (const entry of entries) if (entry.atSdkStart?.(config)) activateEntry(entry);
    }
    return started;
  };
  const entries = selectInstrumentations(config, (m) => log.warn(m));
  const byModule = new Map<string, InstrumentationEntry[]>();
  const watched = new Set([...API_PACKAGES, ...APP_SDK_PACKAGES, ...SDK_PARTS]);
  const watch = (entry: InstrumentationEntry) => {
    for (const m of entry.modules) {
      byModule.set(m, [...(byModule.get(m) ?? []), entry]);
      watched.add(m);
    }
  };
  entries.forEach(watch);
  const active = new Map<string, Instrumentation>();
  const switchedOff = new Set<string>();
  const remotelyOff = (name: string, s: Readonly<RuntimeSettings>) =>
    (s.disabledInstrumentations.includes(name) || s.disabledInstrumentations.includes('*')) && !s.enabledInstrumentations.includes(name);
  // Connection-level instrumentations stay unpatched (no cost per connection) until their detail is on.
  const off = (name: string, s: Readonly<RuntimeSettings>) => remotelyOff(name, s) || (CONNECTIONS.includes(name) && !detailListed(s.instrumentationDetail, name));

  /** Applies remote on/off switches and header capture to what is active; watches newly enabled ones. */
  const applySettings = (s: Readonly<RuntimeSettings>, previous?: Readonly<RuntimeSettings>) => {
    if (s.instrumentationDetail !== previous?.instrumentationDetail) {
      const unknown = setDetail(s.instrumentationDetail);
      if (unknown.length) log.warn(`${previous ? 'remote instrumentation_detail' : 'OTEL_NODE_INSTRUMENTATION_DETAIL'} names ${unknown.join(', ')}, which ${unknown.length > 1 ? 'are' : 'is'} not an instrumentation with detail; ignored (known: all, ${DETAIL_LIST}).`);
    }
    for (const name of s.enabledInstrumentations) {
      const entry = CATALOGUE.find((e) => e.name === name);
      if (entry && !entries.includes(entry)) {
        entries.push(entry);
        watch(entry);
      }
    }
    for (const [name, instrumentation] of active) {
      const wantedOff = off(name, s);
      try {
        if (wantedOff && !switchedOff.has(name)) {
          instrumentation.disable();
          switchedOff.add(name);
        } else if (!wantedOff && switchedOff.has(name)) {
          instrumentation.enable();
          switchedOff.delete(name);
        }
        const entry = CATALOGUE.find((e) => e.name === name);
        const changed = previous && (JSON.stringify(s.capturedHeaders) !== JSON.stringify(previous.capturedHeaders) || s.instrumentationDetail !== previous.instrumentationDetail || s.genAiCaptureMessageContent !== previous.genAiCaptureMessageContent);
        if (entry?.options && changed) {
          instrumentation.setConfig({ ...instrumentation.getConfig(), ...entry.options(config, s) });
        }
      } catch (err) {
        log.warn(`switching instrumentation ${name} failed (${(err as Error)?.message ?? err}).`);
      }
    }
  };
  runtime.onSettingsChange(applySettings);

  // The packages and builtins the active instrumentations patch (lazy-hooks.ts filters on them).
  const patched = new Set<string>();
  let patchesUnknown = false;
  const notePatched = (instrumentation: Instrumentation) => {
    const definitions = (instrumentation as { getModuleDefinitions?: () => Array<{ name: string }> }).getModuleDefinitions?.();
    if (!Array.isArray(definitions)) {
      patchesUnknown = true;
      return;
    }
    for (const { name } of definitions) {
      if (typeof name !== 'string' || path.isAbsolute(name)) patchesUnknown = true;
      else patched.add(packageNameOf(name) ?? name);
    }
  };

  const activateEntry = (entry: InstrumentationEntry, loadedBy?: string) => {
    if (active.has(entry.name)) return;
    for (const m of entry.modules) watched.delete(m);
    try {
      const instrumentation = createInstrumentation(entry, config, runtime.settings);
      const channelDef = CHANNEL_SPANS.find((d) => d.instrumentation === entry.name);
      if (channelDef) markPatchSpans(instrumentation, channelDef.scope);
      if (entry.name === 'fastify') guardFastifyInitialization(instrumentation);
      notePatched(instrumentation);
      containPatchErrors(entry.name, instrumentation, log);
      active.set(entry.name, instrumentation);
      entry.onActivate?.(instrumentation, loadedBy);
      if (off(entry.name, runtime.settings)) {
        instrumentation.disable();
        switchedOff.add(entry.name);
      }
      log.debug(`instrumentation ${entry.name} enabled`);
    } catch (err) {
      log.warn(`instrumentation ${entry.name} could not be enabled (${(err as Error)?.message ?? err}); ${entry.modules.join('/')} runs uninstrumented.`);
    }
  };

  // No silent gaps: a module loaded outside its instrumentation's range is named once (at info,
  // beside the start-up summary), right after the require that loaded it.
  const reported = new Set<string>();
  // How ES modules are hooked (set once the hooks are installed, below): it decides the advice for a module loaded unseen.
  let esmHook: EsmHookMode = 'off';
  const gaps = () => outOfRange(active, CATALOGUE);
  const reportGaps = () => {
    try {
      const fresh = gaps().filter((g) => !reported.has(`${g.module}@${g.version}`));
      if (!fresh.length) return;
      for (const g of fresh) reported.add(`${g.module}@${g.version}`);
      const named = fresh.map(({ inRange, ...g }) => {
        const entry = CATALOGUE.find((e) => e.name === g.instrumentation);
        const supported = entry ? entryRanges(entry).get(g.module)?.join(' || ') : undefined;
        return { ...g, supported, inRange };
      });
      // Out of range: another version is the answer. In range but unpatched: how it was loaded is.
      const out = named.filter((g) => !g.inRange).map(({ inRange: _, ...g }) => g);
      const unseen = named.filter((g) => g.inRange).map(({ inRange: _, ...g }) => g);
      const how = unseenLoad(esmHook);
      const todo = [
        out.length ? `${out.map((g) => g.module).join(', ')}: use a version in the supported range` : '',
        unseen.length ? `${unseen.map((g) => g.module).join(', ')}: ${how.todo}` : '',
      ].filter(Boolean).join('; ');
      log.info(`coverage ${JSON.stringify({
        ...(out.length ? { outOfRange: out } : {}),
        ...(unseen.length ? { notPatched: unseen.map((g) => ({ ...g, why: how.why })) } : {}),
        count: reported.size,
        todo: `these modules run uninstrumented: ${todo} (otel-preload doctor tells more)`,
      })}`);
    } catch (err) {
      log.debug(`coverage check failed: ${(err as Error)?.message ?? err}`);
    }
  };
  const scheduleGapCheck = () => {
    if (!['info', 'debug', 'verbose', 'all'].includes(log.level)) return;
    const t = setImmediate(reportGaps);
    t.unref?.();
  };

  const activate = (moduleName: string, loadedBy?: string) => {
    const appSdk = appSdkLoaded(moduleName, loadedBy);
    if (appSdk) {
      watched.clear();
      lifecycle.onAppSdk(appSdk);
      return;
    }
    // SDK parts are also loaded by our own SDK: keep watching them for a load by the app.
    if (SDK_PARTS.includes(moduleName)) return;
    const loader = loadedBy && loadedBy !== 'import' ? packageNameOfUrl(loadedBy) : undefined;
    const candidates = (byModule.get(moduleName) ?? []).filter((e) => !(loader && e.notWhenLoadedBy?.includes(loader)));
    // A module covered by its loader's instrumentation stays uninstrumented (its later internal
    // requires must not activate it either).
    watched.delete(moduleName);
    try {
      if (!ensureSdk()) return;
      for (const entry of candidates) activateEntry(entry, loadedBy);
      if (candidates.length) scheduleGapCheck();
    } catch (err) {
      log.warn(`activating instrumentation for ${moduleName} failed (${(err as Error)?.message ?? err}).`);
    }
  };

  // A bundled mysql2, ioredis or node-redis is never required: their tracing channels stand in for
  // the patch, for every call the patch has no span for (channel-spans.ts).
  for (const def of CHANNEL_SPANS) {
    if (!entries.some((e) => e.name === def.instrumentation)) continue;
    const isOff = () => off(def.instrumentation, runtime.settings) || !entries.some((e) => e.name === def.instrumentation);
    try {
      subscribeChannelSpans(def, isOff, ensureSdk);
    } catch (err) {
      log.debug(`${def.instrumentation} tracing channels not subscribed: ${(err as Error)?.message ?? err}`);
    }
  }
  // undici and fastify instrumentations listen to channels themselves: the first message enables them (channel-activation.ts).
  try {
    activateOnChannels((name) => {
      const entry = entries.find((e) => e.name === name);
      if (!entry || active.has(name) || off(name, runtime.settings) || !ensureSdk()) return undefined;
      requireHook.activating(() => activateEntry(entry));
      return switchedOff.has(name) ? undefined : active.get(name);
    });
  } catch (err) {
    log.debug(`undici/fastify channels not subscribed: ${(err as Error)?.message ?? err}`);
  }

  // graphql 17's operation channel, bundled or not: the instrumentation (upstream's, for its span
  // code) is activated at the first operation if graphql itself was never required (a bundle).
  const graphqlEntry = entries.find((e) => e.name === 'graphql');
  if (graphqlEntry) {
    try {
      subscribeGraphqlChannel(() => {
        if (!entries.includes(graphqlEntry) || off('graphql', runtime.settings) || !ensureSdk()) return undefined;
        if (!active.has('graphql')) requireHook.activating(() => activateEntry(graphqlEntry));
        return switchedOff.has('graphql') ? undefined : (active.get('graphql') as unknown as GraphqlSpanMaker | undefined);
      });
    } catch (err) {
      log.debug(`graphql tracing channel not subscribed: ${(err as Error)?.message ?? err}`);
    }
  }

  const requireHook = installRequireHook(watched, activate, (name) => patchesUnknown || patched.has(name));
  const notRegistered = (err: unknown) => log.warn(`ESM import hook could not be registered (${(err as Error)?.message ?? err}); ES modules are not instrumented.`);
  try {
    const esmFiles = entries.flatMap((e) => e.esmFiles ?? []);
    esmHook = installImportHook(watched, (name, loadedBy) => requireHook.activating(() => activate(name, loadedBy)), parentUrl, entryScript(), notRegistered, nitroFile(log), esmFiles);
  } catch (err) {
    notRegistered(err);
  }
  const onFetch = entries.filter((e) => e.onGlobalFetch);
  if (onFetch.length) installFetchTrigger(() => requireHook.activating(() => ensureSdk() && onFetch.forEach((e) => activateEntry(e))));
  applySettings(runtime.settings);
  return {
    selected: entries.map((e) => e.name),
    esmHook,
    active,
    gaps,
    disableAll() {
      watched.clear();
      for (const [name, instrumentation] of active) {
        try {
          instrumentation.disable();
        } catch (err) {
          log.debug(`disabling ${name} failed: ${(err as Error)?.message ?? err}`);
        }
      }
    },
  };
}

/** A Nitro build's bundled runtime, watched for its matched routes (nitro.ts). */
function nitroFile(log: Logger): WatchedFile | undefined {
  const url = nitroChunkUrl(entryScript());
  if (url === undefined) return undefined;
  return {
    url,
    onImport(exports) {
      try {
        if (!instrumentNitro(exports)) log.debug('Nitro build without useNitroApp among its exports: no http.route for its requests.');
      } catch (err) {
        log.warn(`Nitro routes could not be hooked (${(err as Error)?.message ?? err}); its requests get no http.route.`);
      }
    },
  };
}
