// The preload is injected into every Node process on a host. Each situation where it cannot help
// must leave the process exactly as it would have been: exit code, stdout, stderr, timing.
// Every case runs a real child process; the README's "Never harm the host" table mirrors this file.

import * as fs from 'fs';
import * as http2 from 'http2';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver } from '../../scripts/otlp-receiver';
import { get, REPO, run, start, withoutNodeWarnings, type Finished } from '../helpers/processes';
import { nodeBinary, SUPPORTED_MATRIX, UNSUPPORTED } from '../../scripts/node-binaries';
import { makeCertificates } from '../helpers/certs';
import { seededRandom } from '../helpers/random';
import { npmCli } from '../helpers/npm-cli';

const REQUIRE = '--require otel-preload/register';
const IMPORT = '--import otel-preload/register';
const NOWHERE = 'http://127.0.0.1:9'; // nothing listens on the discard port
const guards = (script: string) => path.join('guards', script);

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await new OtlpReceiver('grpc').start();
});
afterAll(() => receiver.stop());

const toReceiver = () => ({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint });
const spansOf = (service: string) => receiver.spans.filter((s) => s.resource['service.name'] === service);

function expectUntouched(result: Finished, stdout: string, code = 0): void {
  expect(result.code).toBe(code);
  expect(result.stdout).toBe(stdout);
  expect(withoutNodeWarnings(result.stderr)).toBe('');
}

describe('Node.js versions', () => {
  it.each(UNSUPPORTED)('Node %s: one stderr line at most, exit code and stdout unchanged', async (version) => {
    const node = nodeBinary(version);
    const flags = version.startsWith('16') || version.startsWith('20.5') ? [REQUIRE] : [REQUIRE, IMPORT];
    for (const flag of flags) {
      const result = await run(['-e', 'console.log("app output"); process.exitCode = 3'], { node, env: { NODE_OPTIONS: flag } });
      expect(result.code).toBe(3);
      expect(result.stdout).toBe('app output\n');
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/otel-preload: Node.js v.* is not supported/);
    }
  });

  it.each(['system', ...SUPPORTED_MATRIX])('Node %s: node -e, node -p (with and without arguments), code on stdin and a no-op script under both entries are untouched', async (version) => {
    const node = version === 'system' ? process.execPath : nodeBinary(version);
    // With arguments, argv[1] is the evaluated code's first argument, not a script: read as one,
    // it made the in-thread ESM hooks load on Node 24, and every eval died at require('module').
    const uses = 'const m = require("module"); require("http"); console.log(6 * 7, typeof m.createRequire, process.argv.slice(1).join(" "))';
    for (const flag of [REQUIRE, IMPORT]) {
      const env = { NODE_OPTIONS: flag, OTEL_EXPORTER_OTLP_ENDPOINT: NOWHERE };
      expectUntouched(await run(['-e', 'console.log(6 * 7)'], { node, env }), '42\n');
      expectUntouched(await run(['-p', '6 * 7'], { node, env }), '42\n');
      // These load http, so the SDK starts: a listening collector keeps stderr empty.
      const served = { NODE_OPTIONS: flag, ...toReceiver() };
      expectUntouched(await run(['-e', uses, 'app.js', '--flag'], { node, env: served }), '42 function app.js --flag\n');
      expectUntouched(await run([`--eval=${uses}`, 'app.js'], { node, env: served }), '42 function app.js\n');
      expectUntouched(await run(['-p', '6 * 7', 'app.js', 'x'], { node, env }), '42\n');
      expectUntouched(await run(['-pe', 'process.argv.length', 'a', 'b'], { node, env }), '3\n');
      expectUntouched(await run(['-', 'app.js'], { node, env: served, input: uses }), '42 function - app.js\n');
      expectUntouched(await run([guards('noop.js')], { node, env }), '');
    }
  });

  it('absolute paths to both entry files work', async () => {
    for (const [flag, file] of [['--require', 'register.cjs'], ['--import', 'register.mjs']]) {
      const entry = `${flag} ${path.join(REPO, file)}`;
      const service = `absolute-path${flag}`;
      const result = await run([guards('job.js')], { env: { NODE_OPTIONS: entry, OTEL_SERVICE_NAME: service, ...toReceiver() } });
      expectUntouched(result, 'job done\n');
      await receiver.waitFor(() => spansOf(service).some((s) => s.kind === 'SPAN_KIND_SERVER'));
    }
  });
});

