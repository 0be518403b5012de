// The range check the start-up coverage line and doctor use (src/util/version-range.ts) agrees with
// semver (a devDependency only: not there at run time) on every range the catalogue declares and on
// the other forms ranges take, for a grid of release versions.

import { describe, expect, it } from 'vitest';
import { satisfies } from '../../src/util/version-range';
import { CATALOGUE } from '../../src/instrumentations/table';
import { entryRanges } from '../../src/instrumentations/coverage';

// No type declarations are installed for semver.
const semver = require('semver') as { satisfies(v: string, r: string, o?: object): boolean };

const catalogueRanges = (): string[] => {
  const all = new Set<string>();
  for (const entry of CATALOGUE) {
    for (const ranges of entryRanges(entry).values()) ranges.forEach((r) => all.add(r));
    for (const via of Object.values(entry.coveredThrough ?? {})) all.add(via.range);
  }
  return [...all];
};
const OTHER_FORMS = ['^0.2.3', '^0.0.3', '^0.0', '^0', '^1.2', '~1.2.3', '~1.2', '~1', '>1.3', '<=1.3', '>1.2.3', '<=2.0.0', '=1.2.3', '1.2.x', '1.x', '>=1.x <3', '2 || >=4.1', '>= 6.7 < 8', 'x'];
const versions: string[] = [];
for (const major of [0, 1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 17, 22, 26]) for (const minor of [0, 1, 2, 3, 4, 7, 10, 22, 134]) for (const patch of [0, 1, 3, 7]) versions.push(`${major}.${minor}.${patch}`);

describe('satisfies', () => {
  it.each([...catalogueRanges(), ...OTHER_FORMS])('%s: as semver says, for every version of the grid', (range) => {
    const wrong = versions.filter((v) => satisfies(v, range) !== semver.satisfies(v, range, { includePrerelease: true }));
    expect(wrong).toEqual([]);
  });

  it('an unreadable version or comparator satisfies nothing', () => {
    expect(satisfies('not-a-version', '*')).toBe(false);
    expect(satisfies('1.0.0', 'latest')).toBe(false);
  });
});
