// One error line per failure episode and signal, naming the endpoint and the cause: a collector
// that stays down for an hour is one line, not one per batch; recovery ends the episode.

import type { Logger } from '../diag/logger';

export function exportErrorReporter(signal: string, endpoint: string, log: Logger): (error?: Error) => void {
  let failingSince: number | undefined;
  return (error) => {
    if (!error) {
      if (failingSince !== undefined) log.info(`${signal} export to ${endpoint} works again after ${Math.round((Date.now() - failingSince) / 1000)} s.`);
      failingSince = undefined;
      return;
    }
    if (failingSince !== undefined) return;
    failingSince = Date.now();
    const cause = error.message.replace(/\s*\n\s*/g, ' ');
    log.error(`${signal} export to ${endpoint} failed (${cause}); retrying with backoff while it lasts, and what cannot be delivered is counted as lost.`);
  };
}