describe('loaded more than once', () => {
  it('--require and --import together: one SDK, each span exported once', async () => {
    const result = await run([guards('job.js')], { env: { NODE_OPTIONS: `${REQUIRE} ${IMPORT} ${REQUIRE}`, OTEL_SERVICE_NAME: 'twice', ...toReceiver() } });
    expectUntouched(result, 'job done\n');
    await receiver.waitFor(() => spansOf('twice').length >= 2);
    const spans = spansOf('twice');
    expect(spans.filter((s) => s.kind === 'SPAN_KIND_SERVER')).toHaveLength(1);
    expect(spans.filter((s) => s.kind === 'SPAN_KIND_CLIENT')).toHaveLength(1);
    expect(new Set(spans.map((s) => s.resource['service.instance.id'])).size).toBe(1);
  });

  it('a child process that inherits NODE_OPTIONS gets its own SDK', async () => {
    const script = `require('child_process').execFileSync(process.execPath, [${JSON.stringify(path.join(REPO, 'fixtures', guards('job.js')))}], { stdio: 'inherit' })`;
    const result = await run(['-e', script], { env: { NODE_OPTIONS: REQUIRE, OTEL_SERVICE_NAME: 'parent-and-child', ...toReceiver() } });
    expectUntouched(result, 'job done\n');
    await receiver.waitFor(() => spansOf('parent-and-child').some((s) => s.kind === 'SPAN_KIND_SERVER'));
  });
});

describe('worker threads', () => {
  it('a worker gets no SDK of its own; the main thread is unaffected', async () => {
    const result = await run([guards('worker.js')], { env: { NODE_OPTIONS: REQUIRE, OTEL_SERVICE_NAME: 'with-worker', ...toReceiver() } });
    expectUntouched(result, 'worker exited 0\n');
    await receiver.waitFor(() => spansOf('with-worker').some((s) => s.kind === 'SPAN_KIND_SERVER'));
    const spans = spansOf('with-worker');
    // The main thread's SERVER span only: the worker's request is not instrumented twice over.
    expect(spans.filter((s) => s.kind === 'SPAN_KIND_SERVER')).toHaveLength(1);
    expect(spans.filter((s) => s.kind === 'SPAN_KIND_CLIENT')).toHaveLength(0);
    expect(new Set(spans.map((s) => s.resource['service.instance.id'])).size).toBe(1);
  });
});

describe('the app brings its own OpenTelemetry SDK', () => {
  it.each([
    ['CommonJS', 'own-sdk.js', REQUIRE],
    ['ES module', 'own-sdk.mjs', IMPORT],
  ])('%s: its SDK works, we export nothing, one info line says so', async (_kind, script, flag) => {
    const service = `own-sdk-${script}`;
    const quiet = await run([guards(script)], { env: { NODE_OPTIONS: flag, OTEL_SERVICE_NAME: service, ...toReceiver() } });
    expectUntouched(quiet, 'app registered its provider: true\napp exported app-span\n');
    const verbose = await run([guards(script)], { env: { NODE_OPTIONS: flag, OTEL_SERVICE_NAME: service, OTEL_LOG_LEVEL: 'info', ...toReceiver() } });
    expect(verbose.stdout).toContain('app registered its provider: true');
    // At info level: the start-up summary, then one line saying we step aside.
    const lines = verbose.stderr.trim().split('\n').filter((l) => !l.startsWith('otel-preload info: started {'));
    expect(lines).toEqual([expect.stringMatching(/loads its own OpenTelemetry SDK .* steps aside/)]);
    expect(spansOf(service)).toEqual([]);
  });

  it('loaded after ours started: a logger handed out before makes no logs SDK of ours afterwards (nothing exported)', async () => {
    const env = { NODE_OPTIONS: REQUIRE, OTEL_BLRP_SCHEDULE_DELAY: '100', ...toReceiver() };
    const aside = await run([guards('own-sdk-late.js')], { env: { ...env, STEP_ASIDE: '1', OTEL_SERVICE_NAME: 'late-own-sdk' } });
    expectUntouched(aside, 'emitted\n');
    // The same app without its SDK delivers its record: the marker that the first one would have arrived.
    const control = await run([guards('own-sdk-late.js')], { env: { ...env, STEP_ASIDE: '0', OTEL_SERVICE_NAME: 'late-own-sdk-control' } });
    expectUntouched(control, 'emitted\n');
    const logsOf = (service: string) => receiver.logs.filter((l) => l.resource['service.name'] === service);
    await receiver.waitFor(() => logsOf('late-own-sdk-control').length === 1);
    expect(logsOf('late-own-sdk')).toEqual([]);
  });
});

