// Old Node.js binaries on the host (vendor tools ship them) get the preload too, through the
// Injector's `--require <absolute path>`: the first file must parse there, print one line at most
// and leave the app exactly as plain node runs it. Real binaries from the npm registry, cached.

import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { nodeBinary } from '../../scripts/node-binaries';
import { REPO, run } from '../helpers/processes';

const OLD = ['8.17.0', '10.24.1', '12.22.12', '14.21.3'];
const ENTRY = path.join(REPO, 'register.cjs');
const APP = path.join('exit', 'old-node-app.js');

describe('old Node.js under --require by absolute path', () => {
  it.each(OLD)('Node %s parses register.cjs (syntax check)', async (version) => {
    const result = await run(['--check', ENTRY], { node: nodeBinary(version), env: {} });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it.each(OLD)('Node %s: stdout and exit code as plain node, one stderr line', async (version) => {
    const node = nodeBinary(version);
    const plain = await run([APP], { node, env: {} });
    expect(plain.code).toBe(3);
    expect(plain.stdout).toBe(`node ${version.split('.')[0]} got ok\ndone\n`);
    for (const options of [`--require ${ENTRY}`, `--require ${ENTRY} --require ${ENTRY}`]) {
      const result = await run([APP], { node, env: { NODE_OPTIONS: options, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_LOG_LEVEL: 'debug' } });
      expect(result.code).toBe(plain.code);
      expect(result.signal).toBe(plain.signal);
      expect(result.stdout).toBe(plain.stdout);
      expect(result.stderr).toBe(`otel-preload: Node.js v${version} is not supported (needs ^18.19.0 || >=20.6.0); telemetry is off for this process.\n`);
    }
  });
});
