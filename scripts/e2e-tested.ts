// Which catalogue modules are tested end to end in CI, and in which version sets (test/versions/<set>,
// installed from the registry by scripts/corpus.ts). The single source for the README
// instrumentation table's "Tested end to end" column (scripts/instrumentation-table.ts) and for
// test/e2e/versions.test.ts, which checks that each module named here for a set is in that set
// and that its own case ran (modules tested by another file say which).

import * as fs from 'fs';
import * as path from 'path';
import { repoRoot } from './repo-root';

// libs-oldest-alone: the oldest claimed versions that cannot share libs-oldest (a peer there
// needs a newer one); versions.test.ts runs only their own cases on it.
export type VersionSet = 'libs-newest' | 'libs-oldest' | 'libs-oldest-alone';
/** The sets the whole versions app runs against. */
export const VERSION_SET_NAMES: readonly VersionSet[] = ['libs-newest', 'libs-oldest'];

export interface Tested {
  sets: readonly VersionSet[];
  /** The test file, under test/e2e. */
  by: 'versions.test.ts' | 'bundle.test.ts';
  /** A limit the column says (undici 8 needs Node >= 22.19: the Node 24 pass only; restify 4 cannot load on Node >= 22). */
  note?: string;
}

const BOTH: readonly VersionSet[] = VERSION_SET_NAMES;
export const E2E_TESTED: Readonly<Record<string, Tested>> = {
  '@cucumber/cucumber': { sets: BOTH, by: 'versions.test.ts' },
  '@hapi/hapi': { sets: BOTH, by: 'versions.test.ts' },
  amqplib: { sets: BOTH, by: 'versions.test.ts' },
  bullmq: { sets: BOTH, by: 'versions.test.ts' },
  bunyan: { sets: BOTH, by: 'versions.test.ts' },
  connect: { sets: BOTH, by: 'versions.test.ts' },
  dataloader: { sets: BOTH, by: 'versions.test.ts' },
  fastify: { sets: BOTH, by: 'versions.test.ts' },
  'generic-pool': { sets: BOTH, by: 'versions.test.ts' },
  graphql: { sets: BOTH, by: 'versions.test.ts' },
  knex: { sets: BOTH, by: 'versions.test.ts' },
  koa: { sets: BOTH, by: 'versions.test.ts' },
  mariadb: { sets: BOTH, by: 'versions.test.ts' },
  mysql: { sets: BOTH, by: 'versions.test.ts' },
  pg: { sets: BOTH, by: 'versions.test.ts' },
  pino: { sets: BOTH, by: 'versions.test.ts' },
  redis: { sets: [...BOTH, 'libs-oldest-alone'], by: 'versions.test.ts', note: 'redis 2 and 3 (`>=2.6.0 <4`) not tested' },
  restify: { sets: BOTH, by: 'versions.test.ts', note: '4.1.0 on Node 20 only' },
  router: { sets: BOTH, by: 'versions.test.ts' },
  undici: { sets: BOTH, by: 'versions.test.ts', note: 'newest on Node 24 only' },
  winston: { sets: BOTH, by: 'versions.test.ts' },
  express: { sets: BOTH, by: 'versions.test.ts' },
  ioredis: { sets: ['libs-newest', 'libs-oldest-alone'], by: 'versions.test.ts' },
  mysql2: { sets: BOTH, by: 'versions.test.ts' },
  '@grpc/grpc-js': { sets: BOTH, by: 'versions.test.ts' },
  'socket.io': { sets: BOTH, by: 'versions.test.ts' },
  // 1.3 to 1.6 are not on the registry: 1.7.0 is the oldest published version in the range.
  'lru-memoizer': { sets: BOTH, by: 'versions.test.ts', note: 'the oldest published in `>=1.3`' },
  // The versions redis itself loads in each set (pinned beside it, checked by the case).
  '@redis/client': { sets: BOTH, by: 'versions.test.ts', note: 'through `redis`' },
  '@node-redis/client': { sets: ['libs-oldest-alone'], by: 'versions.test.ts', note: 'through `redis` 4.0.0; the newest, 1.0.6, not tested' },
  // pg's Pool is pg-pool; 2.x is pg 7's, which the pg row does not claim.
  'pg-pool': { sets: BOTH, by: 'versions.test.ts', note: "through pg's Pool; 3.1.1: the oldest pg 8.0.3 takes; 2.x, pg 7's, not tested" },
};

/** The version a set installs of a module (its package.json's exact pin), or undefined. */
export function setVersion(set: VersionSet, module: string): string | undefined {
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'test', 'versions', set, 'package.json'), 'utf8'));
  return pkg.dependencies?.[module];
}

/** The README cell: the versions tested end to end, or "not tested". */
export function testedCell(module: string): string {
  const t = E2E_TESTED[module];
  if (!t) return 'not in test/versions';
  const versions = t.sets.map((s) => setVersion(s, module) ?? '?').join(', ');
  return t.note ? `${versions} (${t.note})` : versions;
}