describe('tooling processes', () => {
  const npm = npmCli();

  it('npm is skipped by default, and can be included', async () => {
    const skipped = await run([npm, '--version'], { env: { NODE_OPTIONS: REQUIRE, OTEL_LOG_LEVEL: 'debug' } });
    expect(skipped.code).toBe(0);
    expect(skipped.stderr).toMatch(/process npm(-cli)? is excluded/);
    const included = await run([npm, '--version'], { env: { NODE_OPTIONS: REQUIRE, OTEL_LOG_LEVEL: 'debug', OTEL_NODE_INCLUDED_PROCESSES: 'npm' } });
    expect(included.code).toBe(0);
    expect(included.stdout).toBe(skipped.stdout);
    expect(included.stderr).not.toMatch(/is excluded/);
  });

  it('OTEL_NODE_EXCLUDED_PROCESSES adds a script by name', async () => {
    const result = await run([guards('job.js')], { env: { NODE_OPTIONS: REQUIRE, OTEL_LOG_LEVEL: 'debug', OTEL_NODE_EXCLUDED_PROCESSES: 'job' } });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('job done\n');
    expect(result.stderr.trim()).toMatch(/^otel-preload debug: process job is excluded/);
  });
});

describe('OTEL_SDK_DISABLED=true', () => {
  it('loads nothing beyond the check and prints nothing', async () => {
    const result = await run([guards('loaded-modules.js')], { env: { NODE_OPTIONS: REQUIRE, OTEL_SDK_DISABLED: 'true', OTEL_LOG_LEVEL: 'debug' } });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const loaded: string[] = JSON.parse(result.stdout);
    expect(loaded.filter((f) => !/^build\/src\/(bootstrap\/(index|guards)|config\/(index|parse|settings|from-values)|util\/(node-version|entry-script))\.js$/.test(f))).toEqual([]);
  });

  it('without it, a script that loads no instrumented module loads no instrumentation or SDK', async () => {
    const result = await run([guards('loaded-modules.js')], { env: { NODE_OPTIONS: REQUIRE } });
    const loaded: string[] = JSON.parse(result.stdout);
    expect(loaded.filter((f) => f.includes('@opentelemetry'))).toEqual([]);
  });

  it.each([process.versions.node, '24.21.0'])('on Node %s, a script that loads no instrumented module loads no crypto, v8 or vm for us (the code cache and the instance id wait for the SDK)', async (version) => {
    const node = version === process.versions.node ? process.execPath : nodeBinary(version);
    const result = await run([guards('loaded-builtins.js')], { node, env: { NODE_OPTIONS: REQUIRE, OTEL_EXPORTER_OTLP_ENDPOINT: NOWHERE } });
    const { builtins, preloadRan } = JSON.parse(result.stdout) as { builtins: string[]; preloadRan: boolean };
    expect(preloadRan).toBe(true);
    expect(builtins).toContain('diagnostics_channel');
    expect(builtins.filter((m) => ['crypto', 'v8', 'vm'].includes(m))).toEqual([]);
  });

  it('on Node 24, a CommonJS script that imports nothing has the in-thread ESM hook registered but none of its ES modules loaded (they load at the first import: esm-hook-cjs.test.ts)', async () => {
    const result = await run([guards('loaded-builtins.js')], { node: nodeBinary('24.21.0'), env: { NODE_OPTIONS: REQUIRE, OTEL_EXPORTER_OTLP_ENDPOINT: NOWHERE, OTEL_LOG_LEVEL: 'info' } });
    const { iitmIndex, iitmEsm } = JSON.parse(result.stdout) as { iitmIndex: boolean; iitmEsm: string[] };
    expect(result.stderr).toMatch(/"esmHook":"in-thread"/);
    expect(iitmIndex).toBe(true);
    expect(iitmEsm).toEqual([]);
  });

  it('with the SDK started and nothing logged, the logs SDK is not loaded (it loads at the first log record)', async () => {
    const result = await run([guards('loaded-after-http.js')], { env: { NODE_OPTIONS: REQUIRE } });
    const loaded: string[] = JSON.parse(result.stdout);
    expect(loaded.some((f) => f.startsWith('@opentelemetry/sdk-trace/'))).toBe(true);
    expect(loaded.filter((f) => f.startsWith('@opentelemetry/sdk-logs/'))).toEqual([]);
  });
});

