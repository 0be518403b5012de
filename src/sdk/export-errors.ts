// One error line per failure episode and signal, naming the endpoint and the cause: a collector
// that stays down for an hour is one line, not one per batch; recovery ends the episode.

import type { Logger } from '../log/logger';

const reporters = new Map<string, (error?: Error) => void>();

/** The reporter of a signal's exports to an endpoint; the queue and the transport's retries share it. */
export function exportErrorReporter(signal: string, endpoint: string, log: Logger): (error?: Error) => void {
  const key = `${signal} ${endpoint}`;
  let reporter = reporters.get(key);
  if (!reporter) reporters.set(key, (reporter = newReporter(signal, endpoint, log)));
  return reporter;
}

function newReporter(signal: string, endpoint: string, log: Logger): (error?: Error) => void {
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
    log.error(`${signal} export to ${endpoint} failed (${cause}); what cannot be delivered after retries is counted as lost.`);
  };
}
