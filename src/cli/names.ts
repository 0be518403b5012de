// Names an operator may misspell: OTEL_* variables and instrumentation names. A misspelled
// variable is silently ignored by every SDK, which is why doctor names the nearest valid one.

import { SETTINGS } from '../config/settings';
import { CATALOGUE } from '../instrumentations/table';

/** Variables of the OpenTelemetry spec that this distribution reads without a table entry. */
const ALSO_KNOWN = ['OTEL_CONFIG_FILE', 'OTEL_EXPERIMENTAL_CONFIG_FILE'];

export interface UnknownName {
  name: string;
  nearest?: string;
}

export function unknownVariables(env: NodeJS.ProcessEnv): UnknownName[] {
  const known = [...SETTINGS.map((s) => s.name), ...ALSO_KNOWN];
  return Object.keys(env)
    .filter((k) => k.startsWith('OTEL_') && !known.includes(k))
    .sort()
    .map((name) => ({ name, nearest: nearest(name, known) }));
}

export function unknownInstrumentations(names: readonly string[]): UnknownName[] {
  const known = CATALOGUE.map((e) => e.name);
  return names.filter((n) => !known.includes(n)).map((name) => ({ name, nearest: nearest(name, known) }));
}

/** The closest candidate, when it is close enough to be a likely typo (a quarter of the length). */
export function nearest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = distance(name.toUpperCase(), c.toUpperCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 4)) ? best : undefined;
}

/** Levenshtein distance, one row at a time. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length];
}