describe('signals and exit', () => {
  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('no handler of its own: %s still stops the app, by that signal, after a bounded flush', async (signal, _exitCode) => {
    const app = start([guards('server.js')], { env: { NODE_OPTIONS: REQUIRE, OTEL_SERVICE_NAME: `sig-${signal}`, ...toReceiver() } });
    await app.waitForLine(/listening/);
    const t0 = Date.now();
    app.child.kill(signal);
    const result = await app.exited;
    expect(result.signal).toBe(signal);
    expect(Date.now() - t0).toBeLessThan(2500);
    expect(result.stderr).toBe('');
    // The flush delivered the warm-up request's spans before the process died.
    await receiver.waitFor(() => spansOf(`sig-${signal}`).some((s) => s.kind === 'SPAN_KIND_SERVER'));
  });

  it('its own handler keeps full control: its exit code and timing', async () => {
    const app = start([guards('server.js')], { env: { NODE_OPTIONS: REQUIRE, HANDLER: 'exit', ...toReceiver() } });
    await app.waitForLine(/listening/);
    app.child.kill('SIGTERM');
    const result = await app.exited;
    expect(result.code).toBe(7);
    expect(result.stdout).toMatch(/app handled SIGTERM/);
    // Its process.exit() 300 ms later may cut our background flush short: what it held is then
    // counted and named in one line, never lost silently (the synchronous flush at process.exit
    // delivers it instead).
    expect(result.stderr).toMatch(/^(otel-preload warn: telemetry lost: \d+ spans \(shutdown \d+; \d+ in total\)[^\n]*\n)?$/);
  });

  it('a handler that ignores SIGTERM: we do not exit for it', async () => {
    const app = start([guards('server.js')], { env: { NODE_OPTIONS: REQUIRE, HANDLER: 'ignore', ...toReceiver() } });
    const [, port] = await app.waitForLine(/listening (\d+)/);
    app.child.kill('SIGTERM');
    await app.waitForLine(/app ignores SIGTERM/);
    // The promise is about time: still serving once our flush bound (2 s) is well past. The answer
    // to a request made then is the positive proof, not merely a process that has not exited yet.
    await new Promise((r) => setTimeout(r, 2500));
    expect((await get(`http://127.0.0.1:${port}/`)).status).toBe(200);
    expect(app.child.exitCode).toBeNull();
    app.child.kill('SIGKILL');
    await app.exited;
  });

  it('a short-lived job delivers its spans at exit', async () => {
    const result = await run([guards('job.js')], { env: { NODE_OPTIONS: REQUIRE, OTEL_SERVICE_NAME: 'short-job', ...toReceiver() } });
    expectUntouched(result, 'job done\n');
    await receiver.waitFor(() => spansOf('short-job').filter((s) => s.kind !== 'SPAN_KIND_INTERNAL').length >= 2);
  });

  it.each(['job.js', 'noop.js'])('collector down: %s exits within the bound, exit code unchanged', async (script) => {
    const plain = await run([guards(script)], { env: {} });
    const result = await run([guards(script)], { env: { NODE_OPTIONS: REQUIRE, OTEL_EXPORTER_OTLP_ENDPOINT: NOWHERE, OTEL_NODE_SHUTDOWN_TIMEOUT: '1000' } });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(plain.stdout);
    expect(result.elapsedMs).toBeLessThan(plain.elapsedMs + 1000 + 1500);
    // Something is wrong (no collector), so a few lines are allowed — never more.
    expect(result.stderr.split('\n').filter(Boolean).length).toBeLessThanOrEqual(3);
  });

  it('an uncaught exception keeps Node’s default behaviour and exit code', async () => {
    const plain = await run([guards('throws.js')], { env: {} });
    const result = await run([guards('throws.js')], { env: { NODE_OPTIONS: REQUIRE, ...toReceiver() } });
    expect(plain.code).toBe(1);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(plain.stdout);
    expect(result.stderr).toContain('Error: boom from the app');
  });
});

