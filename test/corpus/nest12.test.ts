// NestJS 12 (newest major; upstream nestjs-core declares <12) on its default Express 5 platform, pg on the local PostgreSQL, Nest's own shutdown
// hooks (it re-raises the signal after closing the app).

import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { corpusSuite } from './contract';
import { installed, type CorpusApp } from './harness';
import { missingServices } from '../helpers/services';
import { REPO, run, start } from '../helpers/processes';
import { DEADLINE_MS } from '../helpers/wait';
import { supportsSyncHooks } from '../../src/instrumentations/lazy-hooks';

const missing = await missingServices(['postgresql']);
corpusSuite(
  {
    name: 'nest12-shop',
    service: { name: 'nest12-shop', version: '3.0.0' },
    argv: () => ['main.js'],
    ready: /nest12-shop listening/,
    requests: [
      { path: '/items/4', status: 200, route: '/items/:id', children: ['SPAN_KIND_CLIENT'] },
      { path: '/items', status: 200, route: '/items' },
      { path: '/nope', status: 404, route: null },
    ],
    stopSignal: 'SIGTERM',
  },
  missing.length > 0,
);

// The same app under app.setGlobalPrefix('v1'): routes carry the prefix, and a 404 inside the prefix
// (answered by the catch-all `*path` route Nest mounts there) or a method no route takes gets no route.
corpusSuite(
  {
    name: 'nest12-shop',
    title: "nest12-shop under setGlobalPrefix('v1')",
    service: { name: 'nest12-shop', version: '3.0.0' },
    argv: () => ['main.js'],
    env: () => ({ NEST_PREFIX: 'v1' }),
    ready: /nest12-shop listening/,
    requests: [
      { path: '/v1/items/4', status: 200, route: '/v1/items/:id', children: ['SPAN_KIND_CLIENT'] },
      { path: '/v1/items', status: 200, route: '/v1/items' },
      { path: '/v1/nope', status: 404, route: null },
      { path: '/items/4', status: 404, route: null },
    ],
    stopSignal: 'SIGTERM',
  },
  missing.length > 0,
);

// Nest 12 is ES modules: @nestjs/platform-express imports express, which the require hook does not
// see load (it sees only express's own internal requires). On a Node without in-thread ESM hooks and
// a CommonJS entry, express runs unpatched although its version is in range: the coverage line must
// say so, with the cause and what to do, and not call it out of range (which asks for another version).
describe.skipIf(missing.length > 0)('nest12-shop: the coverage line names express loaded unseen, not out of range', () => {
  const coverageLines = async (entry: string, nodeOptions: string) => {
    const app = start([entry], {
      cwd: installed({ name: 'nest12-shop' } as CorpusApp),
      env: { PORT: '0', NODE_OPTIONS: nodeOptions, OTEL_LOG_LEVEL: 'info', OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' },
    });
    await app.waitForLine(/nest12-shop listening/, 2 * DEADLINE_MS);
    app.child.kill('SIGTERM');
    const done = await app.exited;
    return done.stderr.split('\n').filter((l) => l.startsWith('otel-preload info: coverage ')).map((l) => JSON.parse(l.slice('otel-preload info: coverage '.length)));
  };
  const named = (lines: Array<Record<string, any>>, key: string) => lines.flatMap((l) => (l[key] ?? []) as Array<Record<string, string>>).map((g) => g.module);

  it('a CommonJS entry under --require', async () => {
    const lines = await coverageLines('main.js', `--require ${path.join(REPO, 'register.cjs')}`);
    expect(named(lines, 'outOfRange')).not.toContain('express');
    if (supportsSyncHooks()) {
      expect(named(lines, 'notPatched')).toEqual([]);
      return;
    }
    const express = lines.flatMap((l) => l.notPatched ?? []).find((g: Record<string, string>) => g.module === 'express');
    expect(express).toMatchObject({ instrumentation: 'express', supported: '>=4.0.0 <6' });
    expect(express.why).toMatch(/imported by an ES module/);
    const todo = lines.find((l) => l.notPatched)!.todo as string;
    expect(todo).toMatch(/express: run on Node\.js 22\.22\.3\+, 24\.11\.1\+ or 26\+/);
    expect(todo).toMatch(/ES module entry .* NODE_OPTIONS=--import/);
    expect(todo).not.toMatch(/express: use a version/);
  });

  it('what that advice says to do: an ES module entry under --import has express patched', async () => {
    const lines = await coverageLines('main.mjs', `--import ${path.join(REPO, 'register.mjs')}`);
    expect([...named(lines, 'outOfRange'), ...named(lines, 'notPatched')]).not.toContain('express');
    // The line itself still comes (Nest 12 is past nestjs-core's range).
    expect(named(lines, 'outOfRange')).toContain('@nestjs/core');
  });
});

describe('otel-preload doctor in the Nest 12 app', () => {
  it('names express imported by @nestjs/platform-express (an ES module) as unpatched where no ESM hook runs, not as out of range', async () => {
    const dir = installed({ name: 'nest12-shop' } as CorpusApp);
    const result = await run([path.join(REPO, 'build/src/cli/index.js'), 'doctor', '--json'], { cwd: dir, env: { OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' } });
    const report = JSON.parse(result.stdout);
    expect(report.app.importedByEsm).toContainEqual({ module: 'express', version: '5.3.0', instrumentation: 'express', importedBy: '@nestjs/platform-express' });
    // @nestjs/core 12 is past the nestjs-core instrumentation's range, yet its routes are kept.
    const nest = report.checks.filter((c: { check: string; detail: string }) => c.check === 'coverage' && /^@nestjs\/core /.test(c.detail));
    expect(nest).toHaveLength(1);
    expect(nest[0].detail).toMatch(/not covered \(the nestjs-core instrumentation supports .*\); its own spans are not made; the SERVER span still gets its route/);
    const express = report.checks.filter((c: { check: string; detail: string }) => c.check === 'coverage' && /^express /.test(c.detail));
    if (supportsSyncHooks()) {
      expect(express).toEqual([]);
      return;
    }
    expect(express).toHaveLength(1);
    expect(express[0].detail).toMatch(/^express 5\.3\.0: in the express instrumentation's range, but imported by @nestjs\/platform-express \(an ES module\)/);
    expect(express[0].detail).toMatch(/To do: run on Node\.js 22\.22\.3\+, 24\.11\.1\+ or 26\+/);
    expect(express[0].detail).not.toMatch(/not covered/);
  });
});
