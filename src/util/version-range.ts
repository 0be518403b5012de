// Whether a version is in a range, for the ranges instrumentations declare (`>=4.0.0 <6`, `^3.1.0`,
// `>= 6.7 < 8`, `2`, `*`, `a || b`). `semver` is only a devDependency: a distribution folder may not
// have it, and the start-up coverage line and doctor must work there. A prerelease counts as its
// release (semver's includePrerelease), as the coverage checks always asked for.

type Triple = [number, number, number];

/** `version` satisfies `range`; an unreadable comparator satisfies nothing. */
export function satisfies(version: string, range: string): boolean {
  const v = parse(version);
  if (!v) return false;
  return range.split('||').some((set) => {
    // `>= 6.7 < 8`: an operator may stand apart from its version.
    const comparators = set.trim().replace(/([<>=^~]+)\s+/g, '$1').split(/\s+/).filter(Boolean);
    return comparators.every((c) => test(v, c));
  });
}

function test(v: Triple, comparator: string): boolean {
  const m = /^(>=|<=|>|<|=|\^|~)?v?(\*|x|\d+)(?:\.(\*|x|\d+))?(?:\.(\*|x|\d+))?(?:[-+].*)?$/i.exec(comparator);
  if (!m) return false;
  const op = m[1] ?? '';
  const parts = [m[2], m[3], m[4]].map((p) => (p === undefined || /^[*x]$/i.test(p) ? undefined : Number(p)));
  const given = parts.findIndex((p) => p === undefined);
  const precision = given < 0 ? 3 : given; // how many of major.minor.patch are named
  const floor: Triple = [parts[0] ?? 0, parts[1] ?? 0, parts[2] ?? 0];
  if (precision === 0) return true; // `*`
  // The first version past a partial one (`2` → 3.0.0, `1.3` → 1.4.0).
  const next = (p: number): Triple => (p === 1 ? [floor[0] + 1, 0, 0] : p === 2 ? [floor[0], floor[1] + 1, 0] : [floor[0], floor[1], floor[2] + 1]);
  switch (op) {
    case '>=':
      return cmp(v, floor) >= 0;
    case '>':
      return precision === 3 ? cmp(v, floor) > 0 : cmp(v, next(precision)) >= 0;
    case '<':
      return cmp(v, floor) < 0;
    case '<=':
      return precision === 3 ? cmp(v, floor) <= 0 : cmp(v, next(precision)) < 0;
    case '^': {
      // The first non-zero part named may not change.
      const fixed = floor[0] > 0 || precision === 1 ? 1 : floor[1] > 0 || precision === 2 ? 2 : 3;
      return cmp(v, floor) >= 0 && cmp(v, next(fixed)) < 0;
    }
    case '~':
      return cmp(v, floor) >= 0 && cmp(v, next(precision === 1 ? 1 : 2)) < 0;
    default:
      return cmp(v, floor) >= 0 && cmp(v, next(precision)) < 0;
  }
}

function parse(version: string): Triple | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

function cmp(a: Triple, b: Triple): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}
