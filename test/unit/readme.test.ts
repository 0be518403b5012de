// The README's tables are generated from the settings table and the catalogue; keep them equal
// (regenerate with npm run docs:tables).

import { readFileSync } from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { envTable } from '../../scripts/env-table';
import { instrumentationTable, watchedPackages } from '../../scripts/instrumentation-table';
import { appVersion, E2E_TESTED, UNTESTED } from '../../scripts/e2e-tested';

const readme = readFileSync(path.join(__dirname, '../../README.md'), 'utf8');

describe('README', () => {
  it('lists every environment variable with its default', () => {
    expect(readme).toContain(envTable());
  });

  it('lists every instrumentation with its switch name, targets and what it produces', () => {
    expect(readme).toContain(instrumentationTable());
  });

  it('says for every watched module which versions are tested end to end, or why none is', () => {
    expect(watchedPackages().filter((m) => !E2E_TESTED[m] && !UNTESTED[m])).toEqual([]);
    expect(Object.keys(UNTESTED).filter((m) => E2E_TESTED[m])).toEqual([]);
  });

  // The corpus apps' versions (the GenAI tests', Nest's): versions.test.ts checks the version sets'.
  it.each(Object.entries(E2E_TESTED).filter(([, t]) => t.apps?.length))('%s: installed by the apps its row names', (module, t) => {
    for (const app of t.apps!) expect(appVersion(app, module), `${module} in ${app}`).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
