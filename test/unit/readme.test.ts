// The README's environment-variable table is generated from the settings table; keep them equal.

import { readFileSync } from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { envTable } from '../../scripts/env-table';

describe('README', () => {
  it('lists every environment variable with its default (regenerate with npm run env-table)', () => {
    const readme = readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
    expect(readme).toContain(envTable());
  });
});
