// Runs after the guards have said yes: installs the lazy hooks and builds the SDK on first need.

import type { Config } from '../config';
import type { Logger } from '../diag/logger';
import type { Entry } from './index';
import { startLazyInstrumentations } from '../instrumentations';
import { installExitHandlers } from './shutdown';
import { fileUrlOf } from '../instrumentations/lazy-hooks';

export function run(config: Readonly<Config>, log: Logger, entry: Entry, entryFile: string): void {
  let state: 'idle' | 'started' | 'failed' = 'idle';
  const ensureSdk = (): boolean => {
    if (state !== 'idle') return state === 'started';
    state = 'failed';
    try {
      const { startSdk } = require('../sdk') as typeof import('../sdk');
      const sdk = startSdk(config, log);
      installExitHandlers(() => sdk.shutdown(), config.shutdownTimeoutMillis, log);
      state = 'started';
      log.debug(`SDK started (entry --${entry}, service.name ${sdk.service.name} from ${sdk.service.source})`);
    } catch (err) {
      log.warn(`the OpenTelemetry SDK could not be started (${(err as Error)?.message ?? err}); no telemetry from this process.`);
    }
    return state === 'started';
  };
  startLazyInstrumentations(config, log, ensureSdk, fileUrlOf(entryFile));
}
