// Fuzz of every OTEL_* variable the settings table knows: random valid, invalid, huge, negative and
// garbage values, one variable at a time and a few together, each in a real child process started
// with NODE_OPTIONS that makes HTTP round trips and exports to a real OTLP receiver. The law: exit
// code and stdout exactly as under plain node, at most one stderr line per fuzzed variable, never a
// Node `Warning:`. Seeded: FUZZ_SEED=<n> replays a run; the seed is printed on every failure.

import { mkdtempSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver } from '../../scripts/otlp-receiver';
import { SETTINGS, type Setting } from '../../src/config/settings';
import { REPO, run, type Finished } from '../helpers/processes';
import { fuzzValue, rng, type Fuzzed } from '../helpers/fuzz-values';

const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const COMBINED_RUNS = 5;
const VARIABLES_PER_COMBINED_RUN = 4;
const CONCURRENCY = 2; // the machine has two cores; more only queues
// The bound on the whole fuzz: cases start in a seeded random order until it is spent (all ~80 fit
// in ~30 s on an idle two-core machine; a loaded one covers a seeded subset). FUZZ_BUDGET_MS extends it.
const BUDGET_MS = Number(process.env.FUZZ_BUDGET_MS ?? 50_000);
// Per child: start-up, three round trips, a flush to a receiver that answers at once.
const CHILD_BOUND_MS = 15_000;

// Three HTTP round trips through a local server; the exit code makes a changed one visible.
const APP = `
const http = require('http');
const server = http.createServer((req, res) => res.end('answer to ' + req.url));
server.listen(0, '127.0.0.1', async () => {
  for (let i = 0; i < 3; i++) {
    const body = await new Promise((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: server.address().port, path: '/r' + i }, (res) => {
        let b = '';
        res.on('data', (d) => (b += d));
        res.on('end', () => resolve(b));
      }).on('error', reject);
    });
    console.log(body);
  }
  server.close();
  process.exitCode = 7;
});`;

const FUZZED = SETTINGS.filter((s) => s.name.startsWith('OTEL_'));

/**
 * Open findings of this fuzz, outside the config layer, allowed one extra line until fixed (each
 * says where): remove an entry and the fuzz fails on it again.
 */
const KNOWN_SECOND_LINE: Record<string, string> = {
  // The upstream metric exporter reads this variable itself and warns a second time ("… is set to
  // '1e3', but only …"): src/sdk/export/exporters.ts should pass temporalityPreference explicitly.
  OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'upstream exporter reads process.env',
};

let grpc: OtlpReceiver;
let http: OtlpReceiver;
let plain: Finished;
let tmp: string;

beforeAll(async () => {
  [grpc, http] = await Promise.all([new OtlpReceiver('grpc').start(), new OtlpReceiver('http/protobuf').start()]);
  tmp = mkdtempSync(path.join(os.tmpdir(), 'otel-fuzz-'));
  plain = await run(['-e', APP], { cwd: tmp, env: {} });
});
afterAll(async () => {
  await grpc?.stop();
  await http?.stop();
});

interface Case {
  label: string;
  env: Record<string, string>;
  /** How many variables were fuzzed: the stderr budget in lines. */
  fuzzed: number;
}

function cases(): Case[] {
  const random = rng(SEED);
  const ctx = () => ({ random, grpcEndpoint: grpc.endpoint, httpEndpoint: http.endpoint, tmp });
  const out: Case[] = FUZZED.map((s) => single(s, fuzzValue(s, ctx())));
  // Seeded shuffle: a run cut short by the budget still covers variables from the whole table.
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  for (let i = 0; i < COMBINED_RUNS; i++) {
    const picked = new Set<Setting>();
    while (picked.size < VARIABLES_PER_COMBINED_RUN) picked.add(FUZZED[Math.floor(random() * FUZZED.length)]);
    const env: Record<string, string> = {};
    for (const s of picked) Object.assign(env, fuzzValue(s, ctx()).env);
    out.push({ label: `combined ${[...picked].map((s) => s.name).join(' + ')}`, env, fuzzed: picked.size });
  }
  return out;
}

function single(s: Setting, f: Fuzzed): Case {
  return { label: `${s.name} (${f.kind})`, env: f.env, fuzzed: 1 };
}

