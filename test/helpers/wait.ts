// Waiting in tests on a condition (a positive marker), not for a fixed time.

/**
 * How long a test waits for an event that must come (a "listening" line, a span, an OpAMP
 * message) before it fails. Not a measure of speed: on a shared two-core machine with other
 * suites running, an app that starts in 0.3 s idle has taken over 10 s to print "listening".
 * Bounds the preload promises (exit delay, time to heal) are asserted separately, in the tests
 * that measure them; this only keeps a test that waits for nothing from hanging forever.
 */
export const DEADLINE_MS = 60_000;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves once `check` holds (polled every 25 ms), or rejects after `ms`, naming `what`. */
export async function waitUntil(check: () => boolean, ms = DEADLINE_MS, what = 'the condition'): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(25);
  }
}
