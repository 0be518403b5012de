// Runs after the guards have said yes: the run-time settings (local, then the cached remote
// config), the lazy hooks, OpAMP when configured, and the SDK on first need. Steps aside if the
// application turns out to bring its own OpenTelemetry SDK.

import type { Config } from '../config';
import type { Logger } from '../log/logger';
import type { Sdk } from '../sdk';
import type { Entry } from './types';
import { startLazyInstrumentations, type LazyInstrumentations } from '../instrumentations';
import { installExitHandlers } from './shutdown';

import { fileUrlOf } from '../instrumentations/lazy-hooks';
import { localSettings, RuntimeState } from '../runtime/state';
import { serviceIdentity } from '../sdk/resource/service-identity';
import { lineRequire, packageRoot } from '../otel-line/line';
import { installFrameFilter } from '../util/stack-frames';
import { entryScript } from '../util/entry-script';
import * as path from 'path';

/** Our own files, whose frames stay out of the app's stack traces (util/stack-frames.ts). */
function ourFiles(): (file: string) => boolean {
  const root = packageRoot();
  const prefixes = ['build/src/', 'lines/', 'register.', 'node_modules/@opentelemetry/', 'node_modules/import-in-the-middle/', 'node_modules/require-in-the-middle/', 'node_modules/@fastify/otel/', 'node_modules/shimmer/'].map((p) => path.join(root, p) + (p.endsWith('/') ? path.sep : '')).map((p) => p.replace(/[\\/]+$/, path.sep).replace(/\.\/?$/, '.'));
  return (file) => prefixes.some((p) => file.startsWith(p));
}

export function run(config: Readonly<Config>, log: Logger, entry: Entry, entryFile: string): void {
  let state: 'idle' | 'started' | 'failed' | 'stepped-aside' = 'idle';
  let sdk: Sdk | undefined;
  let instrumentations: LazyInstrumentations | undefined;
  // Both made on first need (the SDK or OpAMP starts): a process that never needs them loads
  // neither crypto nor the code cache (bootstrap/code-cache.ts).
  let instanceId: string | undefined;
  const serviceInstanceId = (): string => (instanceId ??= config.resourceAttributes['service.instance.id'] ?? (require('crypto') as typeof import('crypto')).randomUUID());
  let codeCacheStarted = false;
  const startCodeCache = (): void => {
    if (codeCacheStarted) return;
    codeCacheStarted = true;
    (require('./code-cache') as typeof import('./code-cache')).startCodeCache(config, log);
  };
  // Crash output stays plain node's: our wrappers' frames out of the app's stack traces (kept at debug).
  if (!['debug', 'verbose', 'all'].includes(log.level)) installFrameFilter(ourFiles());
  const runtime = new RuntimeState(localSettings(config));
  runtime.onSettingsChange((next) => {
    log.level = next.logLevel;
    sdk?.setMetricExportIntervalMillis(next.metricExportIntervalMillis);
  });

  // The start-up summary is written at info and more verbose levels only.
  const wantsSummary = ['info', 'debug', 'verbose', 'all'].includes(log.level);
  // Remote configuration: the cached config applies here, before anything else happens.
  const service = config.opamp.endpoint || wantsSummary ? serviceIdentity(config, log) : undefined;
  if (config.opamp.endpoint) startCodeCache();
  const opamp = config.opamp.endpoint
    ? require('../remote').startOpamp(config, log, runtime, {
        serviceName: service!.name,
        serviceVersion: service!.version,
        serviceNamespace: config.resourceAttributes['service.namespace'],
        serviceInstanceId: serviceInstanceId(),
      })
    : undefined;

  const ensureSdk = (): boolean => {
    if (state !== 'idle') return state === 'started';
    state = 'failed';
    try {
      startCodeCache();
      const { startSdk } = require('../sdk') as typeof import('../sdk');
      const { NextJsRequestProcessor } = require('../instrumentations/nextjs-dedupe') as typeof import('../instrumentations/nextjs-dedupe');
      // The GenAI metrics processor loads at the first GenAI span, not here (genai-span-gate.ts).
      const { GenAiSpanGate } = require('../instrumentations/genai-span-gate') as typeof import('../instrumentations/genai-span-gate');
      sdk = startSdk(config, log, runtime, serviceInstanceId(), [new NextJsRequestProcessor(), new GenAiSpanGate()]);
      sdk.setMetricExportIntervalMillis(runtime.settings.metricExportIntervalMillis);
      const started = sdk;
      installExitHandlers(
        {
          flush: async () => {
            await Promise.all([started.shutdown(), opamp?.stop()]);
          },
          takePending: () => {
            // At exit the resource may still await its asynchronous attributes (host.id, ...);
            // encoding it with those known so far is intended, OpenTelemetry's complaint is noise.
            (lineRequire('@opentelemetry/api') as typeof import('@opentelemetry/api')).diag.disable();
            return started.takePendingSync();
          },
          countLost: (signal, count, cause, reason) => started.countLost(signal, count, cause, reason),
          reportLosses: () => started.reportLosses(),
          totalLost: () => started.totalLost(),
        },
        config.shutdownTimeoutMillis,
        log,
      );
      state = 'started';
      log.debug(`SDK started (entry --${entry}, service.name ${sdk.service.name} from ${sdk.service.source})`);
    } catch (err) {
      log.warn(`the OpenTelemetry SDK could not be started (${(err as Error)?.message ?? err}); no telemetry from this process.`);
    }
    return state === 'started';
  };

  const onAppSdk = (what: string): void => {
    if (state === 'stepped-aside') return;
    const wasStarted = state === 'started';
    state = 'stepped-aside';
    log.info(`the application loads its own OpenTelemetry SDK (${what}); otel-preload steps aside and exports nothing.`);
    instrumentations?.disableAll();
    if (wasStarted && sdk) {
      // Free the global registrations so that the app's SDK can take them, and flush what we have.
      require('../sdk/providers/unregister').unregisterGlobals();
      sdk.shutdown().catch(() => undefined);
    }
  };

  instrumentations = startLazyInstrumentations(config, log, runtime, { ensureSdk, onAppSdk }, fileUrlOf(entryFile));

  if (wantsSummary) {
    const { startupSummary } = require('../diag/summary') as typeof import('../diag/summary');
    const { detectBundle } = require('../util/bundle') as typeof import('../util/bundle');
    const bundle = detectBundle(entryScript());
    const summary = startupSummary({ config, entry, esmHook: instrumentations.esmHook, service: service!, instrumentations: instrumentations.selected, opamp: config.opamp.endpoint ? 'on' : 'off', bundle });
    log.info(`started ${JSON.stringify(summary)}`);
  }
}
