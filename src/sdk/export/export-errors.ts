// Why exports fail, said once per failure episode and signal, with the endpoint and the cause: a
// collector that stays down for an hour is one episode, not one line per batch; recovery ends it.
// The cause is not written on its own line: it rides on the loss ledger's lines (what the failure
// cost), so a short job whose collector is down prints one line, not two — and every loss line
// written while the episode lasts names it again (at most one a minute, and the total at exit),
// so that none says what was lost without why. An episode that heals before anything is lost
// cost nothing and is only mentioned at the info level.

import type { Logger } from '../../log/logger';

const reporters = new Map<string, (error?: Error) => void>();
/** Causes of the episodes still going on. */
const current = new Map<string, string>();

/** The reporter of a signal's exports to an endpoint; the queue and the transport's retries share it. */
export function exportErrorReporter(signal: string, endpoint: string, log: Logger): (error?: Error) => void {
  const key = `${signal} ${endpoint}`;
  let reporter = reporters.get(key);
  if (!reporter) reporters.set(key, (reporter = newReporter(key, log)));
  return reporter;
}

/** The causes to name on the loss line being written now: every episode still going on. */
export function currentFailures(): string[] {
  return [...current.values()];
}

function newReporter(key: string, log: Logger): (error?: Error) => void {
  let failingSince: number | undefined;
  return (error) => {
    if (!error) {
      if (failingSince !== undefined) log.info(`${key.replace(' ', ' export to ')} works again after ${Math.round((Date.now() - failingSince) / 1000)} s.`);
      failingSince = undefined;
      current.delete(key);
      return;
    }
    if (failingSince !== undefined) return;
    failingSince = Date.now();
    const cause = error.message.replace(/\s*\n\s*/g, ' ');
    current.set(key, `${key.replace(' ', ' export to ')} failed (${cause})`);
  };
}
