// The README's tables are generated from the settings table and the catalogue; keep them equal
// (regenerate with npm run docs:tables).

import { readFileSync } from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { envTable } from '../../scripts/env-table';
import { instrumentationTable } from '../../scripts/instrumentation-table';

const readme = readFileSync(path.join(__dirname, '../../README.md'), 'utf8');

describe('README', () => {
  it('lists every environment variable with its default', () => {
    expect(readme).toContain(envTable());
  });

  it('lists every instrumentation with its switch name, targets and what it produces', () => {
    expect(readme).toContain(instrumentationTable());
  });
});