describe('no silent loss', () => {
  it('spans dropped by a full export queue are counted in a self-metric and reported on stderr', async () => {
    const service = 'burst';
    const result = await run([guards('burst.js')], { env: { NODE_OPTIONS: REQUIRE, OTEL_SERVICE_NAME: service, OTEL_BSP_MAX_QUEUE_SIZE: '10', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '10', ...toReceiver() } });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('burst done\n');
    // Rate-limited: one line at the first loss, then at most one a minute, and the rest at exit.
    const lines = result.stderr.trim().split('\n');
    expect(lines.length).toBeLessThanOrEqual(2);
    for (const line of lines) expect(line).toMatch(/otel-preload warn: telemetry lost: \d+ spans \(queue_full \d+; \d+ in total\); counted in otel.sdk.processor.\*.processed/);
    const dropped = Number(lines[lines.length - 1].match(/(\d+) in total/)![1]);
    expect(dropped).toBeGreaterThan(900);
    const isDropCount = (m: (typeof receiver.metrics)[number]) => m.resource['service.name'] === service && m.name === 'otel.sdk.processor.span.processed' && m.dataPoints.some((d) => d.attributes['error.type'] === 'queue_full');
    await receiver.waitFor((r) => r.metrics.some(isDropCount));
    const point = receiver.metrics.find(isDropCount)!.dataPoints.find((d) => d.attributes['error.type'] === 'queue_full')!;
    expect(Number(point.asInt ?? point.asDouble)).toBe(dropped);
    // Every span was either exported or counted.
    await receiver.waitFor(() => spansOf(service).length + dropped === 1000);
  });
});

