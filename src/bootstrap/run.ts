// Runs after the guards have said yes: installs the lazy hooks, builds the SDK on first need, and
// steps aside if the application turns out to bring its own OpenTelemetry SDK.

import type { Config } from '../config';
import type { Logger } from '../diag/logger';
import type { Sdk } from '../sdk';
import type { Entry } from './index';
import { startLazyInstrumentations, type LazyInstrumentations } from '../instrumentations';
import { installExitHandlers } from './shutdown';
import { fileUrlOf } from '../instrumentations/lazy-hooks';

export function run(config: Readonly<Config>, log: Logger, entry: Entry, entryFile: string): void {
  let state: 'idle' | 'started' | 'failed' | 'stepped-aside' = 'idle';
  let sdk: Sdk | undefined;
  let instrumentations: LazyInstrumentations | undefined;

  const ensureSdk = (): boolean => {
    if (state !== 'idle') return state === 'started';
    state = 'failed';
    try {
      const { startSdk } = require('../sdk') as typeof import('../sdk');
      sdk = startSdk(config, log);
      const started = sdk;
      installExitHandlers(() => started.shutdown(), config.shutdownTimeoutMillis, log);
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
      require('../sdk/unregister').unregisterGlobals();
      sdk.shutdown().catch(() => undefined);
    }
  };

  instrumentations = startLazyInstrumentations(config, log, { ensureSdk, onAppSdk }, fileUrlOf(entryFile));

  if (log.level === 'info' || log.level === 'debug' || log.level === 'verbose' || log.level === 'all') {
    const { startupSummary } = require('../diag/summary') as typeof import('../diag/summary');
    const { serviceIdentity } = require('../sdk/service-identity') as typeof import('../sdk/service-identity');
    const summary = startupSummary({ config, entry, esmHook: instrumentations.esmHook, service: serviceIdentity(config, log), instrumentations: instrumentations.selected });
    log.info(`started ${JSON.stringify(summary)}`);
  }
}
