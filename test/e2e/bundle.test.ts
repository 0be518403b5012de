// Bundled apps and silent gaps. An Express + mysql2 + ioredis app bundled by esbuild (from the
// libs-newest version set) is run under the preload and a request: the start-up summary names the
// bundle, the instrumented libraries inside it and what can and cannot be seen; the request still
// has its SERVER span (core http is not bundled) and its mysql2 and ioredis spans (their tracing
// channels); unbundled, the same calls have one span each (the patch), not two. `otel-preload doctor` in the bundled app's folder
// says the same. A module loaded at a version outside its instrumentation's range (koa 1) is named
// once, with the supported range, beside the start-up summary.

import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver } from '../../scripts/otlp-receiver';
import { CORPUS_APPS, prepareApp, VERSION_SETS } from '../../scripts/corpus';
import { REPO, run, start } from '../helpers/processes';
import { missingServices } from '../helpers/services';
import { DEADLINE_MS } from '../helpers/wait';

const CLI = path.join(REPO, 'build/src/cli/index.js');
let receiver: OtlpReceiver;
let dir: string;
let bundle: string;
let missing = false;

beforeAll(async () => {
  missing = (await missingServices(['mariadb', 'redis'])).length > 0;
  receiver = await new OtlpReceiver('grpc').start();
  const libs = prepareApp('libs-newest', VERSION_SETS).dir;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-preload-bundle-'));
  bundle = path.join(dir, 'dist', 'server.js');
  const esbuild = require(path.join(libs, 'node_modules', 'esbuild'));
  await esbuild.build({ entryPoints: [path.join(REPO, 'fixtures/versions/bundle-src.cjs')], bundle: true, platform: 'node', format: 'cjs', outfile: bundle, nodePaths: [path.join(libs, 'node_modules')],
    // graphql 17 (libs-newest), not the repo's own 16 that resolution from fixtures/ finds first.
    alias: { graphql: path.join(libs, 'node_modules', 'graphql') }, logLevel: 'silent' });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'bundled-shop', private: true, scripts: { start: 'node dist/server.js' } }));
});
afterAll(async () => {
  await receiver?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const parseLine = (stderr: string, prefix: string) => {
  const line = stderr.split('\n').find((l) => l.startsWith(`otel-preload info: ${prefix} `));
  return line ? JSON.parse(line.slice(`otel-preload info: ${prefix} `.length)) : undefined;
};

describe('an esbuild bundle', () => {
  it('minified (as production builds are): still named in the start-up summary, its packages not known', async () => {
    const libs = prepareApp('libs-newest', VERSION_SETS).dir;
    const minified = path.join(dir, 'dist', 'server.min.js');
    const esbuild = require(path.join(libs, 'node_modules', 'esbuild'));
    await esbuild.build({ entryPoints: [path.join(REPO, 'fixtures/versions/bundle-src.cjs')], bundle: true, minify: true, platform: 'node', format: 'cjs', outfile: minified, nodePaths: [path.join(libs, 'node_modules')], alias: { graphql: path.join(libs, 'node_modules', 'graphql') }, logLevel: 'silent' });
    const app = start([minified], {
      cwd: dir,
      env: { NODE_OPTIONS: `--require ${path.join(REPO, 'register.cjs')}`, OTEL_LOG_LEVEL: 'info', OTEL_SERVICE_NAME: 'bundled-min', OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' },
    });
    try {
      await app.waitForLine(/listening (\d+)/, DEADLINE_MS);
      const summary = parseLine(app.stderr(), 'started');
      expect(summary.bundle).toMatchObject({ tool: 'esbuild', file: minified, instrumentedInside: [] });
      expect(summary.bundle.notSeen).toMatch(/minified/);
    } finally {
      app.child.kill('SIGTERM');
      await app.exited;
    }
  });

  it('is named in the start-up summary with what can and cannot be seen; its request keeps its SERVER span', async () => {
    const app = start([bundle], {
      cwd: dir,
      env: { NODE_OPTIONS: `--require ${path.join(REPO, 'register.cjs')}`, OTEL_LOG_LEVEL: 'info', OTEL_SERVICE_NAME: 'bundled-shop', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_METRICS_EXPORTER: 'none' },
    });
    try {
      const port = Number((await app.waitForLine(/listening (\d+)/, DEADLINE_MS))[1]);
      const summary = parseLine(app.stderr(), 'started');
      expect(summary.bundle).toMatchObject({ tool: 'esbuild', file: bundle });
      expect(summary.bundle.instrumentedInside).toEqual(expect.arrayContaining(['express', 'ioredis', 'mysql2']));
      expect(summary.bundle.notSeen).toContain('express');
      expect(summary.bundle.notSeen).not.toMatch(/mysql2|ioredis/);
      expect(summary.bundle.seen).toMatch(/mysql2.*ioredis/);
      expect(summary.bundle.todo).toContain('--packages=external');
      if (missing) return;
      const traceId = randomBytes(16).toString('hex');
      const res = await fetch(`http://127.0.0.1:${port}/items/7`, { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
      expect(await res.json()).toEqual({ id: 7, cached: '7' });
      await receiver.waitFor(() => receiver.spans.some((s) => s.traceId === traceId && s.kind === 'SPAN_KIND_SERVER'), DEADLINE_MS, 'the SERVER span');
      // mysql2 inside the bundle: its tracing channel gives the query's CLIENT span, under the request.
      await receiver.waitFor(() => receiver.spans.filter((s) => s.traceId === traceId && s.attributes['db.system.name'] === 'mysql').length >= 2, DEADLINE_MS, 'the mysql2 spans');
      const trace = receiver.spans.filter((s) => s.traceId === traceId);
      const server = trace.find((s) => s.kind === 'SPAN_KIND_SERVER')!;
      const mysql = trace.filter((s) => s.attributes['db.system.name'] === 'mysql');
      expect(mysql).toHaveLength(2);
      for (const m of mysql) expect(m).toMatchObject({ name: 'SELECT', kind: 'SPAN_KIND_CLIENT', parentSpanId: server.spanId, scope: '@opentelemetry/instrumentation-mysql2' });
      // The channel reports the SQL with the values formatted in: db.query.text keeps the
      // placeholders, as upstream's patch records it, and a bound secret is in no span.
      expect(mysql.map((m) => m.attributes['db.query.text']).sort()).toEqual(['SELECT ? AS id', 'SELECT ? AS pw']);
      expect(mysql[0].attributes).toMatchObject({ 'db.namespace': 'test', 'server.address': '127.0.0.1' });
      expect(JSON.stringify(receiver.spans)).not.toContain('hunter2-SECRET');
      // ioredis inside the bundle: its command channel, upstream's names and attributes.
      const redis = trace.filter((s) => s.attributes['db.system.name'] === 'redis' && ['get', 'set'].includes(s.name));
      expect(redis.map((s) => s.name).sort()).toEqual(['get', 'set']);
      for (const r of redis) expect(r).toMatchObject({ kind: 'SPAN_KIND_CLIENT', parentSpanId: server.spanId, scope: '@opentelemetry/instrumentation-ioredis' });
      // The connection the first command opened (lazyConnect), as upstream names it.
      expect(trace.filter((s) => s.attributes['db.system.name'] === 'redis' && s.name === 'connect')).toHaveLength(1);
      expect(redis.find((s) => s.name === 'set')!.attributes).toMatchObject({ 'db.operation.name': 'set', 'db.query.text': 'set bundle:last [1 other arguments]', 'server.address': '127.0.0.1' });
    } finally {
      app.child.kill('SIGTERM');
      await app.exited;
    }
  });

  it('graphql 17 inside it: one operation span per operation, from its tracing channel', async () => {
    const app = start([bundle], {
      cwd: dir,
      env: { NODE_OPTIONS: `--require ${path.join(REPO, 'register.cjs')}`, OTEL_SERVICE_NAME: 'bundled-shop', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_METRICS_EXPORTER: 'none' },
    });
    try {
      const port = Number((await app.waitForLine(/listening (\d+)/, DEADLINE_MS))[1]);
      const traceIds = [randomBytes(16).toString('hex'), randomBytes(16).toString('hex')];
      for (const traceId of traceIds) {
        const res = await fetch(`http://127.0.0.1:${port}/gql`, { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
        expect(await res.json()).toMatchObject({ hello: 'world', version: expect.stringMatching(/^17\./) });
      }
      for (const traceId of traceIds) {
        const trace = () => receiver.spans.filter((s) => s.traceId === traceId);
        await receiver.waitFor(() => trace().some((s) => s.kind === 'SPAN_KIND_SERVER') && trace().some((s) => s.name === 'query X'), DEADLINE_MS, 'the SERVER and operation spans');
        const server = trace().find((s) => s.kind === 'SPAN_KIND_SERVER')!;
        const op = trace().filter((s) => s.scope === '@opentelemetry/instrumentation-graphql');
        expect(op).toHaveLength(1);
        expect(op[0]).toMatchObject({ name: 'query X', parentSpanId: server.spanId });
        expect(op[0].attributes).toMatchObject({ 'graphql.operation.type': 'query', 'graphql.operation.name': 'X' });
      }
    } finally {
      app.child.kill('SIGTERM');
      await app.exited;
    }
  });

  it('otel-preload doctor in its folder names the bundle', async () => {
    const result = await run([CLI, 'doctor', '--json'], { cwd: dir, env: { OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' } });
    const report = JSON.parse(result.stdout);
    expect(report.app.bundle).toMatchObject({ tool: 'esbuild', file: bundle });
    expect(report.app.bundle.instrumentedInside).toEqual(expect.arrayContaining(['express', 'ioredis', 'mysql2']));
    const check = report.checks.find((c: { check: string }) => c.check === 'bundle');
    expect(check.detail).toMatch(/dist\/server\.js is a esbuild bundle: .*express.* are not seen/);
  });

  it('otel-preload doctor in a bundle folder with no package.json names the bundle', async () => {
    // What a container image often holds: the bundle alone (COPY dist/ .), no package.json.
    const bare = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-preload-bare-bundle-'));
    try {
      fs.copyFileSync(bundle, path.join(bare, 'server.js'));
      fs.writeFileSync(path.join(bare, 'notes.js'), 'module.exports = 1;\n');
      const result = await run([CLI, 'doctor', '--json'], { cwd: bare, env: { OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' } });
      const report = JSON.parse(result.stdout);
      expect(report.app.bundle).toMatchObject({ tool: 'esbuild', file: path.join(bare, 'server.js') });
      expect(report.app.bundle.instrumentedInside).toEqual(expect.arrayContaining(['express', 'ioredis', 'mysql2']));
      const check = report.checks.find((c: { check: string }) => c.check === 'bundle');
      expect(check.detail).toMatch(/^server\.js is a esbuild bundle: .*express.* are not seen/);
    } finally {
      fs.rmSync(bare, { recursive: true, force: true });
    }
  });

  it('an unbundled script is not named a bundle', async () => {
    const app = start([path.join(REPO, 'fixtures/versions/gap.cjs')], {
      env: { NODE_OPTIONS: `--require ${path.join(REPO, 'register.cjs')}`, OTEL_LOG_LEVEL: 'info', LIBS_DIR: path.join(CORPUS_APPS, '..'), OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' },
    });
    const done = await app.exited;
    expect(parseLine(done.stderr, 'started').bundle).toBeUndefined();
  });
});

describe('the same app unbundled', () => {
  it('one span per mysql2 query and ioredis command: the patch, not also the channel', async () => {
    if (missing) return;
    const app = start([path.join(REPO, 'fixtures/versions/bundle-src.cjs')], {
      env: { NODE_OPTIONS: `--require ${path.join(REPO, 'register.cjs')}`, OTEL_SERVICE_NAME: 'unbundled-shop', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_METRICS_EXPORTER: 'none' },
    });
    try {
      const port = Number((await app.waitForLine(/listening (\d+)/, DEADLINE_MS))[1]);
      const traceId = randomBytes(16).toString('hex');
      const res = await fetch(`http://127.0.0.1:${port}/items/8`, { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
      expect(res.status).toBe(200);
      const trace = () => receiver.spans.filter((s) => s.traceId === traceId);
      await receiver.waitFor(() => trace().some((s) => s.kind === 'SPAN_KIND_SERVER'), DEADLINE_MS, 'the SERVER span');
      const server = trace().find((s) => s.kind === 'SPAN_KIND_SERVER')!;
      expect(server.attributes['http.route']).toBe('/items/:id');
      await receiver.waitFor(() => trace().filter((s) => s.attributes['db.system.name'] === 'mysql').length >= 2, DEADLINE_MS, 'the mysql2 spans');
      const mysql = trace().filter((s) => s.attributes['db.system.name'] === 'mysql');
      expect(mysql).toHaveLength(2);
      expect(mysql.map((m) => m.attributes['db.query.text']).sort()).toEqual(['SELECT ? AS id', 'SELECT ? AS pw']);
      const redis = trace().filter((s) => s.attributes['db.system.name'] === 'redis' && ['get', 'set'].includes(s.name));
      // One `get`, not two (upstream's patch itself records the first `set` twice: lazyConnect
      // queues it offline and sends it again once connected).
      expect(redis.filter((s) => s.name === 'get')).toHaveLength(1);
      // graphql unbundled (the repo's own 16: upstream's patch): one operation span too, not also the channel's.
      const gqlTrace = randomBytes(16).toString('hex');
      expect((await fetch(`http://127.0.0.1:${port}/gql`, { headers: { traceparent: `00-${gqlTrace}-00f067aa0ba902b7-01` } })).status).toBe(200);
      await receiver.waitFor(() => receiver.spans.some((s) => s.traceId === gqlTrace && s.name === 'query X'), DEADLINE_MS, 'the operation span');
      await receiver.waitFor(() => receiver.spans.some((s) => s.traceId === gqlTrace && s.kind === 'SPAN_KIND_SERVER'), DEADLINE_MS, 'the SERVER span');
      expect(receiver.spans.filter((s) => s.traceId === gqlTrace && s.scope === '@opentelemetry/instrumentation-graphql')).toHaveLength(1);
      // The channel spans above carry what the patch does.
      expect(redis.find((s) => s.name === 'set')!.attributes['db.query.text']).toBe('set bundle:last [1 other arguments]');
    } finally {
      app.child.kill('SIGTERM');
      await app.exited;
    }
  });
});

describe('no silent gaps', () => {
  it('a module loaded outside its instrumentation\'s range is named once, with the range', async () => {
    const shop = prepareApp('doctor-shop').dir;
    const done = await run([path.join(REPO, 'fixtures/versions/gap.cjs')], {
      env: { NODE_OPTIONS: `--require ${path.join(REPO, 'register.cjs')}`, OTEL_LOG_LEVEL: 'info', LIBS_DIR: shop, OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' },
    });
    expect(done.stdout).toBe('done\n');
    const lines = done.stderr.split('\n').filter((l) => l.startsWith('otel-preload info: coverage '));
    expect(lines).toHaveLength(1);
    const coverage = parseLine(done.stderr, 'coverage');
    expect(coverage.outOfRange).toEqual([{ instrumentation: 'koa', module: 'koa', version: '1.7.1', supported: '>=2.0.0 <4' }]);
    expect(coverage.count).toBe(1);
  });
});