async function runCase(c: Case): Promise<string | undefined> {
  // A generous exit bound: on a loaded machine the 2 s default can pass before the (local) receiver
  // answers, and its one line is about the machine, not the fuzzed value. Fuzzed itself like the rest.
  const env = { NODE_OPTIONS: `--require ${path.join(REPO, 'register.cjs')}`, OTEL_EXPORTER_OTLP_ENDPOINT: grpc.endpoint, OTEL_SERVICE_NAME: 'fuzz', OTEL_NODE_SHUTDOWN_TIMEOUT: '10000', ...c.env };
  const child = await Promise.race([
    run(['-e', APP], { cwd: tmp, env }),
    new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), CHILD_BOUND_MS).unref()),
  ]);
  const problems: string[] = [];
  if (child === 'timeout') problems.push(`did not exit within ${CHILD_BOUND_MS} ms`);
  else {
    if (child.code !== plain.code || child.signal !== plain.signal) problems.push(`exit ${child.code}/${child.signal}, plain node ${plain.code}/${plain.signal}`);
    if (child.stdout !== plain.stdout) problems.push(`stdout differs: ${JSON.stringify(child.stdout.slice(0, 300))}`);
    const lines = child.stderr.split('\n').filter((l) => l.trim() !== '');
    // A fuzzed endpoint, protocol, timeout, TLS file or header can legitimately leave no collector
    // reachable (e.g. a bad endpoint falls back to localhost:4317, a 1 ms timeout): the pipeline then
    // names what was lost and why in one line at exit — the only extra line allowed.
    const exportFailures = lines.filter((l) => /^otel-preload warn: telemetry lost: /.test(l)).length;
    const exportBudget = Object.keys(c.env).some((k) => /ENDPOINT|PROTOCOL|TIMEOUT|CERTIFICATE|CLIENT_KEY|HEADERS|COMPRESSION/.test(k)) ? Math.min(exportFailures, 1) : 0;
    const known = Object.keys(c.env).filter((k) => KNOWN_SECOND_LINE[k] && lines.some((l) => l.includes(`${k} is set to`))).length;
    if (lines.length - exportBudget - known > c.fuzzed) problems.push(`${lines.length} stderr lines for ${c.fuzzed} variable(s)`);
    if (/Warning:/.test(child.stderr)) problems.push('a Node Warning: on stderr');
    if (problems.length) problems.push(`stderr: ${JSON.stringify(child.stderr.slice(0, 2000))}`);
  }
  if (problems.length === 0) return undefined;
  const shown = Object.entries(c.env).map(([k, v]) => `${k}=${JSON.stringify(v.length > 200 ? `${v.slice(0, 200)}…(${v.length} chars)` : v)}`);
  return `${c.label}\n    ${shown.join('\n    ')}\n    ${problems.join('\n    ')}`;
}

describe(`fuzz of every OTEL_* variable (seed ${SEED})`, () => {
  it('plain node: the reference run', () => {
    expect(plain.code).toBe(7);
    expect(plain.stdout).toBe('answer to /r0\nanswer to /r1\nanswer to /r2\n');
  });

  it(`${FUZZED.length} variables one at a time and ${COMBINED_RUNS} combinations: exit code, stdout, ≤ 1 stderr line per variable, no Node warning`, async () => {
    const all = cases();
    const failures: string[] = [];
    let next = 0;
    const deadline = Date.now() + BUDGET_MS;
    const worker = async () => {
      while (next < all.length && Date.now() < deadline) {
        const failure = await runCase(all[next++]);
        if (failure) failures.push(failure);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    console.log(`fuzz (FUZZ_SEED=${SEED}): ${next} of ${all.length} cases in the ${BUDGET_MS} ms budget`);
    expect(next, 'not even the first cases ran').toBeGreaterThan(CONCURRENCY);
    if (failures.length) console.error(`fuzz failures with FUZZ_SEED=${SEED} (replay with that variable set):\n${failures.join('\n')}`);
    expect(failures, `FUZZ_SEED=${SEED}`).toEqual([]);
    // Telemetry really flowed: the fuzz ran against a working pipeline, not a dead one.
    expect(grpc.spans.length + http.spans.length).toBeGreaterThan(0);
  }, BUDGET_MS + 2 * CHILD_BOUND_MS + 10_000); // the budget, the cases still running when it ends, the receivers
});
