// The root of every request's context: a Context whose methods live on its prototype. The API's
// own context class gives each instance three new closures (getValue, setValue, deleteValue), and
// closures made per request outlive V8's young-generation collections: a bare http server that
// made one such context per request saw ~60 KB survive each scavenge instead of ~1 KB, and V8
// answers steady survival by growing the young generation for good (bench/README.md, "Memory").
// Contexts derived from this one (the SERVER span's, and those other instrumentations derive
// with setValue) are of this class too. Same semantics as the API's: immutable, copy on write.

import type { Context } from '@opentelemetry/api';

export class LeanContext implements Context {
  private readonly values: Map<symbol, unknown>;

  constructor(values?: Map<symbol, unknown>) {
    this.values = values ?? new Map();
  }

  getValue(key: symbol): unknown {
    return this.values.get(key);
  }

  setValue(key: symbol, value: unknown): Context {
    const values = new Map(this.values);
    values.set(key, value);
    return new LeanContext(values);
  }

  deleteValue(key: symbol): Context {
    const values = new Map(this.values);
    values.delete(key);
    return new LeanContext(values);
  }
}

/** An empty context, as the API's ROOT_CONTEXT. */
export const LEAN_ROOT: Context = new LeanContext();
