// Waiting in tests on a condition (a positive marker), not for a fixed time.

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves once `check` holds (polled every 25 ms), or rejects after `ms`, naming `what`. */
export async function waitUntil(check: () => boolean, ms = 8000, what = 'the condition'): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(25);
  }
}
