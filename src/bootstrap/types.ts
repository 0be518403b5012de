// Types shared by the bootstrap's entry (index.ts) and its wiring (run.ts), kept apart so that
// run.ts need not import the module that loads it.

/** Which flag loaded the preload: --require (register.cjs) or --import (register.mjs). */
export type Entry = 'require' | 'import';