describe('errors inside the preload', () => {
  it('an unreadable package.json: the app runs, the service name falls back to the next package.json up', async () => {
    // fixtures/broken-package-json/package.json is a directory; the nearest readable one with a
    // name above it is the repository's own.
    const expected = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { name: string; version: string };
    const cwd = path.join(REPO, 'fixtures/broken-package-json');
    const result = await run(['app.js'], { cwd, env: { NODE_OPTIONS: REQUIRE, ...toReceiver() } });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('ran\n');
    const warning = /^otel-preload warn: .*broken-package-json\/package\.json cannot be read \(EISDIR\); service\.name falls back further\.$/;
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(warning)]);
    // The start-up summary names the service it settled on, and where it came from.
    const info = await run(['app.js'], { cwd, env: { NODE_OPTIONS: REQUIRE, OTEL_LOG_LEVEL: 'info', ...toReceiver() } });
    const started = info.stderr.split('\n').find((l) => l.startsWith('otel-preload info: started {'));
    expect(started, info.stderr).toBeDefined();
    expect(JSON.parse(started!.slice('otel-preload info: started '.length)).service).toEqual({ name: expected.name, version: expected.version, from: 'package.json' });
  });

  it('an instrumentation whose patch throws: the module loads unpatched, one warning', async () => {
    const result = await run(['app.js'], { cwd: path.join(REPO, 'fixtures/hostile-express'), env: { NODE_OPTIONS: REQUIRE, ...toReceiver() } });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('express loaded: hostile\n');
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/instrumentation express failed to patch express .*runs uninstrumented/)]);
  });

  it('a garbage CA file against a listening TLS collector: the app runs, one line names the untrusted certificate', async () => {
    const certs = makeCertificates();
    const exports: string[] = [];
    let connections = 0;
    // A gRPC-over-TLS endpoint that answers every export with an empty OK, so that only trust decides.
    const collector = http2.createSecureServer({ key: certs.read('server.key'), cert: certs.read('server.pem') }, (req, res) => {
      exports.push(String(req.headers[':path']));
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/grpc' });
        res.addTrailers({ 'grpc-status': '0' });
        res.end(Buffer.alloc(5));
      });
    });
    collector.on('connection', () => connections++);
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', () => r()));
    const env = (ca: string) => ({ NODE_OPTIONS: REQUIRE, OTEL_EXPORTER_OTLP_ENDPOINT: `https://127.0.0.1:${(collector.address() as { port: number }).port}`, OTEL_EXPORTER_OTLP_CERTIFICATE: ca, OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' });
    try {
      const garbage = await run([guards('job.js')], { env: env(path.join(REPO, 'fixtures/guards/job.js')) });
      expect(garbage.code).toBe(0);
      expect(garbage.stdout).toBe('job done\n');
      expect(connections, 'the exporter reached the TLS server').toBeGreaterThan(0);
      expect(exports, 'no export got past the handshake').toEqual([]);
      expect(withoutNodeWarnings(garbage.stderr).split('\n')).toEqual([expect.stringMatching(/^otel-preload warn: telemetry lost: \d+ spans? .* because traces export to https:\/\/127\.0\.0\.1:\d+ failed \(14 UNAVAILABLE: .*certificate.*\); counted in /)]);
      // The control: the same server, the real CA, and the spans get through without a word.
      const trusted = await run([guards('job.js')], { env: env(certs.file('ca.pem')) });
      expect(trusted.code).toBe(0);
      expect(withoutNodeWarnings(trusted.stderr)).toBe('');
      expect(exports).toContain('/opentelemetry.proto.collector.trace.v1.TraceService/Export');
    } finally {
      collector.close();
      certs.remove();
    }
  });

  it('fuzz: garbage traceparent and baggage headers never break a request', async () => {
    const app = start([guards('server.js')], { env: { NODE_OPTIONS: REQUIRE, ...toReceiver() } });
    const [, port] = await app.waitForLine(/listening (\d+)/);
    const rng = seededRandom();
    const seed = `FUZZ_SEED=${rng.seed}`;
    const samples = ['00-', '00-' + 'f'.repeat(32) + '-' + 'f'.repeat(16) + '-ff', 'zz-'.repeat(100), '00-00000000000000000000000000000000-0000000000000000-01', rng.text(2000)];
    for (let i = 0; i < 60; i++) {
      const headers = { traceparent: samples[i % samples.length] + (i > 5 ? rng.text(i) : ''), baggage: rng.text(i * 10), tracestate: rng.text(i) };
      const res = await get(`http://127.0.0.1:${port}/`, headers);
      expect(res.status, `${seed} ${JSON.stringify(headers)}`).toBe(200);
    }
    app.child.kill('SIGTERM');
    const result = await app.exited;
    expect(result.signal, seed).toBe('SIGTERM');
    expect(result.stderr, seed).toBe('');
  });

  it('fuzz: random values in every OTEL_* variable never break the app or touch stdout', async () => {
    const { SETTINGS } = await import('../../src/config/settings');
    const rng = seededRandom();
    const pool = ['', 'true', 'nope', '-1', '0', '99999999999999999999', 'grpc', 'http/json', 'a=b,c', '%zz', '=,=,', 'http://', 'console', 'none', '💥', 'x'.repeat(300)];
    for (let round = 0; round < 8; round++) {
      const env: Record<string, string> = { NODE_OPTIONS: REQUIRE, OTEL_EXPORTER_OTLP_ENDPOINT: NOWHERE, OTEL_NODE_SHUTDOWN_TIMEOUT: '500' };
      for (const s of SETTINGS) if (s.name.startsWith('OTEL_') && s.name !== 'OTEL_NODE_SHUTDOWN_TIMEOUT') env[s.name] = rng.pick(pool);
      delete env.OTEL_TRACES_EXPORTER; // keep console exporters off stdout (they print by design)
      env.OTEL_METRICS_EXPORTER = 'none';
      env.OTEL_LOGS_EXPORTER = 'none';
      const result = await run([guards('job.js')], { env });
      expect(result.code, `FUZZ_SEED=${rng.seed} ${JSON.stringify(env)}`).toBe(0);
      expect(result.stdout, `FUZZ_SEED=${rng.seed} ${JSON.stringify(env)}`).toBe('job done\n');
    }
  });
});
