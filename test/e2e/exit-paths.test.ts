// Every way an app ends by itself — the loop drains, process.exit(code), an uncaught exception,
// an unhandled rejection — under the preload against a collector that works, is down or never
// answers: exit code, stdout and timing as under plain node, spans delivered (exactly) or counted
// and named in one line. The README's never-harm table mirrors this file.

import { afterAll, beforeAll, describe, it } from 'vitest';
import { COLLECTORS, Collectors, expectLikePlain, ROUND_TRIPS, runCase, type ExitCase, type Outcome } from '../helpers/exit-matrix';

const CASES: ExitCase[] = [
  { name: 'loop drains, exitCode 3', env: { EXIT_KIND: 'natural' }, spans: 2 * ROUND_TRIPS },
  { name: 'process.exit(3)', env: { EXIT_KIND: 'process-exit' }, spans: 2 * ROUND_TRIPS },
  { name: 'uncaught exception', env: { EXIT_KIND: 'uncaught' }, spans: 2 * ROUND_TRIPS },
  { name: 'unhandled rejection', env: { EXIT_KIND: 'rejection' }, spans: 2 * ROUND_TRIPS },
];

const collectors = new Collectors();
const plain = new Map<string, Outcome>();
beforeAll(async () => {
  await collectors.start();
  for (const c of CASES) plain.set(c.name, await runCase(c, {}));
});
afterAll(() => collectors.stop());

describe.each(CASES)('$name', (c) => {
  it.each(COLLECTORS)('collector %s: exit code, stdout and time as plain node; spans delivered or counted', async (collector) => {
    await expectLikePlain(c, plain.get(c.name)!, collector, collectors);
  });
});
