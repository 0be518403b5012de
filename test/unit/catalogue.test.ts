// The catalogue against the installed packages: every instrumentation of the pinned upstream line
// is there under its upstream name, and each entry watches every module its package patches.

import { readFileSync } from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { CATALOGUE, selectInstrumentations } from '../../src/instrumentations/table';
import { readConfig } from '../../src/config';
import { lineRequire } from '../../src/otel-line/line';

const pkg = JSON.parse(readFileSync(path.join(__dirname, '../../package.json'), 'utf8'));

describe('instrumentation catalogue', () => {
  it('has an entry for every instrumentation package we depend on', () => {
    const names = Object.keys(pkg.dependencies).filter((d) => d.startsWith('@opentelemetry/instrumentation-')).map((d) => d.replace('@opentelemetry/instrumentation-', ''));
    expect(names.length).toBeGreaterThanOrEqual(41);
    for (const n of names) expect(CATALOGUE.map((e) => e.name), n).toContain(n);
  });

  it.each(CATALOGUE.map((e) => [e.name, e] as const))('%s watches every module its package patches', (_name, entry) => {
    const Class = entry.lean ? entry.lean() : lineRequire(entry.pkg)[entry.cls];
    expect(typeof Class, `${entry.pkg} exports ${entry.cls}`).toBe('function');
    const instance = new Class({ enabled: false });
    const patched = new Set<string>((instance._modules ?? []).map((d: { name: string }) => d.name));
    for (const m of patched) expect(entry.modules, `${entry.pkg} patches ${m}`).toContain(m.replace(/^node:/, '').replace(/\/promises$/, ''));
    expect(entry.modules.length > 0 || entry.atSdkStart !== undefined || entry.onGlobalFetch, 'has a trigger').toBeTruthy();
  });

  it('same defaults as upstream: fs and host-metrics off; the switches select by name', () => {
    const defaults = selectInstrumentations(readConfig({}).config, () => {}).map((e) => e.name);
    expect(defaults).not.toContain('fs');
    expect(defaults).not.toContain('host-metrics');
    expect(defaults).toContain('http');
    expect(defaults).toHaveLength(CATALOGUE.length - 2);
    const warnings: string[] = [];
    const only = selectInstrumentations(readConfig({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,fs,nope', OTEL_NODE_DISABLED_INSTRUMENTATIONS: '@opentelemetry/instrumentation-fs' }).config, (w) => warnings.push(w));
    expect(only.map((e) => e.name)).toEqual(['http']);
    expect(warnings).toEqual([expect.stringContaining('unknown instrumentations nope')]);
  });
});
