// Version ranges: the catalogue's extensions apply on the running OpenTelemetry line (their `from`
// is a range upstream declares, exactly), the table's newest versions cover every watched package,
// and an instance patches an extended major as upstream patches the old one.

import { describe, expect, it } from 'vitest';
import { CATALOGUE } from '../../src/instrumentations/table';
import { applyRangeExtensions, supportedRanges } from '../../src/instrumentations/ranges';
import { entryRanges } from '../../src/instrumentations/coverage';
import { lineRequire } from '../../src/otel-line/line';
import { readNewest, watchedPackages } from '../../scripts/instrumentation-table';

describe('version ranges', () => {
  it.each(CATALOGUE.filter((e) => e.extendRanges?.length).map((e) => [e.name, e] as const))('%s: every extension finds upstream\'s range on this line', (_n, entry) => {
    const instance = new (entry.lean ? entry.lean() : lineRequire(entry.pkg)[entry.cls])({ enabled: false });
    expect(applyRangeExtensions(instance, entry.extendRanges!)).toEqual([]);
    const ranges = supportedRanges(instance);
    for (const ext of entry.extendRanges!) expect(ranges.get(ext.module)).toContain(ext.add);
  });

  it('an extension whose upstream range changed is reported, not applied', () => {
    const entry = CATALOGUE.find((e) => e.name === 'bunyan')!;
    const instance = new (entry.lean ? entry.lean() : lineRequire(entry.pkg)[entry.cls])({ enabled: false });
    const ext = { module: 'bunyan', from: '>=0.1.0 <1', add: '>=2.0.0 <3', provenBy: 'none' };
    expect(applyRangeExtensions(instance, [ext])).toEqual([ext]);
    expect(supportedRanges(instance).get('bunyan')).not.toContain('>=2.0.0 <3');
  });

  it('fastify and undici, which declare no module definitions, carry their declared ranges', () => {
    // Narrower than @fastify/otel's own plugin-meta: before 4.10 it breaks every request (versions.test.ts's oldest set is 4.10.0).
    expect(entryRanges(CATALOGUE.find((e) => e.name === 'fastify')!).get('fastify')).toEqual(['>=4.10.0 <6']);
    const { FastifyOtelInstrumentation } = lineRequire('@fastify/otel');
    const plugin = new FastifyOtelInstrumentation({ enabled: false }).plugin();
    expect(plugin[Symbol.for('plugin-meta')].fastify).toBe('>=4.0.0 <6');
  });

  it('the checked-in newest versions list every watched package', () => {
    const { versions } = readNewest();
    for (const m of watchedPackages()) expect(versions[m], m).toMatch(/^\d+\.\d+\.\d+/);
  });
});
