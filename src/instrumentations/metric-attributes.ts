// The attribute sets of `http.server.request.duration`, each built once and shared. The metrics
// SDK (sdk-metrics 2.x) identifies a series by hashing the attributes of every recorded value:
// sort the keys, map them to pairs, JSON.stringify — per request, the largest single cost of the
// metric. A request's set is one of few (method × status × route × scheme × version), so each is
// built once, frozen (it can never change after its hash is taken) and carries its hash under a
// symbol; the SDK's hash function is wrapped to use a carried hash and to compute any other as
// before. Symbol keys are invisible to Object.keys and JSON, so exported attributes are unchanged.
// If the SDK's internals move, the wrapper is not installed and sets are hashed as usual.

import type { Attributes } from '@opentelemetry/api';
import { requireInternal } from '../otel-line/internals';

const HASH = Symbol('otel-preload.attributes-hash');
/** Distinct sets kept; beyond that (an unbounded route?) sets are built per request, as before. */
const LIMIT = 2000;

type Hash = (attributes: Attributes) => string;
let originalHash: Hash | undefined;

/** Wraps the SDK's attribute hash once; false when its module or function is not where expected. */
export function installCarriedHashes(): boolean {
  if (originalHash) return true;
  try {
    const utils = requireInternal<{ hashAttributes?: Hash }>('sdk-metrics/utils');
    const original = utils.hashAttributes;
    if (typeof original !== 'function') return false;
    utils.hashAttributes = function hashAttributes(attributes: Attributes): string {
      const carried = (attributes as { [HASH]?: string })[HASH];
      return carried !== undefined ? carried : original(attributes);
    };
    originalHash = original;
    return true;
  } catch {
    return false;
  }
}

export class AttributeSets {
  private readonly sets = new Map<string, Attributes>();
  private last?: Attributes;

  constructor(private readonly keys: readonly string[]) {}

  /**
   * The shared set with the values of `attributes` under this instance's keys. Consecutive requests
   * mostly share one (same method, route and status): the last set is compared first, key by key,
   * which costs less than building and looking up a key string per request.
   */
  of(attributes: Attributes): Attributes {
    const last = this.last;
    if (last !== undefined && this.sameAs(last, attributes)) return last;
    let key = '';
    // \u0002 stands for "absent"; a number is marked, so that 200 and '200' stay apart.
    for (const k of this.keys) {
      const v = attributes[k];
      key += typeof v === 'number' ? `#${v}\u0001` : `${v ?? '\u0002'}\u0001`;
    }
    const set = this.get(key, () => ({ ...attributes }));
    this.last = set;
    return set;
  }

  private sameAs(set: Attributes, attributes: Attributes): boolean {
    for (const k of this.keys) if (set[k] !== attributes[k]) return false;
    return true;
  }

  /** The shared set for `key`, built by `build` the first time. */
  get(key: string, build: () => Attributes): Attributes {
    let set = this.sets.get(key);
    if (set !== undefined) return set;
    set = build();
    if (this.sets.size >= LIMIT) return set;
    if (originalHash) Object.defineProperty(set, HASH, { value: originalHash(set), enumerable: false });
    Object.freeze(set);
    this.sets.set(key, set);
    return set;
  }
}
