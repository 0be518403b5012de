// Random values for one setting of the table, from a seeded generator: valid ones of its kind and
// invalid, huge, negative and garbage ones. A value can bring a companion variable when it is valid
// only with it (http/protobuf needs an HTTP endpoint), so "valid" always means a working pipeline.

import * as path from 'path';
import type { Setting } from '../../src/config/settings';

export type Random = () => number;

/** mulberry32: small, fast, and the same sequence for the same seed on every platform. */
export function rng(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FuzzContext {
  random: Random;
  grpcEndpoint: string;
  httpEndpoint: string;
  tmp: string;
}

export interface Fuzzed {
  kind: 'valid' | 'invalid' | 'huge' | 'negative' | 'garbage';
  env: Record<string, string>;
}

const pick = <T>(r: Random, items: readonly T[]): T => items[Math.floor(r() * items.length)];
const int = (r: Random, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

// By design these write to stdout (console exporter) or stderr (diagnostic levels): a user who
// chooses them asks for that output, so the fuzz leaves them out of the "valid" values.
const CHATTY: Record<string, readonly string[]> = {
  exporter: ['console'],
  OTEL_LOG_LEVEL: ['info', 'debug', 'verbose', 'all'],
};

export function fuzzValue(s: Setting, ctx: FuzzContext): Fuzzed {
  const kind = pick(ctx.random, ['valid', 'valid', 'invalid', 'huge', 'negative', 'garbage'] as const);
  if (kind === 'valid') return { kind, env: validValue(s, ctx) };
  return { kind, env: { [s.name]: badValue(kind, ctx.random) } };
}

function validValue(s: Setting, ctx: FuzzContext): Record<string, string> {
  const r = ctx.random;
  const one = (v: string) => ({ [s.name]: v });
  if (s.name === 'OTEL_TRACES_SAMPLER') return one(pick(r, ['always_on', 'ALWAYS_ON', 'always_off', 'traceidratio', 'parentbased_always_off']));
  if (/^OTEL_EXPORTER_OTLP_(\w+_)?PROTOCOL$/.test(s.name)) return protocol(s.name, ctx);
  if (/^OTEL_EXPORTER_OTLP_(\w+_)?ENDPOINT$/.test(s.name)) {
    const signal = s.name.match(/^OTEL_EXPORTER_OTLP_(TRACES|METRICS|LOGS)_/)?.[1];
    return one(pick(r, [ctx.grpcEndpoint, `${ctx.grpcEndpoint}/`, signal ? ctx.grpcEndpoint : `${ctx.grpcEndpoint}//`]));
  }
  if (s.name === 'OTEL_NODE_OPAMP_ENDPOINT') return one('http://127.0.0.1:9/v1/opamp'); // nothing listens: must stay quiet
  switch (s.kind.type) {
    case 'boolean':
      return one(pick(r, ['true', 'false', 'TRUE', ' False ']));
    case 'integer': {
      // A queue shorter than the app's dozen spans drops some, and says so (rate-limited, one line a
      // burst): that is reporting, not harm, and the pipeline's own tests cover it.
      const lo = /_MAX_QUEUE_SIZE$/.test(s.name) ? 64 : s.kind.min;
      const hi = Math.min(s.kind.max, 120_000);
      return one(String(pick(r, [lo, int(r, Math.max(lo, 1000), hi), hi, s.kind.max])));
    }
    case 'enum':
    case 'enumList': {
      const chatty = CHATTY[s.name] ?? (s.name.endsWith('_EXPORTER') ? CHATTY.exporter : []);
      const values = s.kind.values.filter((v) => !chatty.includes(v));
      if (s.kind.type === 'enum') return one(pick(r, values));
      const n = int(r, 1, Math.min(3, values.length));
      return one(Array.from({ length: n }, () => pick(r, values)).join(pick(r, [',', ', ', ' ,'])));
    }
    case 'list':
      return one(Array.from({ length: int(r, 1, 4) }, () => pick(r, ['http', 'express', 'pg', 'npm', 'node', 'x-y', 'database', '@scope/pkg'])).join(','));
    case 'keyValue':
    case 'headers':
      return one(Array.from({ length: int(r, 1, 4) }, () => `${pick(r, ['a', 'x-tenant', 'authorization', 'k.e_y', 'connection', 'te'])}=${encodeURIComponent(pick(r, ['v', 'Bearer abc', 'ü', '=,;', '']))}`).join(','));
    case 'url':
      return one(ctx.grpcEndpoint);
    case 'path':
      return one(path.join(ctx.tmp, pick(r, ['missing.pem', 'cache.json', 'sub/dir/file'])));
    case 'string':
      return one(pick(r, ['svc', 'my service', 'ünïcode', 'x'.repeat(300)]));
  }
}

/** A valid protocol, and for http/protobuf the endpoint of the HTTP receiver to go with it. */
function protocol(name: string, ctx: FuzzContext): Record<string, string> {
  const value = pick(ctx.random, ['grpc', 'http/protobuf', 'HTTP/PROTOBUF']);
  if (value === 'grpc') return { [name]: value };
  const signal = name.match(/^OTEL_EXPORTER_OTLP_(TRACES|METRICS|LOGS)_/)?.[1];
  if (!signal) return { [name]: value, OTEL_EXPORTER_OTLP_ENDPOINT: ctx.httpEndpoint };
  return { [name]: value, [`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`]: `${ctx.httpEndpoint}/v1/${signal.toLowerCase()}` };
}

function badValue(kind: Exclude<Fuzzed['kind'], 'valid'>, r: Random): string {
  switch (kind) {
    case 'invalid':
      return pick(r, ['yes', 'bogus', 'http:/x', 'ftp://h/', '1.5', '0x10', '1e3', 'NaN', 'Infinity', 'k', '=v', 'a=%zz', 'grpc,http']);
    case 'huge':
      return pick(r, ['2147483648', '100000000000', '9'.repeat(int(r, 16, 400)), 'x'.repeat(int(r, 1000, 20_000)), Array.from({ length: 500 }, (_, i) => `k${i}=v`).join(',')]);
    case 'negative':
      return pick(r, ['-1', '-0', '-2147483649', '-99999999999999999999', '- 5']);
    case 'garbage': {
      const alphabet = ' \t=,;:%/\\\'"`$(){}[]<>|&*?!#~^\r\n💥ü\u200b\u202e\u00ff abcXYZ019';
      return Array.from({ length: int(r, 1, 80) }, () => alphabet[Math.floor(r() * alphabet.length)]).join('');
    }
  }
}
