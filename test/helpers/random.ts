// Seeded randomness for fuzz tests: the same seed replays the same inputs. The seed comes from
// FUZZ_SEED when set (to replay a failure), otherwise from the clock; tests put it in every
// assertion message so a failure prints it.

export interface Random {
  readonly seed: number;
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  below(n: number): number;
  pick<T>(list: readonly T[]): T;
  /** `n` printable ASCII characters. */
  text(n: number): string;
}

export function seededRandom(seed: number = Number(process.env.FUZZ_SEED) || Date.now() % 2 ** 31): Random {
  // mulberry32: tiny, fast, and good enough to spread fuzz inputs.
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const below = (n: number) => Math.floor(next() * n);
  return {
    seed,
    next,
    below,
    pick: (list) => list[below(list.length)],
    text: (n) => Array.from({ length: n }, () => String.fromCharCode(33 + below(94))).join(''),
  };
}
