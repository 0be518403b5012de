// Which catalogue modules are tested end to end in CI, and at which versions: in the version sets
// (test/versions/<set>, installed from the registry by scripts/corpus.ts) or in the corpus apps
// the GenAI tests run (test/corpus/apps/<app>). The single source for the README instrumentation
// table's "Tested end to end" column (scripts/instrumentation-table.ts), and for
// test/e2e/versions.test.ts, which checks that each version named here is installed by its set or
// app and that each versions.test.ts case ran. Every other watched module has its reason for not
// being tested in UNTESTED (test/unit/readme.test.ts checks that none is left without one).

import * as fs from 'fs';
import * as path from 'path';
import { repoRoot } from './repo-root';

// libs-oldest-alone: the oldest claimed versions that cannot share libs-oldest (a peer there
// needs a newer one, or libs-oldest has another version of the same package), and
// libs-oldest-redis2 (redis 2.6.0, the oldest of node-redis's v2-v3 range, beside neither's
// redis 4); versions.test.ts runs only their own cases on them.
export type VersionSet = 'libs-newest' | 'libs-oldest' | 'libs-oldest-alone' | 'libs-oldest-redis2';
/** The sets the whole versions app runs against. */
export const VERSION_SET_NAMES: readonly VersionSet[] = ['libs-newest', 'libs-oldest'];

export interface Tested {
  sets: readonly VersionSet[];
  /** Corpus apps (test/corpus/apps/<app>) whose test installs the module (its package.json pin or lockfile). */
  apps?: readonly string[];
  /** The test file, under test/e2e (or test/corpus, `corpus/…`). */
  by: 'versions.test.ts' | 'bundle.test.ts' | 'memcached.test.ts' | `genai-${string}.test.ts` | `corpus/${string}.test.ts`;
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
  redis: { sets: [...BOTH, 'libs-oldest-alone', 'libs-oldest-redis2'], by: 'versions.test.ts' },
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
  // The GenAI SDKs, each against a local fake of its provider's API, in their own tests.
  openai: { sets: [], apps: ['genai-openai7', 'genai-openai6', 'genai-openai4x', 'genai-openai4'], by: 'genai-openai.test.ts' },
  '@anthropic-ai/sdk': { sets: [], apps: ['genai-anthropic', 'genai-anthropic0'], by: 'genai-anthropic.test.ts' },
  '@google/genai': { sets: [], apps: ['genai-google'], by: 'genai-google.test.ts', note: 'the newest only' },
  ai: { sets: [], apps: ['genai-ai', 'genai-ai6', 'genai-ai5'], by: 'genai-ai.test.ts' },
  '@langchain/core': { sets: [], apps: ['genai-langchain', 'genai-langchain0'], by: 'genai-langchain.test.ts' },
  '@modelcontextprotocol/sdk': { sets: [], apps: ['genai-mcp', 'genai-mcp1'], by: 'genai-mcp.test.ts', note: '1.0 to 1.9 not tested' },
  // The corpus apps on Nest 12 and 11 (test/corpus/nest12.test.ts, nest.test.ts): the route on the SERVER span.
  '@nestjs/core': { sets: [], apps: ['nest12-shop', 'nest-shop'], by: 'corpus/nest12.test.ts', note: 'the route on the SERVER span; the detail spans (below 12) not asserted; 11 in corpus/nest.test.ts' },
  // Against Debian's memcached binary, fetched and cached by the test (test/helpers/memcached.ts).
  memcached: { sets: BOTH, by: 'memcached.test.ts' },
  // What @aws-sdk/client-bedrock-runtime loads (the aws-sdk instrumentation makes its spans).
  '@smithy/core': { sets: [], apps: ['genai-bedrock'], by: 'genai-bedrock.test.ts', note: 'through `@aws-sdk/client-bedrock-runtime` against a fake Bedrock endpoint; the oldest claimed not tested' },
};

/** Why a watched module has no end-to-end test: what it would need that this machine and CI do not have. */
export const UNTESTED: Readonly<Record<string, string>> = {
  mongodb: 'no MongoDB server in CI',
  mongoose: 'no MongoDB server in CI',
  kafkajs: 'no Kafka broker in CI',
  'cassandra-driver': 'no Cassandra server in CI',
  oracledb: 'no Oracle Database in CI',
  tedious: 'no SQL Server in CI',
  '@aws-sdk/middleware-stack': 'loaded by older AWS SDK v3 clients only; the tested client loads `@smithy/core`',
  '@aws-sdk/smithy-client': 'loaded by older AWS SDK v3 clients only; the tested client loads `@smithy/core`',
  '@smithy/middleware-stack': 'loaded by older AWS SDK v3 clients only; the tested client loads `@smithy/core`',
  '@smithy/smithy-client': 'loaded by older AWS SDK v3 clients only; the tested client loads `@smithy/core`',
};

/** The version a set installs of a module (its package.json's exact pin), or undefined. */
export function setVersion(set: VersionSet, module: string): string | undefined {
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'test', 'versions', set, 'package.json'), 'utf8'));
  return pkg.dependencies?.[module];
}

/** The version a corpus app installs of a module: its package.json's pin, else its lockfile's top-level copy. */
export function appVersion(app: string, module: string): string | undefined {
  const dir = path.join(repoRoot(), 'test', 'corpus', 'apps', app);
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  if (pkg.dependencies?.[module]) return pkg.dependencies[module];
  const lock = path.join(dir, 'package-lock.json');
  if (!fs.existsSync(lock)) return undefined;
  return JSON.parse(fs.readFileSync(lock, 'utf8')).packages?.[`node_modules/${module}`]?.version;
}

/** The README cell: the versions tested end to end, or why not. */
export function testedCell(module: string): string {
  const t = E2E_TESTED[module];
  if (!t) return UNTESTED[module] ? `not tested: ${UNTESTED[module]}` : 'not tested';
  const versions = [...t.sets.map((s) => setVersion(s, module) ?? '?'), ...(t.apps ?? []).map((a) => appVersion(a, module) ?? '?')].join(', ');
  const by = t.by === 'versions.test.ts' ? '' : `, ${t.by}`;
  return t.note || by ? `${versions} (${[t.note, by.slice(2)].filter(Boolean).join('; ')})` : versions;
}
