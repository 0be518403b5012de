// The line chosen from Node's version, its fallback, and every upstream internal of the table
// loading on the line this test runs on (run the suite under Node 24 for the 3.x line:
// `npm run test:line3`, docs/otel-lines.md).

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { chooseLine, describeLine, line, lineForNode, packageRoot } from '../../src/otel-line/line';
import { INTERNALS, requireInternal, type InternalName } from '../../src/otel-line/internals';

describe('the line', () => {
  it('3.x from Node 22.15 on, 2.x below', () => {
    expect(['18.19.0', '18.20.8', '20.6.0', '20.20.2', '22.0.0', '22.14.9'].map((v) => lineForNode(v))).toEqual(Array(6).fill('2.x'));
    expect(['22.15.0', '22.23.3', '23.0.0', '24.21.0', '26.10.0'].map((v) => lineForNode(v))).toEqual(Array(5).fill('3.x'));
  });

  it('a 3.x line that is not installed falls back to 2.x and says why', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-line-'));
    const chosen = chooseLine('24.21.0', empty);
    expect(chosen.name).toBe('2.x');
    expect(chosen.reason).toMatch(/lines\/3 is not installed/);
  });

  it('this process runs the line of its Node.js, and its SDK is that line', () => {
    expect(line().name).toBe(lineForNode(process.versions.node));
    const d = describeLine();
    expect(d.sdkVersion).toMatch(d.line === '3.x' ? /^3\./ : /^2\./);
    // What the SDK reports as telemetry.sdk.version is the same package.
    const { SDK_INFO } = line().require('@opentelemetry/core');
    expect(Object.values(SDK_INFO)).toContain(d.sdkVersion);
    expect(fs.existsSync(path.join(packageRoot(), 'register.cjs'))).toBe(true);
  });

  it.each(Object.keys(INTERNALS) as InternalName[])('internal %s loads on this line, from the same module instance its package uses', (name) => {
    const mod = requireInternal<Record<string, unknown>>(name);
    expect(Object.keys(mod).length).toBeGreaterThan(0);
  });

  it('the internals users need are there (their fallbacks are for a future bump, not for today)', () => {
    expect(typeof requireInternal<{ hashAttributes: unknown }>('sdk-metrics/utils').hashAttributes).toBe('function');
    expect(typeof requireInternal<{ getIncomingRequestAttributes: unknown }>('instrumentation-http/utils').getIncomingRequestAttributes).toBe('function');
    expect(typeof requireInternal<{ ProtobufWriter: unknown }>('otlp-transformer/protobuf-writer').ProtobufWriter).toBe('function');
    expect(typeof requireInternal<{ hexToBinary: unknown }>('otlp-transformer/hex-to-binary').hexToBinary).toBe('function');
    expect(typeof requireInternal<{ kLayerPatched: unknown }>('instrumentation-express/internal-types').kLayerPatched).toBe('symbol');
  });
});
